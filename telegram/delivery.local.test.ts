import { Writable } from 'node:stream'
import { Bot } from 'grammy'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../core/errors'
import { startBotApi, type BotApiServer } from '../devnet/telegram/botApi'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import type { Alert } from '../store/types'
import { createTelegramBot } from './bot'
import type { ConfigInput } from '../config/schema'
import { createAlertDelivery, formatAlert, formatDigest } from './delivery'
import { runPolling } from './poll'
import { OPERATOR, OPS_CHAT, silentLogger, testConfig } from './testing'

const T0 = Date.UTC(2026, 0, 1, 12)
let server: BotApiServer
let store: Store
let cleanupStore: () => Promise<void>
let clock = T0
const bots: Bot[] = []

async function setup(telegram: ConfigInput['telegram'] = {}, serverOpts: Parameters<typeof startBotApi>[0] = {}, logger = silentLogger) {
  clock = T0
  server = await startBotApi({ chats: [{ id: OPS_CHAT, type: 'supergroup', title: 'ops' }, { id: OPERATOR.id, type: 'private', first_name: 'olga' }], ...serverOpts })
  ;({ store, cleanup: cleanupStore } = await openTempStore())
  const config = testConfig(
    { chats: [{ id: OPS_CHAT, alerts: ['warning', 'critical'], digest: true }, { id: OPERATOR.id, alerts: ['critical'], digest: false }], ...telegram },
    server.url,
  )
  const bot = createTelegramBot({ config, store, logger, token: server.token, apiRoot: server.url, now: () => clock, maxRetryAttempts: 3 })
  bots.push(bot)
  const delivery = createAlertDelivery({ config, store, api: bot.api, logger, token: server.token, now: () => clock })
  return { config, bot, delivery }
}

afterEach(async () => {
  for (const b of bots.splice(0)) if (b.isRunning()) await b.stop()
  await server?.close()
  await cleanupStore?.()
})

let n = 0
const raise = (over: Partial<Parameters<Store['alerts']['raise']>[0]> = {}) =>
  store.alerts.raise({ dedupKey: `k${++n}`, agent: 'watcher-ethereum', chain: 'ethereum', rule: 'apy-drop', subject: 'vault-a', severity: 'warning', title: `alert ${n}`, at: clock, ...over })
const texts = (chat: number) => server.sent(chat).map((s) => s.text)

describe('formatting', () => {
  const base: Alert = { id: 1, createdAt: T0, agent: 'w', chain: 'base', rule: 'depeg', subject: 's', dedupKey: 'k', severity: 'critical', kind: 'open', title: 'wstETH <depeg> & more', body: 'peg 0.97', blockNumber: 12n, deliveredAt: null, deliveryAttempts: 0, lastError: null }
  it('makes each severity and recoveries distinct, escaping HTML', () => {
    const heads = (['critical', 'warning', 'info'] as const).map((severity) => formatAlert({ ...base, severity }).split(' · ')[0])
    expect(new Set(heads).size).toBe(3)
    expect(formatAlert(base)).toBe('🚨 <b>CRITICAL</b> · wstETH &lt;depeg&gt; &amp; more\npeg 0.97\n<i>base · depeg · block 12</i>')
    expect(formatAlert({ ...base, kind: 'recovery' })).toMatch(/^✅ <b>RECOVERED<\/b> \(critical\) · /)
    expect(formatDigest([base, { ...base, kind: 'recovery' }])).toBe('📋 <b>Digest</b> · 2 info alerts\n• wstETH &lt;depeg&gt; &amp; more <i>(base)</i>\n✅ wstETH &lt;depeg&gt; &amp; more <i>(base)</i>')
  })
})

