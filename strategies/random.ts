import type { VenueKind } from '../config/schema'
import type { AllocationChain, AllocationInput, AllocationVenue } from './constraints'
import { pow10 } from './constraints'
import { strategyPolicySchema, type StrategyPolicyInput } from './policy'
import { mulberry32 } from '../core/random'

/**
 * Seeded random pools for property tests and the allocation benchmark. PURE: the same seed gives
 * the same pool. Not used by live code.
 */

export { mulberry32 }

export interface RandomPoolOptions {
  chains: number
  venuesPerChain: number
  protocols?: number
  /** Current allocation satisfies every limit (caps above current, budget unused). Default true. */
  feasible?: boolean
  /** Share of venues stuck / in cooldown / excluded / liquidity-limited (each). Default 0.05. */
  troubleRate?: number
  /** Policy overrides (merged over the random limits). */
  policy?: StrategyPolicyInput
  decimals?: readonly number[]
}

const KINDS: VenueKind[] = ['erc4626', 'aave-v3', 'lst']

/** A random allocation problem. */
export function randomPool(seed: number, o: RandomPoolOptions): AllocationInput {
  const rnd = mulberry32(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const feasible = o.feasible ?? true
  const trouble = o.troubleRate ?? 0.05
  const nProt = o.protocols ?? Math.max(2, Math.ceil(o.venuesPerChain / 2))
  const chains: AllocationChain[] = []
  const venues: AllocationVenue[] = []
  const totals: number[] = []
  for (let c = 0; c < o.chains; c++) totals.push(100 + rnd() * 10_000)
  const pool = totals.reduce((a, b) => a + b, 0)
  const chainInvested = new Map<string, number>()
  const protInvested = new Map<string, number>()
  for (let c = 0; c < o.chains; c++) {
    const name = `chain-${String(c).padStart(2, '0')}`
    const decimals = o.decimals ? pick(o.decimals) : 18
    const unit = pow10(decimals)
    const block = 1_000_000n + BigInt(Math.floor(rnd() * 1000))
    const idleId = `${name}-idle`
    chains.push({ name, decimals, idleVenueId: idleId, blockNumber: block, movedThisPeriod: feasible ? 0n : BigInt(Math.floor(rnd() * 50)) * unit })
    const T = totals[c]!
    // Fractions of the chain in each venue; the rest is idle.
    const weights = Array.from({ length: o.venuesPerChain }, () => (rnd() < 0.3 ? 0 : rnd()))
    const wsum = weights.reduce((a, b) => a + b, 0) || 1
    const investedShare = 0.3 + rnd() * 0.6
    let invested = 0
    const raw = (x: number) => (BigInt(Math.floor(x * 1e6)) * unit) / 1_000_000n
    for (let v = 0; v < o.venuesPerChain; v++) {
      const amount = (T * investedShare * weights[v]!) / wsum
      invested += amount
      const protocol = `proto-${pick(Array.from({ length: nProt }, (_, i) => i))}`
      protInvested.set(protocol, (protInvested.get(protocol) ?? 0) + amount)
      const shareNow = (amount / pool) * 10_000
      const caps: AllocationVenue['caps'] = {}
      if (rnd() < 0.5) caps.maxShareBps = Math.min(10_000, Math.ceil(feasible ? shareNow + 1 + rnd() * 800 : rnd() * 800))
      if (rnd() < 0.3) caps.maxAmount = Math.ceil(feasible ? amount + 1 + rnd() * 500 : rnd() * 500)
      const troubled = rnd()
      const current = raw(amount)
      venues.push({
        id: `${name}-v${String(v).padStart(3, '0')}`,
        chain: name,
        protocol,
        kind: pick(KINDS),
        current,
        score: 0.01 + rnd() * 0.08,
        excluded: troubled < trouble ? 'synthetic exclusion' : null,
        stuck: troubled >= trouble && troubled < 2 * trouble,
        withdrawable: troubled >= 2 * trouble && troubled < 3 * trouble ? (current * BigInt(Math.floor(rnd() * 100))) / 100n : null,
        lastMovedBlock: troubled >= 3 * trouble && troubled < 4 * trouble ? block - BigInt(Math.floor(rnd() * 50)) : null,
        caps,
      })
    }
    chainInvested.set(name, invested)
    venues.push({ id: idleId, chain: name, protocol: 'collateral', kind: 'lst', current: raw(T - invested), score: 0.03 + rnd() * 0.01, withdrawable: null })
  }
  const byChain: Record<string, number> = {}
  for (const c of chains) {
    const now = ((chainInvested.get(c.name) ?? 0) / pool) * 10_000
    if (rnd() < 0.5) byChain[c.name] = Math.min(10_000, Math.ceil(feasible ? now + 1 + rnd() * 1500 : rnd() * 3000))
  }
  const byProtocol: Record<string, number> = {}
  for (const [p, inv] of protInvested) {
    const now = (inv / pool) * 10_000
    if (rnd() < 0.6) byProtocol[p] = Math.min(10_000, Math.ceil(feasible ? now + 1 + rnd() * 1500 : rnd() * 3000))
  }
  const maxIdleBps = Math.min(...chains.map((c) => {
    const idle = venues.find((v) => v.id === c.idleVenueId)!
    const T = totals[chains.indexOf(c)]!
    return Math.floor((Number(idle.current / pow10(c.decimals - 6)) / 1e6 / T) * 10_000)
  }))
  const policy = strategyPolicySchema.parse({
    ...o.policy,
    allocation: {
      minIdleBps: feasible ? Math.min(500, Math.max(0, maxIdleBps - 1)) : 500,
      maxMovePerPeriodBps: 500 + Math.floor(rnd() * 3000),
      maxChainShareBpsByChain: byChain,
      maxProtocolShareBpsByProtocol: byProtocol,
      hysteresisBps: Math.floor(rnd() * 20),
      ...o.policy?.allocation,
    },
  })
  return { chains, venues, policy }
}
