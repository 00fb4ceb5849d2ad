import {
  type AllocationInput,
  type AllocationTransfer,
  type AllocationVenue,
  bridgeReceived,
  bridgeSendable,
  type Limits,
  type Violation,
  checkAllocation,
  isExcluded,
  limitsOf,
  movedOf,
} from './constraints'
import { bridgeCost, bridgeFixedCost, bridgeUnitCost, pegLoss, perYear, stepCost, unitCost, type BridgeCost } from './costs'
import { solveLp, type LpRow, type LpStatus } from './lp'
import { liquidityAlertsAfter, type LiquidityFinding } from './liquidity'
import { gasPerStepOf } from './policy'

export type { AllocationChain, AllocationInput, AllocationRoute, AllocationTransfer, AllocationVenue } from './constraints'

/**
 * The target allocation: the amount per venue that maximises the pool's risk-adjusted yield net of
 * amortised move costs, under every constraint. PURE and deterministic.
 *
 * It is a linear program, solved exactly (lp.ts). Amounts are normalised to shares of the pool's
 * collateral. Per movable venue v there are two variables, d_v (deposit) and w_v (withdrawal), so
 * target_v = current_v + d_v − w_v, and
 *
 *   maximise  Σ_v (s_v − k⁺_v)·d_v − (s_v + k⁻_v + h)·w_v                (per year)
 *     s_v   score (risk-adjusted APY);  excluded venues: −1 (drain first), no deposits
 *     k±_v  linear move cost (slippage, withdrawal queue) × 365 / horizonDays;  0 for idle
 *     h     hysteresisBps / 1e4: every unit moved must gain at least this per year
 *   subject to
 *     Σ_{v∈chain} d_v − w_v + Σ_{r from chain} t_r − Σ_{r to chain} t_r = 0     conservation per chain
 *     (t_r ≥ 0: collateral bridged over route r, idle to idle, costing (feeBps + delay × best score
 *     on the destination) × 365 / horizonDays + h per unit, plus a fixed cost per transfer — gas on both
 *     sides and the fixed fee — handled like gas below; no routes: each chain's collateral is fixed)
 *     0 ≤ d_v ≤ cap_v − current_v                    venue caps: min(maxAmount, maxShareBps·pool)
 *     0 ≤ w_v ≤ min(current_v, withdrawable_v)       idle: ≤ current − minIdleBps·chain total
 *     Σ_{v∈chain, not idle} d_v − w_v ≤ chainCap − invested        maxChainShareBps
 *     Σ_{v∈protocol, not idle} d_v − w_v ≤ protocolCap − invested  maxProtocolShareBps
 *     Σ_v w_v ≤ maxMovePerPeriodBps·pool − moved this period        move budget (hard)
 *   venues that are stuck (paused, unreadable), frozen (readings do not cover the APY window) or
 *   in cooldown have no variables: they keep their position exactly. A frozen idle venue holds its
 *   whole chain. Missing data never moves money; only evidence (a depeg, a pause) excludes.
 *
 * Position-dependent penalties (venue `atPosition`, see `curveOf`): concentration is charged at the
 * target position and liquidity at the margin of deposits, each venue's direction split into
 * columns between fixed knots (concave objective), so that a move still pays under the scores it
 * leads to and the next decision, on the same market data, does not undo it. With bridge routes the
 * buffer is kept on each chain's total after the plan (a row per chain), not its current total.
 *
 * A limit the current allocation already breaches (a cap lowered, a buffer spent) is never made
 * worse, and bringing it back within the limit earns a large bonus (M per unit), so breaches are
 * reduced first, as far as liquidity and the move budget allow; the budget itself is never exceeded.
 * A breach smaller than one step's gas × 365 / horizonDays (collateral units) is dust: not made
 * worse, but not worth a transaction to repair; so is a venue cap exceeded by less than 0.1 % of the
 * cap (BREACH_TOLERANCE: yield accrued past a cap, which would otherwise be repaired by a withdrawal
 * and a deposit every few blocks — the 90-day backtest showed six such steps an hour).
 *
 * Gas is a fixed cost per step, which no LP expresses: after the LP, venues whose change does not
 * pay for its gas even at the chain's widest score spread (|change| × (max − min score) below the
 * amortised gas: dust) are frozen and the LP is solved again (kept if it is better); a whole plan whose gain does not cover its costs is not made (hold).
 *
 * Rounding to raw units: changes are rounded down (a deposit never exceeds its bound; the dust of
 * a withdrawal lands in idle), the LP keeps 1e-12 of the pool off every limit (float error) and
 * leaves the move budget one raw unit per venue (the rounded-down withdrawals), and the
 * result is checked exactly (constraints.ts) before it is returned; should the check ever fail,
 * the current allocation is returned with a warning.
 */

const M = 1_000
const DRAIN_SCORE = -1
const SNAP = 1e-12
/** A venue cap exceeded by less than this share of the cap is dust (accrued yield), not repaired. */
const BREACH_TOLERANCE = 1e-3
/** Steps whose best-case gain is below this many times their gas are tried frozen, one by one… */
const GAS_DOUBT = 20
/** …at most this many (each try is a solve), fewer on large pools. */
const gasTriesFor = (venues: number) => (venues <= 50 ? 8 : venues <= 500 ? 3 : 1)

export type BindingKind =
  | 'stuck'
  | 'frozen'
  | 'cooldown'
  | 'excluded'
  | 'cap'
  | 'share-cap'
  | 'liquidity'
  | 'liquidity-share'
  | 'min-idle'
  | 'chain-cap'
  | 'protocol-cap'
  | 'move-budget'
  | 'hysteresis'
  | 'gas'
  | 'breach'

export interface Binding {
  constraint: BindingKind
  detail: string
}

export interface VenueTarget {
  venueId: string
  chain: string
  protocol: string
  kind: AllocationVenue['kind']
  idle: boolean
  current: bigint
  target: bigint
  delta: bigint
  /** The score used (−Infinity when excluded). */
  score: number
  /** Constraints that hold this venue where it is (for `plan show`). */
  binding: Binding[]
}

export interface ShadowPrices {
  /** Annual yield (fraction) one more unit of each limit would bring: 0 when not binding. */
  chainCap: Record<string, number>
  protocolCap: Record<string, number>
  moveBudget: number
  /** Marginal value of collateral on each chain (the dual of its conservation row). */
  chain: Record<string, number>
}

