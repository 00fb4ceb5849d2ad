import type { ChainClient } from '../chains/createChainClient'
import { readFeeHistory } from '../chains/feeHistory'
import { describeError } from '../core/errors'
import { stepGasCost, withGasCosts, type FeeHistoryReading, type StepGasCost } from '../strategies/gasPrice'
import type { Config } from '../config/schema'
import { expirePlan, stopPlan } from '../plans/expire'
import { chainsOfPlan, readPlanNow } from '../plans/planNow'
import { expiry, revalidatePlan, type Revalidation } from '../plans/revalidate'
import type { Store } from '../store'
import type { Plan, PlanStep } from '../store/types'

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
  let policy = deps.config.strategy
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
