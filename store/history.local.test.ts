/**
 * History tiers on a real SQLite file: a synthetic month of Arbitrum samples compacts to its tiers,
 * answers over old ranges agree with the raw data within the aggregate's precision (one hour), and
 * a writer on another connection keeps writing while compaction runs.
 *
 * Size: Arbitrum block numbers (4 blocks/s) but one stored sample every 120 s for two venues
 * (43,200 rows), not the 2 s default cadence for five venues (~1M rows a month): the tiers and the
 * queries are the same at any rate; `npm run bench -- history` models the real rates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Store } from './db.js'
import { openStore } from './db.js'
import { tempDir } from './testing.js'
import { openDb } from './sqlite.js'
import { readingAtTime, readVenuePoints } from '../web/data.js'
import type { SampleInput } from './types.js'

const DAY = 86_400
const T0 = 1_767_225_600 // 2026-01-01T00:00:00Z (hour aligned)
const B0 = 300_000_000n // an Arbitrum block number
const STEP = 120 // seconds between stored samples
const N = (30 * DAY) / STEP // samples per venue
const VENUES = ['arb-vault', 'arb-lending'] as const
const blockAt = (t: number) => B0 + BigInt((t - T0) * 4)

/** Deterministic values (a seeded generator; the test recomputes answers from these arrays, not from the store). */
function lcg(seed: number) {
  let x = seed
  return () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
}
interface Raw {
  t: number
  apy: number
  tvl: bigint
}
const raw: Record<string, Raw[]> = {}
/** Position changes: at these times (mid-hour) the pool's position in arb-vault becomes the amount. */
const POSITION_CHANGES: [number, bigint][] = [
  [T0, 100n * 10n ** 18n],
  [T0 + 2 * DAY + 10 * 3600 + 17 * 60, 250n * 10n ** 18n],
  [T0 + 12 * DAY + 5 * 3600 + 41 * 60, 40n * 10n ** 18n],
  [T0 + 26 * DAY + 8 * 3600 + 3 * 60, 0n],
]
const positionAtRaw = (t: number) => [...POSITION_CHANGES].reverse().find(([at]) => at <= t)![1]

let store: Store
let dir: { dir: string; cleanup: () => Promise<void> }
let path: string

beforeAll(async () => {
  dir = await tempDir()
  path = `${dir.dir}/month.sqlite`
  store = await openStore({ path })
  for (const [k, v] of VENUES.entries()) {
    const rnd = lcg(7 + k)
    raw[v] = Array.from({ length: N }, (_, i) => ({
      t: T0 + i * STEP,
      apy: 0.03 + 0.01 * Math.sin(i / 300 + k) + (rnd() - 0.5) * 0.002,
      tvl: 10n ** 24n + BigInt(Math.floor(rnd() * 1e6)) * 10n ** 15n,
    }))
  }
  const rows: SampleInput[] = []
  for (let i = 0; i < N; i++) {
    for (const v of VENUES) {
      const r = raw[v]![i]!
      rows.push({ venueId: v, chain: 'arbitrum', blockNumber: blockAt(r.t), blockHash: '0xab', blockTime: r.t, available: true, exchangeRate: 10n ** 18n + BigInt(i), apy: r.apy, tvl: r.tvl, utilisation: 0.5, withdrawable: r.tvl / 2n, peg: 1, paused: false, apySpanSeconds: 3600 })
    }
  }
  for (let i = 0; i < rows.length; i += 5_000) await store.samples.insertMany(rows.slice(i, i + 5_000))
  // Positions are stored when they change (watch/cadence.ts), at the first sample at or after the change.
  for (const [at, amount] of POSITION_CHANGES) {
    const t = T0 + Math.ceil((at - T0) / STEP) * STEP
    await store.positions.upsert({ venueId: 'arb-vault', chain: 'arbitrum', blockNumber: blockAt(t), amount, shares: amount })
  }
}, 300_000)

afterAll(async () => {
  await store?.close()
  await dir?.cleanup()
})

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
const rawIn = (v: string, from: number, to: number) => raw[v]!.filter((r) => r.t >= from && r.t < to)