describe('delivery', () => {
  it('routes by severity and marks an alert delivered once every chat has it', async () => {
    const { delivery } = await setup()
    await raise({ severity: 'warning', title: 'w1' })
    await raise({ severity: 'critical', title: 'c1' })
    expect(await delivery.tick()).toMatchObject({ sent: 3, skipped: 1, delivered: 2 })
    expect(texts(OPS_CHAT).map((t) => t.split('\n')[0])).toEqual(['⚠️ <b>WARNING</b> · w1', '🚨 <b>CRITICAL</b> · c1'])
    expect(texts(OPERATOR.id).map((t) => t.split('\n')[0])).toEqual(['🚨 <b>CRITICAL</b> · c1'])
    expect(await store.alerts.undelivered()).toEqual([])
    expect(await delivery.tick()).toMatchObject({ sent: 0, delivered: 0 })
    expect(server.sent().length).toBe(3)
  })

  it('honours retry_after on a 429: sent once, delivered once, nothing lost', async () => {
    const { delivery } = await setup()
    const { alertId } = await raise({ severity: 'warning' })
    server.setFault({ method: 'sendMessage', status: 429, retryAfter: 1 })
    expect(await delivery.tick()).toMatchObject({ sent: 1, delivered: 1, retrying: 0 })
    expect(server.calls('sendMessage').map((c) => c.error_code)).toEqual([429, undefined])
    expect(server.sent(OPS_CHAT).length).toBe(1)
    expect((await store.alerts.get(alertId))!.deliveredAt).toBe(T0)
  })

  it('stays within flood control: every alert arrives exactly once', async () => {
    const { delivery } = await setup({}, { floodControl: { perChat: { limit: 2, windowMs: 2_000 } } })
    for (let i = 0; i < 5; i++) await raise({ severity: 'warning', title: `burst ${i}` })
    expect(await delivery.tick()).toMatchObject({ sent: 5, delivered: 5 })
    expect(texts(OPS_CHAT).map((t) => t.split('\n')[0]!.split(' · ')[1])).toEqual(['burst 0', 'burst 1', 'burst 2', 'burst 3', 'burst 4'])
    expect(server.calls('sendMessage').some((c) => c.error_code === 429)).toBe(true)
  })

  it('never marks an alert delivered when the send failed, and keeps the chat in order', async () => {
    const { delivery } = await setup()
    const first = await raise({ severity: 'warning', title: 'first' })
    await raise({ severity: 'warning', title: 'second' })
    server.setFault({ method: 'sendMessage', status: 500 })
    expect(await delivery.tick()).toMatchObject({ sent: 0, retrying: 1, delivered: 0 })
    expect((await store.alerts.get(first.alertId))!.lastError).toMatch(/^chat -100500: Internal Server Error/)
    expect((await store.alerts.undelivered()).length).toBe(2)
    // The chat backs off (pollMs 2 s, doubling): no attempt before that.
    const calls = server.calls('sendMessage').length
    clock += 1_999
    expect(await delivery.tick()).toMatchObject({ sent: 0, retrying: 0 })
    expect(server.calls('sendMessage').length).toBe(calls)
    clock += 1
    server.blockChat(OPS_CHAT)
    expect(await delivery.tick()).toMatchObject({ sent: 0, retrying: 1, delivered: 0 })
    server.blockChat(OPS_CHAT, false)
    clock += 3_999
    expect(await delivery.tick()).toMatchObject({ sent: 0, retrying: 0 })
    clock += 1
    expect(await delivery.tick()).toMatchObject({ sent: 2, delivered: 2 })
    expect(texts(OPS_CHAT).map((t) => t.split('\n')[0])).toEqual(['⚠️ <b>WARNING</b> · first', '⚠️ <b>WARNING</b> · second'])
    expect(await store.alerts.undelivered()).toEqual([])
  })

  it('survives the Bot API being unreachable: retried next round, not lost, token never logged', async () => {
    const lines: string[] = []
    const sink = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) })
    const { delivery } = await setup({}, {}, pino({ level: 'debug' }, sink))
    await raise({ severity: 'warning', title: 'during outage' })
    const port = server.port
    await server.close()
    const r = await delivery.tick()
    expect(r).toMatchObject({ sent: 0, delivered: 0, retrying: 1 })
    expect((await store.alerts.undelivered()).length).toBe(1)
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.join('\n')).not.toContain(server.token)
    expect(lines.join('\n')).not.toContain(server.token.split(':')[1])
    const lastError = (await store.alerts.undelivered())[0]!.lastError!
    expect(lastError).not.toContain(server.token.split(':')[1])
    // The server is back (same port): delivered.
    server = await startBotApi({ port, chats: [{ id: OPS_CHAT, type: 'supergroup', title: 'ops' }, { id: OPERATOR.id, type: 'private', first_name: 'olga' }] })
    clock += 2_000
    expect(await delivery.tick()).toMatchObject({ sent: 1, delivered: 1 })
  })

  it('gathers info alerts into one digest per interval', async () => {
    const { delivery } = await setup({ delivery: { digestIntervalSeconds: 600 } })
    await raise({ severity: 'info', title: 'i1' })
    clock += 60_000
    await raise({ severity: 'info', title: 'i2' })
    expect(await delivery.tick()).toMatchObject({ sent: 0, skipped: 2, digested: 0, delivered: 0 })
    expect(server.sent()).toEqual([])
    clock = T0 + 600_000
    expect(await delivery.tick()).toMatchObject({ digested: 2, delivered: 2 })
    expect(texts(OPS_CHAT)).toEqual(['📋 <b>Digest</b> · 2 info alerts\n• i1 <i>(ethereum)</i>\n• i2 <i>(ethereum)</i>'])
    expect(texts(OPERATOR.id)).toEqual([])
  })

  it('folds a flapping condition within the dedup window, never leaving a wrong state', async () => {
    const { delivery } = await setup({ delivery: { dedupWindowSeconds: 600 } })
    const cond = { dedupKey: 'flap', severity: 'warning' as const, title: 'flapping' }
    await raise(cond)
    await delivery.tick()
    await store.alerts.resolve('flap', { agent: 'w', at: clock })
    await delivery.tick()
    for (let i = 0; i < 3; i++) {
      await raise(cond)
      await store.alerts.resolve('flap', { agent: 'w', at: clock })
    }
    expect(await delivery.tick()).toMatchObject({ sent: 0, suppressed: 6, delivered: 6 })
    expect(texts(OPS_CHAT).map((t) => t.split(' · ')[0])).toEqual(['⚠️ <b>WARNING</b>', '✅ <b>RECOVERED</b> (warning)'])
    // Open again and still open: sent, so the chat knows.
    await raise(cond)
    expect(await delivery.tick()).toMatchObject({ sent: 1 })
    // After the window, a repeat is news again.
    await store.alerts.resolve('flap', { agent: 'w', at: clock })
    await delivery.tick()
    clock += 601_000
    await raise(cond)
    await store.alerts.resolve('flap', { agent: 'w', at: clock })
    expect(await delivery.tick()).toMatchObject({ sent: 2, suppressed: 0 })
  })

  it('sends a rules-filtered chat only its rules', async () => {
    const { delivery } = await setup({ chats: [{ id: OPS_CHAT, alerts: ['warning', 'critical'], rules: ['plan'] }] })
    await raise({ rule: 'apy-drop', title: 'not for the committee' })
    await raise({ rule: 'plan', title: 'a plan' })
    expect(await delivery.tick()).toMatchObject({ sent: 1, skipped: 1, delivered: 2 })
    expect(texts(OPS_CHAT).map((t) => t.split('\n')[0])).toEqual(['⚠️ <b>WARNING</b> · a plan'])
  })

  it('respects mutes until they expire', async () => {
    const { delivery } = await setup()
    await store.controls.set('mute:apy-drop', { until: T0 + 3_600_000 }, 'telegram:olga', T0)
    await raise({ rule: 'apy-drop', severity: 'critical', title: 'muted one' })
    await raise({ rule: 'depeg', severity: 'critical', title: 'other rule' })
    expect(await delivery.tick()).toMatchObject({ muted: 2, sent: 2, delivered: 2 })
    expect(texts(OPS_CHAT).map((t) => t.split('\n')[0])).toEqual(['🚨 <b>CRITICAL</b> · other rule'])
    clock = T0 + 3_600_001
    await raise({ rule: 'apy-drop', severity: 'critical', title: 'after the mute' })
    expect(await delivery.tick()).toMatchObject({ sent: 2 })
  })
})

