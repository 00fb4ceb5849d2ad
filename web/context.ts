import type { Config, VenueConfig } from '../config/schema'
import type { Store } from '../store'
import { apyWindowSecondsOf } from '../config/schema'
import { scoreVenue, type ScoreSample, type VenueScore } from '../strategies/risk'
import { scoreWindowSecondsOf } from '../strategies/policy'
import { collateralVenueOf, holdsCollateral, unitOf, valueInCollateral } from '../watch/units'
import { latestPerVenue, readVenuesPoints, type VenuePoint } from './data'
import { RANGES, type RangeName } from './html'
import { holdAt, timeGrid, weightedMean } from './series'

/** A page for something that does not exist (answered 404 with this message). */
export class NotFound extends Error {}

/** What every page renders from: the config and the store (read only). */
export interface WebDeps {
  config: Config
  store: Store
  /** ms; default Date.now. */
  now?: () => number
}

export interface RangeWindow {
  range: RangeName
  /** Unix seconds: the range's end (the newest block time seen, else the clock) and start. */
  to: number
  from: number
}

/** The range ends at the newest sample's block time (a devnet's clock may run ahead of the wall clock), else now. */
export async function rangeWindow(deps: WebDeps, range: RangeName): Promise<RangeWindow> {
  const latest = [...(await latestPerVenue(deps.store, deps.config.venues.map((v) => v.id))).samples.values()]
  const now = Math.floor((deps.now ?? Date.now)() / 1000)
  const to = latest.length ? Math.max(...latest.map((s) => s.blockTime)) : now
  return { range, to, from: to - RANGES[range] }
}

export interface VenueHistory {
  venue: VenueConfig
  points: VenuePoint[]
}

/** Readings of the given venues over the window (store.history: full samples, hourly aggregates beyond them). */
export async function venueHistories(deps: WebDeps, w: RangeWindow, venues: readonly VenueConfig[]): Promise<VenueHistory[]> {
  const points = await readVenuesPoints(deps.store, venues.map((v) => v.id), w, deps.config.web.chartPoints)
  return venues.map((v) => ({ venue: v, points: points.get(v.id) ?? [] }))
}

/** The venue's APY as the pool earns it: vaults and markets over the collateral add the collateral's own yield. */
export function effectiveApy(config: Config, v: VenueConfig, apy: number | null, collateralApy: number | null): number | null {
  if (apy === null) return null
  return v.kind === 'lst' ? apy : apy + (collateralApy ?? 0)
}

/**
 * The strategist's risk score of a venue from its samples (strategies/risk.ts), as the strategist
 * computes it. Hourly points carry no APY span (the aggregate does not keep it): a window with one
 * is scored without the span check (every hour with an APY counts).
 */
export function scoreOf(config: Config, v: VenueConfig, samples: readonly ScoreSample[], position: bigint, collateralApy: number | null): VenueScore {
  const newest = samples.reduce<ScoreSample | undefined>((m, s) => (!m || s.blockNumber > m.blockNumber ? s : m), undefined)
  const spans = samples.every((s) => (s as Partial<VenuePoint>).tier !== 'hour')
  return scoreVenue(
    {
      venue: { id: v.id, chain: v.chain, kind: v.kind, protocol: v.protocol, risk: v.risk },
      samples,
      position,
      now: newest?.blockTime ?? 0,
      assetApy: v.kind === 'lst' ? undefined : (collateralApy ?? 0),
      ...(spans ? { window: { seconds: apyWindowSecondsOf(config, v.chain) } } : {}),
    },
    config.strategy,
  )
}

/** Windows of at most this many points are memoised (longer ones are scored each time: the 1-day chart's raw windows). */
const MEMO_MAX_POINTS = 32
/** Memoised scores kept per config before the memo starts afresh. */
const MEMO_MAX_ENTRIES = 50_000

/** A trie over the window's point objects, then the position and the collateral's APY. */
interface MemoNode {
  next: Map<ScoreSample, MemoNode>
  scores: Map<bigint, Map<number | null, number>>
}
const newNode = (): MemoNode => ({ next: new Map(), scores: new Map() })
const scoreMemo = new WeakMap<Config, { venues: Map<string, MemoNode>; entries: number }>()

/**
 * `scoreOf(...).score`, memoised: the key is everything the score reads — the venue, the window's
 * point objects (by identity: points are never mutated, so the same object is the same reading),
 * the position and the collateral's APY — under one config object, so a cached value is the value
 * the call would return and there is nothing to invalidate: a reading that changes (a new close, a
 * re-folded hour, a reorg) is a new point object and a new key. The store hands out the same point
 * objects for buckets whose hours did not change (store.history.seriesMany), so the 30-day chart
 * scores only its newest points on each render.
 */