/** A transfer the allocation makes, with its one-off cost (collateral units). */
export interface TransferTarget extends AllocationTransfer {
  cost: BridgeCost
}

export interface Allocation {
  /** One per input venue, ordered by chain then venue id. */
  targets: VenueTarget[]
  /** Cross-chain transfers (idle of `from` → idle of `to`), ordered by (from, to); empty without routes. */
  transfers: TransferTarget[]
  /** Collateral in flight per chain (raw, arriving there): counted in the pool, not allocated. */
  inFlight: Record<string, bigint>
  /** Risk-adjusted yield per year (collateral units) of the current and the target allocation; excluded venues count 0. */
  currentYield: number
  targetYield: number
  /** targetYield − currentYield. */
  gainPerYear: number
  /** One-off cost of the steps (gas, slippage, queue), collateral units. */
  oneOffCost: number
  /** oneOffCost spread over the horizon, per year. */
  amortisedCostPerYear: number
  /** targetYield − amortisedCostPerYear: what the allocation maximises (hysteresis aside). */
  objective: number
  /** Collateral moved (collateral units, all chains) and what the budget still allowed. */
  moved: number
  moveBudget: number
  shadowPrices: ShadowPrices
  /**
   * The post-plan liquidity check (liquidity.ts `liquidityAlertsAfter`): venues whose liquidity is
   * known and that the allocation changes (`checked`), deposits into venues of unknown liquidity
   * (`unchecked`), and the liquidity alerts the allocation would raise itself (`findings`: when any,
   * the allocation holds the current positions instead, with a warning).
   */
  liquidityCheck: { checked: string[]; unchecked: string[]; findings: LiquidityFinding[]; coverage: number }
  warnings: string[]
  /** optimal: the LP's allocation is the target; hold: nothing worth its costs; empty: no collateral; else the LP failed (hold, with a warning). */
  solver: { status: LpStatus | 'hold' | 'empty'; iterations: number; solves: number }
}

interface Col {
  venue: number
  sign: 1 | -1
  /** Most a unit of this step can gain per year (the chain's score spread); Infinity for a breach fix or a drain (never frozen for gas). */
  unitValue: number
}

interface Solved {
  delta: Float64Array
  /** Normalised amount per route (0 when frozen or unused). */
  flow: Float64Array
  objective: number
  status: LpStatus
  iterations: number
  /** Most each venue's change can gain (normalised, per year): |change| × the chain's score spread. */
  value: Float64Array
  rowDual: Map<string, number>
}

