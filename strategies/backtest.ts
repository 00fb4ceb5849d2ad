import type { RiskFacts, VenueKind } from '../config/schema'
import type { Sample } from '../store/types'
import { allocate, type Allocation } from './allocate'
import { type AllocationInput, type AllocationRoute, type AllocationTransfer, type AllocationVenue, bridgeReceived, bridgeSendable, toRaw } from './constraints'
import { bridgeCost, stepCost } from './costs'
import { venueLiquidity } from './liquidity'
import { strategyPolicySchema, type StrategyPolicy } from './policy'
import { scoreVenue, type VenueScore } from './risk'

/**
 * Backtest: replays four contenders over a timeline of samples, with the SAME move costs for every
 * one of them. PURE: the samples come in as data (recorded by the watcher, or computed from the
 * devnet's market model in fast-forward, devnet/market.ts `marketSamples`).
 *
 * Timeline: `steps[k]` holds the samples of one step (one block per chain; a venue without a
 * sample in a step keeps its last one). Between steps, every position grows by its venue's realised
 * yield: the exchange-rate ratio of consecutive available samples (a slashing shows as a loss), or
 * (1 + apy)^(Δt / year) without rates; times the growth of the venue's asset (`assetVenueId`, e.g.
 * the collateral LST under a vault) so that all values are in the same unit.
 *
 * Contenders decide every `rebalanceEvery` steps, from step `warmupSteps` (default: when the
 * strategy's APY window is full) until the step before the last:
 * - poolwarden: scores from the samples seen so far (`scoreVenue`), `allocate` with the policy
 *   (move budget per period, cooldowns, hysteresis, caps, buffer; bridge routes if given) — the
 *   strategist's own code; its target becomes steps as `buildPlan` makes them.
 * - hold: the initial positions, never moved.
 * - chaser (the naive peer): moves everything it can withdraw into the venue with the highest
 *   latest APY (over the whole pool where a bridge route leads there, else per chain) whenever that
 *   is not where its collateral already is; no caps, no buffer; it skips amounts below a millionth
 *   of the pool (dust).
 * - oracle (hindsight, paying the same costs): knows each venue's realised yield over the next
 *   H days (or until the end, whichever is first) — its own gains diluted by its own position as
 *   the world dilutes them, and how a move changes that (`atPosition.dilutingApy`) — and allocates
 *   on it under the same caps, buffer and liquidity, with no move budget, cooldown, hysteresis or
 *   risk charge; the move costs are amortised over that same look-ahead, so it moves only where the
 *   realised gain repays them. One oracle runs per look-ahead H in `oracleHorizonsDays` (default 1,
 *   3, 7 and the policy's horizonDays), and the best in hindsight is reported: a single 30-day
 *   look-ahead left a boost vault 30 days before a loss it foresaw and never saw a 2-day regime
 *   (the 90-day scenario: 30 d +136.3 bps, 3 d +150.0).
 *
 * Yield dilution (`dilution`, fast-forward: the scenario's `backtest.dilution`): a vault's or a
 * lending market's own yield is an income its whole TVL shares, so a contender's gains in a venue
 * are those of the samples × (T + P0)/(T + P) (`dilutionFactor`: T the others' funds, P0 the pool's
 * starting position the samples' rates were read with, P what the contender holds there); a loss
 * is not diluted. Every contender's growth and the APYs it reads (the chaser's latest, poolwarden's
 * window) are its own world's.
 *
 * Costs, identical for all: each contender's target becomes plan steps (withdraw and deposit per
 * venue, bridge and redeem per transfer, as `buildPlan` makes them), and every step pays its cost
 * from costs.ts (`stepCost`, `bridgeCost`, as in a plan): gas per step of the chain (paid from outside the positions, the
 * native token, subtracted from the final value); slippage and queue off the collateral that moved;
 * a bridge's fee and time in flight off what arrives.
 *
 * Figures per contender: realised yield (bps over the window and annualised), moves (plan steps:
 * withdraw, bridge, redeem, deposit), costs paid, worst drawdown (peak to trough of the value marked
 * at the samples' pegs, gas paid counted), and exposure: pool-days spent in a venue while it was
 * paused or depegged by `depegBps` or more.
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
  /** First step at which the contenders decide (default: the strategy's score window is full: risk.scoreWindowSeconds in steps, − 1). */
  warmupSteps?: number
  /** Bridge routes (collateral may move between chains); none: each chain's collateral stays on it. */
  routes?: readonly AllocationRoute[]
  /** A peg gap from this many bps counts as depegged for the exposure figure (default 100, the depeg alert's). */
  depegBps?: number
  /**
   * The samples' TVL leaves the pool's own position out (fast-forward: the other depositors' funds):
   * the strategy scores each venue with its TVL plus its own position, as the watcher would read it.
   */
  tvlExcludesPool?: boolean
  /**
   * Yield dilution in the backtest's world, per venue kind: the share (0–1) of a venue's own yield
   * that is a fixed income shared by all its depositors (see `dilutionFactor`). The samples' rates
   * are the venue's with the pool at its starting position; in a contender's world where the pool
   * holds P instead of P0, a venue with the others' funds T pays its own yield × (1 − s + s·(T + P0)/(T + P))
   * on its gains (a loss — a strategy loss, a slash — hits every unit of assets alike: not diluted).
   * The APYs a contender reads (the chaser's latest APY, poolwarden's window) are its own world's.
   * Absent: none (the samples' rates whatever the pool holds).
   */
  dilution?: Partial<Record<VenueKind, number>>
  /**
   * Look-aheads (days) of the hindsight oracle: one oracle runs per look-ahead (each amortising costs
   * over its own), and the best of them is reported as the oracle (`oracleHorizonDays`). Default
   * [1, 3, 7, policy allocation.horizonDays]: a single 30-day look-ahead left a venue 30 days before
   * a loss it foresaw, and never saw a 2-day regime.
   */
  oracleHorizonsDays?: readonly number[]
  /** Called after each step's decisions with each contender's positions (collateral units; oracles named `oracle-<H>d`): for analysis. */
  observe?: (step: number, contender: string, positions: ReadonlyMap<string, number>) => void
}

