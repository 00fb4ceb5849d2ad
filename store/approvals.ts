import { num, str, timeToDb } from './convert.js'
import { StoreError } from './errors.js'
import type { Db } from './sqlite.js'
import type { Approval, ApprovalCount, ApprovalDecision, ApprovalInput, ApprovalVia } from './types.js'

/**
 * Committee decisions on plans, one per member and plan. Written by the plan CLI now and by the
 * Telegram agent later: both write exactly these rows. Whether a decision still matters (the
 * plan is awaiting approval) and moving the plan on quorum is the caller's business, through
 * `plans.transition` (inside `store.transaction` with `record` when both must happen together).
 */
export interface ApprovalsQueries {
  /**
   * Records a member's decision. Idempotent per (plan, member): the first decision stands; a
   * repeated call writes nothing and returns `inserted: false` with the decision on record
   * (which may differ from the one asked for). Returns the plan's counts after the call.
   * Throws StoreError when the plan does not exist.
   */
  record(input: ApprovalInput): Promise<{ inserted: boolean; approval: Approval; count: ApprovalCount }>
  /** Decisions on a plan, oldest first. */
  list(planId: string): Promise<Approval[]>
  count(planId: string): Promise<ApprovalCount>
}

const DECISIONS: readonly ApprovalDecision[] = ['approve', 'reject']
const VIAS: readonly ApprovalVia[] = ['cli', 'telegram']

interface ApprovalRow {
  plan_id: string
  member: string
  decision: string
  at: number
  via: string
}

function fromRow(r: ApprovalRow): Approval {
  return { planId: str(r.plan_id), member: str(r.member), decision: r.decision as ApprovalDecision, at: num(r.at), via: r.via as ApprovalVia }
}

export function createApprovals(db: Db): ApprovalsQueries {
  const count = async (planId: string): Promise<ApprovalCount> => {
    const rows = await db.all<{ decision: string; n: number }>('SELECT decision, COUNT(*) AS n FROM approvals WHERE plan_id = ? GROUP BY decision', [planId])
    const out: ApprovalCount = { approve: 0, reject: 0 }
    for (const r of rows) if (r.decision === 'approve' || r.decision === 'reject') out[r.decision] = num(r.n)
    return out
  }

  return {
    async record(input) {
      const where = `approval of plan ${input.planId} by ${input.member}`
      if (!input.planId || !input.member) throw new StoreError(`store: ${where}: planId and member are required`)
      if (!DECISIONS.includes(input.decision)) throw new StoreError(`store: ${where}: decision must be one of ${DECISIONS.join(', ')}`)
      if (!VIAS.includes(input.via)) throw new StoreError(`store: ${where}: via must be one of ${VIAS.join(', ')}`)
      const at = timeToDb(input.at ?? Date.now(), `${where} at`)
      return db.transaction(async () => {
        const plan = await db.get<{ id: string }>('SELECT id FROM plans WHERE id = ?', [input.planId])
        if (!plan) throw new StoreError(`store: ${where}: no such plan`)
        const res = await db.run('INSERT INTO approvals (plan_id, member, decision, at, via) VALUES (?, ?, ?, ?, ?) ON CONFLICT (plan_id, member) DO NOTHING', [
          input.planId,
          input.member,
          input.decision,
          at,
          input.via,
        ])
        const row = await db.get<ApprovalRow>('SELECT * FROM approvals WHERE plan_id = ? AND member = ?', [input.planId, input.member])
        if (!row) throw new StoreError(`store: ${where}: row vanished after insert`)
        return { inserted: res.changes > 0, approval: fromRow(row), count: await count(input.planId) }
      })
    },

    async list(planId) {
      return (await db.all<ApprovalRow>('SELECT * FROM approvals WHERE plan_id = ? ORDER BY at, member', [planId])).map(fromRow)
    },

    count,
  }
}