/** The allocation for `input`. See the module comment. */
export function allocate(input: AllocationInput): Allocation {
  const L = limitsOf(input)
  const { policy } = input
  const venues = [...input.venues].sort((a, b) => cmp(a.chain, b.chain) || cmp(a.id, b.id))
  const n = venues.length
  const chains = [...input.chains].sort((a, b) => cmp(a.name, b.name))
  const pegByChain = new Map(chains.map((c) => [c.name, c.peg ?? null]))
  const pegOf = (chain: string) => pegByChain.get(chain) ?? null
  const chainsByName = new Map(chains.map((c) => [c.name, c]))
  const P = Number(L.poolTotal)
  const human = (rawD: bigint | number) => Number(rawD) / 10 ** L.decimals
  const Ph = human(L.poolTotal)
  const nrm = (raw: bigint, chain: string) => Number(raw * L.scale.get(chain)!) / P
  const toRawDelta = (x: number, chain: string) => BigInt(Math.floor((x * P) / Number(L.scale.get(chain)!)))
  const isIdle = (v: AllocationVenue) => L.idleIds.has(v.id)
  const lpScore = (v: AllocationVenue) => (isIdle(v) ? (Number.isFinite(v.score) ? v.score : 0) : isExcluded(v) ? DRAIN_SCORE : v.score)
  const best = new Map<string, number>()
  for (const v of venues) if (!isExcluded(v)) best.set(v.chain, Math.max(best.get(v.chain) ?? 0, v.score))
  const A = perYear(policy)
  const h = policy.allocation.hysteresisBps / 10_000
  const warnings: string[] = []
  /** One step's gas, amortised per year, normalised: also the smallest breach worth repairing. */
  const repairMin = (chain: string) => (gasPerStepOf(policy, chain) / (Ph || 1)) * A
  const idleScore = new Map(chains.map((c) => [c.name, lpScore(venues.find((v) => v.id === c.idleVenueId)!)]))
  const spread = new Map<string, number>()
  for (const c of chains) {
    const ss = venues.filter((v) => v.chain === c.name && !L.fixed.has(v.id) && (isIdle(v) || !isExcluded(v))).map(lpScore)
    spread.set(c.name, ss.length ? Math.max(...ss) - Math.min(...ss) : 0)
  }
  // ── bridge routes: between chains whose idle venue can move ──
  const routes = [...(input.routes ?? [])]
    .filter((r) => !L.fixed.has(chainsByName.get(r.from)!.idleVenueId) && !L.fixed.has(chainsByName.get(r.to)!.idleVenueId))
    .sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to))
  if (routes.length) {
    // A withdrawal on one chain may pay off in a venue of another: a step's best case spans the
    // chains it can reach.
    const reach = new Set(routes.flatMap((r) => [r.from, r.to]))
    const movable = venues.filter((v) => reach.has(v.chain) && !L.fixed.has(v.id) && (isIdle(v) || !isExcluded(v))).map(lpScore)
    const gMax = Math.max(...movable)
    const gMin = Math.min(...movable)
    for (const c of chains) {
      if (!reach.has(c.name)) continue
      const ss = venues.filter((v) => v.chain === c.name && !L.fixed.has(v.id) && (isIdle(v) || !isExcluded(v))).map(lpScore)
      if (ss.length) spread.set(c.name, Math.max(spread.get(c.name)!, gMax - Math.min(...ss), Math.max(...ss) - gMin))
    }
  }
  /** Most a chain can hold after transfers into it (raw, its own units): its collateral plus every source's. */
  const reachTotal = new Map<string, bigint>()
  for (const c of chains) {
    let t = L.chainTotal.get(c.name)!
    for (const r of routes) if (r.to === c.name) t += (L.chainTotal.get(r.from)! * L.scale.get(r.from)!) / L.scale.get(c.name)!
    reachTotal.set(c.name, t)
  }
  /** A transfer's fixed cost (gas both sides, fixed fee), amortised per year, normalised. */
  const routeFixed = (k: number) => (bridgeFixedCost(policy, routes[k]!.from, routes[k]!.to) / (Ph || 1)) * A

  // The budget keeps one raw unit per venue (its chain's, normalised) for the rounded-down
  // withdrawals, plus float error; every other limit keeps a float-error margin only: rounding
  // down never moves toward them.
  const rawUnit = (chain: string) => Number(L.scale.get(chain)!) / (P || 1)
  let unit = 0
  for (const c of chains) unit = Math.max(unit, rawUnit(c.name))
  const budgetMargin = venues.reduce((s, v) => s + rawUnit(v.chain), 2 * unit) + 1e-12
  const margin = 1e-12

  // With bridge routes a chain's total changes with the plan, and so does its buffer: the buffer is
  // kept on the chain's total AFTER the plan (a row per routed chain), not the current one — else
  // every transfer leaves a buffer shortfall (or surplus) of minIdleBps × the amount that the next
  // decision bridges again, and again (a geometric tail of small plans). A chain already below
  // its buffer is never made worse (idle does not fall) and is repaired first, up to the buffer
  // after the plan (the row's shortfall costs M per unit, beyond a dust tolerance).
  const bps = BigInt(policy.allocation.minIdleBps)
  const routedBuffer = new Set<string>()
  if (bps > 0n) for (const r of routes) for (const c of [r.from, r.to]) routedBuffer.add(c)
  /** A buffer shortfall this small (normalised) is not worth a step: one step's amortised gas, or 0.1 % of the buffer (yield accrued elsewhere). */
  const bufferDust = (chain: string) => Math.max(repairMin(chain), nrm(L.minIdle.get(chain)!, chain) * BREACH_TOLERANCE)
  /** The buffer on a chain's total after the plan (raw): ⌈minIdleBps × (total + net transfers in)⌉. */
  const minIdleAfter = (chain: string, flow: bigint) => {
    const t = L.chainTotal.get(chain)! + flow
    return t <= 0n ? 0n : (t * bps + 9_999n) / 10_000n
  }

  const lo = new Array<bigint>(n)
  const hi = new Array<bigint>(n)
  for (let i = 0; i < n; i++) {
    const v = venues[i]!
    const total = reachTotal.get(v.chain)!
    const wAvail = v.current - (v.withdrawable != null && v.withdrawable < v.current ? v.withdrawable : v.current)
    if (L.fixed.has(v.id)) {
      lo[i] = hi[i] = v.current
    } else if (isIdle(v)) {
      const min = L.minIdle.get(v.chain)!
      lo[i] = v.current < min ? v.current : routedBuffer.has(v.chain) ? wAvail : wAvail > min ? wAvail : min
      hi[i] = total
    } else {
      lo[i] = wAvail
      const cap = L.venueCap.get(v.id)
      hi[i] = isExcluded(v) ? v.current : cap ? (cap.raw < v.current ? v.current : cap.raw) : total
      // What the venue could pay back (liquidity.ts): no deposit beyond the share of its liquidity
      // after the plan; a position already above it is not made worse (and not forced out).
      const liq = L.liquidityCap.get(v.id)
      if (liq !== undefined) {
        const lim = liq < v.current ? v.current : liq
        if (lim < hi[i]!) hi[i] = lim
      }
    }
  }

  // ── position-dependent penalties: concentration at the target, liquidity at the margin ──
  const curves = venues.map((v) => curveOf(v, isIdle(v) ? lpScore(v) : isExcluded(v) ? null : v.score, policy))

  // ── the LP's columns and rows, built once; each solve drops the frozen venues' columns ──
  const chainIndex = new Map(chains.map((c, k) => [c.name, k]))
  const protocols = [...L.protocolCap.keys()].sort(cmp)
  const protIndex = new Map(protocols.map((p, k) => [p, k]))
  interface Spec extends Col {
    cost: number
    upper: number
  }
  const specs: Spec[] = []
  {
    const add = (venue: number, sign: 1 | -1, unitValue: number, cost: number, upper: number) => {
      if (upper > 0) specs.push({ venue, sign, unitValue, cost, upper })
    }
    /**
     * One move direction of venue i over a range of positions, as LP columns: a single column at
     * the venue's score, or — with position-dependent penalties — one column per piece between the
     * curve's knots, each at the score of the pieces' units after the move (concave: the LP fills
     * them in order). `extra` is the column's cost beside ±score (move costs, hysteresis, bonus);
     * `upper` its normalised size. Returns where the range ends (raw).
     */
    const column = (i: number, sign: 1 | -1, unitValue: number, extra: number, upper: number, start: bigint): bigint => {
      const v = venues[i]!
      const c = curves[i]
      const sc = L.scale.get(v.chain)!
      const len = upper > 0 ? BigInt(Math.floor((upper * P) / Number(sc))) : 0n
      const end = sign > 0 ? start + len : start - len > 0n ? start - len : 0n
      if (!c || upper <= 0) {
        add(i, sign, unitValue, sign * lpScore(v) + extra, upper)
        return end
      }
      const lo_ = sign > 0 ? start : end
      const hi_ = sign > 0 ? end : start
      const gap = BigInt(Math.ceil(Number(hi_) * 1e-9)) + 1n
      const cuts = [lo_, ...c.knots.filter((k) => k > lo_ + gap && k + gap < hi_), hi_]
      const pieces: [bigint, bigint][] = []
      for (let k = 0; k + 1 < cuts.length; k++) pieces.push([cuts[k]!, cuts[k + 1]!])
      if (sign < 0) pieces.reverse() // withdrawals: from the top down
      let left = upper
      pieces.forEach(([a, b], k) => {
        const size = k === pieces.length - 1 ? left : Math.min(left, Number((b - a) * sc) / P)
        left -= size
        add(i, sign, unitValue, sign * c.marginal(a, b, sign) + extra, size)
      })
      return end
    }
    for (let i = 0; i < n; i++) {
      const v = venues[i]!
      if (L.fixed.has(v.id)) continue
      const idle = isIdle(v)
      const kDep = idle ? 0 : unitCost(policy, v.kind, 'deposit', best.get(v.chain) ?? 0) * A
      const kWd = idle ? 0 : unitCost(policy, v.kind, 'withdraw', best.get(v.chain) ?? 0) * A
      const cur = v.current
      const sp = spread.get(v.chain)!
      if (idle) {
        const min = L.minIdle.get(v.chain)!
        let at = cur
        if (!routedBuffer.has(v.chain) && cur < min && nrm(min - cur, v.chain) > bufferDust(v.chain)) at = column(i, 1, Infinity, M, nrm(min - cur, v.chain), cur)
        column(i, 1, sp, 0, nrm(hi[i]!, v.chain), at)
        column(i, -1, sp, -h, nrm(cur - lo[i]!, v.chain) - margin, cur)
      } else {
        const cap = L.venueCap.get(v.id)
        const room = hi[i]! - cur
        column(i, 1, sp, -kDep, (cap || L.liquidityCap.get(v.id) !== undefined) && room > 0n ? nrm(room, v.chain) - margin : nrm(room, v.chain), cur)
        const wMax = nrm(cur - lo[i]!, v.chain)
        const breach = cap && cur > cap.raw && nrm(cur - cap.raw, v.chain) > Math.max(repairMin(v.chain), nrm(cap.raw, v.chain) * BREACH_TOLERANCE) ? Math.min(nrm(cur - cap.raw, v.chain) + margin, wMax) : 0
        const at = column(i, -1, Infinity, -kWd - h + M, breach, cur)
        column(i, -1, isExcluded(v) ? Infinity : sp, -kWd - h, wMax - breach, at)
      }
    }
  }
  // Group caps on invested collateral (idle excluded): rows only where the cap can bind. A breached
  // group gets a reduction variable with bonus M (unless the breach is dust); its rhs is then 0.
  interface Group {
    name: string
    rhs: number
    /** Upper bound of the reduction variable (0 = none). */
    reduce: number
  }
  const groupOf = (name: string, members: readonly number[] | undefined, cap: bigint, dustN: number): Group | null => {
    let now = 0n
    let room = 0n
    for (const i of members ?? []) {
      const v = venues[i]!
      const sc = L.scale.get(v.chain)!
      now += v.current * sc
      room += (hi[i]! - v.current) * sc
    }
    if (now + room <= cap) return null
    const breach = now > cap ? Number(now - cap) / P : 0
    return { name, rhs: now > cap ? 0 : Math.max(0, Number(cap - now) / P - margin), reduce: breach > dustN ? breach : 0 }
  }
  const investedByChain = new Map<string, number[]>()
  const investedByProt = new Map<string, number[]>()
  venues.forEach((v, i) => {
    if (isIdle(v)) return
    if (!investedByChain.has(v.chain)) investedByChain.set(v.chain, [])
    investedByChain.get(v.chain)!.push(i)
    if (!investedByProt.has(v.protocol)) investedByProt.set(v.protocol, [])
    investedByProt.get(v.protocol)!.push(i)
  })
  const chainGroups = chains.map((ch) => groupOf(`chain-cap:${ch.name}`, investedByChain.get(ch.name), L.chainCap.get(ch.name)!, repairMin(ch.name)))
  const protGroups = protocols.map((p) => groupOf(`protocol-cap:${p}`, investedByProt.get(p), L.protocolCap.get(p)!, (policy.costs.gasPerStep * A) / (Ph || 1)))

  const solve = (frozen: ReadonlySet<number>, frozenRoutes: ReadonlySet<number> = new Set()): Solved => {
    const c: number[] = []
    const ub: number[] = []
    const cols: Col[] = []
    const nc = chains.length
    const chainRow: { cs: number[]; cf: number[] }[] = chains.map(() => ({ cs: [], cf: [] }))
    const chainCapRow: { cs: number[]; cf: number[] }[] = chains.map(() => ({ cs: [], cf: [] }))
    const protRow: { cs: number[]; cf: number[] }[] = protocols.map(() => ({ cs: [], cf: [] }))
    const budgetCols: number[] = []
    let budgetRoom = 0
    for (const sp of specs) {
      if (frozen.has(sp.venue)) continue
      const j = cols.length
      cols.push(sp)
      c.push(sp.cost)
      ub.push(sp.upper)
      const v = venues[sp.venue]!
      const ci = chainIndex.get(v.chain)!
      chainRow[ci]!.cs.push(j)
      chainRow[ci]!.cf.push(sp.sign)
      if (!isIdle(v)) {
        chainCapRow[ci]!.cs.push(j)
        chainCapRow[ci]!.cf.push(sp.sign)
        const pi = protIndex.get(v.protocol)
        if (pi !== undefined) {
          protRow[pi]!.cs.push(j)
          protRow[pi]!.cf.push(sp.sign)
        }
      }
      if (sp.sign < 0) {
        budgetCols.push(j)
        budgetRoom += sp.upper
      }
    }
    const nv = cols.length
    // Transfer columns: +1 in the source chain's row, −1 in the destination's.
    const routeCol: number[] = []
    routes.forEach((r, k) => {
      const upper = nrm(L.chainTotal.get(r.from)!, r.from)
      if (frozenRoutes.has(k) || upper <= 0) return routeCol.push(-1)
      const j = c.length
      routeCol.push(j)
      // A transfer is a move too: it must gain the hysteresis on top of its costs (else noise in two
      // idle scores would send collateral back and forth, and every block would make a new plan).
      // Leaving a chain whose collateral trades below the destination's realises the gap at once.
      c.push(-(bridgeUnitCost(policy, best.get(r.to) ?? 0) + pegLoss(pegOf(r.from), pegOf(r.to))) * A - h)
      ub.push(upper)
      chainRow[chainIndex.get(r.from)!]!.cs.push(j)
      chainRow[chainIndex.get(r.from)!]!.cf.push(1)
      chainRow[chainIndex.get(r.to)!]!.cs.push(j)
      chainRow[chainIndex.get(r.to)!]!.cf.push(-1)
    })
    const rows: LpRow[] = []
    const rowNames: string[] = []
    for (let k = 0; k < nc; k++) {
      if (!chainRow[k]!.cs.length) continue
      rows.push({ cols: chainRow[k]!.cs, coefs: chainRow[k]!.cf, sense: 'eq', rhs: 0 })
      rowNames.push(`chain:${chains[k]!.name}`)
    }
    // Buffer after the plan, per routed chain: idle + d − w ≥ b·(total + in − out), i.e.
    // −d + w + b·in − b·out ≤ idle − b·total.
    const b = Number(bps) / 10_000
    for (const ch of chains) {
      if (!routedBuffer.has(ch.name)) continue
      const cs: number[] = []
      const cf: number[] = []
      cols.forEach((col, j) => {
        if (venues[col.venue]!.id !== ch.idleVenueId) return
        cs.push(j)
        cf.push(-col.sign)
      })
      routes.forEach((r, k) => {
        const j = routeCol[k]!
        if (j < 0 || (r.to !== ch.name && r.from !== ch.name)) return
        cs.push(j)
        cf.push(r.to === ch.name ? b : -b)
      })
      const idle = venues.find((v) => v.id === ch.idleVenueId)!
      if (cs.length) {
        // Shortfall: M per unit (repaired first, in full); below the buffer now by no more than the
        // dust tolerance, free up to it (a shortfall that small is not worth a step — repairing only
        // the part beyond it would make a tiny plan every time accrued yield adds a little more).
        const total = nrm(reachTotal.get(ch.name)!, ch.name)
        const minNow = L.minIdle.get(ch.name)!
        const dustShort = idle.current < minNow && nrm(minNow - idle.current, ch.name) <= bufferDust(ch.name)
        for (const [cost, upper] of [[0, dustShort ? bufferDust(ch.name) : 0], [-M, b * total + 1]] as const) {
          cs.push(c.length)
          cf.push(-1)
          c.push(cost)
          ub.push(upper)
        }
        rows.push({ cols: cs, coefs: cf, sense: 'le', rhs: nrm(idle.current, ch.name) - b * nrm(L.chainTotal.get(ch.name)!, ch.name) - margin })
        rowNames.push(`buffer:${ch.name}`)
      }
    }
    const groupRow = (g: Group | null, r: { cs: number[]; cf: number[] }) => {
      if (!g || !r.cs.length) return
      if (g.reduce > 0) {
        c.push(M)
        ub.push(g.reduce)
        r.cs.push(c.length - 1)
        r.cf.push(1)
      }
      rows.push({ cols: r.cs, coefs: r.cf, sense: 'le', rhs: g.rhs })
      rowNames.push(g.name)
    }
    chainGroups.forEach((g, k) => groupRow(g, chainCapRow[k]!))
    protGroups.forEach((g, k) => groupRow(g, protRow[k]!))
    const budget = Number(L.budget) / P
    if (budgetCols.length && budgetRoom > budget - budgetMargin) {
      rows.push({ cols: budgetCols, coefs: budgetCols.map(() => 1), sense: 'le', rhs: Math.max(0, budget - budgetMargin) })
      rowNames.push('budget')
    }
    const r = solveLp({ c, upper: ub, rows })
    const delta = new Float64Array(n)
    const value = new Float64Array(n)
    for (let j = 0; j < nv; j++) {
      const col = cols[j]!
      const x = r.x[j]!
      delta[col.venue] = delta[col.venue]! + col.sign * x
      if (x > 0) value[col.venue] = value[col.venue]! + x * col.unitValue
    }
    for (let i = 0; i < n; i++) if (Math.abs(delta[i]!) < SNAP) delta[i] = 0
    const flow = new Float64Array(routes.length)
    routeCol.forEach((j, k) => {
      if (j >= 0 && r.x[j]! >= SNAP) flow[k] = r.x[j]!
    })
    const rowDual = new Map<string, number>()
    rowNames.forEach((name, i) => rowDual.set(name, r.duals[i]!))
    return { delta, flow, objective: r.objective, status: r.status, iterations: r.iterations, value, rowDual }
  }

  const gasN = (v: AllocationVenue) => repairMin(v.chain)
  const withGas = (s: Solved) => {
    let f = s.objective
    for (let i = 0; i < n; i++) if (s.delta[i] !== 0 && !isIdle(venues[i]!)) f -= gasN(venues[i]!)
    for (let k = 0; k < routes.length; k++) if (s.flow[k]! > 0) f -= routeFixed(k)
    return f
  }

  let iterations = 0
  let solves = 0
  const gasTries = gasTriesFor(n)
  const frozen = new Set<number>()
  const frozenRoutes = new Set<number>()
  let sol: Solved | null = null
  let outcome: Allocation['solver']['status'] = 'empty'
  if (P > 0) {
    sol = solve(frozen)
    iterations += sol.iterations
    solves++
    if (sol.status !== 'optimal') warnings.push(`LP ${sol.status}: holding the current allocation`)
    // Fixed gas per step: freeze changes that do not pay for their gas, then re-solve.
    for (let round = 0; round < 3 && sol.status === 'optimal'; round++) {
      const cand: number[] = []
      for (let i = 0; i < n; i++) {
        const v = venues[i]!
        if (sol.delta[i] !== 0 && !isIdle(v) && sol.value[i]! < gasN(v)) cand.push(i)
      }
      if (!cand.length) break
      const next = solve(new Set([...frozen, ...cand]), frozenRoutes)
      iterations += next.iterations
      solves++
      if (next.status !== 'optimal' || withGas(next) <= withGas(sol)) break
      for (const i of cand) frozen.add(i)
      sol = next
    }
    // Then steps that may pay for their gas only on paper: freeze them one at a time, smallest
    // first, while that helps (a few tries: each is a solve).
    if (sol.status === 'optimal' && gasTries > 0) {
      const cand: number[] = []
      for (let i = 0; i < n; i++) {
        const v = venues[i]!
        if (sol.delta[i] !== 0 && !isIdle(v) && !frozen.has(i) && sol.value[i]! < GAS_DOUBT * gasN(v)) cand.push(i)
      }
      cand.sort((a, b) => sol!.value[a]! - sol!.value[b]! || a - b)
      for (const i of cand.slice(0, gasTries)) {
        const next = solve(new Set([...frozen, i]), frozenRoutes)
        iterations += next.iterations
        solves++
        if (next.status === 'optimal' && withGas(next) > withGas(sol)) {
          frozen.add(i)
          sol = next
        }
      }
    }
    // Transfers have a fixed cost too (gas on both chains, fixed fee): a route is closed when the
    // allocation without it is better net of every fixed cost; repeated while one helps.
    for (let changed = true; changed && sol.status === 'optimal'; ) {
      changed = false
      let bestNext: Solved | null = null
      let bestK = -1
      for (let k = 0; k < routes.length; k++) {
        if (!(sol.flow[k]! > 0)) continue
        const next = solve(frozen, new Set([...frozenRoutes, k]))
        iterations += next.iterations
        solves++
        if (next.status === 'optimal' && withGas(next) > withGas(bestNext ?? sol)) {
          bestNext = next
          bestK = k
        }
      }
      if (bestNext) {
        frozenRoutes.add(bestK)
        sol = bestNext
        changed = true
      }
    }
    outcome = sol.status
    if (sol.status !== 'optimal') sol = null
    else if (withGas(sol) <= 0) {
      sol = null // not worth its costs: hold
      outcome = 'hold'
    }
  }

  // ── rounding to raw units ──
  let target = new Map<string, bigint>(venues.map((v) => [v.id, v.current]))
  let transfers: AllocationTransfer[] = []
  if (sol) {
    const decimalsOf = (c: string) => chainsByName.get(c)!.decimals
    const flowRaw = new Map<string, bigint>()
    /** Per destination: what the LP counted on arriving (raw) minus what the bridge carries. */
    const bridgeDust = new Map<string, bigint>()
    routes.forEach((r, k) => {
      if (!(sol!.flow[k]! > 0)) return
      const counted = toRawDelta(sol!.flow[k]!, r.to)
      const amount = bridgeSendable(toRawDelta(sol!.flow[k]!, r.from), decimalsOf(r.from), decimalsOf(r.to))
      if (amount <= 0n) return
      const received = bridgeReceived(amount, decimalsOf(r.from), decimalsOf(r.to))
      transfers.push({ from: r.from, to: r.to, amount, received })
      flowRaw.set(r.from, (flowRaw.get(r.from) ?? 0n) - amount)
      flowRaw.set(r.to, (flowRaw.get(r.to) ?? 0n) + received)
      if (counted > received) bridgeDust.set(r.to, (bridgeDust.get(r.to) ?? 0n) + counted - received)
    })
    const sums = new Map<string, bigint>()
    for (let i = 0; i < n; i++) {
      const v = venues[i]!
      if (isIdle(v)) continue
      let t = v.current + (sol.delta[i] === 0 ? 0n : toRawDelta(sol.delta[i]!, v.chain))
      if (t > hi[i]!) t = hi[i]!
      if (t < lo[i]!) t = lo[i]!
      target.set(v.id, t)
      sums.set(v.chain, (sums.get(v.chain) ?? 0n) + t)
    }
    for (const ch of chains) {
      let idle = L.chainTotal.get(ch.name)! + (flowRaw.get(ch.name) ?? 0n) - (sums.get(ch.name) ?? 0n)
      // A transfer rounded down to the bridge's decimals brings a little less than the LP counted
      // on: the chain's deposits give it back, largest first, so idle neither drops below its
      // buffer nor falls further than the LP moved it (the move budget).
      const idleAt = venues.findIndex((v) => v.id === ch.idleVenueId)
      const cur = venues[idleAt]!.current
      const floor = routedBuffer.has(ch.name) && cur >= L.minIdle.get(ch.name)! ? minIdleAfter(ch.name, flowRaw.get(ch.name) ?? 0n) : lo[idleAt]!
      let short = floor - idle
      if ((bridgeDust.get(ch.name) ?? 0n) > short) short = bridgeDust.get(ch.name)!
      if (short > 0n && flowRaw.has(ch.name)) {
        const deps = venues
          .filter((v) => v.chain === ch.name && !isIdle(v) && target.get(v.id)! > v.current)
          .sort((a, b) => (target.get(b.id)! - b.current > target.get(a.id)! - a.current ? 1 : -1) || cmp(a.id, b.id))
        for (const v of deps) {
          if (short <= 0n) break
          const take = target.get(v.id)! - v.current < short ? target.get(v.id)! - v.current : short
          target.set(v.id, target.get(v.id)! - take)
          idle += take
          short -= take
        }
      }
      target.set(ch.idleVenueId, idle)
    }
    const violations = checkAllocation(input, target, L, transfers)
    if (violations.length) {
      warnings.push(`rounding breached ${violations.map(fmtViolation).join('; ')}: holding the current allocation`)
      target = new Map(venues.map((v) => [v.id, v.current]))
      transfers = []
      sol = null
      outcome = 'hold'
    }
  }
  // ── post-plan liquidity check: the plan must not raise a liquidity alert itself ──
  const coverage = input.liquidityCoverage ?? 1
  const checkOf = () =>
    liquidityAlertsAfter(
      venues.filter((v) => !isIdle(v)).map((v) => ({ id: v.id, current: v.current, target: target.get(v.id)!, liquidity: v.liquidity ?? null, liquidityPerDeposit: v.liquidityPerDeposit ?? 1 })),
      coverage,
    )
  let liq = checkOf()
  if (liq.findings.length) {
    warnings.push(
      `the plan would raise a liquidity alert itself (${liq.findings.map((f) => f.detail).join('; ')}): holding the current allocation; lower allocation.maxWithdrawableShareBps to at most ${Math.floor(10_000 / coverage)} bps (1 / alerts.liquidityCoverage)`,
    )
    const findings = liq.findings
    target = new Map(venues.map((v) => [v.id, v.current]))
    transfers = []
    sol = null
    outcome = 'hold'
    liq = { ...checkOf(), findings }
  }

  // ── report ──
  const hOf = (raw: bigint, chain: string) => human(raw * L.scale.get(chain)!)
  let currentYield = 0
  let targetYield = 0
  let oneOffCost = 0
  let moved = 0n
  for (const v of venues) {
    const t = target.get(v.id)!
    const cv = curves[venues.indexOf(v)]
    if (cv) {
      // Position-dependent penalties charged where the position is (before) and will be (after).
      const unitH = hOf(1n, v.chain)
      currentYield += (cv.base * Number(v.current) - cv.penalty(Number(v.current))) * unitH
      targetYield += (cv.base * Number(t) - cv.penalty(Number(t))) * unitH
    } else {
      const s = isExcluded(v) && !isIdle(v) ? 0 : lpScore(v)
      currentYield += s * hOf(v.current, v.chain)
      targetYield += s * hOf(t, v.chain)
    }
    if (t !== v.current && !isIdle(v)) {
      const direction = t > v.current ? 'deposit' : 'withdraw'
      oneOffCost += stepCost(policy, { chain: v.chain, kind: v.kind, direction, amount: hOf(t > v.current ? t - v.current : v.current - t, v.chain), bestScore: best.get(v.chain) ?? 0 }).total
    }
  }
  const transferTargets: TransferTarget[] = transfers.map((x) => {
    const cost = bridgeCost(policy, { from: x.from, to: x.to, amount: hOf(x.amount, x.from), bestScoreTo: best.get(x.to) ?? 0, pegFrom: pegOf(x.from), pegTo: pegOf(x.to) })
    oneOffCost += cost.total
    return { ...x, cost }
  })
  for (const ch of chains) moved += movedOf(venues, target, ch.name) * L.scale.get(ch.name)!
  const duals = sol?.rowDual ?? new Map<string, number>()
  const shadowPrices: ShadowPrices = { chainCap: {}, protocolCap: {}, moveBudget: duals.get('budget') ?? 0, chain: {} }
  for (const ch of chains) {
    shadowPrices.chain[ch.name] = duals.get(`chain:${ch.name}`) ?? 0
    shadowPrices.chainCap[ch.name] = duals.get(`chain-cap:${ch.name}`) ?? 0
  }
  for (const p of [...L.protocolCap.keys()].sort(cmp)) shadowPrices.protocolCap[p] = duals.get(`protocol-cap:${p}`) ?? 0

  const targets = venues.map((v, i): VenueTarget => {
    const t = target.get(v.id)!
    return {
      venueId: v.id,
      chain: v.chain,
      protocol: v.protocol,
      kind: v.kind,
      idle: isIdle(v),
      current: v.current,
      target: t,
      delta: t - v.current,
      score: isIdle(v) ? lpScore(v) : isExcluded(v) ? -Infinity : v.score,
      binding: bindingsOf(i),
    }
  })

  function bindingsOf(i: number): Binding[] {
    const v = venues[i]!
    const t = target.get(v.id)!
    const fixed = L.fixed.get(v.id)
    if (fixed) return [{ constraint: fixed.constraint, detail: fixed.detail }]
    const out: Binding[] = []
    const idle = isIdle(v)
    const dust = BigInt(Math.ceil((margin + budgetMargin) * P)) / L.scale.get(v.chain)! + 2n * BigInt(n) + 2n
    const excluded = !idle && isExcluded(v)
    const sIdle = idleScore.get(v.chain)!
    const gainIn = v.score - sIdle
    const kIn = unitCost(policy, v.kind, 'deposit', best.get(v.chain) ?? 0) * A
    const kOut = unitCost(policy, v.kind, 'withdraw', best.get(v.chain) ?? 0) * A
    const wantsIn = !idle && !excluded && gainIn > h + kIn && t < hi[i]!
    const wantsOut = !idle && (excluded || -gainIn > h + kOut) && t > 0n
    if (excluded) out.push({ constraint: 'excluded', detail: v.excluded ?? 'score −∞' })
    const cap = L.venueCap.get(v.id)
    if (cap && v.current > cap.raw) out.push({ constraint: 'breach', detail: `held ${v.current} above its ${cap.by} ${cap.raw} before this plan` })
    if (cap && t + dust >= cap.raw && t <= cap.raw + dust) out.push({ constraint: cap.by, detail: cap.by === 'cap' ? 'at its maxAmount cap' : 'at its maxShareBps cap' })
    const liq = L.liquidityCap.get(v.id)
    if (!idle && !excluded && liq !== undefined && t + dust >= liq && (t > v.current || gainIn > h + kIn)) {
      out.push({
        constraint: 'liquidity-share',
        detail: `venue liquidity ${v.liquidity}: at most ${policy.allocation.maxWithdrawableShareBps} bps of what it could pay back after this plan (target ≤ ${liq})`,
      })
    }
    if (!idle && lo[i]! > 0n && t <= lo[i]! + dust && (t < v.current || wantsOut)) out.push({ constraint: 'liquidity', detail: `only ${v.current - lo[i]!} of ${v.current} withdrawable now` })
    if (idle && t <= L.minIdle.get(v.chain)! + dust) out.push({ constraint: 'min-idle', detail: `idle at the ${policy.allocation.minIdleBps} bps buffer` })
    if (frozen.has(i)) out.push({ constraint: 'gas', detail: 'the change would not pay for its gas over the horizon' })
    const moving = t !== v.current || wantsIn
    if (!idle && moving && (shadowPrices.chainCap[v.chain] ?? 0) > 1e-12) {
      out.push({ constraint: 'chain-cap', detail: `chain ${v.chain} at its invested cap (one unit more would earn ${bpsOf(shadowPrices.chainCap[v.chain]!)}/yr)` })
    }
    if (!idle && moving && (shadowPrices.protocolCap[v.protocol] ?? 0) > 1e-12) {
      out.push({ constraint: 'protocol-cap', detail: `protocol ${v.protocol} at its cap (one unit more would earn ${bpsOf(shadowPrices.protocolCap[v.protocol]!)}/yr)` })
    }
    if (shadowPrices.moveBudget > 1e-12 && (moving || wantsOut)) {
      out.push({ constraint: 'move-budget', detail: `the period's move budget is used up (one unit more would earn ${bpsOf(shadowPrices.moveBudget)}/yr)` })
    }
    if (!idle && !excluded && t === v.current && gainIn !== 0) {
      const k = gainIn > 0 ? kIn : kOut
      const room = gainIn > 0 ? t < hi[i]! : t > lo[i]!
      if (room && Math.abs(gainIn) <= h + k) {
        out.push({ constraint: 'hysteresis', detail: `a move would change the yield by ${bpsOf(Math.abs(gainIn))}/yr per unit: not more than the ${policy.allocation.hysteresisBps} bps hysteresis + ${bpsOf(k)} costs` })
      }
    }
    return out
  }

  const budgetH = human(L.budget)
  return {
    targets,
    transfers: transferTargets,
    inFlight: Object.fromEntries(chains.filter((c) => (c.inFlight ?? 0n) > 0n).map((c) => [c.name, c.inFlight!])),
    currentYield,
    targetYield,
    gainPerYear: targetYield - currentYield,
    oneOffCost,
    amortisedCostPerYear: oneOffCost * A,
    objective: targetYield - oneOffCost * A,
    moved: human(moved),
    moveBudget: budgetH,
    shadowPrices,
    liquidityCheck: { checked: liq.checked, unchecked: liq.unchecked, findings: liq.findings, coverage },
    warnings,
    solver: { status: outcome, iterations, solves },
  }
}