export type ContenderName = 'hold' | 'chaser' | 'poolwarden' | 'oracle'

export interface BacktestLeg {
  name: ContenderName
  /** Collateral units (all chains), gas paid subtracted. */
  finalValue: number
  gain: number
  /** Realised yield over the window, bps of the initial value. */
  yieldBps: number
  /** Annualised over the backtest's duration. */
  annualisedYield: number
  /** Plans made. */
  rebalances: number
  /** Plan steps (transactions): withdraw, bridge, redeem, deposit. */
  moves: number
  /** Move costs paid (gas, slippage, queue, bridge fee and time in flight), collateral units. */
  costs: number
  /** Collateral moved, collateral units. */
  moved: number
  /** Worst peak-to-trough fall of the value marked at the samples' pegs, bps. */
  maxDrawdownBps: number
  /** Pool-days spent in venues while they were paused or depegged (share of the pool × days). */
  exposureDays: number
  /** Every executed step with what it paid (collateral units; `gas` is part of `cost`). */
  paid: PaidStep[]
}

export interface PaidStep {
  /** The backtest step it executed at. */
  step: number
  kind: 'withdraw' | 'deposit' | 'bridge' | 'redeem'
  chain: string
  venueKind: VenueKind
  /** A bridge's destination chain. */
  to?: string
  /** Collateral units the step moved (a bridge: what left). */
  amount: number
  cost: number
  gas: number
}

export interface BacktestResult {
  steps: number
  days: number
  initialValue: number
  /** Side by side: hold, chaser, poolwarden, oracle. */
  legs: BacktestLeg[]
  hold: BacktestLeg
  chaser: BacktestLeg
  strategy: BacktestLeg
  oracle: BacktestLeg
  /** The look-ahead of the best oracle (the one reported), days; every look-ahead's figures in `oracles`. */
  oracleHorizonDays: number
  oracles: { horizonDays: number; leg: BacktestLeg }[]
  /** (poolwarden − hold) / (oracle − hold), the oracle paying the same costs (null when it gains nothing over holding). */
  captured: number | null
  /** E.g. the window is shorter than the horizon move costs are amortised over. */
  warnings: string[]
}

const YEAR = 365 * 86_400
const DAY = 86_400

/** One step of a contender's plan: amount raw; cost one-off, collateral units, of which `gas` is paid from outside. */
interface Move {
  kind: 'withdraw' | 'deposit' | 'bridge' | 'redeem'
  chain: string
  venueId: string
  amount: bigint
  /** The step's cost for an amount (collateral units; costs.ts): a step that executes only in part pays for what it moved. */
  price: (amount: number) => { total: number; gas: number }
  /** A bridge's destination chain. */
  to?: string
}
interface Moves {
  steps: Move[]
  moved: number
}

type Positions = Map<string, number>

/**
 * The warning for a window shorter than the policy's cost horizon (`allocation.horizonDays`): a
 * move is worth making when its gain repays its costs over that horizon, so over a shorter window
 * costs dominate and every contender that moves looks worse than holding. Null when long enough.
 */
export function shortWindowWarning(days: number, horizonDays: number): string | null {
  if (days >= horizonDays) return null
  const span = days * 24 < 1 ? `${(days * 1440).toFixed(1)} min` : days < 1 ? `${(days * 24).toFixed(2)} h` : `${days.toFixed(1)} d`
  return (
    `warning: this window is ${span}, shorter than the ${horizonDays} d over which move costs are amortised (strategy.allocation.horizonDays): ` +
    `costs dominate short horizons, so a strategy that moves cannot repay them yet; judge it over ≥ ${horizonDays} d (npm run backtest -- --scenario backtest-90d)`
  )
}

