import type { RiskFacts, VenueKind } from '../config/schema'
import type { Sample } from '../store/types'
import { scoreWindowSecondsOf, type StrategyPolicy } from './policy'

/**
 * Risk-adjusted score of a venue: an expected annual yield (a fraction, like an APY) after the
 * venue's fees and an annual penalty for each risk. PURE: samples, facts and `now` come in as data.
 *
 *   g        = mean APY of the available samples of the last `risk.scoreWindowSeconds` before
 *              `now` (per chain: risk.scoreWindowSecondsByChain; a span, not a count: chains
 *              store samples at different cadences), or the latest APY when lower
 *              (risk.pessimisticGross, default on)                                       (grossApy)
 *   net      = g − c·max(g, 0)          c = commissionBps / 1e4; only if the kind's APY is not
 *                                       already net of commission (policy risk.commissionInApy)
 *   rewards  = net − (1 − u)·max(net, 0)   u = uptime (rewards ∝ uptime); unless risk.uptimeInApy
 *   yield    = rewards + a·(1 + rewards)   a = assetApy: what the venue's asset itself earns
 *                                       (the collateral LST's staking yield for a vault over it)
 *   score    = yield − Σ penalties / 1e4
 *
 * Penalties, in bps per year:
 *   slashing      weight · Σ lossBps · 0.5^(ageDays / halfLifeDays)     recency-weighted past losses
 *   depeg         weight · max(0, 1 − peg)·1e4                           current peg gap (latest sample)
 *   liquidity     maxPenalty · max(0, 1 − withdrawable / position)      only with a position
 *   volatility    weight · stdev(window APYs)·1e4
 *   utilisation   maxPenalty · max(0, (u − from) / (1 − from))
 *   concentration maxPenalty · max(0, (position/TVL − free) / (1 − free))
 *   age           maxPenalty · max(0, 1 − ageDays / matureDays)         unknown launch: unknownPenalty
 *   audits        maxPenalty · max(0, 1 − audits / enough)
 *
 * Excluded (score −∞, `excluded` says why) on evidence that was read: latest sample unavailable,
 * paused, depeg beyond `risk.depeg.excludeAboveBps`. `stuck` (paused or unreadable: its position
 * cannot be withdrawn) tells the allocator to keep the position rather than drain it.
 *
 * Frozen (score −∞, `frozen` says why, `excluded` null): the readings do not cover the window —
 * no sample yet, no APY in the latest sample, or (with `window`) the latest APY's readings reach
 * back less than `window.seconds` (a cold start, a feed that was unreadable or refused). Missing
 * data is never a reason to move: the allocator holds a frozen venue exactly where it is.
 * With `window`, only APYs whose readings cover the whole window enter the mean.
 */

/** The fields of a sample the score reads (a store `Sample` fits). */
export type ScoreSample = Pick<Sample, 'blockNumber' | 'blockTime' | 'available' | 'apy' | 'tvl' | 'utilisation' | 'withdrawable' | 'peg' | 'paused'> & {
  error?: string | null
  /** Seconds the readings behind `apy` reach back (store samples carry it); null/absent = unknown. */
  apySpanSeconds?: number | null
}

export interface ScoreVenue {
  id: string
  chain: string
  kind: VenueKind
  protocol: string
  risk: RiskFacts
}

export interface ScoreInput {
  venue: ScoreVenue
  /** Recent samples of this venue, any order (sorted by block here). */
  samples: readonly ScoreSample[]
  /** The pool's position in the venue now, raw units of the chain's collateral. */
  position: bigint
  /** Unix seconds (normally the latest block's time): protocol age and slashing recency are measured to it. */
  now: number
  /** Annual yield of the venue's asset itself (fraction), compounded onto the venue's own. Default 0. */
  assetApy?: number
  /** The chain's APY window: the latest APY must rest on readings covering it, else the venue is frozen. Absent: any APY counts. */
  window?: { seconds: number }
}

export interface ScoreComponent {
  /** The input the component was computed from (a rate, a share, a count, a date; null = no reading). */
  value: number | string | null
  /** Subtracted from the yield, in bps per year (negative = a bonus, e.g. the asset's own yield). */
  penaltyBps: number
  why: string
}