export function cachedScore(config: Config, v: VenueConfig, window: readonly ScoreSample[], position: bigint, collateralApy: number | null): number {
  if (window.length > MEMO_MAX_POINTS) return scoreOf(config, v, window, position, collateralApy).score
  let memo = scoreMemo.get(config)
  if (!memo || memo.entries >= MEMO_MAX_ENTRIES) scoreMemo.set(config, (memo = { venues: new Map(), entries: 0 }))
  let node: MemoNode | undefined = memo.venues.get(v.id)
  if (!node) memo.venues.set(v.id, (node = newNode()))
  for (const p of window) {
    let n: MemoNode | undefined = node.next.get(p)
    if (!n) node.next.set(p, (n = newNode()))
    node = n
  }
  let byApy = node.scores.get(position)
  if (!byApy) node.scores.set(position, (byApy = new Map()))
  const hit = byApy.get(collateralApy)
  if (hit !== undefined) return hit
  const score = scoreOf(config, v, window, position, collateralApy).score
  byApy.set(collateralApy, score)
  memo.entries++
  return score
}

export interface PoolSeries {
  x: number[]
  /** Per venue: its position valued in the chain's collateral (display units). */
  collateral: Array<{ venue: VenueConfig; values: (number | null)[] }>
  blendedApy: (number | null)[]
  riskAdjustedApy: (number | null)[]
}

/**
 * The pool over time on a common time grid: collateral per venue (valued in the chain's
 * collateral), the position-weighted APY, and the position-weighted risk-adjusted APY — the
 * strategist's score of each venue computed at each point from the readings up to it (the last
 * `strategy.risk.scoreWindowSeconds` of chart points); an excluded venue counts as earning nothing.
 */
export function poolSeries(config: Config, histories: readonly VenueHistory[], w: RangeWindow): PoolSeries {
  const x = timeGrid(w.from, w.to, config.web.chartPoints)
  const byId = new Map(histories.map((h) => [h.venue.id, h]))
  const held = histories.filter((h) => h.venue.kind !== 'lst' || holdsCollateral(config, h.venue) || h.points.some((p) => (p.position ?? 0n) > 0n))
  // Per venue, per grid time: index of the newest point at or before it.
  const idxAt = (h: VenueHistory) => holdAt(h.points.map((p, i) => ({ t: p.blockTime, v: i })), x)
  const idx = new Map(held.map((h) => [h.venue.id, idxAt(h)]))
  const collIdx = new Map<string, (number | null)[]>()
  for (const c of config.pool.collateral) {
    const cv = collateralVenueOf(config, c.chain)
    const h = cv && byId.get(cv.id)
    if (h) collIdx.set(c.chain, idxAt(h))
  }
  const collateralApyAt = (chain: string, k: number): number | null => {
    const cv = collateralVenueOf(config, chain)
    const i = collIdx.get(chain)?.[k]
    if (!cv || i === null || i === undefined) return null
    return byId.get(cv.id)!.points[i]!.apy
  }
  const valueAt = (h: VenueHistory, k: number): number | null => {
    const i = idx.get(h.venue.id)![k]
    if (i === null || i === undefined) return null
    const p = h.points[i]!
    if (p.position === null) return 0
    const rates = new Map<string, Pick<VenuePoint, 'available' | 'exchangeRate'>>([[h.venue.id, p]])
    const cv = collateralVenueOf(config, h.venue.chain)
    const ci = collIdx.get(h.venue.chain)?.[k]
    if (cv && ci !== null && ci !== undefined) rates.set(cv.id, byId.get(cv.id)!.points[ci]!)
    const valued = valueInCollateral(config, h.venue, p.position, rates).value
    return valued === null ? null : Number(valued) / 10 ** unitOf(config, h.venue.chain).decimals
  }
  const collateral = held.map((h) => ({ venue: h.venue, values: x.map((_, k) => valueAt(h, k)) }))
  const blendedApy: (number | null)[] = []
  const riskAdjustedApy: (number | null)[] = []
  for (let k = 0; k < x.length; k++) {
    const blend: Array<{ w: number | null; x: number | null }> = []
    const risk: Array<{ w: number | null; x: number | null }> = []
    for (const [j, h] of held.entries()) {
      const i = idx.get(h.venue.id)![k]
      if (i === null || i === undefined) continue
      const wgt = collateral[j]!.values[k] ?? null
      const collApy = collateralApyAt(h.venue.chain, k)
      blend.push({ w: wgt, x: effectiveApy(config, h.venue, h.points[i]!.apy, collApy) })
      if (wgt !== null && wgt > 0) {
        const from = h.points[i]!.blockTime - scoreWindowSecondsOf(config.strategy, h.venue.chain)
        let j = i
        while (j > 0 && h.points[j - 1]!.blockTime > from) j--
        const window = h.points.slice(j, i + 1)
        const score = cachedScore(config, h.venue, window, h.points[i]!.position ?? 0n, collApy)
        risk.push({ w: wgt, x: Number.isFinite(score) ? score : 0 })
      }
    }
    blendedApy.push(weightedMean(blend))
    riskAdjustedApy.push(weightedMean(risk))
  }
  return { x, collateral, blendedApy, riskAdjustedApy }
}
