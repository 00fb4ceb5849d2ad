import type { Store } from '../store'
import type { ApprovalCount, ApprovalDecision, ApprovalVia } from '../store/types'

export interface Committee {
  members: readonly string[]
  required: number
}

export type DecisionOutcome = 'recorded' | 'approved' | 'rejected' | 'duplicate' | 'refused'

export interface DecisionResult {
  outcome: DecisionOutcome
  message: string
  count?: ApprovalCount
}

/**
 * Pure: what M-of-N approvals mean. Approved once `required` members approved; rejected once so
 * many rejected that `required` approvals can no longer be reached.
 */
export function committeeVerdict(count: ApprovalCount, c: Committee): 'approved' | 'rejected' | 'pending' {
  if (count.approve >= c.required) return 'approved'
  if (count.reject > c.members.length - c.required) return 'rejected'
  return 'pending'
}

/**
 * A committee member's decision on a plan awaiting approval: recorded once per member (the same
 * rows whether it comes from the plan CLI or the Telegram bot), the plan moved on when the
 * committee's verdict is reached, and every call — refused ones too — written to the audit log.
 */
export async function recordDecision(
  store: Store,
  input: { planId: string; member: string; decision: ApprovalDecision; via: ApprovalVia; committee: Committee; at?: number },
): Promise<DecisionResult> {
  const { planId, member, decision, via, committee } = input
  const result = await store.transaction(async (): Promise<DecisionResult> => {
    if (!committee.members.includes(member)) {
      return { outcome: 'refused', message: `"${member}" is not a committee member (members: ${committee.members.join(', ') || 'none configured'})` }
    }
    const plan = await store.plans.get(planId)
    if (!plan) return { outcome: 'refused', message: `no plan "${planId}"` }
    if (plan.status !== 'awaiting_approval') {
      return { outcome: 'refused', message: `plan ${planId} is ${plan.status.replace('_', ' ')}, not awaiting approval` }
    }
    const { inserted, approval, count } = await store.approvals.record({ planId, member, decision, via, at: input.at })
    if (!inserted) {
      return { outcome: 'duplicate', message: `${member} already decided "${approval.decision}" on ${planId} (${approval.via}); a decision stands once made`, count }
    }
    const verdict = committeeVerdict(count, committee)
    if (verdict !== 'pending') {
      await store.plans.transition(planId, 'awaiting_approval', verdict, { at: input.at })
      return { outcome: verdict, message: `plan ${planId} ${verdict} (${count.approve} approve, ${count.reject} reject of ${committee.required} needed)`, count }
    }
    return { outcome: 'recorded', message: `${decision} by ${member} recorded: ${count.approve}/${committee.required} approvals`, count }
  })
  await store.audit.append({ actor: `${via}:${member}`, action: `plan.${decision}`, detail: { planId, outcome: result.outcome, message: result.message }, at: input.at })
  return result
}