describe('history tiers (a synthetic month at Arbitrum block numbers)', () => {
  let compactionWrites = 0
  let writesDuring = 0
  let writerInserted = 0
  let stats: Awaited<ReturnType<Store['history']['compact']>>

  it('compacts while another connection keeps writing: every write succeeds, some land between compaction batches', async () => {
    const writer = await openStore({ path })
    let done = false
    const writes = (async () => {
      // New blocks of arb-vault after the month (as the watcher goes on writing), one transaction each.
      for (let i = 0; !done || i < 20; i++) {
        const t = T0 + 30 * DAY + i * STEP
        writerInserted += await writer.samples.insertMany([{ venueId: 'arb-vault', chain: 'arbitrum', blockNumber: blockAt(t), blockHash: '0xcd', blockTime: t, available: true, apy: 0.05, tvl: 1n }])
        if (!done) writesDuring++
      }
    })()
    stats = await store.history.compact({ venues: VENUES, now: T0 + 30 * DAY, fullRetentionSeconds: 7 * DAY, batchRows: 1_000, between: async () => void compactionWrites++ })
    done = true
    await writes
    await writer.close()
    expect(writerInserted).toBeGreaterThanOrEqual(20)
    expect(writesDuring).toBeGreaterThan(0)
    expect(stats.batches).toBe(compactionWrites)
    expect(stats.batches).toBeGreaterThan(10)
  }, 300_000)

  it('folds every complete hour into one row per venue and keeps raw samples only for the last 7 days', async () => {
    // arb-lending: the month's 720 hours but the last (its newest sample is 2 min before the end: not settled).
    const lending = await store.history.hours('arb-lending', { from: T0, to: T0 + 31 * DAY })
    expect(lending).toHaveLength(719)
    expect(lending[0]).toMatchObject({ hour: T0, samples: 30, available: 30, firstBlock: B0, lastBlock: blockAt(T0 + 3600 - STEP) })
    // arb-vault had new samples written meanwhile; its month's hours are all complete now or will be on the next pass.
    expect((await store.history.hours('arb-vault', { from: T0, to: T0 + 31 * DAY })).length).toBeGreaterThanOrEqual(719)
    // Raw: from the retention cut (now − 7 days) on; older rows are gone.
    expect(await store.history.rawStart('arb-lending')).toBe(T0 + 23 * DAY)
    expect((await store.history.window('arb-lending', 100_000)).length).toBe((7 * DAY) / STEP)
    expect(stats.samplesDeleted).toBe(2 * (23 * DAY) / STEP)
  })

  it('span: the samples of the last N seconds before a block, newest first, across read pages', async () => {
    // arb-lending's raw tier: the last 7 days at one sample per 120 s. A day is 720 samples (two pages of 512).
    const end = T0 + 30 * DAY - STEP // the newest sample
    const day = await store.history.span('arb-lending', DAY)
    expect(day).toHaveLength(DAY / STEP)
    expect(day[0]!.blockTime).toBe(end)
    expect(day.at(-1)!.blockTime).toBe(end - DAY + STEP)
    expect(day.map((s) => s.apy)).toEqual(rawIn('arb-lending', end - DAY + 1, end + 1).map((r) => r.apy).reverse())
    // Before a block: the span ends at the newest sample below it.
    const at = blockAt(T0 + 25 * DAY)
    const hour = await store.history.span('arb-lending', 3_600, { beforeBlock: at })
    expect(hour.map((s) => s.blockTime)).toEqual(Array.from({ length: 30 }, (_, i) => T0 + 25 * DAY - STEP - i * STEP))
    // Measured to a given time instead: (until − seconds, until].
    const until = await store.history.span('arb-lending', 600, { until: T0 + 25 * DAY + 30 })
    expect(until.map((s) => s.blockTime)).toEqual([T0 + 25 * DAY, T0 + 25 * DAY - 120, T0 + 25 * DAY - 240, T0 + 25 * DAY - 360, T0 + 25 * DAY - 480])
  })

  it('answers mean, min and max over old whole hours exactly as the raw data does', async () => {
    for (const v of VENUES) {
      const from = T0 + 3 * DAY
      const to = T0 + 5 * DAY
      const st = await store.history.stats(v, { from, to })
      const r = rawIn(v, from, to)
      expect(st.tier).toBe('hour')
      expect(st.approximate).toBe(false)
      expect(st.samples).toBe(r.length)
      expect(st.apyMean).toBeCloseTo(meanOf(r.map((x) => x.apy)), 12)
      expect(st.apyMin).toBe(Math.min(...r.map((x) => x.apy)))
      expect(st.apyMax).toBe(Math.max(...r.map((x) => x.apy)))
      expect(st.tvlMax).toBe(r.map((x) => x.tvl).reduce((a, b) => (b > a ? b : a)))
    }
  })

  it('an old range with partial edge hours is answered with those whole hours (the aggregate\'s precision)', async () => {
    const from = T0 + 3 * DAY + 10 * 3600 + 30 * 60
    const to = T0 + 5 * DAY + 14 * 3600 + 20 * 60
    const st = await store.history.stats('arb-vault', { from, to })
    expect(st.approximate).toBe(true)
    const r = rawIn('arb-vault', T0 + 3 * DAY + 10 * 3600, T0 + 5 * DAY + 15 * 3600)
    expect(st.apyMean).toBeCloseTo(meanOf(r.map((x) => x.apy)), 12)
    expect(st.apyMin).toBe(Math.min(...r.map((x) => x.apy)))
  })

  it('a range across both tiers: exact (aggregated hours plus raw rows)', async () => {
    const from = T0 + 20 * DAY
    const to = T0 + 25 * DAY + 1234
    const st = await store.history.stats('arb-lending', { from, to })
    const r = rawIn('arb-lending', from, to)
    expect(st.tier).toBe('mixed') // whole hours from aggregates, the partial last hour from its raw rows (they exist)
    expect(st.samples).toBe(r.length)
    expect(st.apyMean).toBeCloseTo(meanOf(r.map((x) => x.apy)), 12)
    const recent = await store.history.stats('arb-lending', { from: T0 + 29 * DAY + 23 * 3600, to: T0 + 30 * DAY })
    expect(recent.tier).toBe('raw') // the last, unfolded hour
    expect(recent.samples).toBe(30)
  })

  it('the position at a time: exact in the raw tier, the position at the close of its hour in the hourly tier', async () => {
    // Old (hourly tier): within the change's hour, before the change, the hour's close already shows the new amount.
    const change = POSITION_CHANGES[1]![0]
    expect(positionAtRaw(change - 60)).toBe(100n * 10n ** 18n)
    expect(await store.history.positionAt('arb-vault', change - 60)).toEqual({ amount: 250n * 10n ** 18n, tier: 'hour' })
    expect(await store.history.positionAt('arb-vault', T0 + 5 * DAY)).toEqual({ amount: positionAtRaw(T0 + 5 * DAY), tier: 'hour' })
    expect(await store.history.positionAt('arb-vault', T0 + 20 * DAY)).toEqual({ amount: 40n * 10n ** 18n, tier: 'hour' })
    // Recent (raw tier): exact on both sides of a change.
    const late = POSITION_CHANGES[3]![0]
    expect(await store.history.positionAt('arb-vault', late - 60)).toEqual({ amount: 40n * 10n ** 18n, tier: 'raw' })
    expect(await store.history.positionAt('arb-vault', late + 300)).toEqual({ amount: 0n, tier: 'raw' })
    // The position row from before the retention cut is kept: the strategist's current position survives compaction.
    expect((await store.history.positionAtBlock('arb-vault', blockAt(T0 + 24 * DAY)))?.amount).toBe(40n * 10n ** 18n)
  })

  it('a month series: hourly points for folded hours, raw points after them, in time order without overlap', async () => {
    const pts = await store.history.series('arb-lending', { from: T0, to: T0 + 30 * DAY })
    const hours = pts.filter((p) => p.tier === 'hour')
    const raws = pts.filter((p) => p.tier === 'raw')
    expect(hours).toHaveLength(719)
    expect(raws).toHaveLength(30)
    expect(hours.at(-1)!.time + 3600).toBeLessThanOrEqual(raws[0]!.time)
    const h = hours[24 * 10]!
    const r = rawIn('arb-lending', h.time, h.time + 3600)
    expect(h.apyMean).toBeCloseTo(meanOf(r.map((x) => x.apy)), 12)
    expect(h.apy).toBe(r.at(-1)!.apy) // close
    // A short recent range stays raw.
    const day = await store.history.series('arb-lending', { from: T0 + 29 * DAY, to: T0 + 30 * DAY })
    expect(day.every((p) => p.tier === 'raw')).toBe(true)
    expect(day).toHaveLength(DAY / STEP)
  })

  it('a second pass is idempotent: nothing more to fold or delete', async () => {
    const again = await store.history.compact({ venues: ['arb-lending'], now: T0 + 30 * DAY, fullRetentionSeconds: 7 * DAY, batchRows: 1_000 })
    expect(again).toMatchObject({ hoursWritten: 0, samplesDeleted: 0, positionsDeleted: 0 })
  })
})

