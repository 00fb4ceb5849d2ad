/**
 * PM2 entry of the devnet's local Telegram Bot API server (`telegram-api`): listens on the port of
 * `telegram.apiRoot` in the devnet config, knows the configured chats (so alerts can be sent
 * before anyone wrote to the bot), and serves the inject/observe hooks `npm run chat` uses.
 * Stops on SIGINT/SIGTERM.
 */
import { loadConfig } from '../../config/load'
import { describeError } from '../../core/errors'
import { createLogger } from '../../core/logger'
import { createShutdown } from '../../core/shutdown'
import { startBotApi } from './botApi'

async function main(): Promise<void> {
  const logger = createLogger({ agent: 'telegram-api' })
  const config = loadConfig()
  const t = config.telegram
  if (t.mode !== 'devnet' || !t.apiRoot) throw new Error('telegram-api: the config is not in telegram devnet mode with an apiRoot (the devnet config has both; run `npm start`)')
  const port = Number(new URL(t.apiRoot).port)
  const userNames = new Map(t.users.map((u) => [u.id, u.name]))
  const server = await startBotApi({
    port,
    chats: t.chats.map((c) =>
      c.id > 0 ? { id: c.id, type: 'private' as const, first_name: userNames.get(c.id) ?? `user ${c.id}` } : { id: c.id, type: 'supergroup' as const, title: c.name ?? `chat ${c.id}` },
    ),
  })
  const shutdown = createShutdown({ handleSignals: true })
  shutdown.onShutdown(() => server.close())
  logger.info({ url: server.url, chats: t.chats.length }, 'local Telegram Bot API server listening')
  await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }))
}

main().catch((err) => {
  console.error(`telegram-api: ${describeError(err)}`)
  process.exit(1)
})
