/**
 * `npm run bench -- history`: store bytes per venue-day at the mainnet profile's block rates
 * (Arbitrum 4 blocks/s, Base 0.5/s, Ethereum 1/12 s; five venues each), measured on real SQLite
 * files written through the store's own write path, before and after the sampling cadence and the
 * compaction into hourly aggregates.
 *
 * What is generated and what is extrapolated (said in the output too):
 * - before: one hour of every block of each chain (a sample and a position row per venue per block,
 *   as the watcher stored them before the cadence); bytes per venue-day = that hour × 24 / 5.
 * - after: one whole day of each chain through the real cadence (watch/cadence.ts) with the default
 *   settings (config/history.ts), a verdict stream that flips `ALERT_FLIPS_PER_VENUE_DAY` times a
 *   venue-day at random blocks (each flip stores its block), positions stored on change
 *   (`POSITION_CHANGES_PER_VENUE_DAY`); measured as is.
 * - aggregates: that day compacted (hours folded, raw rows past the retention deleted); bytes per
 *   venue-hour from the aggregate table's pages; steady state = the retention's days of full samples
 *   + the aggregates of 1 and 10 years.
 * Bytes are pages in use by the samples/positions/sample_hours tables and their indexes (dbstat),
 * not the file size (free pages after deletes are reused by later writes).
 */
import { randomBytes } from 'node:crypto'
import { sampleEverySecondsOf } from '../config/history'
import { historyConfig } from '../config/history'
import { watch as watchSchema } from '../config/schema'
import { openStore, type Store } from '../store'
import { tempDir } from '../store/testing'
import type { PositionInput, SampleInput } from '../store/types'
import { advance, positionDecision, sampleDecision, type VenueCadence } from '../watch/cadence'
import { buildMonthStore, type MonthStore } from './historyMonth'

const DAY = 86_400
const VENUES_PER_CHAIN = 5
/** Alert-worthy verdict changes per venue per day (each stores its block): a busy day for a live venue. */
export const ALERT_FLIPS_PER_VENUE_DAY = 24
/** Share changes per venue per day (deposits and withdrawals): generous. The amount accrues every block. */
export const POSITION_CHANGES_PER_VENUE_DAY = 4

export const MAINNET_PROFILE = [
  { chain: 'arbitrum', blockTimeMs: 250 },
  { chain: 'base', blockTimeMs: 2_000 },
  { chain: 'ethereum', blockTimeMs: 12_000 },
] as const

const TABLES = ['samples', 'positions', 'sample_hours']
const INDEXES = ['samples_chain_block', 'sqlite_autoindex_samples_1', 'sqlite_autoindex_positions_1', 'sample_hours_chain_hour']
async function historyBytes(store: Store): Promise<number> {
  const s = await store.size()
  return [...TABLES, ...INDEXES].reduce((a, n) => a + (s.objects[n] ?? 0), 0)
}

function lcg(seed: number) {
  let x = seed
  return () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
}

const hex = () => `0x${randomBytes(32).toString('hex')}` as `0x${string}`

/** A realistic sample: 66-char block hash, 1e18-scaled rate, 24-digit TVLs, floats. */
function sampleOf(venueId: string, chain: string, block: bigint, time: number, hash: `0x${string}`, i: number, rnd: () => number): SampleInput {
  const tvl = 12_345n * 10n ** 21n + BigInt(Math.floor(rnd() * 1e9)) * 10n ** 12n
  return {
    venueId,
    chain,
    blockNumber: block,
    blockHash: hash,
    blockTime: time,
    available: true,
    exchangeRate: 1_180_000_000_000_000_000n + BigInt(i) * 37_000_000n,
    apy: 0.031 + rnd() * 0.004,
    tvl,
    utilisation: 0.6 + rnd() * 0.2,
    withdrawable: tvl / 3n,
    peg: 0.9994 + rnd() * 0.0006,
    paused: false,
    apySpanSeconds: 86_400,
  }
}

export interface HistoryBenchRow {
  chain: string
  blocksPerSecond: number
  venues: number
  everySeconds: number
  beforeBytesPerVenueDay: number
  afterSamplesPerVenueDay: number
  afterAlertSamplesPerVenueDay: number
  afterPositionsPerVenueDay: number
  afterBytesPerVenueDay: number
}

export interface HistoryBench {
  rows: HistoryBenchRow[]
  beforeDayBytes: number
  afterDayBytes: number
  aggregateBytesPerVenueHour: number
  fullRetentionDays: number
  steady1y: number
  steady10y: number
}

/**
 * Runs the history bench. `onStore`: called with the compacted synthetic month at the mainnet
 * profile's rates (bench/historyMonth.ts) before it is closed and deleted, to time what reads it
 * (the dashboard's 30-day pages, a /metrics scrape).
 */