// The dashboard's page data (web/data.ts) reads through store.history: over the compacted month it
// must show the whole month (hours where the raw rows are gone) and agree with the raw data within
// the aggregate's precision.
describe("the dashboard's page data over the compacted month", () => {
  const closeOf = (v: string, hour: number) => rawIn(v, hour, hour + 3600).at(-1)!

  it('a 30-day venue series: 6-hour points before the full tier (exact mean APY of their hours, close TVL, rate and position), raw points after, none missing', async () => {
    const pts = await readVenuePoints(store, 'arb-vault', { from: T0, to: T0 + 30 * DAY - STEP }, 120)
    const hours = pts.filter((p) => p.tier === 'hour')
    const raws = pts.filter((p) => p.tier === 'raw')
    // 30 days at 120 points: buckets of 6 hours, every one of the month's (raw rows of the first 23 days are gone).
    expect(hours).toHaveLength(120)
    expect(hours[0]!.blockTime).toBe(T0 + 6 * 3600 - STEP)
    for (const k of [0, 13, 48, 105, 119]) {
      const h = hours[k]!
      const start = T0 + k * 6 * 3600
      const closeHour = Math.floor(h.blockTime / 3600) * 3600
      expect(closeHour).toBeGreaterThanOrEqual(start)
      expect(closeHour).toBeLessThan(start + 6 * 3600)
      const r = rawIn('arb-vault', start, closeHour + 3600)
      expect(h.apy).toBeCloseTo(meanOf(r.map((x) => x.apy)), 12)
      expect(h.tvl).toBe(r.at(-1)!.tvl)
      expect(h.blockTime).toBe(r.at(-1)!.t)
      expect(h.blockNumber).toBe(blockAt(r.at(-1)!.t))
      expect(h.position).toBe(positionAtRaw(r.at(-1)!.t))
      expect(h.exchangeRate).toBe(10n ** 18n + BigInt((r.at(-1)!.t - T0) / STEP))
    }
    // A 7-day range at 120 points: one point per hour.
    const week = (await readVenuePoints(store, 'arb-vault', { from: T0 + 23 * DAY, to: T0 + 30 * DAY - STEP }, 120)).filter((p) => p.tier === 'hour')
    expect(week.length).toBeGreaterThanOrEqual(7 * 24 - 1)
    const w = week[50]!
    const wr = rawIn('arb-vault', Math.floor(w.blockTime / 3600) * 3600, Math.floor(w.blockTime / 3600) * 3600 + 3600)
    expect(w.apy).toBeCloseTo(meanOf(wr.map((x) => x.apy)), 12)
    expect(w.tvl).toBe(wr.at(-1)!.tvl)
    // The raw part (after the last folded hour) is the stored samples themselves, thinned to the page's points.
    for (const p of raws) {
      const r = raw['arb-vault']!.find((x) => x.t === p.blockTime)!
      expect(p.apy).toBe(r.apy)
      expect(p.tvl).toBe(r.tvl)
      expect(p.position).toBe(positionAtRaw(p.blockTime))
    }
    expect(raws.at(-1)!.blockTime).toBe(T0 + 30 * DAY - STEP)
    expect(pts.map((p) => p.blockTime)).toEqual([...pts.map((p) => p.blockTime)].sort((a, b) => a - b))
  })

  it('a 1-day range inside the full tier: raw samples only, the last of each range/points slot, exact', async () => {
    const from = T0 + 29 * DAY
    const pts = await readVenuePoints(store, 'arb-lending', { from, to: T0 + 30 * DAY }, 120)
    expect(pts.every((p) => p.tier === 'raw')).toBe(true)
    const slot = DAY / 120
    const expected = rawIn('arb-lending', from, T0 + 30 * DAY).filter((r, i, all) => i === all.length - 1 || Math.floor(all[i + 1]!.t / slot) !== Math.floor(r.t / slot))
    expect(pts.map((p) => [p.blockTime, p.apy])).toEqual(expected.map((r) => [r.t, r.apy]))
  })

  it("a plan's realised-gain reading at an old time: the close of the hour that ended by then (within one hour); exact in the full tier", async () => {
    const old = T0 + 4 * DAY + 5 * 3600 + 1234
    const r = await readingAtTime(store, 'arb-vault', old)
    expect(r!.tier).toBe('hour')
    expect(old - r!.blockTime).toBeLessThan(3600 + STEP)
    expect(r!.blockTime).toBe(closeOf('arb-vault', T0 + 4 * DAY + 4 * 3600).t)
    expect(r!.exchangeRate).toBe(10n ** 18n + BigInt((r!.blockTime - T0) / STEP))
    const recent = T0 + 27 * DAY + 777
    const e = await readingAtTime(store, 'arb-vault', recent)
    const at = [...raw['arb-vault']!].reverse().find((x) => x.t <= recent)!
    expect([e!.tier, e!.blockTime, e!.exchangeRate]).toEqual(['raw', at.t, 10n ** 18n + BigInt((at.t - T0) / STEP)])
  })
})

