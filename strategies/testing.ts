import type { VenueKind } from '../config/schema'
import type { AllocationChain, AllocationInput, AllocationRoute, AllocationVenue } from './constraints'
import { toRaw } from './constraints'
import { strategyPolicySchema, type StrategyPolicyInput } from './policy'

/**
 * Small builders for tests: allocation inputs written in collateral units (numbers), converted to
 * raw bigint with each chain's decimals. Not used by live code.
 */

export interface TestVenue {
  id: string
  chain?: string
  protocol?: string
  kind?: VenueKind
  /** Collateral units. */
  current: number
  score: number
  excluded?: string
  stuck?: boolean
  /** Readings do not cover the window: held exactly where it is. */
  frozen?: string
  withdrawable?: number
  lastMovedBlock?: number
  caps?: { maxAmount?: number; maxShareBps?: number }
}

export interface TestChain {
  name: string
  decimals?: number
  idle: string
  block?: number
  movedThisPeriod?: number
  /** Collateral units in flight to this chain. */
  inFlight?: number
}

export function mkInput(o: { chains?: TestChain[]; venues: TestVenue[]; policy?: StrategyPolicyInput; routes?: AllocationRoute[] }): AllocationInput {
  const chains: AllocationChain[] = (o.chains ?? [{ name: 'eth', idle: 'idle' }]).map((c) => ({
    name: c.name,
    decimals: c.decimals ?? 18,
    idleVenueId: c.idle,
    blockNumber: BigInt(c.block ?? 1_000),
    movedThisPeriod: toRaw(c.movedThisPeriod ?? 0, c.decimals ?? 18),
    ...(c.inFlight ? { inFlight: toRaw(c.inFlight, c.decimals ?? 18) } : {}),
  }))
  const dec = new Map(chains.map((c) => [c.name, c.decimals]))
  const venues: AllocationVenue[] = o.venues.map((v) => {
    const chain = v.chain ?? chains[0]!.name
    const d = dec.get(chain) ?? 18
    return {
      id: v.id,
      chain,
      protocol: v.protocol ?? `p-${v.id}`,
      kind: v.kind ?? 'erc4626',
      current: toRaw(v.current, d),
      score: v.score,
      excluded: v.excluded ?? null,
      stuck: v.stuck ?? false,
      ...(v.frozen ? { frozen: v.frozen } : {}),
      withdrawable: v.withdrawable === undefined ? null : toRaw(v.withdrawable, d),
      lastMovedBlock: v.lastMovedBlock === undefined ? null : BigInt(v.lastMovedBlock),
      caps: v.caps ?? {},
    }
  })
  return { chains, venues, policy: strategyPolicySchema.parse(o.policy ?? {}), ...(o.routes ? { routes: o.routes } : {}) }
}

/** A policy with no frictions (no gas, slippage, hysteresis, cooldown, buffer; unlimited moves), plus overrides. */
export function frictionless(over: StrategyPolicyInput = {}): StrategyPolicyInput {
  return {
    ...over,
    allocation: { minIdleBps: 0, maxMovePerPeriodBps: 10_000, hysteresisBps: 0, cooldownBlocks: 0, ...over.allocation },
    costs: {
      gasPerStep: 0,
      ...over.costs,
      byKind: { lst: { slippageBps: 0 }, erc4626: { slippageBps: 0 }, 'aave-v3': { slippageBps: 0 }, ...over.costs?.byKind },
    },
  }
}

/** Every ordered pair of the chains: all bridge routes. */
export const allRoutes = (...chains: string[]): AllocationRoute[] => chains.flatMap((from) => chains.filter((to) => to !== from).map((to) => ({ from, to })))
