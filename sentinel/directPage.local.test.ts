/**
 * The sentinel pages directly when it cannot write: a real SQLite file, a second OS process holding
 * the write lock (BEGIN IMMEDIATE, as an agent frozen mid-transaction does), the real grammY Api
 * against the local Bot API server. One message while stuck (naming the stale agent it could not
 * write), nothing more while still stuck, the recovery once the lock is released, and the store then
 * holds what was sent: the alerts delivered, one `sent` delivery per chat with the message ids.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBotApi, type BotApiServer } from '../devnet/telegram/botApi'
import { openStore, type Store } from '../store'
import { tempDir } from '../store/testing'
import { OPS_CHAT, testConfig } from '../telegram/testing'
import { DEVNET_BOT_TOKEN } from '../telegram/config'
import { createStuckStore, operatorChats, STUCK_KEY, telegramDirectSend } from './directPage'
import { createSentinelRound } from './round'
import { heartbeatKey } from './rules'

const sqlitePath = createRequire(import.meta.url).resolve('sqlite3')

let dir: { dir: string; cleanup: () => Promise<void> }
let server: BotApiServer
let store: Store
let holder: ChildProcess | undefined

beforeAll(async () => {
  dir = await tempDir()
  server = await startBotApi({ chats: [{ id: OPS_CHAT, type: 'group', title: 'ops' }] })
  store = await openStore({ path: `${dir.dir}/store.sqlite`, busyTimeoutMs: 300 })
})
afterAll(async () => {
  holder?.kill('SIGKILL')
  await store?.close()
  await server?.close()
  await dir?.cleanup()
})

/** A second process that takes the write lock and keeps it until told to commit (a line on stdin). */
async function holdWriteLock(path: string): Promise<ChildProcess> {
  const code = `
    const sqlite3 = require(${JSON.stringify(sqlitePath)})
    const db = new sqlite3.Database(${JSON.stringify(path)})
    db.exec('BEGIN IMMEDIATE', (err) => {
      if (err) { console.error(err.message); process.exit(1) }
      console.log('locked')
      process.stdin.once('data', () => db.exec('COMMIT', () => db.close(() => { console.log('released'); process.exit(0) })))
    })`
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('locked') && resolve())
    child.once('exit', (c) => reject(new Error(`lock holder exited ${c}`)))
  })
  return child
}

describe('sentinel: a stuck store pages the operators through the Bot API', { timeout: 60_000 }, () => {
  it('one message while writes fail past the bound, none more while stuck, the recovery after release; then recorded in the store', async () => {
    const config = testConfig({}, server.url)
    expect(operatorChats(config)).toEqual([OPS_CHAT])
    let clock = 1_800_000_000_000
    const now = () => clock
    // A watcher that beat ten minutes ago: its heartbeat condition is active.
    await store.heartbeats.beat('watcher-ethereum', { periodMs: 1_000 }, { at: clock - 600_000 })
    const stuck = createStuckStore({ store, agent: 'sentinel', boundMs: config.sentinel.storeStuckSeconds * 1000, send: telegramDirectSend(DEVNET_BOT_TOKEN, server.url, operatorChats(config)), now })
    const round = createSentinelRound({ config, store, chains: [], pm2: async () => null, agent: 'sentinel', now, stuck })

    holder = await holdWriteLock(store.path)
    const stuckRounds = []
    for (let i = 0; i < 6; i++) {
      stuckRounds.push(await round())
      clock += 10_000
    }
    // Writes failed from the first round; the bound (30 s) passed at the fourth: paged there, once.
    expect(stuckRounds.every((r) => r.storeStuck !== undefined && r.raised.length === 0)).toBe(true)
    expect(stuckRounds.map((r) => r.storeStuck!.paged.length > 0)).toEqual([false, false, false, true, false, false])
    expect(stuckRounds[3]!.storeStuck!.paged.sort()).toEqual([STUCK_KEY, heartbeatKey('watcher-ethereum')].sort())
    const sent = server.sent(OPS_CHAT)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.text).toContain('store stuck: no write for 30 s')
    expect(sent[0]!.text).toContain('watcher-ethereum: no heartbeat for')
    // Nothing reached the store meanwhile.
    expect(await store.alerts.open({ agent: 'sentinel' })).toEqual([])

    holder.stdin!.write('commit\n')
    await new Promise((r) => holder!.once('exit', r))
    holder = undefined
    const after = await round()
    expect(after.storeStuck).toBeUndefined()
    const all = server.sent(OPS_CHAT)
    expect(all).toHaveLength(2)
    expect(all[1]!.text).toContain('store writable again')
    expect(all[1]!.text).toContain('writes succeed again after 60 s')

    // Recorded: the stale watcher's alert open (raised at the page's time, not again by the round),
    // the store-stuck condition raised and resolved; every row delivered with its message id.
    expect(after.raised).toEqual([])
    expect((await store.alerts.open({ agent: 'sentinel' })).map((c) => c.dedupKey)).toEqual([heartbeatKey('watcher-ethereum')])
    expect(await store.alerts.undelivered()).toEqual([])
    const rows = (await store.alerts.recent(10)).filter((a) => a.agent === 'sentinel').sort((a, b) => a.id - b.id)
    expect(rows.map((a) => [a.dedupKey, a.kind])).toEqual([
      [STUCK_KEY, 'open'],
      [heartbeatKey('watcher-ethereum'), 'open'],
      [STUCK_KEY, 'recovery'],
    ])
    const ids = await Promise.all(rows.map(async (a) => (await store.telegram.deliveries(a.id)).map((d) => [d.chatId, d.status, d.messageId])))
    expect(ids).toEqual([[[OPS_CHAT, 'sent', all[0]!.message_id]], [[OPS_CHAT, 'sent', all[0]!.message_id]], [[OPS_CHAT, 'sent', all[1]!.message_id]]])
    // Still no more messages on a further round.
    clock += 10_000
    await round()
    expect(server.sent(OPS_CHAT)).toHaveLength(2)
  })
})
