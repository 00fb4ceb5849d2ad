import type { VenueKind } from '../config/schema'
import { gasPerStepOf, type StrategyPolicy } from './policy'

/**
 * One-off cost of a step (a deposit into or a withdrawal from a venue), in collateral units. The
 * chain's idle collateral venue is never a step (moving in or out of it is the other half of a
 * step), so it costs nothing.
 *
 *   gas       policy costs.gasPerStep (per chain)
 *   slippage  amount × costs.byKind[kind].slippageBps / 1e4          (deposits and withdrawals)
 *   queue     amount × withdrawalDelayDays / 365 × max(0, bestScore)  (withdrawals: yield forgone
 *             while queued, at the best score of the chain — a conservative estimate)
 */
export interface StepCost {
  gas: number
  slippage: number
  queue: number
  total: number
}

export function stepCost(
  policy: StrategyPolicy,
  step: { chain: string; kind: VenueKind; direction: 'deposit' | 'withdraw'; amount: number; bestScore: number },
): StepCost {
  const k = policy.costs.byKind[step.kind]
  const gas = gasPerStepOf(policy, step.chain)
  const slippage = (step.amount * k.slippageBps) / 10_000
  const queue = step.direction === 'withdraw' ? ((step.amount * k.withdrawalDelayDays) / 365) * Math.max(0, step.bestScore) : 0
  return { gas, slippage, queue, total: gas + slippage + queue }
}

/** Linear (per unit moved) part of a step's cost, in collateral units per unit. */
export function unitCost(policy: StrategyPolicy, kind: VenueKind, direction: 'deposit' | 'withdraw', bestScore: number): number {
  const k = policy.costs.byKind[kind]
  return k.slippageBps / 10_000 + (direction === 'withdraw' ? (k.withdrawalDelayDays / 365) * Math.max(0, bestScore) : 0)
}

/** One-off costs are spread over the horizon: multiply by this to get a cost per year. */
export const perYear = (policy: StrategyPolicy): number => 365 / policy.allocation.horizonDays

/**
 * One-off cost of moving `amount` (collateral units) from chain `from` to chain `to` through the
 * bridge, in collateral units (policy costs.bridge):
 *
 *   gas    sourceTxs × gasPerStep(from) + destinationTxs × gasPerStep(to)
 *   fee    fixedFee + amount × feeBps / 1e4
 *   delay  amount × delayMinutes / (365 × 1440) × max(0, bestScoreTo)   (yield forgone in flight)
 *   peg    amount × max(0, 1 − pegFrom / pegTo)   when both chains' collateral prices are known
 *          (`pegFrom`, `pegTo`: price in the backing asset): leaving a chain whose collateral trades
 *          below the destination's sells it at that price — the depeg is realised on exit, a
 *          one-off loss, not a yearly penalty. Never a gain (buying a depegged asset is a bet).
 */
export interface BridgeCost {
  gas: number
  fee: number
  delay: number
  /** The depeg realised on leaving a chain whose collateral trades below the destination's (absent: none). */
  peg?: number
  total: number
}

export function bridgeCost(policy: StrategyPolicy, t: { from: string; to: string; amount: number; bestScoreTo: number; pegFrom?: number | null; pegTo?: number | null }): BridgeCost {
  const b = policy.costs.bridge
  const gas = b.sourceTxs * gasPerStepOf(policy, t.from) + b.destinationTxs * gasPerStepOf(policy, t.to)
  const fee = b.fixedFee + (t.amount * b.feeBps) / 10_000
  const delay = t.amount * bridgeDelayYears(policy) * Math.max(0, t.bestScoreTo)
  const peg = t.amount * pegLoss(t.pegFrom, t.pegTo)
  return { gas, fee, delay, ...(peg > 0 ? { peg } : {}), total: gas + fee + delay + peg }
}

/** Share lost converting collateral priced `from` into collateral priced `to` (both in the backing asset): max(0, 1 − from/to); 0 when either is unknown. */
export function pegLoss(from: number | null | undefined, to: number | null | undefined): number {
  if (from == null || to == null || !Number.isFinite(from) || !Number.isFinite(to) || from <= 0 || to <= 0) return 0
  return Math.max(0, 1 - from / to)
}

/** The bridge's fixed cost per transfer (gas on both sides + fixed fee), collateral units. */
export const bridgeFixedCost = (policy: StrategyPolicy, from: string, to: string): number => bridgeCost(policy, { from, to, amount: 0, bestScoreTo: 0 }).total

/** Linear (per unit moved) part of a transfer's cost: fee and yield forgone in flight. */
export const bridgeUnitCost = (policy: StrategyPolicy, bestScoreTo: number): number =>
  policy.costs.bridge.feeBps / 10_000 + bridgeDelayYears(policy) * Math.max(0, bestScoreTo)

/** The transfer's time in flight, in years. */
export const bridgeDelayYears = (policy: StrategyPolicy): number => policy.costs.bridge.delayMinutes / (365 * 1440)
