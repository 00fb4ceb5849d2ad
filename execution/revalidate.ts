import { decodeFunctionResult, encodeFunctionData, parseAbi, type Hex, type PublicClient } from 'viem'
import type { ChainClient } from '../chains/createChainClient'
import { blockParam, type BlockPin } from '../chains/readBlock'
import { readFeeHistory } from '../chains/feeHistory'
import { describeError } from '../core/errors'
import { stepGasCost, withGasCosts, type FeeHistoryReading, type StepGasCost } from '../strategies/gasPrice'
import type { StrategyPolicy } from '../strategies/policy'
import type { Config, VenueConfig } from '../config/schema'
import { boundOf, describeSlippage, previewWhat, storedPreviewOf, withinBound, type StepPreview } from '../plans/slippage'
import { expirePlan, stopPlan } from '../plans/expire'
import { chainsOfPlan, readPlanNow } from '../plans/planNow'
import { expiry, revalidatePlan, type Revalidation } from '../plans/revalidate'
import type { Store } from '../store'
import type { Plan, PlanStep, PlanStepKind } from '../store/types'

/**
 * The executor's re-validation of a plan before a step: the chains' heads (the touched chains'
 * clients), the store's latest samples scored as the strategist scores them (plans/planNow.ts),
 * and the pure verdict (plans/revalidate.ts: expire / hold / stop / go). `applyRevalidation`
 * writes an expire or a stop (status, alert, audit). With strategy.costs.gas.source "fee-history"
 * the remaining steps are costed at each touched chain's fee history read now, as the strategist
 * costs them; a chain whose fee history does not read, or reads stale, holds the plan (waits).
 * Kept apart from executePlan's transaction
 * path so another way of sending (a Safe, a Roles modifier) calls the same check.
 */
export interface RevalidateOptions {
  /** Wall clock in ms (default Date.now): the plan's age against strategy.planTtlSeconds. */
  now?: () => number
}

export async function revalidateBeforeStep(
  deps: { config: Config; store: Store; chains: Readonly<Record<string, ChainClient>> },
  plan: Plan,
  steps: readonly PlanStep[],
  stepIdx: number,
  opts: RevalidateOptions = {},
): Promise<Revalidation> {
  // Heads of the chains the steps still to run touch (a chain the plan is done with needs no RPC).
  const heads: Record<string, bigint> = {}
  for (const name of chainsOfPlan({ basedOnBlock: {} }, steps.filter((s) => s.idx >= stepIdx && s.status === 'pending'))) {
    const c = deps.chains[name]
    if (c) heads[name] = await c.client.getBlockNumber({ cacheTime: 0 })
  }
  const at = (opts.now ?? Date.now)()
  const now = await readPlanNow(deps, plan, steps, { at, heads })
  let policy: StrategyPolicy = deps.config.strategy
  // An expired plan is expired whatever gas costs: no fee reads for it.
  if (policy.costs.gas.source === 'fee-history' && !expiry(plan, at, policy.planTtlSeconds)) {
    const costs: Extract<StepGasCost, { ok: true }>[] = []
    for (const [name, head] of Object.entries(heads)) {
      let reading: FeeHistoryReading
      try {
        reading = await readFeeHistory(deps.chains[name]!.client, policy.costs.gas, () => at)
      } catch (err) {
        return { verdict: 'hold', reason: `fee history of ${name} does not read (${describeError(err)}): the steps' gas cost is unknown; waiting` }
      }
      const c = stepGasCost(policy, name, reading, { headBlock: head, nowMs: at })
      if (!c.ok) return { verdict: 'hold', reason: `${c.reason}; waiting` }
      costs.push(c)
    }
    policy = withGasCosts(policy, costs)
  }
  return revalidatePlan({ plan, steps, stepIdx, now, policy })
}

/** Writes an `expire` or `stop` verdict; true when this call moved the plan. */
export async function applyRevalidation(store: Store, plan: Plan, v: Revalidation, agent: string): Promise<boolean> {
  if (v.verdict === 'expire') return expirePlan(store, { planId: plan.id, chain: plan.chain, reason: v.reason, agent })
  if (v.verdict === 'stop') return stopPlan(store, { planId: plan.id, chain: plan.chain, stepIdx: v.stepIdx, reason: v.reason, agent })
  return false
}

// ── slippage: the step's bound against what the venue previews now ──────────────────────────

const previewAbi = parseAbi([
  'function previewDeposit(uint256 assets) view returns (uint256 shares)',
  'function previewWithdraw(uint256 assets) view returns (uint256 shares)',
])

/**
 * What a step would get (or, for an ERC-4626 withdrawal, burn) if it ran at `at` (default: the
 * latest block), as the venue itself previews it: ERC-4626 `previewDeposit(amount)` (shares out) /
 * `previewWithdraw(amount)` (shares in); an Aave-v3-style market credits aTokens and pays assets 1:1,
 * so its preview is the amount. Undefined for a step with nothing to preview (idle collateral).
 */
export async function previewStepOnChain(client: PublicClient, venue: VenueConfig, kind: PlanStepKind, amount: bigint, at?: BlockPin): Promise<bigint | undefined> {
  const what = previewWhat(venue.kind, kind)
  if (!what) return undefined
  if (venue.kind !== 'erc4626') return amount
  const functionName = what === 'sharesOut' ? 'previewDeposit' : 'previewWithdraw'
  const data = encodeFunctionData({ abi: previewAbi, functionName, args: [amount] })
  const out = (await client.request({ method: 'eth_call', params: [{ to: venue.address, data }, at ? blockParam(at) : 'latest'] as never })) as Hex
  return decodeFunctionResult({ abi: previewAbi, functionName, data: out })
}

export type RepreviewVerdict =
  | { verdict: 'go'; preview: StepPreview; actual: bigint; block: bigint }
  | { verdict: 'stop'; preview: StepPreview; actual: bigint; block: bigint; reason: string }

/**
 * Re-preview of a step before it is sent (the executor's re-validation): the venue's preview at
 * the latest block against the step's bound. The bound is the one previewed when the plan was
 * decided (`detail.preview`, plans/slippage.ts); a step stored without one (a plan written before
 * bounds existed, a hand-made plan) is bounded by this preview at `slippageBps` (source
 * "execution") — never sent unbounded. A preview beyond the bound stops the plan before anything
 * is sent; within it, the router still enforces the bound in the transaction itself.
 */
export async function repreviewStep(
  client: PublicClient,
  step: Pick<PlanStep, 'idx' | 'kind' | 'venueId' | 'amount' | 'detail'>,
  venue: VenueConfig,
  slippageBps: number,
): Promise<RepreviewVerdict | undefined> {
  const what = previewWhat(venue.kind, step.kind)
  if (!what) return undefined
  const head = await client.getBlock({ blockTag: 'latest', includeTransactions: false })
  const actual = await previewStepOnChain(client, venue, step.kind, step.amount, { blockHash: head.hash! })
  if (actual === undefined) return undefined
  const stored = storedPreviewOf(step.detail)
  const preview: StepPreview = stored ?? { what, amount: actual, bound: boundOf(what, actual, slippageBps), slippageBps, block: head.number!, source: 'execution' }
  if (withinBound(preview.what, preview.bound, actual)) return { verdict: 'go', preview, actual, block: head.number! }
  return { verdict: 'stop', preview, actual, block: head.number!, reason: describeSlippage(step, preview, actual, `previewed by the venue at block ${head.number}`) }
}