export interface VenueScore {
  venueId: string
  chain: string
  /** Risk-adjusted APY (fraction); −Infinity when excluded. */
  score: number
  /** Mean of the window's APYs (fraction), null when there is none. */
  grossApy: number | null
  components: Record<string, ScoreComponent>
  /** Why the venue may not receive collateral (null = eligible). */
  excluded: string | null
  /** Why the venue is held exactly where it is for lack of data (null = its readings cover the window). */
  frozen?: string | null
  /** Its position cannot be withdrawn now (paused or unreadable): the allocator keeps it. */
  stuck: boolean
  /** Latest sample's withdrawable liquidity (raw), null when unknown. */
  withdrawable: bigint | null
  /** Block of the latest sample the score is based on (null without samples). */
  sampleBlock: bigint | null
  /**
   * The score's position-dependent penalties at the current position (bps per year, included in
   * `score`) and the latest TVL (raw, the pool's position included; null = no reading). The
   * allocator takes them out of the score and charges concentration at the *target* position and
   * liquidity at the margin (allocate.ts, "Position-dependent penalties"): a move must still pay
   * under the scores it leads to. Absent without samples.
   */
  atPosition?: PositionTerms
}

/** See `VenueScore.atPosition`. */
export interface PositionTerms {
  tvl: bigint | null
  concentrationBps: number
  liquidityBps: number
  /**
   * The part of the score's yield (a fraction per year, at the current position) that is the
   * venue's own income shared by all its depositors (policy risk.dilution × own yield × (1 + asset
   * APY)): with TVL V it pays dilutingApy·V in total, so at a position x it pays dilutingApy·V/(V − current + x)
   * per unit. 0 or absent: the rate does not depend on the pool's position.
   */
  dilutingApy?: number
}

