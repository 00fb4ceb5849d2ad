import type { StrategyPolicy } from './policy'

/**
 * What a step (one deposit or one withdrawal) costs in gas on a chain, in collateral units, from
 * the chain's fee history (`eth_feeHistory`) — PURE: the reading is taken by the caller.
 *
 *   gas price  = the next block's base fee (the last `baseFeePerGas` entry)
 *              + the median over the read blocks of the `priorityPercentile` reward
 *                (costs.gas.fallbackPriorityFeeGwei when the node returns no rewards)
 *   per step   = gasPerStep(chain) × gas price / 1e18            (native token, e.g. ETH)
 *              ÷ nativePerCollateral(chain)                      (→ collateral units)
 *              + extraPerStep(chain)                             (e.g. an L2's L1 data fee)
 *
 * No reading, an empty one, one whose newest block is more than `maxLagBlocks` behind the chain's
 * sampled block, or one read more than `maxAgeSeconds` ago is refused with the reason: the
 * strategist does not plan on a gas cost it does not know (plans/proposePlan.ts holds).
 *
 * With costs.gas.source "flat" nothing is read and every step costs costs.gasPerStep(ByChain).
 */

/** An `eth_feeHistory` answer as viem's getFeeHistory gives it, with when it was read. */
export interface FeeHistoryReading {
  oldestBlock: bigint
  /** blockCount + 1 entries: the last is the base fee of the block after the newest. */
  baseFeePerGas: readonly bigint[]
  /** Per block, the rewards at the requested percentiles (one: costs.gas.priorityPercentile). */
  reward?: readonly (readonly bigint[])[]
  /** ms since the epoch. */
  readAtMs: number
}

export type StepGasCost =
  | {
      ok: true
      chain: string
      /** Collateral units per step. */
      perStep: number
      baseFeeWei: bigint
      priorityFeeWei: bigint
      priorityFrom: 'fee-history' | 'fallback'
      newestBlock: bigint
    }
  | { ok: false; chain: string; reason: string }

const GWEI = 1_000_000_000

function median(xs: readonly bigint[]): bigint {
  const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2n
}

/** The newest block a reading covers (the last `baseFeePerGas` entry is the next block's). */
export const newestBlockOf = (r: FeeHistoryReading): bigint => r.oldestBlock + BigInt(Math.max(0, r.baseFeePerGas.length - 2))

export function stepGasCost(policy: StrategyPolicy, chain: string, reading: FeeHistoryReading | null | undefined, at: { headBlock: bigint; nowMs: number }): StepGasCost {
  const g = policy.costs.gas
  if (!reading || reading.baseFeePerGas.length === 0) return { ok: false, chain, reason: `no fee history for ${chain}: the gas cost of a step is unknown` }
  const ageS = (at.nowMs - reading.readAtMs) / 1000
  if (ageS > g.maxAgeSeconds) return { ok: false, chain, reason: `fee history for ${chain} is stale: read ${Math.round(ageS)} s ago (costs.gas.maxAgeSeconds ${g.maxAgeSeconds})` }
  const newestBlock = newestBlockOf(reading)
  const lag = at.headBlock - newestBlock
  const maxLag = g.maxLagBlocksByChain[chain] ?? g.maxLagBlocks
  if (lag > BigInt(maxLag)) {
    return { ok: false, chain, reason: `fee history for ${chain} is stale: its newest block ${newestBlock} is ${lag} blocks behind ${at.headBlock} (costs.gas.maxLagBlocks ${maxLag})` }
  }
  const baseFeeWei = reading.baseFeePerGas[reading.baseFeePerGas.length - 1]!
  const rewards = (reading.reward ?? []).map((r) => r[0]).filter((x): x is bigint => x !== undefined)
  const priorityFrom = rewards.length ? 'fee-history' : 'fallback'
  const priorityFeeWei = rewards.length ? median(rewards) : BigInt(Math.round(g.fallbackPriorityFeeGwei * GWEI))
  const units = g.gasPerStepByChain[chain] ?? g.gasPerStep
  const native = (units * Number(baseFeeWei + priorityFeeWei)) / 1e18
  const perStep = native / (g.nativePerCollateralByChain[chain] ?? g.nativePerCollateral) + (g.extraPerStepByChain[chain] ?? 0)
  return { ok: true, chain, perStep, baseFeeWei, priorityFeeWei, priorityFrom, newestBlock }
}

/** The policy with each chain's step cost set to its estimate (what the allocator and the costs read through gasPerStepOf). */
export function withGasCosts(policy: StrategyPolicy, costs: readonly Extract<StepGasCost, { ok: true }>[]): StrategyPolicy {
  if (costs.length === 0) return policy
  return {
    ...policy,
    costs: { ...policy.costs, gasPerStepByChain: { ...policy.costs.gasPerStepByChain, ...Object.fromEntries(costs.map((c) => [c.chain, c.perStep])) } },
  }
}

/** One line per chain for logs and the plan's explanation: "ethereum 0.00191 (base 6.1 gwei + tip 0.8 gwei × 275000 gas)". */
export const gasCostText = (c: Extract<StepGasCost, { ok: true }>, units: number): string =>
  `${c.chain} ${c.perStep.toPrecision(3)} per step (base ${(Number(c.baseFeeWei) / GWEI).toPrecision(3)} gwei + tip ${(Number(c.priorityFeeWei) / GWEI).toPrecision(3)} gwei${c.priorityFrom === 'fallback' ? ' (fallback)' : ''} × ${units} gas)`