describe('polling', () => {
  it('backs off on a 409 from a second poller instead of crash-looping', async () => {
    await setup()
    const a = new Bot(server.token, { client: { apiRoot: server.url } })
    const b = new Bot(server.token, { client: { apiRoot: server.url } })
    bots.push(a, b)
    b.command('ping', (ctx) => ctx.reply('pong'))
    const controller = new AbortController()
    const failures: { conflict: boolean; delayMs: number }[] = []
    let started!: () => void
    const onStart = new Promise<void>((r) => (started = r))
    let failed!: () => void
    const onFailure = new Promise<void>((r) => (failed = r))
    const running = runPolling(a, {
      logger: silentLogger,
      signal: controller.signal,
      token: server.token,
      onStart: () => started(),
      onFailure: (f) => (failures.push(f), failed()),
      // Record the back-off and wait for the abort (no real 5 s wait in a unit test).
      sleep: (_ms, signal) => new Promise((r) => signal.addEventListener('abort', () => r(), { once: true })),
    })
    await onStart
    await new Promise<void>((resolve, reject) => void b.start({ onStart: () => resolve(), timeout: 5 }).catch(reject))
    await onFailure
    expect(failures).toEqual([{ conflict: true, delayMs: 5_000, failures: 1 }])
    // The other instance keeps working; the backing-off one does not poll meanwhile.
    const polls = server.calls('getUpdates').length
    server.injectMessage({ from: OPERATOR, text: '/ping' })
    await server.waitFor(() => server.sent(OPERATOR.id).length === 1)
    expect(server.calls('getUpdates').length - polls).toBeLessThanOrEqual(2)
    controller.abort()
    await running
    expect(failures.length).toBe(1)
  })

  it('stops on a refused token with an error that does not contain it', async () => {
    await setup()
    const token = '123456789:ABCdefGhIJKlmnoPQRstuVWXyz0123456789'
    const bot = new Bot(token, { client: { apiRoot: server.url } })
    const err = await runPolling(bot, { logger: silentLogger, signal: new AbortController().signal, token }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect(String((err as Error).message)).not.toContain(token.split(':')[1])
    expect((err as Error).message).toMatch(/401 Unauthorized/)
  })
})