const DAY = 86_400
const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)} %`
const bpsText = (x: number) => `${x.toFixed(x !== 0 && Math.abs(x) < 10 ? 2 : 1)} bps`
const ratio = (a: bigint, b: bigint) => (b === 0n ? 0 : Number((a * 1_000_000_000n) / b) / 1e9)

function parseDay(d: string): number {
  const t = Date.parse(`${d}T00:00:00Z`)
  return Number.isFinite(t) ? t / 1000 : NaN
}

/** Score one venue. See the module comment for the formula. */
export function scoreVenue(input: ScoreInput, policy: StrategyPolicy): VenueScore {
  const { venue, position, now } = input
  const r = policy.risk
  const samples = [...input.samples].sort((a, b) => (a.blockNumber < b.blockNumber ? -1 : a.blockNumber > b.blockNumber ? 1 : 0))
  const latest = samples[samples.length - 1]
  const components: Record<string, ScoreComponent> = {}
  const base = { venueId: venue.id, chain: venue.chain, components }

  if (!latest) return { ...base, score: -Infinity, grossApy: null, excluded: null, frozen: 'held: no sample yet', stuck: true, withdrawable: null, sampleBlock: null }
  const stuck = !latest.available || latest.paused === true
  const withdrawable = latest.available ? latest.withdrawable : null
  const sampleBlock = latest.blockNumber

  // ── yield ──
  const W = input.window?.seconds
  const usable = (s: ScoreSample) => s.available && s.apy !== null && Number.isFinite(s.apy)
  const complete = (s: ScoreSample) => usable(s) && (W === undefined || (s.apySpanSeconds ?? 0) >= W)
  // The score's window is a span of time before `now`: the same span on every chain, whatever its cadence.
  const windowStart = now - scoreWindowSecondsOf(policy, venue.chain)
  const window = samples.filter((s) => complete(s) && s.blockTime > windowStart)
  const apys = window.map((s) => s.apy as number)
  const mean = apys.length ? apys.reduce((a, b) => a + b, 0) / apys.length : null
  const sd = apys.length > 1 ? Math.sqrt(apys.reduce((a, b) => a + (b - mean!) ** 2, 0) / (apys.length - 1)) : 0
  // Believe a fall at once, a rise only as the window fills: a collapsing venue is left in the
  // block the collapse shows, while one good block does not attract collateral.
  const g = mean === null ? null : r.pessimisticGross ? Math.min(mean, apys[apys.length - 1]!) : mean

  const c = venue.risk.commissionBps / 10_000
  const netted = r.commissionInApy[venue.kind]
  const gg = g ?? 0
  const commission = netted ? 0 : c * Math.max(gg, 0)
  components.commission = {
    value: venue.risk.commissionBps,
    penaltyBps: commission * 1e4,
    why: netted
      ? `${pct(c, 1)} commission is already taken before the ${venue.kind} APY we observe (policy risk.commissionInApy.${venue.kind})`
      : `${pct(c, 1)} commission on a gross ${pct(gg)}: net = gross × (1 − commission)`,
  }
  const net = gg - commission
  const u = venue.risk.uptime
  const uptimeIn = r.uptimeInApy[venue.kind]
  const downtime = uptimeIn ? 0 : (1 - u) * Math.max(net, 0)
  components.uptime = {
    value: u,
    penaltyBps: downtime * 1e4,
    why: uptimeIn ? `uptime ${pct(u, 1)} is already reflected in the observed APY (policy risk.uptimeInApy.${venue.kind})` : `rewards ∝ uptime: ${pct(net)} × ${pct(u, 1)} uptime`,
  }
  const rewards = net - downtime
  const a = input.assetApy ?? 0
  const assetBonus = a * (1 + rewards)
  components.assetYield = {
    value: a,
    penaltyBps: -assetBonus * 1e4,
    why: a === 0 ? 'the asset itself earns nothing beyond the venue’s APY (or it is the APY)' : `the venue’s asset itself earns ${pct(a)}, compounded onto the venue’s ${pct(rewards)}`,
  }

  // ── risk penalties ──
  let slash = 0
  const events: string[] = []
  for (const e of venue.risk.slashing) {
    const t = parseDay(e.date)
    const ageDays = Number.isFinite(t) ? Math.max(0, (now - t) / DAY) : 0
    const w = Math.pow(0.5, ageDays / r.slashing.halfLifeDays)
    slash += r.slashing.weight * e.lossBps * w
    events.push(`${e.lossBps} bps on ${e.date} (weight ${w.toFixed(2)})`)
  }
  components.slashing = {
    value: venue.risk.slashing.length,
    penaltyBps: slash,
    why: events.length ? `past losses, halving every ${r.slashing.halfLifeDays} d: ${events.join('; ')}` : 'no slashing recorded',
  }

  const peg = latest.peg
  const gapBps = peg === null || !Number.isFinite(peg) ? 0 : Math.max(0, 1 - peg) * 1e4
  components.depeg = {
    value: peg,
    penaltyBps: r.depeg.weight * gapBps,
    why: peg === null ? 'no peg feed' : gapBps > 0 ? `trades ${bpsText(gapBps)} under its backing` : 'on peg',
  }

  let liq = 0
  let liqWhy = 'no position to withdraw'
  if (position > 0n) {
    if (withdrawable === null) liqWhy = 'no liquidity reading'
    else {
      const cover = Math.min(1, ratio(withdrawable, position))
      liq = r.liquidity.maxPenaltyBps * (1 - cover)
      liqWhy = cover >= 1 ? 'the whole position can be withdrawn now' : `only ${pct(cover, 1)} of the position can be withdrawn now`
    }
  }
  components.liquidity = { value: withdrawable === null ? null : withdrawable.toString(), penaltyBps: liq, why: liqWhy }

  components.volatility = {
    value: sd,
    penaltyBps: r.volatility.weight * sd * 1e4,
    why: apys.length > 1 ? `APY stdev ${bpsText(sd * 1e4)} over ${apys.length} samples` : 'fewer than two APY samples',
  }

  const util = latest.utilisation
  const from = r.utilisation.fromBps / 10_000
  const utilPen = util === null || from >= 1 ? 0 : r.utilisation.maxPenaltyBps * Math.max(0, (Math.min(util, 1) - from) / (1 - from))
  components.utilisation = {
    value: util,
    penaltyBps: utilPen,
    why: util === null ? 'no utilisation (not a lending market)' : util > from ? `utilisation ${pct(util, 1)} above ${pct(from, 0)}: exit risk` : `utilisation ${pct(util, 1)}`,
  }

  const tvl = latest.tvl
  const share = tvl === null || tvl <= 0n ? null : ratio(position, tvl)
  const free = r.concentration.freeShareBps / 10_000
  const concPen = share === null || free >= 1 ? 0 : r.concentration.maxPenaltyBps * Math.max(0, (Math.min(share, 1) - free) / (1 - free))
  components.concentration = {
    value: share,
    penaltyBps: concPen,
    why: share === null ? 'no TVL reading' : `the pool holds ${pct(share)} of the venue’s TVL${share > free ? ` (free up to ${pct(free, 0)})` : ''}`,
  }

  const launched = venue.risk.launchDate ? parseDay(venue.risk.launchDate) : NaN
  const ageDays = Number.isFinite(launched) ? Math.max(0, (now - launched) / DAY) : null
  components.age = {
    value: venue.risk.launchDate ?? null,
    penaltyBps: ageDays === null ? r.age.unknownPenaltyBps : r.age.maxPenaltyBps * Math.max(0, 1 - ageDays / r.age.matureDays),
    why: ageDays === null ? 'launch date unknown' : `launched ${Math.floor(ageDays)} days ago (mature after ${r.age.matureDays})`,
  }

  const audits = venue.risk.audits
  components.audits = {
    value: audits,
    penaltyBps: r.audits.maxPenaltyBps * Math.max(0, 1 - audits / r.audits.enough),
    why: `${audits} audit${audits === 1 ? '' : 's'} (enough: ${r.audits.enough})`,
  }

  const penalties = Object.entries(components)
    .filter(([k]) => k !== 'commission' && k !== 'uptime' && k !== 'assetYield')
    .reduce((s, [, v]) => s + v.penaltyBps, 0)
  const yieldAfterFees = rewards + assetBonus
  const score = yieldAfterFees - penalties / 1e4

  // Evidence that was read excludes (an exit may follow); missing data freezes (the position stays).
  let excluded: string | null = null
  let frozen: string | null = null
  if (!latest.available) excluded = `unavailable at block ${latest.blockNumber}${latest.error ? `: ${latest.error}` : ''}`
  else if (latest.paused === true) excluded = `paused at block ${latest.blockNumber}`
  else if (gapBps > r.depeg.excludeAboveBps) excluded = `depeg ${bpsText(gapBps)} beyond ${r.depeg.excludeAboveBps} bps`
  else if (!usable(latest)) frozen = `held: no APY reading at block ${latest.blockNumber}${latest.error ? ` (${latest.error})` : ''}`
  else if (!complete(latest)) frozen = `held: no APY reading for ${duration(W! - (latest.apySpanSeconds ?? 0))} of ${duration(W!)}`
  else if (g === null) frozen = 'held: no APY reading in the window'

  // Yield dilution (policy risk.dilution): the share of the venue's own yield (after fees and uptime,
  // compounded with the asset's) that its depositors share — what a deposit dilutes, a withdrawal concentrates.
  const dilutingApy = (r.dilution[venue.kind] ?? 0) * Math.max(0, rewards) * (1 + a)
  const atPosition: PositionTerms = { tvl: tvl !== null && tvl > 0n ? tvl : null, concentrationBps: concPen, liquidityBps: liq, dilutingApy }
  return { ...base, score: excluded || frozen ? -Infinity : score, grossApy: g, excluded, frozen, stuck, withdrawable, sampleBlock, atPosition }
}

/** A span of seconds in the largest unit that keeps it readable: "45 s", "14 min", "14 h", "3 d". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 120) return `${s} s`
  if (s < 7_200) return `${Math.round(s / 60)} min`
  if (s < 2 * DAY) return `${Math.round(s / 3_600)} h`
  return `${Math.round(s / DAY)} d`
}

/** One line per component, largest penalty first: the answer to "why this score". */
export function explainScore(s: VenueScore): string {
  const head = s.excluded
    ? `${s.venueId}: excluded (${s.excluded})${s.stuck ? ', position stuck' : ''}`
    : s.frozen
      ? `${s.venueId}: ${s.frozen}`
      : `${s.venueId}: score ${pct(s.score)} from gross ${s.grossApy === null ? '—' : pct(s.grossApy)}`
  const lines = Object.entries(s.components)
    .sort(([ka, a], [kb, b]) => Math.abs(b.penaltyBps) - Math.abs(a.penaltyBps) || ka.localeCompare(kb))
    .map(([k, c]) => `  ${k.padEnd(13)} ${(c.penaltyBps === 0 ? '0' : (c.penaltyBps > 0 ? '−' : '+') + bpsText(Math.abs(c.penaltyBps))).padStart(12)}  ${c.why}`)
  return [head, ...lines].join('\n')
}
