import { type AllocationInput, type Limits, investedBy, isExcluded, limitsOf, movedOf } from './constraints'
import { perYear, unitCost } from './costs'
import { gasPerStepOf } from './policy'
import type { ShadowPrices } from './allocate'

/**
 * Independent checks of the allocator's optimality, written from the problem's definition and not
 * from the allocator's LP: the objective of any allocation, and an upper bound on the best
 * objective (Lagrangian / LP duality). For any multipliers λ (free), μ, π, β ≥ 0,
 *
 *   max objective ≤ L(λ, μ, π, β) = β·budget + Σ_c μ_c·(chainCap_c − invested_c)
 *                                   + Σ_p π_p·(protocolCap_p − invested_p)
 *                                   + Σ_v max(0, r⁺_v)·room_v + max(0, r⁻_v)·withdrawable_v
 *   r⁺_v = s_v − k⁺_v − λ_c − [v invested](μ_c + π_p)              per unit deposited
 *   r⁻_v = −s_v − k⁻_v − h + λ_c + [v invested](μ_c + π_p) − β     per unit withdrawn
 *
 * (weak duality: relax the coupling constraints with the multipliers, and what is left separates
 * per variable over its box). Any multipliers give a valid bound; the allocator's shadow prices
 * give the tightest. Valid when the current allocation is within every limit (no breach to repair).
 * Objective and bound are in collateral units per year, relative to holding still.
 */

const DRAIN_SCORE = -1

interface Box {
  id: string
  chain: string
  protocol: string
  invested: boolean
  s: number
  kIn: number
  kOut: number
  /** Room to deposit / amount withdrawable, collateral units. */
  room: number
  out: number
}

function boxes(input: AllocationInput, L: Limits): Box[] {
  const { policy } = input
  const dec = new Map(input.chains.map((c) => [c.name, c.decimals]))
  const units = (raw: bigint, chain: string) => Number(raw) / 10 ** dec.get(chain)!
  const best = new Map<string, number>()
  for (const v of input.venues) if (!isExcluded(v)) best.set(v.chain, Math.max(best.get(v.chain) ?? 0, v.score))
  return input.venues.map((v) => {
    const idle = L.idleIds.has(v.id)
    const total = L.chainTotal.get(v.chain)!
    const fixed = L.fixed.has(v.id)
    const withdrawable = v.withdrawable != null && v.withdrawable < v.current ? v.withdrawable : v.current
    let room = 0n
    let out = 0n
    if (!fixed) {
      if (idle) {
        const min = L.minIdle.get(v.chain)!
        room = total - v.current
        out = v.current - min < withdrawable ? v.current - min : withdrawable
      } else {
        const cap = L.venueCap.get(v.id)
        room = isExcluded(v) ? 0n : (cap ? cap.raw : total) - v.current
        out = withdrawable
      }
    }
    const b = best.get(v.chain) ?? 0
    return {
      id: v.id,
      chain: v.chain,
      protocol: v.protocol,
      invested: !idle,
      s: idle ? (Number.isFinite(v.score) ? v.score : 0) : isExcluded(v) ? DRAIN_SCORE : v.score,
      kIn: idle ? 0 : unitCost(policy, v.kind, 'deposit', b) * perYear(policy),
      kOut: idle ? 0 : unitCost(policy, v.kind, 'withdraw', b) * perYear(policy),
      room: room > 0n ? units(room, v.chain) : 0,
      out: out > 0n ? units(out, v.chain) : 0,
    }
  })
}

/**
 * The allocator's objective for `target` against holding still, collateral units per year:
 * Σ s_v·(target_v − current_v) − linear move costs × 365/horizon − hysteresis × moved
 * − (with `gas`) gas per step × 365/horizon. Excluded venues score −1 (the allocator drains them first).
 */
export function allocationObjective(input: AllocationInput, target: ReadonlyMap<string, bigint>, opts: { gas?: boolean } = {}): number {
  const L = limitsOf(input)
  const { policy } = input
  const A = perYear(policy)
  const h = policy.allocation.hysteresisBps / 10_000
  const dec = new Map(input.chains.map((c) => [c.name, c.decimals]))
  const byId = new Map(boxes(input, L).map((b) => [b.id, b]))
  let f = 0
  for (const v of input.venues) {
    const t = target.get(v.id) ?? v.current
    if (t === v.current) continue
    const b = byId.get(v.id)!
    const delta = Number(t - v.current) / 10 ** dec.get(v.chain)!
    f += b.s * delta - (delta > 0 ? b.kIn * delta : -b.kOut * delta)
    if (opts.gas && b.invested) f -= gasPerStepOf(policy, v.chain) * A
  }
  for (const c of input.chains) f -= (h * Number(movedOf(input.venues, target, c.name))) / 10 ** c.decimals
  return f
}

/** The Lagrangian upper bound L(λ, μ, π, β) on `allocationObjective` (any multipliers; negative μ, π, β are clamped to 0). */
export function allocationUpperBound(input: AllocationInput, m: Pick<ShadowPrices, 'chain' | 'chainCap' | 'protocolCap' | 'moveBudget'>): number {
  const L = limitsOf(input)
  const human = (rawD: bigint) => Number(rawD) / 10 ** L.decimals
  const beta = Math.max(0, m.moveBudget)
  const mu = (c: string) => Math.max(0, m.chainCap[c] ?? 0)
  const pi = (p: string) => Math.max(0, m.protocolCap[p] ?? 0)
  let bound = beta * human(L.budget)
  const investedChain = investedBy(input, L, (v) => v.chain)
  const investedProt = investedBy(input, L, (v) => v.protocol)
  for (const c of input.chains) bound += mu(c.name) * human(L.chainCap.get(c.name)! - (investedChain.get(c.name) ?? 0n))
  for (const [p, cap] of L.protocolCap) bound += pi(p) * human(cap - (investedProt.get(p) ?? 0n))
  for (const b of boxes(input, L)) {
    const lambda = m.chain[b.chain] ?? 0
    const g = b.invested ? mu(b.chain) + pi(b.protocol) : 0
    const rIn = b.s - b.kIn - lambda - g
    const rOut = -b.s - b.kOut - input.policy.allocation.hysteresisBps / 10_000 + lambda + g - beta
    bound += Math.max(0, rIn) * b.room + Math.max(0, rOut) * b.out
  }
  return bound
}
