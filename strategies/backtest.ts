import type { RiskFacts, VenueKind } from '../config/schema'
import type { Sample } from '../store/types'
import { allocate, type Allocation } from './allocate'
import { type AllocationInput, type AllocationVenue, toRaw } from './constraints'
import { buildPlan } from './plan'
import { strategyPolicySchema, type StrategyPolicy } from './policy'
import { scoreVenue, type VenueScore } from './risk'

/**
 * Backtest: replays the strategy over recorded samples and compares it with holding still and
 * with a hindsight oracle. PURE: the samples come in as data (as the store returns them).
 *
 * Timeline: `steps[k]` holds the samples of one step (one block per chain; a venue without a
 * sample in a step keeps its last one). Between steps, every position grows by its venue's realised
 * yield: the exchange-rate ratio of consecutive available samples (a slashing shows as a loss), or
 * (1 + apy)^(Δt / year) without rates; times the growth of the venue's asset (`assetVenueId`, e.g.
 * the collateral LST under a vault) so that all values are in the same unit.
 *
 * - strategy: every `rebalanceEvery` steps (from the first full window), scores from the samples
 *   seen so far, `allocate` with the policy (move budget per period, cooldowns, hysteresis),
 *   `buildPlan` for the steps and their costs: slippage and queue costs come off the collateral
 *   that moved (what arrives is smaller), gas is paid from outside the positions (the native token)
 *   and subtracted from the strategy's final value.
 * - hold: the initial positions, never moved.
 * - oracle: at the same times (and at step 0), knows each venue's realised yield until the next
 *   rebalance and allocates on it under the same caps, buffer and stuck venues, with no move budget,
 *   cooldown, hysteresis or costs: an upper bound for any strategy on this schedule.
 */

export interface BacktestVenue {
  id: string
  chain: string
  protocol: string
  kind: VenueKind
  risk: RiskFacts
  caps?: { maxAmount?: number | undefined; maxShareBps?: number | undefined }
  /** The venue whose yield the venue's asset itself earns (the collateral LST venue, for a vault over it). */
  assetVenueId?: string
}

export interface BacktestChain {
  name: string
  decimals: number
  idleVenueId: string
}

export interface BacktestInput {
  /** Samples per step, oldest first. */
  steps: readonly (readonly Sample[])[]
  venues: readonly BacktestVenue[]
  chains: readonly BacktestChain[]
  /** Positions at the first step, raw units. */
  initial: Readonly<Record<string, bigint>>
  policy: StrategyPolicy
  /** Rebalance every N steps. */
  rebalanceEvery: number
}

export interface BacktestLeg {
  /** Collateral units (all chains). */
  finalValue: number
  gain: number
  /** Annualised over the backtest's duration. */
  annualisedYield: number
  rebalances: number
  steps: number
  /** Move costs paid (gas, slippage, queue), collateral units. */
  costs: number
  moved: number
}

export interface BacktestResult {
  steps: number
  days: number
  initialValue: number
  strategy: BacktestLeg
  hold: BacktestLeg
  oracle: BacktestLeg
  /** (strategy − hold) / (oracle − hold): the share of the hindsight gain the strategy captured (null when the oracle gains nothing over holding). */
  captured: number | null
}

const YEAR = 365 * 86_400

type Positions = Map<string, number>