export function backtest(input: BacktestInput): BacktestResult {
  const { policy, steps } = input
  if (steps.length === 0) throw new RangeError('backtest: no samples')
  if (!(input.rebalanceEvery >= 1)) throw new RangeError('backtest: rebalanceEvery must be ≥ 1')
  const last = steps.length - 1
  // The score window (seconds) in steps (hourly in the fast-forward), from the steps' own spacing.
  const t0 = Math.min(...steps[0]!.map((s) => s.blockTime))
  const tN = Math.max(...steps[last]!.map((s) => s.blockTime))
  const stepSeconds = last > 0 && tN > t0 ? (tN - t0) / last : 3_600
  const windowSteps = Math.max(1, Math.ceil(Math.max(policy.risk.scoreWindowSeconds, ...Object.values(policy.risk.scoreWindowSecondsByChain)) / stepSeconds - 1e-9))
  const warmup = input.warmupSteps ?? Math.max(0, windowSteps - 1)
  const depegGap = (input.depegBps ?? 100) / 10_000
  const routes = input.routes ?? []
  const dec = new Map(input.chains.map((c) => [c.name, c.decimals]))
  const chainOf = new Map(input.chains.map((c) => [c.name, c]))
  const venues = [...input.venues].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const venueById = new Map(venues.map((v) => [v.id, v]))
  const idleIds = new Set(input.chains.map((c) => c.idleVenueId))
  const initial: Positions = new Map(venues.map((v) => [v.id, Number(input.initial[v.id] ?? 0n) / 10 ** dec.get(v.chain)!]))
  const total = (p: Positions) => [...p.values()].reduce((a, b) => a + b, 0)
  const raw = (p: Positions, v: { id: string; chain: string }) => toRaw(Math.max(0, p.get(v.id)!), dec.get(v.chain)!)

  /**
   * A venue's sample as the watcher would read it in a contender's own world, where the pool holds
   * `position` (raw). Recorded samples are what they are. Fast-forward samples (`tvlExcludesPool`)
   * carry the other depositors' funds: the pool's position joins the TVL, and the venue's liquidity
   * W keeps the sample's liquid share (withdrawable / TVL: a vault's idle share, a market's
   * unborrowed share) of the larger TVL; the pool's withdrawable is then min(position, W), as the
   * adapters read it (maxWithdraw; min(available, balance)).
   */
  const viewOf = (v: BacktestVenue, s: Sample | undefined, position: bigint): Sample | undefined => {
    if (!s || !input.tvlExcludesPool || s.tvl === null) return s
    const tvl = s.tvl + position
    const w = liquidityOf(v, s, position)
    return { ...s, tvl, withdrawable: w === null ? s.withdrawable : w < position ? w : position }
  }
  /**
   * The venue's withdrawable liquidity (raw, all holders) in a contender's world where the pool
   * holds `position`: fast-forward, the liquid share of the TVL with the pool in it; recorded
   * samples, the pool's own withdrawable as read (null: no limit known). Idle collateral and LSTs
   * held directly: no limit (tokens in hand).
   */
  function liquidityOf(v: BacktestVenue, s: Sample | undefined, position: bigint): bigint | null {
    if (!s || !s.available || idleIds.has(v.id) || v.kind === 'lst' || s.withdrawable === null) return null
    if (!input.tvlExcludesPool) return s.withdrawable
    if (s.tvl === null || s.tvl <= 0n) return s.withdrawable
    return s.withdrawable + (s.withdrawable * position) / s.tvl
  }
  /** What the allocator is told about a venue's liquidity, as the live strategist builds it (plans/proposePlan.ts readChain). */
  const liquidityInput = (v: BacktestVenue, view: Sample | undefined, position: bigint) => {
    const l = idleIds.has(v.id) ? { liquidity: null, perDeposit: 1 } : venueLiquidity(v.kind, view, position)
    return { liquidity: l.liquidity, liquidityPerDeposit: l.perDeposit }
  }

  // Latest sample per venue at each step, and each venue's realised growth from step k−1 to k.
  const latest: Map<string, Sample>[] = []
  /** Each venue's own growth from step k−1 to k (its exchange rate; the asset's apart), at the samples' (reference) positions. */
  const ownGrowth: Map<string, number>[] = []
  const growth: Map<string, number>[] = []
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
    ownGrowth.push(own)
    growth.push(g)
    times.push(Math.max(0, ...[...now.values()].map((s) => s.blockTime)))
    prev = now
  }
  const seconds = times[last]! - times[0]!
  // Σ log growth up to step k, per venue — the venue's own gains, its own losses, its asset's growth
  // apart (only gains dilute): the oracle's look-ahead in O(1).
  const logSums = new Map(venues.map((v) => [v.id, { gain: [] as number[], loss: [] as number[], asset: [] as number[] }]))
  for (const v of venues) {
    const acc = logSums.get(v.id)!
    let gain = 0
    let loss = 0
    let asset = 0
    for (let k = 0; k < steps.length; k++) {
      const o = Math.log(Math.max(1e-300, ownGrowth[k]!.get(v.id)!))
      if (o > 0) gain += o
      else loss += o
      if (v.assetVenueId) asset += Math.log(Math.max(1e-300, ownGrowth[k]!.get(v.assetVenueId) ?? 1))
      acc.gain.push(gain)
      acc.loss.push(loss)
      acc.asset.push(asset)
    }
  }

  /**
   * Yield dilution (`input.dilution`): the factor on a venue's own gains in a contender's world
   * where the pool holds `position` (collateral units) over a step whose sample is `s` — see
   * `dilutionFactor`. 1 without dilution, for idle collateral, or without a TVL reading.
   */
  const dilutionOf = (v: BacktestVenue, s: Sample | undefined, position: number): number => {
    const share = input.dilution?.[v.kind] ?? 0
    if (!(share > 0) || idleIds.has(v.id) || !s || s.tvl === null) return 1
    const d = dec.get(v.chain)!
    const tvl = Number(s.tvl) / 10 ** d
    const start = Number(input.initial[v.id] ?? 0n) / 10 ** d
    return dilutionFactor({ share, othersTvl: input.tvlExcludesPool ? tvl : Math.max(0, tvl - start), startPosition: start, position })
  }
  /** A sample as a contender reads it in its own world: the APY of the gains it diluted (a loss stays a loss). */
  const seenBy = (v: BacktestVenue, s: Sample, position: number): Sample => {
    if (s.apy === null || !(s.apy > 0)) return s
    const f = dilutionOf(v, s, position)
    return f === 1 ? s : { ...s, apy: Math.pow(1 + s.apy, f) - 1 }
  }

  /** `seen`: the latest sample of each venue as the contender reads it in its own world (its APYs diluted by its own positions). */
  type Running = Omit<BacktestLeg, 'finalValue' | 'gain' | 'yieldBps' | 'annualisedYield'> & { positions: Positions; gas: number; peak: number; seen: Map<string, Sample> }
  // The peak starts at the initial value: costs paid at the first decision are a drawdown.
  const leg = (name: ContenderName): Running => ({ name, positions: new Map(initial), gas: 0, peak: total(initial), rebalances: 0, moves: 0, costs: 0, moved: 0, maxDrawdownBps: 0, exposureDays: 0, paid: [], seen: new Map() })
  const hold = leg('hold')
  const chaser = leg('chaser')
  const strat = leg('poolwarden')
  const horizons = [...new Set((input.oracleHorizonsDays ?? [1, 3, 7, policy.allocation.horizonDays]).filter((d) => d > 0))].sort((a, b) => a - b)
  if (horizons.length === 0) throw new RangeError('backtest: oracleHorizonsDays needs a look-ahead > 0')
  const oracles = horizons.map((horizonDays) => ({ horizonDays, leg: leg('oracle') }))
  const all = [hold, chaser, strat, ...oracles.map((o) => o.leg)]

  const lastMoved = new Map<string, bigint>()
  const moves: { chain: string; block: bigint; raw: bigint }[] = []
  const history = new Map<string, Sample[]>()
  const window = windowSteps
  const oraclePolicies = new Map<number, StrategyPolicy>()
  const oraclePolicy = (horizonDays: number): StrategyPolicy => {
    let p = oraclePolicies.get(horizonDays)
    if (!p) {
      p = strategyPolicySchema.parse({
        ...policy,
        allocation: { ...policy.allocation, maxMovePerPeriodBps: 10_000, hysteresisBps: 0, cooldownBlocks: 0, cooldownBlocksByVenue: {}, horizonDays },
        // The oracle knows the realised yield (dilution included, below): no risk charge on top.
        risk: { ...policy.risk, concentration: { ...policy.risk.concentration, maxPenaltyBps: 0 }, liquidity: { ...policy.risk.liquidity, maxPenaltyBps: 0 } },
      })
      oraclePolicies.set(horizonDays, p)
    }
    return p
  }

  const pegOf = (at: Map<string, Sample>, v: BacktestVenue): number | null => {
    const own = at.get(v.id)?.peg
    if (own != null && Number.isFinite(own)) return own
    const asset = v.assetVenueId ? at.get(v.assetVenueId)?.peg : null
    return asset != null && Number.isFinite(asset) ? asset : null
  }
  const troubled = (at: Map<string, Sample>, v: BacktestVenue) => {
    if (at.get(v.id)?.paused === true) return true
    const peg = pegOf(at, v)
    return peg !== null && 1 - peg >= depegGap - 1e-12
  }

  for (let k = 0; k < steps.length; k++) {
    // The step's samples as each contender reads them: with the positions it held over (k−1, k].
    for (const l of all) for (const s of steps[k]!) l.seen.set(s.venueId, seenBy(venueById.get(s.venueId)!, s, l.positions.get(s.venueId) ?? 0))
    for (const s of steps[k]!) {
      const h = history.get(s.venueId) ?? []
      h.push(strat.seen.get(s.venueId) ?? s)
      if (h.length > window + 1) h.shift()
      history.set(s.venueId, h)
    }
    if (k > 0) {
      // Exposure over the interval (k−1, k]: positions as decided at k−1, venue states at k−1.
      const days = (times[k]! - times[k - 1]!) / DAY
      const own = ownGrowth[k]!
      for (const l of all) {
        const t = total(l.positions)
        if (t > 0) for (const v of venues) if (troubled(latest[k - 1]!, v)) l.exposureDays += (Math.max(0, l.positions.get(v.id)!) / t) * days
        // Growth in the contender's world: its own gains diluted by what it holds there, losses and the asset's growth as they are.
        const next = new Map<string, number>()
        for (const v of venues) {
          const x = l.positions.get(v.id)!
          const g = own.get(v.id)!
          const f = g > 1 ? dilutionOf(v, latest[k]!.get(v.id), x) : 1
          const a = v.assetVenueId ? (own.get(v.assetVenueId) ?? 1) : 1
          next.set(v.id, x * (f === 1 ? g : Math.exp(f * Math.log(g))) * a)
        }
        for (const [id, x] of next) l.positions.set(id, x)
      }
    }
    const at = latest[k]!
    const blockOf = (chain: string) => {
      let b = 0n
      for (const s of at.values()) if (s.chain === chain && s.blockNumber > b) b = s.blockNumber
      return b
    }
    const chainBlock = new Map(input.chains.map((c) => [c.name, blockOf(c.name)]))

    if (k >= warmup && k < last && (k - warmup) % input.rebalanceEvery === 0) {
      const scores = scoreAll(k)
      const best = new Map<string, number>()
      for (const sc of scores.values()) if (Number.isFinite(sc.score)) best.set(sc.chain, Math.max(best.get(sc.chain) ?? 0, sc.score))
      const plan = (current: Map<string, bigint>, target: Map<string, bigint>, transfers: readonly AllocationTransfer[]) => planOf(current, target, transfers, best)
      const fromAllocation = (a: Allocation) => {
        if (!a.targets.some((t) => t.delta !== 0n) && a.transfers.length === 0) return null
        return plan(new Map(a.targets.map((t) => [t.venueId, t.current])), new Map(a.targets.map((t) => [t.venueId, t.target])), a.transfers)
      }

      // ── poolwarden: decides on what it has seen ──
      {
        const moved = new Map<string, bigint>()
        for (const m of moves) if (chainBlock.get(m.chain)! - m.block < BigInt(policy.allocation.periodBlocks)) moved.set(m.chain, (moved.get(m.chain) ?? 0n) + m.raw)
        const a = allocate(
          allocationInput(
            strat.positions,
            (v) => {
              const s = scores.get(v.id)!
              const position = raw(strat.positions, v)
              return {
                score: s.score,
                excluded: s.excluded,
                stuck: s.stuck,
                withdrawable: s.withdrawable,
                atPosition: s.atPosition ?? null,
                lastMovedBlock: lastMoved.get(v.id) ?? null,
                ...liquidityInput(v, viewOf(v, at.get(v.id), position), position),
              }
            },
            policy,
            blockOf,
            moved,
            at,
          ),
        )
        const p = fromAllocation(a)
        if (p) {
          for (const s of p.steps) if (s.kind === 'withdraw' || s.kind === 'deposit') lastMoved.set(s.venueId, chainBlock.get(s.chain)!)
          for (const c of input.chains) {
            let w = 0n
            let d = 0n
            for (const s of p.steps) {
              if (s.chain !== c.name) continue
              if (s.kind === 'withdraw') w += s.amount
              else if (s.kind === 'deposit') d += s.amount
            }
            if (w > 0n || d > 0n) moves.push({ chain: c.name, block: chainBlock.get(c.name)!, raw: w > d ? w : d })
          }
          settle(strat, p, k)
        }
      }

      // ── oracles: each knows the realised yield over its look-ahead, pays the same costs ──
      for (const { horizonDays, leg: oracle } of oracles) {
        let end = k
        while (end < last && times[end + 1]! - times[k]! <= horizonDays * DAY) end++
        const span = times[end]! - times[k]!
        if (end > k && span > 0) {
          const pol = oraclePolicy(span / DAY)
          const annual = (x: number) => Math.exp((x * YEAR) / span) - 1
          const a = allocate(
            allocationInput(
              oracle.positions,
              (v) => {
                const position = raw(oracle.positions, v)
                const view = viewOf(v, at.get(v.id), position)
                // The realised yield over the look-ahead at its current position (its own gains
                // diluted as the world dilutes them), and the venue's income shared by its
                // depositors (dilutingApy at that TVL), so the allocator sees how a move changes it.
                const ls = logSums.get(v.id)!
                const f = dilutionOf(v, at.get(v.id), oracle.positions.get(v.id)!)
                const gain = annual(f * (ls.gain[end]! - ls.gain[k]!))
                const loss = annual(ls.loss[end]! - ls.loss[k]!)
                const asset = annual(ls.asset[end]! - ls.asset[k]!)
                const score = (1 + gain) * (1 + loss) * (1 + asset) - 1
                const share = idleIds.has(v.id) ? 0 : (input.dilution?.[v.kind] ?? 0)
                const tvl = view?.tvl ?? null
                const atPosition = share > 0 && tvl !== null ? { tvl, concentrationBps: 0, liquidityBps: 0, dilutingApy: share * gain * (1 + loss) * (1 + asset) } : null
                return { score, excluded: null, stuck: isStuck(view), withdrawable: withdrawableOf(view), atPosition, ...liquidityInput(v, view, position) }
              },
              pol,
              blockOf,
              new Map(),
              at,
            ),
          )
          const p = fromAllocation(a)
          if (p) settle(oracle, p, k)
        }
      }

      // ── chaser: everything into the highest latest APY ──
      {
        const p = chase(k, plan)
        if (p) settle(chaser, p, k)
      }
    }

    if (input.observe) {
      for (const l of [hold, chaser, strat]) input.observe(k, l.name, l.positions)
      for (const o of oracles) input.observe(k, `oracle-${o.horizonDays}d`, o.leg.positions)
    }
    for (const l of all) {
      const mark = venues.reduce((s, v) => s + l.positions.get(v.id)! * (pegOf(at, v) ?? 1), 0) - l.gas
      if (mark > l.peak) l.peak = mark
      else if (l.peak > 0) l.maxDrawdownBps = Math.max(l.maxDrawdownBps, ((l.peak - mark) / l.peak) * 10_000)
    }
  }

  /** The naive peer's plan at step k (null: nothing to move). */
  function chase(k: number, plan: (c: Map<string, bigint>, t: Map<string, bigint>, tr: readonly AllocationTransfer[]) => Moves): Moves | null {
    const at = latest[k]!
    const apyOf = (v: BacktestVenue) => {
      const s = chaser.seen.get(v.id) ?? at.get(v.id)
      return !s || !s.available || s.paused === true || s.apy == null || !Number.isFinite(s.apy) ? null : s.apy
    }
    const topOf = (vs: readonly BacktestVenue[]) => {
      let top: BacktestVenue | null = null
      for (const v of vs) {
        const a = apyOf(v)
        if (a !== null && (top === null || a > apyOf(top)!)) top = v
      }
      return top
    }
    const globalTop = topOf(venues)
    if (!globalTop) return null
    const dust = toRaw(total(chaser.positions) * 1e-6, 18)
    const current = new Map(venues.map((v) => [v.id, raw(chaser.positions, v)]))
    const target = new Map(current)
    const transfers: AllocationTransfer[] = []
    const scaleDust = (chain: string) => dust / 10n ** BigInt(Math.max(0, 18 - dec.get(chain)!))
    const destOf = (c: BacktestChain) => {
      if (globalTop.chain === c.name || routes.some((r) => r.from === c.name && r.to === globalTop.chain)) return globalTop
      return topOf(venues.filter((v) => v.chain === c.name))
    }
    // Withdraw everything movable into each chain's idle collateral.
    for (const c of input.chains) {
      const dest = destOf(c)
      if (!dest) continue
      for (const v of venues) {
        if (v.chain !== c.name || v.id === dest.id || v.id === c.idleVenueId) continue
        const s = at.get(v.id)
        if (isStuck(s)) continue
        const w = withdrawableOf(viewOf(v, s, current.get(v.id)!))
        const cur = target.get(v.id)!
        const m = w === null || w > cur ? cur : w
        if (m <= scaleDust(c.name)) continue
        target.set(v.id, cur - m)
        target.set(c.idleVenueId, target.get(c.idleVenueId)! + m)
      }
    }
    // Bridge every other chain's idle collateral to the top venue's chain.
    for (const c of input.chains) {
      const dest = destOf(c)
      if (!dest || dest.chain === c.name) continue
      const to = chainOf.get(dest.chain)!
      const amount = bridgeSendable(target.get(c.idleVenueId)!, c.decimals, to.decimals)
      const received = bridgeReceived(amount, c.decimals, to.decimals)
      if (amount <= scaleDust(c.name) || received <= 0n) continue
      target.set(c.idleVenueId, target.get(c.idleVenueId)! - amount)
      target.set(to.idleVenueId, target.get(to.idleVenueId)! + received)
      transfers.push({ from: c.name, to: dest.chain, amount, received })
    }
    // Deposit each chain's idle collateral into its destination venue (when that is on the chain and not idle).
    for (const c of input.chains) {
      const dest = destOf(c)
      if (!dest || dest.chain !== c.name || dest.id === c.idleVenueId) continue
      const m = target.get(c.idleVenueId)!
      if (m <= scaleDust(c.name)) continue
      target.set(c.idleVenueId, 0n)
      target.set(dest.id, target.get(dest.id)! + m)
    }
    if (transfers.length === 0 && venues.every((v) => target.get(v.id) === current.get(v.id))) return null
    return plan(current, target, transfers)
  }

  /**
   * The steps from `current` to `target` (and the transfers) with their costs, as `buildPlan`
   * makes them (withdraw and deposit per venue off idle, a bridge and a redeem per transfer) and
   * costed by the same functions (costs.ts `stepCost`, `bridgeCost`) with the chain's best score
   * for a withdrawal queue; without the plan's texts (the backtest makes thousands of plans).
   */
  function planOf(current: Map<string, bigint>, target: Map<string, bigint>, transfers: readonly AllocationTransfer[], best: Map<string, number>): Moves {
    const withdrawals: Move[] = []
    const bridges: Move[] = []
    const redeems: Move[] = []
    const deposits: Move[] = []
    const human = (amount: bigint, chain: string) => Number(amount) / 10 ** dec.get(chain)!
    let out = 0
    let into = 0
    for (const v of venues) {
      const cur = current.get(v.id) ?? 0n
      const tgt = target.get(v.id) ?? cur
      if (tgt === cur) continue
      if (tgt < cur) out += human(cur - tgt, v.chain)
      else into += human(tgt - cur, v.chain)
      if (v.id === chainOf.get(v.chain)!.idleVenueId) continue
      const kind = tgt < cur ? 'withdraw' : 'deposit'
      const amount = kind === 'withdraw' ? cur - tgt : tgt - cur
      const price = (x: number) => stepCost(policy, { chain: v.chain, kind: v.kind, direction: kind, amount: x, bestScore: best.get(v.chain) ?? 0 })
      ;(kind === 'withdraw' ? withdrawals : deposits).push({ kind, chain: v.chain, venueId: v.id, amount, price })
    }
    for (const t of transfers) {
      const price = (x: number) => bridgeCost(policy, { from: t.from, to: t.to, amount: x, bestScoreTo: best.get(t.to) ?? 0 })
      bridges.push({ kind: 'bridge', chain: t.from, venueId: chainOf.get(t.from)!.idleVenueId, amount: t.amount, price, to: t.to })
      redeems.push({ kind: 'redeem', chain: t.to, venueId: chainOf.get(t.to)!.idleVenueId, amount: t.received, price: () => ({ total: 0, gas: 0 }) })
    }
    return { steps: [...withdrawals, ...bridges, ...redeems, ...deposits], moved: Math.max(out, into) }
  }

  function scoreAll(k: number): Map<string, VenueScore> {
    const now = times[k]!
    const out = new Map<string, VenueScore>()
    const base = (v: BacktestVenue, assetApy?: number) => {
      const position = raw(strat.positions, v)
      const seen = history.get(v.id) ?? []
      // The score reads the TVL of the latest sample only.
      const latestSeen = seen[seen.length - 1]
      const samples = input.tvlExcludesPool && latestSeen ? [...seen.slice(0, -1), viewOf(v, latestSeen, position)!] : seen
      return scoreVenue({ venue: v, samples, position, now, assetApy }, policy)
    }
    // Asset venues (the collateral LSTs) first: the others compound their asset's APY.
    for (const v of venues) if (!v.assetVenueId) out.set(v.id, base(v))
    for (const v of venues) {
      if (!v.assetVenueId) continue
      const a = out.get(v.assetVenueId)?.grossApy
      out.set(v.id, a != null ? base(v, a) : base(v))
    }
    return out
  }

  function allocationInput(
    p: Positions,
    f: (v: BacktestVenue) => Pick<AllocationVenue, 'score' | 'excluded' | 'stuck'> & Partial<AllocationVenue>,
    pol: StrategyPolicy,
    blockOf: (chain: string) => bigint,
    moved: Map<string, bigint>,
    at: Map<string, Sample>,
  ): AllocationInput {
    // Each chain's collateral price, as the live strategist reads it from the idle LST's latest sample.
    const pegOf = (c: BacktestChain) => {
      const s = at.get(c.idleVenueId)
      return s && s.available ? s.peg : null
    }
    return {
      policy: pol,
      chains: input.chains.map((c) => ({ name: c.name, decimals: c.decimals, idleVenueId: c.idleVenueId, blockNumber: blockOf(c.name), movedThisPeriod: moved.get(c.name) ?? 0n, peg: pegOf(c) })),
      venues: venues.map((v) => ({ id: v.id, chain: v.chain, protocol: v.protocol, kind: v.kind, caps: v.caps ?? {}, current: raw(p, v), ...f(v) })),
      routes,
    }
  }

  /**
   * Applies a plan to a contender at step k, as the venues let it execute (the same rules for
   * every contender):
   * - a paused or unreadable venue takes no withdrawal and no deposit (its funds stay in it and
   *   earn what it pays);
   * - a withdrawal takes at most what the contender could withdraw at that step: min(position,
   *   the venue's withdrawable liquidity in the contender's own world, `liquidityOf`) — partial
   *   otherwise;
   * - deposits and bridges spend at most the idle collateral actually there (after partial
   *   withdrawals);
   * - a bridge between chains whose collateral trades at different prices converts at them: what
   *   leaves a depegged chain is sold at its depegged price (received × pegFrom / pegTo) — exiting
   *   realises the depeg;
   * - every executed step pays its cost for the amount it moved (costs.ts); a step that moves
   *   nothing is not sent and pays nothing.
   */
  function settle(l: Running, p: Moves, k: number) {
    if (p.steps.length === 0) return
    const at = latest[k]!
    const human = (amount: bigint, chain: string) => Number(amount) / 10 ** dec.get(chain)!
    const delta = new Map<string, number>() // the moves' net change per venue, costs left out: what moved
    const add = (id: string, x: number) => {
      l.positions.set(id, l.positions.get(id)! + x)
      delta.set(id, (delta.get(id) ?? 0) + x)
    }
    const pegAt = (chain: string) => {
      const peg = at.get(chainOf.get(chain)!.idleVenueId)?.peg
      return peg != null && Number.isFinite(peg) && peg > 0 ? peg : 1
    }
    const bridged = new Map<string, number>() // destination chain → received, for the redeem step
    let executed = 0
    for (const s of p.steps) {
      const idle = chainOf.get(s.chain)!.idleVenueId
      const planned = human(s.amount, s.chain)
      let amount = 0
      let lands = idle
      if (s.kind === 'withdraw') {
        const v = venueById.get(s.venueId)!
        const smp = at.get(s.venueId)
        const liq = liquidityOf(v, smp, raw(l.positions, v))
        amount = stepExecution({ kind: 'withdraw', planned }, { stuck: isStuck(smp), position: l.positions.get(s.venueId)!, liquidity: liq === null ? null : human(liq, v.chain) }).amount
        if (amount > 0) {
          add(s.venueId, -amount)
          add(idle, amount)
        }
      } else if (s.kind === 'deposit') {
        amount = stepExecution({ kind: 'deposit', planned }, { stuck: isStuck(at.get(s.venueId)), idle: l.positions.get(idle)! }).amount
        if (amount > 0) {
          add(idle, -amount)
          add(s.venueId, amount)
        }
        lands = s.venueId
      } else if (s.kind === 'bridge') {
        lands = chainOf.get(s.to!)!.idleVenueId
        const x = stepExecution({ kind: 'bridge', planned }, { idle: l.positions.get(idle)!, pegFrom: pegAt(s.chain), pegTo: pegAt(s.to!) })
        amount = x.amount
        if (amount > 0) {
          add(idle, -amount)
          add(lands, x.received)
          bridged.set(s.to!, (bridged.get(s.to!) ?? 0) + x.received)
        }
      } else {
        // redeem: what the bridge delivered (counted above); a step only if something arrived.
        amount = bridged.get(s.chain) ?? 0
        bridged.delete(s.chain)
      }
      if (!(amount > 0)) continue
      const c = s.price(amount)
      l.moves++
      l.costs += c.total
      l.gas += c.gas
      l.paid.push({ step: k, kind: s.kind, chain: s.chain, venueKind: venueById.get(s.venueId)!.kind, ...(s.to ? { to: s.to } : {}), amount, cost: c.total, gas: c.gas })
      executed++
      const offCollateral = c.total - c.gas
      if (offCollateral !== 0) l.positions.set(lands, l.positions.get(lands)! - offCollateral)
    }
    if (executed === 0) return
    l.rebalances++
    let out = 0
    let into = 0
    for (const x of delta.values()) if (x < 0) out -= x
    else into += x
    l.moved += Math.max(out, into)
  }

  const initialValue = total(initial)
  const years = seconds / YEAR
  const finish = (l: Running): BacktestLeg => {
    const finalValue = total(l.positions) - l.gas
    const { positions: _p, gas: _g, peak: _k, seen: _s, ...rest } = l
    return {
      ...rest,
      finalValue,
      gain: finalValue - initialValue,
      yieldBps: initialValue > 0 ? ((finalValue - initialValue) / initialValue) * 10_000 : 0,
      annualisedYield: initialValue > 0 && years > 0 && finalValue > 0 ? Math.pow(finalValue / initialValue, 1 / years) - 1 : 0,
    }
  }
  const h = finish(hold)
  const c = finish(chaser)
  const s = finish(strat)
  const os = oracles.map((x) => ({ horizonDays: x.horizonDays, leg: finish(x.leg) }))
  // The reported oracle: the best look-ahead in hindsight (ties: the shorter).
  const best = os.reduce((a, b) => (b.leg.finalValue > a.leg.finalValue ? b : a))
  const o = best.leg
  const days = seconds / DAY
  const warning = shortWindowWarning(days, policy.allocation.horizonDays)
  return {
    steps: steps.length,
    days,
    initialValue,
    legs: [h, c, s, o],
    hold: h,
    chaser: c,
    strategy: s,
    oracle: o,
    oracleHorizonDays: best.horizonDays,
    oracles: os,
    captured: o.gain - h.gain > 1e-12 ? (s.gain - h.gain) / (o.gain - h.gain) : null,
    warnings: warning ? [warning] : [],
  }
}

