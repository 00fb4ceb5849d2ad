/**
 * Telegram agent: the bot (commands, authorisation, confirmations, approvals, pauses) by long
 * polling, and alert delivery from the store's outbox. Thin wiring: the logic is in telegram/.
 * Live, the token comes from the env var named by telegram.tokenEnv (or its _FILE); devnet mode
 * talks to the local Bot API server and needs none.
 */
import { loadConfig } from '../config/load'
import { ConfigError, describeError } from '../core/errors'
import { createLogger } from '../core/logger'
import { createShutdown, sleep } from '../core/shutdown'
import { openStore } from '../store'
import { createTelegramBot } from '../telegram/bot'
import { telegramConnection } from '../telegram/config'
import { describeBotError, registerCommands } from '../telegram/createBot'
import { createAlertDelivery } from '../telegram/delivery'
import { storeGovernanceReader } from '../telegram/governanceStore'
import { runPolling } from '../telegram/poll'

const AGENT = 'telegram'

async function main(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger({ agent: AGENT })
  const shutdown = createShutdown({ handleSignals: true })
  const store = await openStore({ path: config.store.path, logger })
  shutdown.onShutdown(() => store.close())
  const t = config.telegram
  if (!t.enabled) {
    logger.info('telegram.enabled is false: the bot is off (set it to true and give a token to start it)')
    while (!shutdown.signal.aborted) {
      await store.heartbeats.beat(AGENT, { enabled: false }).catch(() => undefined)
      await sleep(30_000, shutdown.signal)
    }
    return
  }
  const { token, apiRoot } = telegramConnection(t)
  const bot = createTelegramBot({ config, store, logger, token, apiRoot, governance: storeGovernanceReader(store) })
  const delivery = createAlertDelivery({ config, store, api: bot.api, logger, token })

  // The command list; a failure (network) is retried in the background without blocking the bot.
  void (async () => {
    for (let i = 0; !shutdown.signal.aborted; i++) {
      try {
        await registerCommands(bot)
        return
      } catch (err) {
        logger.warn({ err: describeBotError(err, token) }, 'telegram: setMyCommands failed; retrying')
        await sleep(Math.min(60_000, 2_000 * 2 ** i), shutdown.signal)
      }
    }
  })()

  const polling = runPolling(bot, { logger, signal: shutdown.signal, token, onStart: () => logger.info({ apiRoot: apiRoot ?? 'https://api.telegram.org', mode: t.mode }, 'telegram bot polling') })
  polling.catch(async (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : `telegram: ${describeBotError(err, token).message ?? 'polling failed'}`)
    await shutdown.shutdown('polling failed')
    process.exit(1)
  })

  let lastPrune = 0
  while (!shutdown.signal.aborted) {
    let last: unknown = null
    try {
      last = await delivery.tick()
      if (Date.now() - lastPrune > 3_600_000) {
        lastPrune = Date.now()
        await store.telegram.pruneCallbacks(Date.now() - 7 * 86_400_000)
      }
    } catch (err) {
      logger.error({ err: describeBotError(err, token) }, 'telegram: delivery round failed; retried next round')
    }
    await store.heartbeats.beat(AGENT, { last }).catch(() => undefined)
    await sleep(t.delivery.pollMs, shutdown.signal)
  }
  await polling.catch(() => undefined)
  logger.info('telegram agent stopped')
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `telegram: ${describeError(err)}`)
  process.exit(1)
})