/** Knots of the concentration curve: the pool's share of the venue's TVL at free + (1 − free)·j/K. */
const CONCENTRATION_KNOTS = 24
/** Knots of the dilution curve: the pool's share of the venue's TVL at j/K. */
const DILUTION_KNOTS = 24

/**
 * A venue's yield as a function of the pool's position x (raw units as a float): what holding x
 * earns per year, its position-dependent penalties charged where the position will be, not where
 * it is (risk.ts `atPosition`):
 *
 *   Y(x) = base·x − x·conc(x) − liq(x) − dil(x)
 *   base     = score + (concentration + liquidity penalty at the current position) / 1e4
 *   conc(x)  = maxPenalty · max(0, (x/(O + x) − free)/(1 − free))   O = TVL − current: the others' funds
 *   dil(x)   = d·x·(x − c)/(O + x)     d = atPosition.dilutingApy: the venue's own yield is a fixed
 *              income d·TVL shared by all its depositors (policy risk.dilution), so x earns
 *              d·TVL·x/(O + x) of it instead of d·x; 0 at the current position c, a bonus below it
 *   liq(x)   = maxPenalty · (uncovered(x) − uncovered(current)) + liquidity penalty at current × current
 *   uncovered(x) = max(0, (c − V) + (1 − f)·max(0, x − c))          V = the venue's liquidity, f = per deposit
 *
 * A withdrawal does not change the uncovered part (it consumes the liquidity it uses), so only
 * deposits pay liquidity at the margin; with the liquidity unknown or f = 1 nothing does. x·conc(x)
 * and liq(x) are convex: Y is concave, and the LP charges it piece by piece between fixed knots
 * (shares of the others' TVL) and the current position, each piece at its secant. The knots depend
 * on market data only, so the optimum is a fixed point: re-allocated from its own target with the
 * same data, the pieces at the target are a refinement of those it was chosen with, and no move pays.
 */
