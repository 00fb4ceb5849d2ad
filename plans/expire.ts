import type { Store } from '../store'
import type { PlanStatus } from '../store/types'

export const planExpiredAlertKey = (planId: string) => `plan-expired:${planId}`
export const planStoppedAlertKey = (planId: string) => `plan-stopped:${planId}`

/** Statuses a plan may expire from: not yet executing, or executing between two steps. */
export const EXPIRABLE: readonly PlanStatus[] = ['proposed', 'awaiting_approval', 'approved', 'executing']

/**
 * Marks a plan `expired` (compare-and-set from `from`), with a warning alert naming its age and
 * TTL, an audit entry, and its `plan:<id>` notice resolved. False when another agent moved it first.
 * Nothing of an expired plan runs any more; the strategist proposes afresh from the latest samples.
 */
export async function expirePlan(store: Store, input: { planId: string; chain: string | null; reason: string; agent: string; from?: readonly PlanStatus[] }): Promise<boolean> {
  const { planId, reason, agent } = input
  if (!(await store.plans.transition(planId, input.from ?? EXPIRABLE, 'expired', { error: reason }))) return false
  await store.alerts.raise({
    dedupKey: planExpiredAlertKey(planId),
    agent,
    chain: input.chain,
    rule: 'plan-expired',
    subject: planId,
    severity: 'warning',
    title: `Plan ${planId} expired: not executed`,
    body: reason,
  })
  await store.alerts.resolve(`plan:${planId}`, { agent, title: `Plan ${planId} expired`, body: reason })
  await store.audit.append({ actor: agent, action: 'plan-expired', detail: { plan: planId, reason } })
  return true
}

/**
 * Marks a plan `stopped` (compare-and-set from approved or executing): re-validation found a step
 * would now lose money or a venue it touches unhealthy. Its remaining steps stay pending; a
 * warning alert names the changed input. False when another agent moved it first.
 */
export async function stopPlan(store: Store, input: { planId: string; chain: string | null; stepIdx: number | null; reason: string; agent: string; title?: string }): Promise<boolean> {
  const { planId, reason, agent } = input
  if (!(await store.plans.transition(planId, ['approved', 'executing'], 'stopped', { error: reason }))) return false
  await store.alerts.raise({
    dedupKey: planStoppedAlertKey(planId),
    agent,
    chain: input.chain,
    rule: 'plan-stopped',
    subject: planId,
    severity: 'warning',
    title: input.title ?? `Plan ${planId} stopped${input.stepIdx !== null ? ` before step ${input.stepIdx}` : ''}: re-validation on the latest samples`,
    body: `${reason}\nRemaining steps stay pending; nothing more of this plan runs. The strategist proposes afresh.`,
  })
  await store.alerts.resolve(`plan:${planId}`, { agent, title: `Plan ${planId} stopped`, body: reason })
  await store.audit.append({ actor: agent, action: 'plan-stopped', detail: { plan: planId, step: input.stepIdx, reason } })
  return true
}
