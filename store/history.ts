/**
 * History that lasts: two tiers and one query layer.
 *
 * - Full tier: `samples` (as the watcher's cadence stores them, watch/cadence.ts) and `positions`
 *   (stored when they change), kept for `history.fullRetentionDays`.
 * - Hourly tier: `sample_hours`, one row per venue per complete hour (open/close/min/max of APY,
 *   TVL, utilisation and peg, the APY's sum and count for exact means, the position at close),
 *   kept for good.
 *
 * Compaction (`compact`) runs in each chain's watcher, in the background: it folds complete hours
 * into `sample_hours` and deletes raw rows older than the retention whose hour is folded, in
 * transactions of at most `batchRows` rows, so a writer waits at most one small batch (WAL: readers
 * never wait). It is idempotent and resumable: an hour is re-folded from raw rows while they exist.
 *
 * Every reader goes through this module (`store.history`): strategist and watcher windows (full
 * tier; the config keeps APY windows inside the retention), status and Telegram (latest), the
 * backtest (ranges), and the dashboard (series and stats, which pick the tier).
 */
import { amountFromDb, intFromDb, intToDb, num, optAmountFromDb, optRealFromDb } from './convert.js'
import { positionFromRow, type PositionRow, type PositionsQueries } from './positions.js'
import type { SamplesQueries } from './samples.js'
import { sampleFromRow } from './samples.js'
import type { Db } from './sqlite.js'
import type { Position, Sample } from './types.js'

export const HOUR = 3_600
/** Rows per page of `span` reads. */
const PAGE_ROWS = 512

/** One venue's complete hour, folded. Amounts are bigints; APY/utilisation/peg fractions. */
export interface HourAggregate {
  venueId: string
  chain: string
  /** Unix second the hour starts at. */
  hour: number
  samples: number
  available: number
  firstBlock: bigint
  lastBlock: bigint
  firstTime: number
  lastTime: number
  apy: { n: number; sum: number | null; open: number | null; close: number | null; min: number | null; max: number | null }
  tvl: { open: bigint | null; close: bigint | null; min: bigint | null; max: bigint | null }
  utilisation: { open: number | null; close: number | null; min: number | null; max: number | null }
  peg: { open: number | null; close: number | null; min: number | null; max: number | null }
  exchangeRateClose: bigint | null
  withdrawableClose: bigint | null
  pausedAny: boolean | null
  positionClose: bigint | null
  positionSharesClose: bigint | null
}

/** The fields of a sample the hourly fold reads. */
export type FoldSample = Pick<Sample, 'venueId' | 'chain' | 'blockNumber' | 'blockTime' | 'available' | 'apy' | 'tvl' | 'utilisation' | 'peg' | 'exchangeRate' | 'withdrawable' | 'paused'>

export const hourOf = (unixSeconds: number): number => Math.floor(unixSeconds / HOUR) * HOUR

type Ohlc<T> = { open: T | null; close: T | null; min: T | null; max: T | null }
const emptyOhlc = <T>(): Ohlc<T> => ({ open: null, close: null, min: null, max: null })
function step<T extends number | bigint>(o: Ohlc<T>, x: T | null): void {
  if (x === null) return
  if (o.open === null) o.open = x
  o.close = x
  if (o.min === null || x < o.min) o.min = x
  if (o.max === null || x > o.max) o.max = x
}

/**
 * Folds the samples of one venue-hour (ascending by block) into its aggregate (pure). The position
 * at close is given by the caller (the newest position at or before the hour's last block).
 */
export function foldHour(rows: readonly FoldSample[], position: Pick<Position, 'amount' | 'shares'> | undefined): HourAggregate {
  const first = rows[0]!
  const last = rows.at(-1)!
  const apy = { n: 0, sum: null as number | null, ...emptyOhlc<number>() }
  const tvl = emptyOhlc<bigint>()
  const utilisation = emptyOhlc<number>()
  const peg = emptyOhlc<number>()
  let available = 0
  let pausedAny: boolean | null = null
  let exchangeRateClose: bigint | null = null
  let withdrawableClose: bigint | null = null
  for (const r of rows) {
    if (r.available) available++
    if (r.apy !== null) {
      apy.n++
      apy.sum = (apy.sum ?? 0) + r.apy
    }
    step(apy, r.apy)
    step(tvl, r.tvl)
    step(utilisation, r.utilisation)
    step(peg, r.peg)
    if (r.paused !== null) pausedAny = (pausedAny ?? false) || r.paused
    if (r.exchangeRate !== null) exchangeRateClose = r.exchangeRate
    if (r.withdrawable !== null) withdrawableClose = r.withdrawable
  }
  return {
    venueId: first.venueId,
    chain: first.chain,
    hour: hourOf(first.blockTime),
    samples: rows.length,
    available,
    firstBlock: first.blockNumber,
    lastBlock: last.blockNumber,
    firstTime: first.blockTime,
    lastTime: last.blockTime,
    apy,
    tvl,
    utilisation,
    peg,
    exchangeRateClose,
    withdrawableClose,
    pausedAny,
    positionClose: position?.amount ?? null,
    positionSharesClose: position?.shares ?? null,
  }
}