/**
 * What one plan step actually moves, in collateral units, given the venue's state at the step —
 * the backtest's execution rules, the same for every contender (PURE):
 * - withdraw: nothing from a paused or unreadable venue (`stuck`); else at most the position and,
 *   when known, the venue's withdrawable `liquidity` (a partial withdrawal);
 * - deposit: nothing into a stuck venue; else at most the `idle` collateral there;
 * - bridge: at most the `idle` collateral; what arrives is converted at the collateral prices of
 *   both chains (`pegFrom`, `pegTo`, in the backing asset): leaving a depegged chain sells at its
 *   depegged price, so the depeg is realised on exit (fees and time in flight are costs, apart).
 */
export function stepExecution(
  step: { kind: 'withdraw' | 'deposit' | 'bridge'; planned: number },
  at: { stuck?: boolean; position?: number; liquidity?: number | null; idle?: number; pegFrom?: number; pegTo?: number },
): { amount: number; received: number } {
  const none = { amount: 0, received: 0 }
  const planned = Math.max(0, step.planned)
  if (step.kind === 'withdraw') {
    if (at.stuck) return none
    const pos = Math.max(0, at.position ?? 0)
    const amount = Math.min(planned, at.liquidity == null ? pos : Math.min(pos, Math.max(0, at.liquidity)))
    return { amount, received: amount }
  }
  if (step.kind === 'deposit' && at.stuck) return none
  const amount = Math.min(planned, Math.max(0, at.idle ?? 0))
  if (step.kind === 'deposit') return { amount, received: amount }
  const ratio = (at.pegFrom ?? 1) / (at.pegTo ?? 1)
  return { amount, received: amount * (Number.isFinite(ratio) && ratio > 0 ? ratio : 1) }
}

