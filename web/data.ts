/**
 * Every read of samples and positions the dashboard makes, in one module: the history-tier query
 * layer (hourly aggregates beyond the full-resolution span) replaces these functions on merge,
 * and nothing else in web/ reads samples or positions.
 *
 * A range is read at most `points` blocks per venue: evenly spaced blocks between the range's
 * first block and the chain's newest, each the venue's sample at or before it (an indexed
 * lookup). The cost depends on the points, not on how many samples the store holds. A range with
 * fewer blocks than points is read whole.
 */
import type { Position, Sample, Store } from '../store'

/** A venue's reading at one block, with the pool's position there. */
export interface VenuePoint {
  sample: Sample
  /** The pool's assets in the venue at that block (raw), null when never recorded up to it. */
  position: bigint | null
}

type Reader = Pick<Store, 'samples' | 'positions' | 'cursors'>

/** The newest sample of a venue. */
export async function newestSample(store: Reader, venueId: string): Promise<Sample | undefined> {
  return (await store.samples.recent(venueId, 1))[0]
}

/** The venue's sample at or before `block`. */
async function sampleAtOrBefore(store: Reader, venueId: string, block: bigint): Promise<Sample | undefined> {
  if (block < 0n) return undefined
  return (await store.samples.recent(venueId, 1, { beforeBlock: block + 1n }))[0]
}

/**
 * The first block of `venueId`'s samples whose time is at or after `t` (unix seconds), between
 * `lo` and `hi` (binary search over block numbers: ~log2(hi − lo) lookups).
 */
export async function firstBlockAtOrAfter(store: Reader, venueId: string, t: number, lo: bigint, hi: bigint): Promise<bigint> {
  while (lo < hi) {
    const mid = (lo + hi) / 2n
    const s = await sampleAtOrBefore(store, venueId, mid)
    if (s && s.blockTime >= t) hi = s.blockNumber < mid ? s.blockNumber : mid
    else lo = mid + 1n
  }
  return lo
}

/** The blocks to read on a chain for the range [fromSec, head]: `points` evenly spaced (or every block when fewer). */
export async function chainGrid(store: Reader, probeVenueId: string, fromSec: number, points: number): Promise<{ from: bigint; to: bigint; blocks: bigint[] } | null> {
  const head = await newestSample(store, probeVenueId)
  if (!head) return null
  const from = await firstBlockAtOrAfter(store, probeVenueId, fromSec, 0n, head.blockNumber)
  const to = head.blockNumber
  const span = to - from
  if (span + 1n <= BigInt(points)) return { from, to, blocks: [] }
  const n = BigInt(points - 1)
  const blocks: bigint[] = []
  for (let k = 0n; k <= n; k++) blocks.push(from + (span * k) / n)
  return { from, to, blocks }
}

/**
 * A venue's readings over a chain grid, oldest first, each with the pool's position at its
 * block. `grid.blocks` empty: every sample from `from` to `to`.
 */
export async function readVenuePoints(store: Reader, venueId: string, grid: { from: bigint; to: bigint; blocks: readonly bigint[] }): Promise<VenuePoint[]> {
  let samples: Sample[]
  if (grid.blocks.length === 0) {
    const n = Number(grid.to - grid.from + 1n)
    samples = (await store.samples.recent(venueId, n, { beforeBlock: grid.to + 1n })).filter((s) => s.blockNumber >= grid.from).reverse()
  } else {
    const found = await Promise.all(grid.blocks.map((b) => sampleAtOrBefore(store, venueId, b)))
    const seen = new Set<bigint>()
    samples = []
    for (const s of found) {
      if (!s || s.blockNumber < grid.from || seen.has(s.blockNumber)) continue
      seen.add(s.blockNumber)
      samples.push(s)
    }
  }
  const positions = await Promise.all(samples.map((s) => store.positions.latest(venueId, { atBlock: s.blockNumber })))
  return samples.map((sample, i) => ({ sample, position: (positions[i] as Position | undefined)?.amount ?? null }))
}

/** The newest `n` samples of a venue up to its newest (the strategist's score window). */
export async function recentSamples(store: Reader, venueId: string, n: number): Promise<Sample[]> {
  return store.samples.recent(venueId, n)
}

/** The venue's sample at or before a time (unix seconds): for realised gains after a plan's horizon. */
export async function sampleAtTime(store: Reader, venueId: string, t: number): Promise<Sample | undefined> {
  const head = await newestSample(store, venueId)
  if (!head) return undefined
  if (head.blockTime <= t) return head
  const first = await firstBlockAtOrAfter(store, venueId, t, 0n, head.blockNumber)
  const s = await sampleAtOrBefore(store, venueId, first)
  if (s && s.blockTime <= t) return s
  return sampleAtOrBefore(store, venueId, first - 1n)
}

/** The newest sample of each venue, and the newest position of each. */
export async function latestPerVenue(store: Reader): Promise<{ samples: Map<string, Sample>; positions: Map<string, Position> }> {
  const [samples, positions] = await Promise.all([store.samples.latestPerVenue(), store.positions.latestPerVenue()])
  return { samples: new Map(samples.map((s) => [s.venueId, s])), positions: new Map(positions.map((p) => [p.venueId, p])) }
}