describe('seriesMany: the dashboard fast path answers exactly what series answers, venue by venue', () => {
  const ranges = [
    { name: '30 days in 6-hour buckets', from: T0 + 7, to: T0 + 30 * DAY, opts: { positions: true, rawBucketSeconds: 21_600, hourBucketSeconds: 21_600 } },
    { name: '7 days hourly', from: T0 + 23 * DAY - 1_000, to: T0 + 30 * DAY, opts: { positions: true, rawBucketSeconds: 5_040, hourBucketSeconds: 3_600 } },
    { name: 'a range starting mid-bucket across both tiers', from: T0 + 20 * DAY + 5 * 3600 + 17, to: T0 + 25 * DAY, opts: { positions: true, rawBucketSeconds: 3_600, hourBucketSeconds: 4 * 3_600 } },
    { name: '1 day of raw samples, thinned', from: T0 + 29 * DAY, to: T0 + 30 * DAY, opts: { positions: true, rawBucketSeconds: 720 } },
    { name: '1 day of raw samples, every one, no positions', from: T0 + 29 * DAY, to: T0 + 30 * DAY, opts: {} },
  ] as const
  const both = async (r: (typeof ranges)[number]) => {
    const many = await store.history.seriesMany([...VENUES, 'no-such-venue'], { from: r.from, to: r.to }, r.opts)
    for (const v of [...VENUES, 'no-such-venue']) expect({ v, r: r.name, points: many.get(v) }).toEqual({ v, r: r.name, points: await store.history.series(v, { from: r.from, to: r.to }, r.opts) })
    return many
  }

  it('equal on every range and option the pages use, on a store with both tiers (read twice: the second answer comes from the in-memory hours)', async () => {
    for (const r of ranges) {
      const first = await both(r)
      expect(first.get('arb-vault')!.length).toBeGreaterThan(20)
      const again = await both(r)
      // Unchanged buckets are the same point objects (what the dashboard's score memo keys on).
      const hourPts = first.get('arb-vault')!.filter((p) => p.tier === 'hour')
      if (hourPts.length > 2) expect(again.get('arb-vault')![1]).toBe(first.get('arb-vault')![1])
    }
    const thirty = await store.history.seriesMany(VENUES, { from: T0 + 7, to: T0 + 30 * DAY }, ranges[0].opts)
    expect(thirty.get('arb-vault')!.filter((p) => p.tier === 'hour')).toHaveLength(120)
  })

  it('a write of sample_hours moves the venue\'s version and the next answer reads it (no stale hour is served)', async () => {
    const opts = ranges[0].opts
    const range = { from: T0 + 7, to: T0 + 30 * DAY }
    const before = await store.history.seriesMany(VENUES, range, opts)
    // Rewrite one old hour of arb-vault by hand (as a re-fold would): its bucket's close APY changes.
    const hour = T0 + 10 * DAY + 5 * 3600
    const [h] = await store.history.hours('arb-vault', { from: hour, to: hour + 3600 })
    expect(h).toBeDefined()
    // Through a second connection: the version is the database's (a trigger), not this process's.
    const other = await openDb({ path })
    try {
      await other.run('UPDATE sample_hours SET apy_close = ? WHERE venue_id = ? AND hour = ?', [0.5, 'arb-vault', hour])
    } finally {
      await other.close()
    }
    const after = await store.history.seriesMany(VENUES, range, opts)
    const bucket = after.get('arb-vault')!.find((p) => p.time === T0 + 10 * DAY)!
    expect(bucket.apy).toBe(0.5)
    expect(before.get('arb-vault')!.find((p) => p.time === T0 + 10 * DAY)!.apy).not.toBe(0.5)
    expect(after.get('arb-vault')).toEqual(await store.history.series('arb-vault', range, opts))
    // The other venue's hours did not move: its points are the same objects as before.
    expect(after.get('arb-lending')![3]).toBe(before.get('arb-lending')![3])
  })
})