export function backtest(input: BacktestInput): BacktestResult {
  const { policy, steps } = input
  if (steps.length === 0) throw new RangeError('backtest: no samples')
  if (!(input.rebalanceEvery >= 1)) throw new RangeError('backtest: rebalanceEvery must be ≥ 1')
  const dec = new Map(input.chains.map((c) => [c.name, c.decimals]))
  const venues = [...input.venues].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const initial: Positions = new Map(venues.map((v) => [v.id, Number(input.initial[v.id] ?? 0n) / 10 ** dec.get(v.chain)!]))
  const total = (p: Positions) => [...p.values()].reduce((a, b) => a + b, 0)

  // Latest sample per venue at each step, and each venue's realised growth from step k−1 to k.
  const latest: Map<string, Sample>[] = []
  const growth: Map<string, number>[] = []
  const history = new Map<string, Sample[]>()
  const times: number[] = []
  let prev = new Map<string, Sample>()
  for (let k = 0; k < steps.length; k++) {
    const now = new Map(prev)
    for (const s of steps[k]!) now.set(s.venueId, s)
    const own = new Map<string, number>()
    for (const v of venues) {
      const a = prev.get(v.id)
      const b = now.get(v.id)
      own.set(v.id, k === 0 || !a || !b || a === b ? 1 : realisedGrowth(a, b))
    }
    const g = new Map<string, number>()
    for (const v of venues) g.set(v.id, own.get(v.id)! * (v.assetVenueId ? (own.get(v.assetVenueId) ?? 1) : 1))
    latest.push(now)
    growth.push(g)
    times.push(Math.max(0, ...[...now.values()].map((s) => s.blockTime)))
    prev = now
  }
  const seconds = times[times.length - 1]! - times[0]!

  const grow = (p: Positions, k: number) => {
    for (const [id, x] of p) p.set(id, x * growth[k]!.get(id)!)
  }

  type Running = BacktestLeg & { positions: Positions; gas: number }
  const leg = (): Running => ({ positions: new Map(initial), gas: 0, finalValue: 0, gain: 0, annualisedYield: 0, rebalances: 0, steps: 0, costs: 0, moved: 0 })
  const strat = leg()
  const hold = leg()
  const oracle = leg()
  const lastMoved = new Map<string, bigint>()
  const moves: { chain: string; block: bigint; raw: bigint }[] = []
  const oraclePolicy = strategyPolicySchema.parse({
    allocation: {
      ...policy.allocation,
      maxMovePerPeriodBps: 10_000,
      hysteresisBps: 0,
      cooldownBlocks: 0,
      cooldownBlocksByVenue: {},
    },
    costs: { gasPerStep: 0, byKind: { lst: { slippageBps: 0 }, erc4626: { slippageBps: 0 }, 'aave-v3': { slippageBps: 0 } } },
  })

  const window = policy.risk.apyWindowSamples
  for (let k = 0; k < steps.length; k++) {
    for (const s of steps[k]!) {
      const h = history.get(s.venueId) ?? []
      h.push(s)
      if (h.length > window + 1) h.shift()
      history.set(s.venueId, h)
    }
    if (k > 0) {
      grow(strat.positions, k)
      grow(hold.positions, k)
      grow(oracle.positions, k)
    }
    const at = latest[k]!
    const blockOf = (chain: string) => {
      let b = 0n
      for (const s of at.values()) if (s.chain === chain && s.blockNumber > b) b = s.blockNumber
      return b
    }

    // ── oracle: knows the realised yield until the next rebalance ──
    if (k % input.rebalanceEvery === 0 && k < steps.length - 1) {
      const end = Math.min(steps.length - 1, k + input.rebalanceEvery)
      const dt = times[end]! - times[k]!
      const realised = new Map<string, number>()
      for (const v of venues) {
        let g = 1
        for (let j = k + 1; j <= end; j++) g *= growth[j]!.get(v.id)!
        realised.set(v.id, dt > 0 ? Math.pow(g, YEAR / dt) - 1 : g - 1)
      }
      const a = allocate(allocationInput(oracle.positions, (v) => ({ score: realised.get(v.id)!, excluded: null, stuck: isStuck(at.get(v.id)) }), oraclePolicy, blockOf, new Map()))
      apply(oracle, a)
    }

    // ── strategy: decides on what it has seen ──
    if (k > 0 && k % input.rebalanceEvery === 0) {
      const scores = scoreAll(k)
      const chainBlock = new Map(input.chains.map((c) => [c.name, blockOf(c.name)]))
      const moved = new Map<string, bigint>()
      for (const m of moves) if (chainBlock.get(m.chain)! - m.block < BigInt(policy.allocation.periodBlocks)) moved.set(m.chain, (moved.get(m.chain) ?? 0n) + m.raw)
      const a = allocate(
        allocationInput(
          strat.positions,
          (v) => {
            const s = scores.get(v.id)!
            return { score: s.score, excluded: s.excluded, stuck: s.stuck, withdrawable: s.withdrawable, lastMovedBlock: lastMoved.get(v.id) ?? null }
          },
          policy,
          blockOf,
          moved,
        ),
      )
      if (a.targets.some((t) => t.delta !== 0n)) {
        const plan = buildPlan({
          current: new Map(a.targets.map((t) => [t.venueId, t.current])),
          target: new Map(a.targets.map((t) => [t.venueId, t.target])),
          scores: [...scores.values()],
          venues,
          chains: input.chains.map((c) => ({ ...c, sampleBlock: chainBlock.get(c.name)!, headBlock: chainBlock.get(c.name)! })),
          policy,
        })
        for (const s of plan.steps) lastMoved.set(s.venueId, chainBlock.get(s.chain)!)
        for (const c of input.chains) {
          let w = 0n
          let d = 0n
          for (const s of plan.steps) {
            if (s.chain !== c.name) continue
            if (s.kind === 'withdraw') w += s.amount
            else d += s.amount
          }
          if (w > 0n || d > 0n) moves.push({ chain: c.name, block: chainBlock.get(c.name)!, raw: w > d ? w : d })
        }
        apply(strat, a)
        for (const s of plan.steps) {
          const lands = s.kind === 'deposit' ? s.venueId : input.chains.find((c) => c.name === s.chain)!.idleVenueId
          strat.positions.set(lands, strat.positions.get(lands)! - s.costs.slippage - s.costs.queue)
          strat.gas += s.costs.gas
          strat.costs += s.cost
        }
      }
    }
  }

  function scoreAll(k: number): Map<string, VenueScore> {
    const now = times[k]!
    const out = new Map<string, VenueScore>()
    const raw = (v: BacktestVenue) => toRaw(Math.max(0, strat.positions.get(v.id)!), dec.get(v.chain)!)
    const base = (v: BacktestVenue, assetApy?: number) => scoreVenue({ venue: v, samples: history.get(v.id) ?? [], position: raw(v), now, assetApy }, policy)
    for (const v of venues) out.set(v.id, base(v))
    for (const v of venues) {
      if (!v.assetVenueId) continue
      const a = out.get(v.assetVenueId)?.grossApy
      if (a != null) out.set(v.id, base(v, a))
    }
    return out
  }

  function allocationInput(
    p: Positions,
    f: (v: BacktestVenue) => Pick<AllocationVenue, 'score' | 'excluded' | 'stuck'> & Partial<AllocationVenue>,
    pol: StrategyPolicy,
    blockOf: (chain: string) => bigint,
    moved: Map<string, bigint>,
  ): AllocationInput {
    return {
      policy: pol,
      chains: input.chains.map((c) => ({ name: c.name, decimals: c.decimals, idleVenueId: c.idleVenueId, blockNumber: blockOf(c.name), movedThisPeriod: moved.get(c.name) ?? 0n })),
      venues: venues.map((v) => ({ id: v.id, chain: v.chain, protocol: v.protocol, kind: v.kind, caps: v.caps ?? {}, current: toRaw(Math.max(0, p.get(v.id)!), dec.get(v.chain)!), ...f(v) })),
    }
  }

  function apply(l: Running, a: Allocation) {
    const changed = a.targets.filter((t) => t.delta !== 0n)
    if (!changed.length) return
    l.rebalances++
    for (const t of a.targets) {
      const d = dec.get(t.chain)!
      // Keep the sub-raw-unit remainder of the float position where it was (it is not moved).
      const before = l.positions.get(t.venueId)!
      l.positions.set(t.venueId, before - Number(t.current) / 10 ** d + Number(t.target) / 10 ** d)
      if (!t.idle) l.steps++
    }
    l.moved += a.moved
  }

  const initialValue = total(initial)
  const years = seconds / YEAR
  const finish = (l: Running): BacktestLeg => {
    const finalValue = total(l.positions) - l.gas
    const { positions: _p, gas: _g, ...rest } = l
    return {
      ...rest,
      finalValue,
      gain: finalValue - initialValue,
      annualisedYield: initialValue > 0 && years > 0 ? Math.pow(finalValue / initialValue, 1 / years) - 1 : 0,
    }
  }
  const s = finish(strat)
  const h = finish(hold)
  const o = finish(oracle)
  return {
    steps: steps.length,
    days: seconds / 86_400,
    initialValue,
    strategy: s,
    hold: h,
    oracle: o,
    captured: o.gain - h.gain > 1e-12 ? (s.gain - h.gain) / (o.gain - h.gain) : null,
  }
}

const isStuck = (s: Sample | undefined) => !s || !s.available || s.paused === true

/** Growth of a position between two samples of its venue: exchange-rate ratio, else the APY over the interval. */
export function realisedGrowth(a: Sample, b: Sample): number {
  if (!b.available) return 1
  if (a.available && a.exchangeRate && b.exchangeRate && a.exchangeRate > 0n) {
    return Number((b.exchangeRate * 1_000_000_000_000n) / a.exchangeRate) / 1e12
  }
  const dt = b.blockTime - a.blockTime
  return b.apy != null && dt > 0 ? Math.pow(1 + b.apy, dt / YEAR) : 1
}