/**
 * Yield dilution (PURE): the factor on a venue's own yield in a world where the pool holds
 * `position` instead of the `startPosition` the samples' rates were read with, the others' funds
 * being `othersTvl` (all in collateral units). A venue's own yield is, for the `share` of it that
 * is a fixed income in the short run (a vault strategy's capacity, a lending market's borrowers),
 * paid out to whatever TVL is there: rate(P) = rate(P0) × (1 − share + share × (T + P0) / (T + P)).
 * E.g. a vault of others' 400 where the samples had the pool at 150 pays 7 %; the pool at 1 150
 * earns 7 % × 550/1 550 = 2.48 %; the pool out of it entirely would leave the others 7 % × 550/400.
 * 1 when the world's TVL is empty.
 */
export function dilutionFactor(p: { share: number; othersTvl: number; startPosition: number; position: number }): number {
  const share = Math.min(1, Math.max(0, p.share))
  const world = Math.max(0, p.othersTvl) + Math.max(0, p.position)
  if (share === 0 || !(world > 0)) return 1
  return 1 - share + (share * (Math.max(0, p.othersTvl) + Math.max(0, p.startPosition))) / world
}

const isStuck = (s: Sample | undefined) => !s || !s.available || s.paused === true
const withdrawableOf = (s: Sample | undefined): bigint | null => (s && s.available ? s.withdrawable : null)