export interface PositionCurve {
  base: number
  /** Position-dependent penalties per year (raw units × fraction) of holding x. */
  penalty: (x: number) => number
  /** Where the marginal penalty changes (raw), ascending. */
  knots: bigint[]
  /** The score (per unit, per year) of the units between a and b (raw, a < b), moved in `sign`'s direction. */
  marginal: (a: bigint, b: bigint, sign: 1 | -1) => number
  /** Y(x) / x at a target (the score there); the base when x = 0. */
  scoreAt: (x: bigint) => number
}

export function curveOf(v: AllocationVenue, score: number | null, policy: AllocationInput['policy']): PositionCurve | null {
  const at = v.atPosition
  if (!at || score === null || !Number.isFinite(score)) return null
  const r = policy.risk
  const c = Number(v.current)
  const base = score + (at.concentrationBps + at.liquidityBps) / 1e4
  const mC = r.concentration.maxPenaltyBps / 1e4
  const free = r.concentration.freeShareBps / 1e4
  const others = at.tvl === null ? null : Math.max(0, Number(at.tvl) - c)
  const conc = (x: number) => (others === null || free >= 1 || mC === 0 || x <= 0 ? 0 : x * mC * Math.max(0, (Math.min(x / (others + x), 1) - free) / (1 - free)))
  // Yield dilution: the venue pays its depositors a fixed income I = d·TVL on its own yield, so
  // holding x earns I·x/(O + x) of it instead of d·x — D(x) = d·x·(x − c)/(O + x), convex, 0 at the
  // current position, negative below it (what stays earns more).
  const d = at.dilutingApy ?? 0
  const dilutes = others !== null && others > 0 && d > 0
  const dil = (x: number) => (!dilutes || x <= 0 ? 0 : (d * x * (x - c)) / (others! + x))
  const knots: bigint[] = []
  if (others !== null && others > 0 && free < 1 && mC > 0) {
    for (let j = 0; j < CONCENTRATION_KNOTS; j++) {
      const sh = free + ((1 - free) * j) / CONCENTRATION_KNOTS
      knots.push(BigInt(Math.round((sh * others) / (1 - sh))))
    }
  }
  if (dilutes) {
    const have = new Set(knots)
    for (let j = 1; j < DILUTION_KNOTS; j++) {
      const sh = j / DILUTION_KNOTS
      const k = BigInt(Math.round((sh * others!) / (1 - sh)))
      if (!have.has(k)) knots.push(k)
    }
  }
  const mL = r.liquidity.maxPenaltyBps / 1e4
  const V = v.liquidity != null ? Number(v.liquidity) : v.withdrawable != null && v.withdrawable < v.current ? Number(v.withdrawable) : null
  const f = Math.min(1, Math.max(0, v.liquidityPerDeposit ?? 1))
  const uncovered = (x: number) => (V === null || f >= 1 ? 0 : Math.max(0, c - V + (1 - f) * Math.max(0, x - c)))
  if (V !== null && f < 1 && mL > 0 && c < V) knots.push(BigInt(Math.round(c + (V - c) / (1 - f))))
  knots.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const liqNow = (at.liquidityBps / 1e4) * c
  const liq = (x: number) => liqNow + mL * (uncovered(x) - uncovered(c))
  const penalty = (x: number) => conc(x) + liq(x) + dil(x)
  return {
    base,
    penalty,
    knots,
    marginal: (a, b, sign) => {
      const x0 = Number(a)
      const x1 = Number(b)
      if (!(x1 > x0)) return base
      const dConc = (conc(x1) - conc(x0)) / (x1 - x0)
      const dLiq = sign > 0 ? (liq(x1) - liq(x0)) / (x1 - x0) : 0
      const dDil = (dil(x1) - dil(x0)) / (x1 - x0)
      return base - dConc - dLiq - dDil
    },
    scoreAt: (x) => (x <= 0n ? base : base - penalty(Number(x)) / Number(x)),
  }
}