export async function benchHistory(opts: { onStore?: (month: MonthStore) => Promise<void> } = {}): Promise<HistoryBench> {
  const defaults = historyConfig.parse({})
  const watchDefaults = { minSampleIntervalSeconds: watchSchema.parse({}).minSampleIntervalSeconds }
  const rows: HistoryBenchRow[] = []
  let aggBytes = 0
  let aggRows = 0
  const dir = await tempDir('poolwarden-bench-history-')
  try {
    for (const [ci, c] of MAINNET_PROFILE.entries()) {
      const venues = Array.from({ length: VENUES_PER_CHAIN }, (_, i) => `${c.chain}-venue-${i}`)
      const rnd = lcg(11 + ci)
      const t0 = 1_767_225_600
      const blocksPerHour = Math.round(3_600_000 / c.blockTimeMs)

      // ── before: every block, a sample and a position per venue, one hour ──
      const before = await openStore({ path: `${dir.dir}/${c.chain}-before.sqlite` })
      for (let b0 = 0; b0 < blocksPerHour; b0 += 500) {
        const samples: SampleInput[] = []
        const positions: PositionInput[] = []
        for (let b = b0; b < Math.min(blocksPerHour, b0 + 500); b++) {
          const block = 300_000_000n + BigInt(b)
          const time = t0 + Math.floor((b * c.blockTimeMs) / 1000)
          const hash = hex()
          for (const v of venues) {
            samples.push(sampleOf(v, c.chain, block, time, hash, b, rnd))
            positions.push({ venueId: v, chain: c.chain, blockNumber: block, amount: 1_234_567_890_123_456_789_012n, shares: 1_100_000_000_000_000_000_000n })
          }
        }
        await before.transaction(async (tx) => {
          await tx.samples.insertMany(samples)
          await tx.positions.upsertMany(positions)
        })
      }
      const beforeHour = await historyBytes(before)
      await before.close()

      // ── after: one day through the cadence, flips and position changes at random blocks ──
      const every = sampleEverySecondsOf({ chains: [{ name: c.chain, blockTimeMs: c.blockTimeMs }], watch: watchDefaults }, c.chain)
      const after = await openStore({ path: `${dir.dir}/${c.chain}-after.sqlite` })
      const blocksPerDay = Math.round((DAY * 1000) / c.blockTimeMs)
      const pFlip = ALERT_FLIPS_PER_VENUE_DAY / blocksPerDay
      const pMove = POSITION_CHANGES_PER_VENUE_DAY / blocksPerDay
      const state = new Map<string, VenueCadence>()
      const verdict = new Map<string, number>()
      const shares = new Map<string, bigint>()
      let stored = 0
      let alertStored = 0
      let storedPositions = 0
      let samples: SampleInput[] = []
      let positions: PositionInput[] = []
      const flush = async () => {
        const s = samples
        const p = positions
        samples = []
        positions = []
        await after.transaction(async (tx) => {
          await tx.samples.insertMany(s)
          await tx.positions.upsertMany(p)
        })
      }
      for (let b = 0; b < blocksPerDay; b++) {
        const block = 300_000_000n + BigInt(b)
        const time = t0 + Math.floor((b * c.blockTimeMs) / 1000)
        let hash: `0x${string}` | undefined
        for (const v of venues) {
          if (rnd() < pFlip) verdict.set(v, (verdict.get(v) ?? 0) + 1)
          if (rnd() < pMove || !shares.has(v)) shares.set(v, 10n ** 21n + BigInt(Math.floor(rnd() * 1e9)) * 10n ** 12n)
          // The amount accrues every block (shares × a growing rate), as ERC-4626 and Aave positions do.
          const pos = { shares: shares.get(v)!, amount: (shares.get(v)! * (1_180_000_000_000_000_000n + BigInt(b) * 37_000_000n)) / 10n ** 18n }
          const key = `calm-${verdict.get(v) ?? 0}`
          const st = state.get(v) ?? {}
          const reason = sampleDecision(st, { time }, key, every)
          if (reason) {
            hash ??= hex()
            samples.push(sampleOf(v, c.chain, block, time, hash, b, rnd))
            stored++
            if (reason === 'alert') alertStored++
          }
          const keep = positionDecision(st, { time }, pos, reason)
          if (keep) {
            positions.push({ venueId: v, chain: c.chain, blockNumber: block, amount: pos.amount, shares: pos.shares })
            storedPositions++
          }
          state.set(v, advance(st, { time }, key, reason, keep ? pos : undefined))
        }
        if (samples.length >= 2_000) await flush()
      }
      await flush()
      const afterDay = await historyBytes(after)

      // ── compaction: fold the day's hours and delete its raw rows (as a week later) ──
      await after.history.compact({ venues, now: t0 + DAY + defaults.fullRetentionDays * DAY + 3_600, fullRetentionSeconds: defaults.fullRetentionDays * DAY, batchRows: defaults.compactBatchRows })
      const size = await after.size()
      aggBytes += (size.objects.sample_hours ?? 0) + (size.objects.sample_hours_chain_hour ?? 0)
      for (const v of venues) aggRows += (await after.history.hours(v, { from: t0, to: t0 + 2 * DAY })).length
      await after.close()

      rows.push({
        chain: c.chain,
        blocksPerSecond: 1000 / c.blockTimeMs,
        venues: venues.length,
        everySeconds: every,
        beforeBytesPerVenueDay: (beforeHour * 24) / venues.length,
        afterSamplesPerVenueDay: stored / venues.length,
        afterAlertSamplesPerVenueDay: alertStored / venues.length,
        afterPositionsPerVenueDay: storedPositions / venues.length,
        afterBytesPerVenueDay: afterDay / venues.length,
      })
    }
    if (opts.onStore) {
      const month = await buildMonthStore(dir.dir)
      try {
        await opts.onStore(month)
      } finally {
        await month.store.close()
      }
    }
  } finally {
    await dir.cleanup()
  }
  const beforeDayBytes = rows.reduce((a, r) => a + r.beforeBytesPerVenueDay * r.venues, 0)
  const afterDayBytes = rows.reduce((a, r) => a + r.afterBytesPerVenueDay * r.venues, 0)
  const aggregateBytesPerVenueHour = aggBytes / Math.max(1, aggRows)
  const venues = rows.reduce((a, r) => a + r.venues, 0)
  const aggYear = aggregateBytesPerVenueHour * venues * 24 * 365
  return {
    rows,
    beforeDayBytes,
    afterDayBytes,
    aggregateBytesPerVenueHour,
    fullRetentionDays: defaults.fullRetentionDays,
    steady1y: afterDayBytes * defaults.fullRetentionDays + aggYear,
    steady10y: afterDayBytes * defaults.fullRetentionDays + aggYear * 10,
  }
}

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`

export function formatHistoryBench(r: HistoryBench): string[] {
  const out = [
    '',
    '## History: store bytes per venue-day at the mainnet profile\'s block rates (real SQLite files, pages in use by samples/positions/aggregates and their indexes)',
    '   before: one hour of every block generated (sample + position per venue per block), ×24; after: one whole day generated through the cadence, measured as is;',
    `   after assumes ${ALERT_FLIPS_PER_VENUE_DAY} alert-worthy verdict changes and ${POSITION_CHANGES_PER_VENUE_DAY} share changes per venue-day at random blocks, positions accruing every block`,
    `${'chain'.padEnd(9)} ${'blocks/s'.padStart(8)} venues  ${'before B/venue-day'.padStart(19)}  ${'cadence'.padStart(8)}  ${'samples/venue-day'.padStart(17)} ${'(alert)'.padStart(8)} ${'positions'.padStart(9)}  ${'after B/venue-day'.padStart(18)}`,
  ]
  for (const x of r.rows) {
    out.push(
      `${x.chain.padEnd(9)} ${x.blocksPerSecond.toFixed(3).padStart(8)} ${String(x.venues).padStart(6)}  ${mb(x.beforeBytesPerVenueDay).padStart(19)}  ${(x.everySeconds ? `${x.everySeconds} s` : 'block').padStart(8)}  ${x.afterSamplesPerVenueDay.toFixed(0).padStart(17)} ${x.afterAlertSamplesPerVenueDay.toFixed(0).padStart(8)} ${x.afterPositionsPerVenueDay.toFixed(0).padStart(9)}  ${mb(x.afterBytesPerVenueDay).padStart(18)}`,
    )
  }
  out.push(`whole mainnet profile per day: before ${mb(r.beforeDayBytes)}, after cadence ${mb(r.afterDayBytes)}   (target < 100 MB/day)`)
  out.push(`hourly aggregates: ${r.aggregateBytesPerVenueHour.toFixed(0)} B per venue-hour (measured on the compacted days) → ${mb(r.aggregateBytesPerVenueHour * 15 * 24 * 365)} per year for 15 venues`)
  out.push(`steady state: ${r.fullRetentionDays} days of full samples (${mb(r.afterDayBytes * r.fullRetentionDays)}) + aggregates: after 1 year ${mb(r.steady1y)}, after 10 years ${mb(r.steady10y)}   (target < 2 GB = 2000 MB)`)
  out.push(`without compaction the store grows by the day's bytes forever: ${mb(r.afterDayBytes * 365)} after 1 year at the cadence, ${mb(r.beforeDayBytes * 365)} before it`)
  return out
}