/** Growth of a position between two samples of its venue: exchange-rate ratio, else the APY over the interval. */
export function realisedGrowth(a: Sample, b: Sample): number {
  if (!b.available) return 1
  if (a.available && a.exchangeRate && b.exchangeRate && a.exchangeRate > 0n) {
    return Number((b.exchangeRate * 1_000_000_000_000n) / a.exchangeRate) / 1e12
  }
  const dt = b.blockTime - a.blockTime
  return b.apy != null && dt > 0 ? Math.pow(1 + b.apy, dt / YEAR) : 1
}

/** The side-by-side table (one line per contender, legend first), `unit` naming the collateral. */
export function renderBacktest(r: BacktestResult, unit = 'units'): string[] {
  const rows = [
    ['contender', 'yield bps', 'per year', 'moves', `costs ${unit}`, `moved ${unit}`, 'worst drawdown', 'paused/depegged'],
    ...r.legs.map((l) => [
      l.name === 'chaser' ? 'APY chaser' : l.name === 'oracle' ? `oracle (pays costs, ${r.oracleHorizonDays} d)` : l.name,
      `${l.yieldBps >= 0 ? '+' : ''}${l.yieldBps.toFixed(Math.abs(l.yieldBps) < 1 ? 3 : 1)}`,
      `${(l.annualisedYield * 100).toFixed(2)} %`,
      String(l.moves),
      l.costs.toFixed(4),
      l.moved.toFixed(1),
      `${l.maxDrawdownBps.toFixed(1)} bps`,
      `${l.exposureDays.toFixed(2)} pool-days`,
    ]),
  ]
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  const lines = rows.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
  const cap = r.captured === null ? 'the oracle gains nothing over holding: no share to capture' : `poolwarden captured ${(r.captured * 100).toFixed(1)} % of the cost-paying oracle's gain over holding`
  return [...r.warnings, ...lines, cap]
}
