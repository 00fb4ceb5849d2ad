import type { Store } from '../store'
import type { Config } from '../config/schema'
import type { ApprovalCount, ApprovalDecision, ApprovalVia, Plan } from '../store/types'

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

/** Pure: approvals and rejections of current members only. */
export function countCurrent(approvals: ReadonlyArray<{ member: string; decision: ApprovalDecision }>, members: readonly string[]): ApprovalCount {
  const out: ApprovalCount = { approve: 0, reject: 0 }
  for (const a of approvals) if (members.includes(a.member)) out[a.decision] += 1
  return out
}

/**
 * A committee member's decision on a plan awaiting approval: recorded once per member (the same
 * rows whether it comes from the plan CLI or the Telegram bot), the plan moved on when the
 * committee's verdict is reached, and every call — refused ones too — written to the audit log.
 */
export async function recordDecision(
  store: Store,
  input: {
    planId: string
    member: string
    decision: ApprovalDecision
    via: ApprovalVia
    committee: Committee
    /** Custody "safe": approvals are Safe signatures verified on chain, never a name: refused here. */
    custody?: 'eoa' | 'safe'
    at?: number
  },
): Promise<DecisionResult> {
  const { planId, member, decision, via, committee } = input
  const result = await store.transaction(async (): Promise<DecisionResult> => {
    if (input.custody === 'safe') {
      return {
        outcome: 'refused',
        message: `custody "safe": an approval is an owner's signature of the plan's Safe transaction, not a name — sign it (devnet: npm run plan -- approve ${planId} --as <member>; live: in Safe{Wallet})`,
      }
    }
    if (!committee.members.includes(member)) {
      return { outcome: 'refused', message: `"${member}" is not a committee member (members: ${committee.members.join(', ') || 'none configured'})` }
    }
    const plan = await store.plans.get(planId)
    if (!plan) return { outcome: 'refused', message: `no plan "${planId}"` }
    if (plan.status !== 'awaiting_approval') {
      return { outcome: 'refused', message: `plan ${planId} is ${plan.status.replace('_', ' ')}, not awaiting approval` }
    }
    const { inserted, approval } = await store.approvals.record({ planId, member, decision, via, at: input.at })
    // Only current members count (a former member's decision stays on record, uncounted), against
    // the plan's own approvalsRequired (fixed when it was proposed), never fewer than the config's.
    const count = countCurrent(await store.approvals.list(planId), committee.members)
    const rule: Committee = { members: committee.members, required: Math.max(plan.approvalsRequired, committee.required) }
    if (!inserted) {
      return { outcome: 'duplicate', message: `${member} already decided "${approval.decision}" on ${planId} (${approval.via}); a decision stands once made`, count }
    }
    const verdict = committeeVerdict(count, rule)
    if (verdict !== 'pending') {
      await store.plans.transition(planId, 'awaiting_approval', verdict, { at: input.at })
      return { outcome: verdict, message: `plan ${planId} ${verdict} (${count.approve} approve, ${count.reject} reject of ${rule.required} needed)`, count }
    }
    return { outcome: 'recorded', message: `${decision} by ${member} recorded: ${count.approve}/${rule.required} approvals`, count }
  })
  await store.audit.append({ actor: `${via}:${member}`, action: `plan.${decision}`, detail: { planId, outcome: result.outcome, message: result.message }, at: input.at })
  return result
}

/** Approvals counted for a plan: custody "safe" — owners whose signatures the executor verified (fewest over its chains); else decision rows. */
export async function approvalsOf(config: Pick<Config, 'custody'>, store: Store, p: Plan): Promise<number> {
  if (config.custody.kind === 'safe' && p.needsApproval) {
    const txs = await store.safeTxs.ofPlan(p.id)
    return txs.length ? Math.min(...txs.map((t) => t.confirmations.length)) : 0
  }
  return (await store.approvals.count(p.id)).approve
}
