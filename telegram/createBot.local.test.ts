import { Bot, HttpError } from 'grammy'
import { pino } from 'pino'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { startBotApi, type BotApiServer } from '../devnet/telegram/botApi.js'
import { COMMANDS, helpText } from './commands.js'
import { createBot, describeBotError, registerCommands } from './createBot.js'

const logger = pino({ level: 'silent' })
const ALICE = { id: 2001, username: 'alice' }
let server: BotApiServer
let bot: Bot | undefined

beforeEach(async () => {
  server = await startBotApi()
})
afterEach(async () => {
  if (bot?.isRunning()) await bot.stop()
  bot = undefined
  await server.close()
})

async function run(b: Bot): Promise<void> {
  bot = b
  await new Promise<void>((resolve, reject) => {
    b.start({ onStart: () => resolve(), timeout: 10 }).catch(reject)
  })
}

it('answers /help with the command list and /status from the supplied source', async () => {
  await run(createBot({ token: server.token, apiRoot: server.url, logger, status: () => 'executor: running' }))
  server.injectMessage({ from: ALICE, text: '/help' })
  await server.waitFor(() => server.sent(ALICE.id).length === 1)
  server.injectMessage({ from: ALICE, text: '/status' })
  await server.waitFor(() => server.sent(ALICE.id).length === 2)
  expect(server.sent(ALICE.id).map((s) => s.text)).toEqual([helpText(), 'executor: running'])
})

it('registers the command list with Telegram', async () => {
  const b = createBot({ token: server.token, apiRoot: server.url, logger })
  await registerCommands(b)
  expect(await b.api.getMyCommands()).toEqual(COMMANDS)
})

it('retries a 429 transparently (auto-retry honours retry_after)', async () => {
  server.addChat({ id: ALICE.id })
  const b = createBot({ token: server.token, apiRoot: server.url, logger })
  server.setFault({ method: 'sendMessage', status: 429, retryAfter: 1 })
  await expect(b.api.sendMessage(ALICE.id, 'alert')).resolves.toMatchObject({ text: 'alert' })
  expect(server.calls('sendMessage').map((c) => c.error_code)).toEqual([429, undefined])
})

it('describes a network error without the token', async () => {
  const other = await startBotApi()
  const deadRoot = other.url
  await other.close()
  const plain = new Bot(server.token, { client: { apiRoot: deadRoot } })
  const err = await plain.api.getMe().catch((e: unknown) => e)
  expect(err).toBeInstanceOf(HttpError)
  const described = describeBotError(err, server.token)
  expect(described.kind).toBe('network')
  expect(JSON.stringify(described)).not.toContain(server.token)
})