/** A point of a series: a raw sample, or an hour (close values, with min/max and mean APY). */
export interface HistoryPoint {
  tier: 'raw' | 'hour'
  /** Raw: the block's time. Hour: the hour's start. Unix seconds. */
  time: number
  /** When the point's (close) values held: raw, the block's time; hour, its last sample's time. */
  closeTime: number
  block: bigint
  apy: number | null
  apyMin: number | null
  apyMax: number | null
  apyMean: number | null
  tvl: bigint | null
  utilisation: number | null
  peg: number | null
  available: boolean
  exchangeRate: bigint | null
  withdrawable: bigint | null
  paused: boolean | null
  /** Raw: the sample's APY span (seconds); hour: null (the aggregate does not keep spans). */
  apySpanSeconds: number | null
  /** With `positions: true`: the pool's position at the point's block (raw) or at the hour's close; null when none recorded. */
  position?: bigint | null
}

export interface SeriesOptions {
  /** Ranges longer than this read folded hours (default 2 days). */
  rawUpToSeconds?: number
  /** Thin the raw part: the last raw sample of each bucket of this many seconds (unix-aligned). Default: every raw sample. */
  rawBucketSeconds?: number
  /** Fill each point's `position` (one extra query for the raw part; hours carry it). */
  positions?: boolean
  /**
   * Merge the hourly part into buckets of this many seconds (a multiple of an hour, unix-aligned):
   * one point per bucket with the close values of its last hour and the exact mean, min and max
   * APY of all its hours (sum/count). Default: one point per hour.
   */
  hourBucketSeconds?: number
}

/** Mean, min and max over a range, and which tiers answered. */
export interface RangeStats {
  /** Samples behind the answer (raw rows, or the rows folded into the hours used). */
  samples: number
  apyMean: number | null
  apyMin: number | null
  apyMax: number | null
  tvlMin: bigint | null
  tvlMax: bigint | null
  /** 'raw': raw rows only; 'hour': hourly aggregates only; 'mixed': both. */
  tier: 'raw' | 'hour' | 'mixed' | 'none'
  /** True when an edge hour's raw rows are gone and its whole hour was used (precision: one hour). */
  approximate: boolean
}

export interface CompactStats {
  hoursWritten: number
  samplesDeleted: number
  positionsDeleted: number
  /** Write transactions run (each at most batchRows rows). */
  batches: number
}

export interface CompactOptions {
  /** The venues to compact (a watcher passes its chain's). */
  venues: readonly string[]
  /** Unix seconds now (raw rows older than now − fullRetentionSeconds whose hour is folded are deleted). */
  now: number
  fullRetentionSeconds: number
  batchRows: number
  /** An hour is folded once the venue has a sample this many seconds past its end (reorg margin). Default 600. */
  settleSeconds?: number
  /** Awaited between write batches (the watcher yields to its own writes; tests observe interleaving). */
  between?: () => Promise<void>
  signal?: AbortSignal
}

export interface HistoryQueries {
  // ── full tier (windows, latest) ─────────────────────────────────────────────────────────
  /** The newest `limit` stored samples of a venue, newest first (the watcher's rate memory, the latest rows): full tier. */
  window(venueId: string, limit: number, opts?: { availableOnly?: boolean; beforeBlock?: bigint }): Promise<Sample[]>
  /**
   * A venue's stored samples of the last `seconds` before `beforeBlock`, newest first: those with
   * t − seconds < block time ≤ t, t = `opts.until` or else the time of the newest such sample (score
   * windows, APY baselines: a span of time, the same on every chain whatever its cadence). Full
   * tier (the config keeps these spans inside the retention); read in pages of `PAGE_ROWS` down
   * the primary key, stopping at the first row older than the span.
   */
  span(venueId: string, seconds: number, opts?: { availableOnly?: boolean; beforeBlock?: bigint; until?: number }): Promise<Sample[]>
  /** The newest sample of each venue (optionally of one chain). */
  latestPerVenue(opts?: { chain?: string }): Promise<Sample[]>
  /** The newest position of each venue (optionally of one chain). */
  latestPositions(opts?: { chain?: string }): Promise<Position[]>
  /** The pool's position in a venue at a block: the newest stored at or before it (positions are stored on change). */
  positionAtBlock(venueId: string, block?: bigint): Promise<Position | undefined>
  /** The stored sample of a venue at exactly this block (full tier), if any. */
  sampleAtBlock(venueId: string, block: bigint): Promise<Sample | undefined>
  // ── any range (picks the tier) ──────────────────────────────────────────────────────────
  /**
   * A venue's series over [from, to) (unix seconds): hourly points for the hours folded (when the
   * range is longer than `rawUpToSeconds`, default 2 days, or the raw rows are gone), raw points
   * for the rest.
   */
  series(venueId: string, range: { from: number; to: number }, opts?: SeriesOptions): Promise<HistoryPoint[]>
  /**
   * The series of many venues over one range, each exactly what `series(venueId, range, opts)`
   * returns, read with one query per step for all venues (where the tier starts, the hours, the
   * close rows of the buckets, the raw tail, its positions) instead of four to six per venue: a
   * page's cost does not grow with round trips per venue. The hourly part reads only the narrow
   * columns of every hour (the bucket's APY sum is added in hour order, as `series` adds it, so
   * the mean is the same double) and the full row of each bucket's close hour only.
   */
  seriesMany(venueIds: readonly string[], range: { from: number; to: number }, opts?: SeriesOptions): Promise<Map<string, HistoryPoint[]>>
  /** The newest sample and the newest position of each given venue (two statements for all venues: an index seek each). */
  latestMany(venueIds: readonly string[]): Promise<{ samples: Map<string, Sample>; positions: Map<string, Position> }>
  /** Mean/min/max APY and TVL over [from, to): full hours from aggregates (exact), edges from raw rows where they exist. */
  stats(venueId: string, range: { from: number; to: number }): Promise<RangeStats>
  /** The pool's position in a venue at a time: exact while raw rows exist, else the position at the close of that hour. */
  positionAt(venueId: string, time: number): Promise<{ amount: bigint; tier: 'raw' | 'hour' } | undefined>
  /** The hourly aggregates of a venue over [from, to), ascending. */
  hours(venueId: string, range: { from: number; to: number }): Promise<HourAggregate[]>
  /** Time of the oldest raw sample of a venue (where the full tier starts), or undefined. */
  rawStart(venueId: string): Promise<number | undefined>
  // ── maintenance (the chain's watcher) ──────────────────────────────────────────────────
  /** Folds complete hours and prunes raw rows past the retention, in small transactions. */
  compact(opts: CompactOptions): Promise<CompactStats>
}

