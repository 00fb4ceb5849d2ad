/**
 * Every read of samples and positions the dashboard makes, in one module, all through the history
 * tiers' query layer (`store.history`, store/history.ts): a range's series comes from the full
 * samples while they exist and from the hourly aggregates beyond them (a 30-day page over a
 * compacted store shows the whole month, not just the full tier's last days).
 *
 * A range is read at about `points` points per venue, thinned in SQL: the hourly part merged into
 * whole-hour buckets of about range/points (30 days at 120 points: 6 hours; each point the close of
 * its last hour and the exact mean APY of its hours), the raw part the last sample of each
 * range/points slot. The cost depends on the points, not on how many samples the store holds.
 */
import type { Position, Sample, Store } from '../store'
import { HOUR, type HistoryPoint } from '../store/history'
import type { ScoreSample } from '../strategies/risk'

/**
 * A venue's reading at one point of a chart: a raw sample, or an hour (its close values and its
 * mean APY), with the pool's position there. Shaped as a sample for the risk score.
 */
export interface VenuePoint extends ScoreSample {
  tier: 'raw' | 'hour'
  /** Raw: the sample's block; hour: the last block of its (last) hour. */
  blockNumber: bigint
  /** When the values held: raw, the block's time; hour, its last sample's time (unix seconds). */
  blockTime: number
  /** Raw: the sample's APY; hour: the mean of the APY readings of its hour(s). */
  apy: number | null
  exchangeRate: bigint | null
  /** The pool's assets in the venue (raw units), null when never recorded up to it. */
  position: bigint | null
}

type Reader = Pick<Store, 'history'>

/** Points already converted: the store hands out the same HistoryPoint for an unchanged bucket, so the page gets the same VenuePoint (and its memoised score key). */
const converted = new WeakMap<HistoryPoint, VenuePoint>()

export function pointOf(p: HistoryPoint): VenuePoint {
  let v = converted.get(p)
  if (!v) converted.set(p, (v = toPoint(p)))
  return v
}

function toPoint(p: HistoryPoint): VenuePoint {
  return {
    tier: p.tier,
    blockNumber: p.block,
    blockTime: p.closeTime,
    available: p.available,
    apy: p.tier === 'hour' ? p.apyMean : p.apy,
    tvl: p.tvl,
    utilisation: p.utilisation,
    withdrawable: p.withdrawable,
    peg: p.peg,
    paused: p.paused,
    apySpanSeconds: p.apySpanSeconds,
    exchangeRate: p.exchangeRate,
    position: p.position ?? null,
  }
}

/** The series options of a chart of about `points` points over the window: raw slots and whole-hour buckets of about range/points. */
export function chartSeriesOptions(w: { from: number; to: number }, points: number): { positions: true; rawBucketSeconds: number; hourBucketSeconds: number } {
  const bucket = Math.max(1, Math.floor((w.to - w.from) / Math.max(1, points)))
  return { positions: true, rawBucketSeconds: bucket, hourBucketSeconds: Math.max(1, Math.round(bucket / HOUR)) * HOUR }
}

/** A venue's readings over [from, to] (unix seconds, inclusive), oldest first, about `points` of them for the raw part. */
export async function readVenuePoints(store: Reader, venueId: string, w: { from: number; to: number }, points: number): Promise<VenuePoint[]> {
  const series = await store.history.series(venueId, { from: w.from, to: w.to + 1 }, chartSeriesOptions(w, points))
  return series.map(pointOf)
}

/**
 * Many venues' readings over the same window: for each, exactly `readVenuePoints`'s answer, read
 * with a handful of statements for all venues (`store.history.seriesMany`) instead of a handful per venue.
 */
export async function readVenuesPoints(store: Reader, venueIds: readonly string[], w: { from: number; to: number }, points: number): Promise<Map<string, VenuePoint[]>> {
  const many = await store.history.seriesMany(venueIds, { from: w.from, to: w.to + 1 }, chartSeriesOptions(w, points))
  return new Map([...many].map(([id, series]) => [id, series.map(pointOf)]))
}

/** The newest `n` samples of a venue (the strategist's score window: the full tier). */
export async function recentSamples(store: Reader, venueId: string, n: number): Promise<Sample[]> {
  return store.history.window(venueId, n)
}

/** The newest position of a venue. */
export async function latestPosition(store: Reader, venueId: string): Promise<Position | undefined> {
  return store.history.positionAtBlock(venueId)
}

/**
 * The venue's reading at or before a time (unix seconds): for realised gains after a plan's
 * horizon. Exact while the full samples exist; older, the close of the newest hour that ended by
 * then (precision: one hour).
 */
export async function readingAtTime(store: Reader, venueId: string, t: number): Promise<Pick<VenuePoint, 'tier' | 'blockNumber' | 'blockTime' | 'available' | 'exchangeRate'> | undefined> {
  const pts = await store.history.series(venueId, { from: t - 6 * 3_600, to: t + 1 }, { rawBucketSeconds: 86_400 })
  const before = pts.map(pointOf).filter((p) => p.blockTime <= t)
  return before.at(-1)
}

/**
 * The newest sample and position of each given venue: one indexed lookup each, in two statements
 * for all venues (a GROUP BY over the samples table would read every row of the full tier:
 * millions at the mainnet profile).
 */
export async function latestPerVenue(store: Reader, venueIds: readonly string[]): Promise<{ samples: Map<string, Sample>; positions: Map<string, Position> }> {
  return store.history.latestMany(venueIds)
}
