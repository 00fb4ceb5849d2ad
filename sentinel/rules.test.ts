import { expect, it } from 'vitest'
import { sentinelConfig } from '../config/ops'
import { gasConditions, HeadTracker, heartbeatConditions, periodOf, RestartTracker, storeConditions, undeliveredCondition } from './rules'

const cfg = sentinelConfig.parse({})
const MB = 1024 * 1024

it('heartbeat: stale after N of the agent\'s own periods, never before the floor; itself and ignored agents unwatched', () => {
  const hb = { ...cfg.heartbeat, stalePeriods: 5, minStaleSeconds: 30, ignore: ['old-app'] }
  const beats = [
    { agent: 'watcher-ethereum', beatAt: 0, info: { blockTimeMs: 12_000 } }, // limit 60 s
    { agent: 'strategist', beatAt: 0, info: { periodMs: 1_000 } }, // 5 s < floor: 30 s
    { agent: 'telegram', beatAt: 0, info: {} }, // default 10 s → 50 s
    { agent: 'sentinel', beatAt: 0, info: {} },
    { agent: 'old-app', beatAt: 0, info: {} },
  ]
  const at = (now: number) => Object.fromEntries(heartbeatConditions(beats, now, hb, 'sentinel').map((c) => [c.subject, c.active]))
  expect(at(29_000)).toEqual({ 'watcher-ethereum': false, strategist: false, telegram: false })
  expect(at(31_000)).toEqual({ 'watcher-ethereum': false, strategist: true, telegram: false })
  expect(at(51_000)).toEqual({ 'watcher-ethereum': false, strategist: true, telegram: true })
  expect(at(61_000)).toEqual({ 'watcher-ethereum': true, strategist: true, telegram: true })
  expect(periodOf({ periodMs: -1, blockTimeMs: 'x' }, 7)).toBe(7)
})

it('restart loop: N restarts within the window open it; only a whole window without a restart closes it', () => {
  const t = new RestartTracker({ restarts: 3, windowSeconds: 60 })
  const at = (s: number, restarts: number) => t.observe([{ name: 'executor', restarts, status: 'online' }], s * 1000)[0]!.active
  expect(at(0, 5)).toBeNull() // first sight: no history yet
  expect(at(10, 6)).toBeNull()
  expect(at(20, 7)).toBeNull() // 2 restarts in 20 s: not (yet) a loop, window not covered
  expect(at(30, 8)).toBe(true) // 3 restarts within 60 s
  expect(at(70, 8)).toBeNull() // window 10–70 s: 2 restarts — fewer than 3 but not none: unchanged
  expect(at(95, 8)).toBe(false) // window 35–95 s: none
  expect(t.observe(null, 100_000)).toEqual([]) // PM2 not reachable: nothing known
  // pm2 reset: the count drops, history starts afresh.
  expect(at(200, 0)).toBeNull()
})

it('heads: stalled when unchanged past N block times (and the floor); unknown without a head; lag in seconds of blocks', () => {
  const h = new HeadTracker({ stallBlocks: 10, minStallSeconds: 60, maxLagSeconds: 120 })
  const obs = (now: number, head: bigint | null, stored: bigint | null) => Object.fromEntries(h.observe([{ chain: 'ethereum', blockTimeMs: 12_000, head, stored }], now).map((c) => [c.rule, c.active]))
  expect(obs(0, 100n, 95n)).toEqual({ 'head-stalled': false, 'watcher-lag': false })
  expect(obs(119_000, 100n, 100n)).toEqual({ 'head-stalled': false, 'watcher-lag': false })
  expect(obs(121_000, 100n, 100n)).toEqual({ 'head-stalled': true, 'watcher-lag': false }) // 10 × 12 s
  expect(obs(122_000, null, 100n)).toEqual({ 'head-stalled': null, 'watcher-lag': null }) // no RPC answered
  expect(obs(123_000, 111n, 100n)).toEqual({ 'head-stalled': false, 'watcher-lag': true }) // 11 blocks > 120 s / 12 s
  expect(obs(124_000, 111n, 101n)).toEqual({ 'head-stalled': false, 'watcher-lag': false }) // 10 blocks: at the limit
  expect(obs(125_000, 111n, null)['watcher-lag']).toBeNull()
})

it('gas: warns below warnFactor × critical, unknown when unread', () => {
  const critical = 50_000_000_000_000_000n // 0.05 ETH
  const c = gasConditions(
    [
      { chain: 'ethereum', role: 'executor', address: '0xAbC', balance: 99_999_999_999_999_999n },
      { chain: 'base', role: 'executor', address: '0xAbC', balance: 100_000_000_000_000_000n },
      { chain: 'arbitrum', role: 'voter', address: '0xdef', balance: null },
    ],
    critical,
    2,
  )
  expect(c.map((x) => [x.dedupKey, x.active])).toEqual([
    ['sentinel:gas-low:ethereum:0xabc', true],
    ['sentinel:gas-low:base:0xabc', false],
    ['sentinel:gas-low:arbitrum:0xdef', null],
  ])
  expect(c[0]!.body).toContain('0.1000 ETH')
})

it('store: file and WAL each against their own threshold', () => {
  const s = { ...cfg.store, maxFileMb: 10, maxWalMb: 2 }
  expect(storeConditions({ fileBytes: 11 * MB, walBytes: 1 * MB }, s).map((c) => c.active)).toEqual([true, false])
  expect(storeConditions({ fileBytes: 9 * MB, walBytes: 3 * MB }, s).map((c) => c.active)).toEqual([false, true])
  expect(storeConditions({ fileBytes: null, walBytes: null }, s).map((c) => c.active)).toEqual([null, null])
})

it('undelivered: only while Telegram is enabled; the oldest row decides', () => {
  expect(undeliveredCondition(0, 2, 301_000, 300, true).active).toBe(true)
  expect(undeliveredCondition(0, 2, 299_000, 300, true).active).toBe(false)
  expect(undeliveredCondition(null, 0, 10_000_000, 300, true).active).toBe(false)
  expect(undeliveredCondition(0, 2, 10_000_000, 300, false).active).toBeNull()
})