interface HourRow {
  venue_id: string
  chain: string
  hour: number
  samples: number
  available: number
  first_block: number
  last_block: number
  first_time: number
  last_time: number
  apy_n: number
  apy_sum: number | null
  apy_open: number | null
  apy_close: number | null
  apy_min: number | null
  apy_max: number | null
  tvl_open: string | null
  tvl_close: string | null
  tvl_min: string | null
  tvl_max: string | null
  util_open: number | null
  util_close: number | null
  util_min: number | null
  util_max: number | null
  peg_open: number | null
  peg_close: number | null
  peg_min: number | null
  peg_max: number | null
  exchange_rate_close: string | null
  withdrawable_close: string | null
  paused_any: number | null
  position_close: string | null
  position_shares_close: string | null
}

const optAmt = (v: unknown, f: string) => optAmountFromDb(v, f)
function hourFromRow(r: HourRow): HourAggregate {
  return {
    venueId: r.venue_id,
    chain: r.chain,
    hour: num(r.hour),
    samples: num(r.samples),
    available: num(r.available),
    firstBlock: intFromDb(r.first_block, 'sample_hours.first_block'),
    lastBlock: intFromDb(r.last_block, 'sample_hours.last_block'),
    firstTime: num(r.first_time),
    lastTime: num(r.last_time),
    apy: { n: num(r.apy_n), sum: optRealFromDb(r.apy_sum), open: optRealFromDb(r.apy_open), close: optRealFromDb(r.apy_close), min: optRealFromDb(r.apy_min), max: optRealFromDb(r.apy_max) },
    tvl: { open: optAmt(r.tvl_open, 'tvl_open'), close: optAmt(r.tvl_close, 'tvl_close'), min: optAmt(r.tvl_min, 'tvl_min'), max: optAmt(r.tvl_max, 'tvl_max') },
    utilisation: { open: optRealFromDb(r.util_open), close: optRealFromDb(r.util_close), min: optRealFromDb(r.util_min), max: optRealFromDb(r.util_max) },
    peg: { open: optRealFromDb(r.peg_open), close: optRealFromDb(r.peg_close), min: optRealFromDb(r.peg_min), max: optRealFromDb(r.peg_max) },
    exchangeRateClose: optAmt(r.exchange_rate_close, 'exchange_rate_close'),
    withdrawableClose: optAmt(r.withdrawable_close, 'withdrawable_close'),
    pausedAny: r.paused_any === null ? null : r.paused_any === 1,
    positionClose: optAmt(r.position_close, 'position_close'),
    positionSharesClose: optAmt(r.position_shares_close, 'position_shares_close'),
  }
}

const s = (x: bigint | null) => (x === null ? null : x.toString(10))
function hourToRow(a: HourAggregate, now: number): (string | number | null)[] {
  return [
    a.venueId, a.chain, a.hour, a.samples, a.available,
    intToDb(a.firstBlock, 'first_block'), intToDb(a.lastBlock, 'last_block'), a.firstTime, a.lastTime,
    a.apy.n, a.apy.sum, a.apy.open, a.apy.close, a.apy.min, a.apy.max,
    s(a.tvl.open), s(a.tvl.close), s(a.tvl.min), s(a.tvl.max),
    a.utilisation.open, a.utilisation.close, a.utilisation.min, a.utilisation.max,
    a.peg.open, a.peg.close, a.peg.min, a.peg.max,
    s(a.exchangeRateClose), s(a.withdrawableClose), a.pausedAny === null ? null : a.pausedAny ? 1 : 0,
    s(a.positionClose), s(a.positionSharesClose), now,
  ]
}

const UPSERT_HOUR = `INSERT OR REPLACE INTO sample_hours (
  venue_id, chain, hour, samples, available, first_block, last_block, first_time, last_time,
  apy_n, apy_sum, apy_open, apy_close, apy_min, apy_max, tvl_open, tvl_close, tvl_min, tvl_max,
  util_open, util_close, util_min, util_max, peg_open, peg_close, peg_min, peg_max,
  exchange_rate_close, withdrawable_close, paused_any, position_close, position_shares_close, created_at
) VALUES (${new Array(33).fill('?').join(', ')})`