/**
 * The score (per unit, per year) of the units a step moves between `current` and `target`: with
 * the score's position-dependent penalties (`atPosition`), (Y(target) − Y(current)) / (target −
 * current) — concentration charged where the position ends up, as the allocator charged it; else
 * the score itself. For plans (strategies/plan.ts): the steps' gains add up to the allocation's.
 */
export function movedUnitsScore(
  v: Pick<AllocationVenue, 'current' | 'score' | 'atPosition' | 'withdrawable' | 'liquidity' | 'liquidityPerDeposit'>,
  target: bigint,
  policy: AllocationInput['policy'],
): number {
  const c = curveOf(v as AllocationVenue, v.score, policy)
  if (!c || target === v.current) return v.score
  const x0 = Number(v.current)
  const x1 = Number(target)
  const y = (x: number) => c.base * x - c.penalty(x)
  return (y(x1) - y(x0)) / (x1 - x0)
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const bpsOf = (x: number) => `${(x * 1e4).toFixed(1)} bps`
const fmtViolation = (v: Violation) => `${v.constraint} ${v.subject} (${v.detail})`

/** Targets as a map venue id → raw amount (for checkAllocation and buildPlan). */
export const targetMap = (a: Allocation): Map<string, bigint> => new Map(a.targets.map((t) => [t.venueId, t.target]))

export type { Limits }