const minOf = <T extends number | bigint>(a: T | null, b: T | null): T | null => (a === null ? b : b === null ? a : b < a ? b : a)
const maxOf = <T extends number | bigint>(a: T | null, b: T | null): T | null => (a === null ? b : b === null ? a : b > a ? b : a)

/** A series point from an hour (or a bucket merged into its close hour) starting at `start`. */
function hourPoint(h: HourAggregate, start: number, withPositions: boolean | undefined): HistoryPoint {
  return {
    tier: 'hour', time: start, closeTime: h.lastTime, block: h.lastBlock,
    apy: h.apy.close, apyMin: h.apy.min, apyMax: h.apy.max, apyMean: h.apy.n ? h.apy.sum! / h.apy.n : null,
    tvl: h.tvl.close, utilisation: h.utilisation.close, peg: h.peg.close, available: h.available > 0,
    exchangeRate: h.exchangeRateClose, withdrawable: h.withdrawableClose, paused: h.pausedAny, apySpanSeconds: null,
    ...(withPositions ? { position: h.positionClose } : {}),
  }
}

/** A series point from a raw sample (with the pool's position at its block when asked). */
function rawPoint(r: Sample, position: bigint | null | undefined, withPositions: boolean | undefined): HistoryPoint {
  return {
    tier: 'raw', time: r.blockTime, closeTime: r.blockTime, block: r.blockNumber,
    apy: r.apy, apyMin: r.apy, apyMax: r.apy, apyMean: r.apy,
    tvl: r.tvl, utilisation: r.utilisation, peg: r.peg, available: r.available,
    exchangeRate: r.exchangeRate, withdrawable: r.withdrawable, paused: r.paused, apySpanSeconds: r.apySpanSeconds ?? null,
    ...(withPositions ? { position: position ?? null } : {}),
  }
}

/** The hour bucket of `series` options: a multiple of an hour, at least one. */
const hourBucketOf = (opts: SeriesOptions): number => (opts.hourBucketSeconds && opts.hourBucketSeconds > HOUR ? Math.floor(opts.hourBucketSeconds / HOUR) * HOUR : HOUR)

/**
 * Hours (ascending) merged per `bucket` seconds (unix-aligned): each bucket the close hour's
 * aggregate with the bucket's APY sum/count/min/max, availability and sample counts (exact; the
 * sum added in hour order). `start`: the bucket's first hour present.
 */
export function mergeBuckets(hs: readonly HourAggregate[], bucket: number): Array<{ h: HourAggregate; start: number }> {
  const out: Array<{ h: HourAggregate; start: number }> = []
  for (const h of hs) {
    const last = out.at(-1)
    if (!last || Math.floor(last.start / bucket) !== Math.floor(h.hour / bucket)) {
      out.push({ h: { ...h, apy: { ...h.apy } }, start: h.hour })
      continue
    }
    const m = last.h
    const apy = { ...h.apy, n: m.apy.n + h.apy.n, sum: m.apy.sum === null ? h.apy.sum : h.apy.sum === null ? m.apy.sum : m.apy.sum + h.apy.sum, min: minOf(m.apy.min, h.apy.min), max: maxOf(m.apy.max, h.apy.max) }
    last.h = { ...h, apy, available: m.available + h.available, samples: m.samples + h.samples }
  }
  return out
}

/** Ranges up to this long are served from the in-memory hours of `seriesMany` (the dashboard's longest range is 30 days). */
const CACHED_SPAN_SECONDS = 32 * 86_400

export function createHistory(db: Db, samples: SamplesQueries, positions: PositionsQueries): HistoryQueries {
  /**
   * The first raw block of a venue at or after time `t`. Block times grow with block numbers: the
   * scan starts after the last folded hour before t's hour (an index seek on sample_hours), so it
   * reads at most about an hour of rows, not the whole full tier before t.
   */
  const firstRawBlock = async (venueId: string, t: number): Promise<number | null> => {
    const before = await db.get<{ b: number }>('SELECT last_block AS b FROM sample_hours WHERE venue_id = ? AND hour < ? ORDER BY hour DESC LIMIT 1', [venueId, hourOf(t)])
    const lo = await db.get<{ b: number | null }>('SELECT MIN(block_number) AS b FROM samples WHERE venue_id = ? AND block_number > ? AND block_time >= ?', [venueId, before?.b ?? -1, t])
    return lo?.b ?? null
  }

  const rawRows = async (venueId: string, from: number, to: number): Promise<Sample[]> => {
    // Find the block range first (index seeks), then read it.
    const lo = { b: await firstRawBlock(venueId, from) }
    if (lo.b == null) return []
    const rows = await db.all<Parameters<typeof sampleFromRow>[0]>('SELECT * FROM samples WHERE venue_id = ? AND block_number >= ? AND block_time < ? ORDER BY block_number', [venueId, lo.b, to])
    return rows.map(sampleFromRow)
  }

  /** The last raw sample of each `bucket`-second slot of [from, to), ascending (one scan of the block range, in SQL). */
  const rawBuckets = async (venueId: string, from: number, to: number, bucket: number): Promise<Sample[]> => {
    const lo = { b: await firstRawBlock(venueId, from) }
    if (lo.b == null) return []
    // SQLite: with MAX() the bare columns come from the row holding the maximum.
    const rows = await db.all<Parameters<typeof sampleFromRow>[0]>(
      'SELECT *, MAX(block_number) AS newest FROM samples WHERE venue_id = ? AND block_number >= ? AND block_time < ? GROUP BY block_time / ? ORDER BY block_number',
      [venueId, lo.b, to, bucket],
    )
    return rows.map(sampleFromRow)
  }

  /** The pool's position at each block (ascending blocks): one read of the position rows between them. */
  const positionsAt = async (venueId: string, blocks: readonly bigint[]): Promise<(bigint | null)[]> => {
    if (blocks.length === 0) return []
    const first = intToDb(blocks[0]!, 'block')
    const last = intToDb(blocks.at(-1)!, 'block')
    const rows = await db.all<{ b: number; amount: string }>(
      `SELECT block_number AS b, amount FROM positions WHERE venue_id = ? AND block_number <= ?
         AND block_number >= COALESCE((SELECT MAX(block_number) FROM positions WHERE venue_id = ? AND block_number <= ?), 0) ORDER BY block_number`,
      [venueId, last, venueId, first],
    )
    const out: (bigint | null)[] = []
    let i = -1
    for (const b of blocks) {
      while (i + 1 < rows.length && BigInt(rows[i + 1]!.b) <= b) i++
      out.push(i >= 0 ? amountFromDb(rows[i]!.amount, 'positions.amount') : null)
    }
    return out
  }

  /** Hours of [from, to) merged per `bucket` seconds: the close hour's aggregate with the bucket's APY sum/count/min/max (exact). */
  const hourBuckets = async (venueId: string, range: { from: number; to: number }, bucket: number): Promise<Array<{ h: HourAggregate; start: number }>> =>
    mergeBuckets(await hours(venueId, range), bucket)

  /**
   * The dashboard's hours in memory, per venue: every hour from `from` on as last read, with the
   * venue's `history_versions` version at the time (read before the hours: the hours are at least
   * as new as the version says) and the bucket points built from them. A venue whose version moved
   * (a compaction folded an hour; any write of sample_hours bumps it, by trigger) or whose cached
   * hours start after the range is read again: one statement for all such venues.
   */
  const hourCache = new Map<string, { version: number; from: number; hours: HourAggregate[]; merged: Map<string, HistoryPoint> }>()
  const cachedHours = async (venueIds: readonly string[], range: { from: number; to: number }): Promise<Map<string, { all: HourAggregate[]; lo: number; hi: number }>> => {
    const fromHour = hourOf(range.from)
    const cacheable = range.to - range.from <= CACHED_SPAN_SECONDS
    const versions = new Map<string, number>()
    if (cacheable) {
      const rows = await db.all<{ v: string; version: number }>('SELECT j.value AS v, COALESCE((SELECT version FROM history_versions WHERE venue_id = j.value), 0) AS version FROM json_each(?) j', [JSON.stringify(venueIds)])
      for (const r of rows) versions.set(r.v, num(r.version))
    }
    const reload = venueIds.filter((v) => {
      const e = hourCache.get(v)
      return !cacheable || !e || e.version !== versions.get(v) || e.from > fromHour
    })
    const loaded = new Map<string, HourAggregate[]>(reload.map((v) => [v, []]))
    if (reload.length > 0) {
      const rows = await db.all<HourRow>(
        `SELECT h.* FROM json_each(?) j JOIN sample_hours h ON h.venue_id = j.value AND h.hour >= ?${cacheable ? '' : ' AND h.hour < ?'} ORDER BY j.key, h.hour`,
        cacheable ? [JSON.stringify(reload), fromHour] : [JSON.stringify(reload), fromHour, range.to],
      )
      for (const r of rows) loaded.get(r.venue_id)!.push(hourFromRow(r))
      if (cacheable) for (const [v, hours] of loaded) hourCache.set(v, { version: versions.get(v)!, from: fromHour, hours, merged: new Map() })
    }
    const out = new Map<string, { all: HourAggregate[]; lo: number; hi: number }>()
    for (const v of venueIds) {
      const all = cacheable ? hourCache.get(v)!.hours : loaded.get(v)!
      // hours() reads hour >= hourOf(from) and hour < to.
      let lo = 0
      while (lo < all.length && all[lo]!.hour < fromHour) lo++
      let hi = all.length
      while (hi > lo && all[hi - 1]!.hour >= range.to) hi--
      out.set(v, { all, lo, hi })
    }
    return out
  }

  const hours = async (venueId: string, range: { from: number; to: number }): Promise<HourAggregate[]> =>
    (await db.all<HourRow>('SELECT * FROM sample_hours WHERE venue_id = ? AND hour >= ? AND hour < ? ORDER BY hour', [venueId, hourOf(range.from), range.to])).map(hourFromRow)

  const rawStart = async (venueId: string): Promise<number | undefined> => {
    const r = await db.get<{ t: number }>('SELECT block_time AS t FROM samples WHERE venue_id = ? ORDER BY block_number LIMIT 1', [venueId])
    return r?.t ?? undefined
  }

  /** Folds the complete hours of one venue after its last folded one; returns hours written and batches. */
  async function foldVenue(venueId: string, opts: CompactOptions, stats: CompactStats): Promise<void> {
    const settle = opts.settleSeconds ?? 600
    const newest = (await samples.recent(venueId, 1))[0]
    if (!newest) return
    // Hours ending at or before this are complete (the venue has a sample well past their end).
    const horizon = hourOf(newest.blockTime - settle)
    const lastFolded = await db.get<{ b: number | null }>('SELECT MAX(last_block) AS b FROM sample_hours WHERE venue_id = ?', [venueId])
    let after = lastFolded?.b ?? -1
    let current: FoldSample[] = []
    let pendingHours: HourAggregate[] = []
    const flush = async () => {
      if (pendingHours.length === 0) return
      const now = Date.now()
      const batch = pendingHours
      pendingHours = []
      await db.transaction(async () => {
        for (const a of batch) await db.run(UPSERT_HOUR, hourToRow(a, now))
      })
      stats.hoursWritten += batch.length
      stats.batches++
      await opts.between?.()
    }
    const close = async (rows: FoldSample[]) => {
      const last = rows.at(-1)!
      const pos = await positions.latest(venueId, { atBlock: last.blockNumber })
      pendingHours.push(foldHour(rows, pos))
      if (pendingHours.length >= Math.max(1, Math.floor(opts.batchRows / 100))) await flush()
    }
    for (;;) {
      if (opts.signal?.aborted) break
      const rows = (await db.all<Parameters<typeof sampleFromRow>[0]>('SELECT * FROM samples WHERE venue_id = ? AND block_number > ? ORDER BY block_number LIMIT ?', [venueId, after, opts.batchRows])).map(sampleFromRow)
      let done = rows.length < opts.batchRows
      for (const r of rows) {
        const h = hourOf(r.blockTime)
        if (h >= horizon) {
          done = true
          break
        }
        if (current.length > 0 && hourOf(current[0]!.blockTime) !== h) {
          await close(current)
          current = []
        }
        current.push(r)
        after = Number(r.blockNumber)
      }
      if (done) break
    }
    if (current.length > 0 && hourOf(current[0]!.blockTime) + HOUR <= horizon) await close(current)
    await flush()
  }

  /** Deletes raw rows older than the retention whose hour is folded; keeps the newest position before the cut. */
  async function pruneVenue(venueId: string, opts: CompactOptions, stats: CompactStats): Promise<void> {
    const cutoff = opts.now - opts.fullRetentionSeconds
    const r = await db.get<{ b: number | null }>('SELECT MAX(last_block) AS b FROM sample_hours WHERE venue_id = ? AND hour + ? <= ?', [venueId, HOUR, cutoff])
    const cutBlock = r?.b
    if (cutBlock == null) return
    for (;;) {
      if (opts.signal?.aborted) return
      const res = await db.transaction(() =>
        db.run('DELETE FROM samples WHERE rowid IN (SELECT rowid FROM samples WHERE venue_id = ? AND block_number <= ? ORDER BY block_number LIMIT ?)', [venueId, cutBlock, opts.batchRows]),
      )
      stats.samplesDeleted += res.changes
      stats.batches++
      await opts.between?.()
      if (res.changes < opts.batchRows) break
    }
    // Positions are stored on change: the newest one at or before the cut stays (it is the position since).
    const keep = await db.get<{ b: number | null }>('SELECT MAX(block_number) AS b FROM positions WHERE venue_id = ? AND block_number <= ?', [venueId, cutBlock])
    if (keep?.b == null) return
    for (;;) {
      if (opts.signal?.aborted) return
      const res = await db.transaction(() =>
        db.run('DELETE FROM positions WHERE rowid IN (SELECT rowid FROM positions WHERE venue_id = ? AND block_number < ? ORDER BY block_number LIMIT ?)', [venueId, keep.b, opts.batchRows]),
      )
      stats.positionsDeleted += res.changes
      stats.batches++
      await opts.between?.()
      if (res.changes < opts.batchRows) break
    }
  }

  const q: HistoryQueries = {
    window: (venueId, limit, opts) => samples.recent(venueId, limit, opts),
    async span(venueId, seconds, opts = {}) {
      const out: Sample[] = []
      let before = opts.beforeBlock
      let from: number | undefined = opts.until === undefined ? undefined : opts.until - seconds
      for (;;) {
        const page = await samples.recent(venueId, PAGE_ROWS, { availableOnly: opts.availableOnly, ...(before === undefined ? {} : { beforeBlock: before }) })
        for (const r of page) {
          if (opts.until !== undefined && r.blockTime > opts.until) continue
          from ??= r.blockTime - seconds
          if (r.blockTime <= from) return out
          out.push(r)
        }
        if (page.length < PAGE_ROWS) return out
        before = page.at(-1)!.blockNumber
      }
    },
    latestPerVenue: (opts) => samples.latestPerVenue(opts),
    latestPositions: (opts) => positions.latestPerVenue(opts),
    positionAtBlock: (venueId, block) => positions.latest(venueId, block === undefined ? {} : { atBlock: block }),
    sampleAtBlock: (venueId, block) => samples.at(venueId, block),
    hours,
    rawStart,

    async series(venueId, range, opts = {}) {
      const rawUpTo = opts.rawUpToSeconds ?? 2 * 86_400
      const start = await rawStart(venueId)
      const useHours = range.to - range.from > rawUpTo || start === undefined || start > range.from
      const out: HistoryPoint[] = []
      let rawFrom = range.from
      if (useHours) {
        const bucket = hourBucketOf(opts)
        const hs = bucket > HOUR ? await hourBuckets(venueId, range, bucket) : (await hours(venueId, range)).map((h) => ({ h, start: h.hour }))
        for (const { h, start } of hs) {
          if (h.hour < range.from && h.hour + HOUR <= range.from) continue
          out.push(hourPoint(h, start, opts.positions))
          rawFrom = Math.max(rawFrom, h.hour + HOUR)
        }
      }
      const raws = opts.rawBucketSeconds && opts.rawBucketSeconds > 1 ? await rawBuckets(venueId, rawFrom, range.to, Math.floor(opts.rawBucketSeconds)) : await rawRows(venueId, rawFrom, range.to)
      const pos = opts.positions ? await positionsAt(venueId, raws.map((r) => r.blockNumber)) : []
      for (const [i, r] of raws.entries()) out.push(rawPoint(r, pos[i], opts.positions))
      return out
    },

    async seriesMany(venueIds, range, opts = {}) {
      const out = new Map<string, HistoryPoint[]>(venueIds.map((v) => [v, []]))
      if (venueIds.length === 0) return out
      const ids = JSON.stringify(venueIds)
      const rawUpTo = opts.rawUpToSeconds ?? 2 * 86_400
      // Where each venue's full tier starts (rawStart of each).
      const starts = await db.all<{ v: string; t: number | null }>(
        'SELECT j.value AS v, (SELECT block_time FROM samples WHERE venue_id = j.value ORDER BY block_number LIMIT 1) AS t FROM json_each(?) j',
        [ids],
      )
      const useHours = new Set(starts.filter((r) => range.to - range.from > rawUpTo || r.t === null || r.t > range.from).map((r) => r.v))
      const rawFrom = new Map<string, number>(venueIds.map((v) => [v, range.from]))
      if (useHours.size > 0) {
        const bucket = hourBucketOf(opts)
        const hourIds = venueIds.filter((v) => useHours.has(v))
        for (const [v, hs] of await cachedHours(hourIds, range)) {
          // Bucket boundaries first (integers only); a bucket's merged point is built once per
          // version of the venue's hours and reused (its key names exactly the hours merged).
          const memo = hourCache.get(v)?.hours === hs.all ? hourCache.get(v)!.merged : undefined
          for (let i = hs.lo; i < hs.hi; ) {
            const slot = Math.floor(hs.all[i]!.hour / bucket)
            let j = i + 1
            while (j < hs.hi && Math.floor(hs.all[j]!.hour / bucket) === slot) j++
            const close = hs.all[j - 1]!
            if (!(close.hour < range.from && close.hour + HOUR <= range.from)) {
              const key = `${bucket}|${i}|${j}|${opts.positions ? 1 : 0}`
              let point = memo?.get(key)
              if (!point) {
                const [m] = mergeBuckets(hs.all.slice(i, j), bucket)
                point = hourPoint(m!.h, m!.start, opts.positions)
                memo?.set(key, point)
              }
              out.get(v)!.push(point)
              rawFrom.set(v, Math.max(rawFrom.get(v)!, close.hour + HOUR))
            }
            i = j
          }
        }
      }
      // The raw tail of each venue: from its first raw block at or after its own start (firstRawBlock of each).
      const los = await db.all<{ v: string; lo: number | null }>(
        `SELECT j.value ->> 0 AS v, (SELECT MIN(block_number) FROM samples WHERE venue_id = j.value ->> 0
            AND block_number > COALESCE((SELECT last_block FROM sample_hours WHERE venue_id = j.value ->> 0 AND hour < j.value ->> 2 ORDER BY hour DESC LIMIT 1), -1)
            AND block_time >= j.value ->> 1) AS lo
           FROM json_each(?) j`,
        [JSON.stringify(venueIds.map((v) => [v, rawFrom.get(v)!, hourOf(rawFrom.get(v)!)]))],
      )
      const tails = los.filter((r) => r.lo !== null)
      if (tails.length === 0) return out
      const tailIds = JSON.stringify(tails.map((r) => [r.v, r.lo]))
      const bucketed = opts.rawBucketSeconds && opts.rawBucketSeconds > 1
      // SQLite: with MAX() the bare columns come from the row holding the maximum.
      const rows = await db.all<Parameters<typeof sampleFromRow>[0]>(
        bucketed
          ? `SELECT s.*, MAX(s.block_number) AS newest FROM json_each(?) j JOIN samples s ON s.venue_id = j.value ->> 0 AND s.block_number >= j.value ->> 1 AND s.block_time < ?
               GROUP BY j.key, s.block_time / ? ORDER BY j.key, s.block_number`
          : 'SELECT s.* FROM json_each(?) j JOIN samples s ON s.venue_id = j.value ->> 0 AND s.block_number >= j.value ->> 1 AND s.block_time < ? ORDER BY j.key, s.block_number',
        bucketed ? [tailIds, range.to, Math.floor(opts.rawBucketSeconds!)] : [tailIds, range.to],
      )
      const raws = new Map<string, Sample[]>()
      for (const r of rows) {
        const x = sampleFromRow(r)
        let list = raws.get(x.venueId)
        if (!list) raws.set(x.venueId, (list = []))
        list.push(x)
      }
      // The positions between each tail's first and last block (positionsAt of each), in one read.
      const pos = new Map<string, Array<{ b: bigint; amount: bigint }>>()
      if (opts.positions && raws.size > 0) {
        const spans = [...raws].map(([v, list]) => [v, intToDb(list[0]!.blockNumber, 'block'), intToDb(list.at(-1)!.blockNumber, 'block')])
        const prows = await db.all<PositionRow>(
          `SELECT p.* FROM json_each(?) j JOIN positions p ON p.venue_id = j.value ->> 0 AND p.block_number <= j.value ->> 2
              AND p.block_number >= COALESCE((SELECT MAX(block_number) FROM positions WHERE venue_id = j.value ->> 0 AND block_number <= j.value ->> 1), 0)
            ORDER BY j.key, p.block_number`,
          [JSON.stringify(spans)],
        )
        for (const r of prows) {
          const p = positionFromRow(r)
          let list = pos.get(p.venueId)
          if (!list) pos.set(p.venueId, (list = []))
          list.push({ b: p.blockNumber, amount: p.amount })
        }
      }
      for (const [v, list] of raws) {
        const ps = pos.get(v) ?? []
        let i = -1
        for (const r of list) {
          while (i + 1 < ps.length && ps[i + 1]!.b <= r.blockNumber) i++
          out.get(v)!.push(rawPoint(r, i >= 0 ? ps[i]!.amount : null, opts.positions))
        }
      }
      return out
    },

    async latestMany(venueIds) {
      const ids = JSON.stringify(venueIds)
      const srows = await db.all<Parameters<typeof sampleFromRow>[0]>(
        'SELECT s.* FROM json_each(?) j JOIN samples s ON s.venue_id = j.value AND s.block_number = (SELECT MAX(block_number) FROM samples WHERE venue_id = j.value) ORDER BY j.key',
        [ids],
      )
      const prows = await db.all<PositionRow>(
        'SELECT p.* FROM json_each(?) j JOIN positions p ON p.venue_id = j.value AND p.block_number = (SELECT MAX(block_number) FROM positions WHERE venue_id = j.value) ORDER BY j.key',
        [ids],
      )
      return { samples: new Map(srows.map((r) => [r.venue_id, sampleFromRow(r)])), positions: new Map(prows.map((r) => [r.venue_id, positionFromRow(r)])) }
    },

    async stats(venueId, range) {
      const hs = await hours(venueId, range)
      let n = 0
      let apyN = 0
      let apySum = 0
      let apyMin: number | null = null
      let apyMax: number | null = null
      let tvlMin: bigint | null = null
      let tvlMax: bigint | null = null
      let usedHour = false
      let usedRaw = false
      let approximate = false
      const covered = new Set<number>()
      const addRaw = (rows: readonly Sample[]) => {
        for (const r of rows) {
          n++
          usedRaw = true
          if (r.apy !== null) {
            apyN++
            apySum += r.apy
          }
          apyMin = minOf(apyMin, r.apy)
          apyMax = maxOf(apyMax, r.apy)
          tvlMin = minOf(tvlMin, r.tvl)
          tvlMax = maxOf(tvlMax, r.tvl)
        }
      }
      const addHour = (h: HourAggregate) => {
        n += h.samples
        usedHour = true
        apyN += h.apy.n
        apySum += h.apy.sum ?? 0
        apyMin = minOf(apyMin, h.apy.min)
        apyMax = maxOf(apyMax, h.apy.max)
        tvlMin = minOf(tvlMin, h.tvl.min)
        tvlMax = maxOf(tvlMax, h.tvl.max)
        covered.add(h.hour)
      }
      // Full hours inside the range: their aggregates are exact (sum/count, min, max).
      for (const h of hs) if (h.hour >= range.from && h.hour + HOUR <= range.to) addHour(h)
      // Everything else from raw rows where they exist; an edge hour without raw rows: its whole aggregate.
      const raw = (await rawRows(venueId, range.from, range.to)).filter((r) => !covered.has(hourOf(r.blockTime)))
      addRaw(raw)
      const rawHours = new Set(raw.map((r) => hourOf(r.blockTime)))
      for (const h of hs) {
        if (covered.has(h.hour) || rawHours.has(h.hour)) continue
        addHour(h)
        approximate = true
      }
      return {
        samples: n,
        apyMean: apyN ? apySum / apyN : null,
        apyMin,
        apyMax,
        tvlMin,
        tvlMax,
        tier: usedHour && usedRaw ? 'mixed' : usedHour ? 'hour' : usedRaw ? 'raw' : 'none',
        approximate,
      }
    },

    async positionAt(venueId, time) {
      const start = await rawStart(venueId)
      if (start !== undefined && time >= start) {
        const r = await db.get<{ b: number }>('SELECT block_number AS b FROM samples WHERE venue_id = ? AND block_time <= ? ORDER BY block_number DESC LIMIT 1', [venueId, time])
        if (r) {
          const p = await positions.latest(venueId, { atBlock: intFromDb(r.b, 'samples.block_number') })
          return p ? { amount: p.amount, tier: 'raw' } : undefined
        }
      }
      const h = await db.get<HourRow>('SELECT * FROM sample_hours WHERE venue_id = ? AND hour <= ? ORDER BY hour DESC LIMIT 1', [venueId, time])
      if (!h || h.position_close === null) return undefined
      return { amount: amountFromDb(h.position_close, 'sample_hours.position_close'), tier: 'hour' }
    },

    async compact(opts) {
      const stats: CompactStats = { hoursWritten: 0, samplesDeleted: 0, positionsDeleted: 0, batches: 0 }
      for (const v of opts.venues) {
        if (opts.signal?.aborted) break
        await foldVenue(v, opts, stats)
        await pruneVenue(v, opts, stats)
      }
      return stats
    },
  }
  return q
}
