import {
  amountFromDb,
  amountToDb,
  boolToDb,
  intFromDb,
  intToDb,
  jsonFromDb,
  jsonToDb,
  num,
  optStr,
  str,
  timeToDb,
} from './convert.js'
import { StoreError } from './errors.js'
import type { Db } from './sqlite.js'
import type { Plan, PlanInput, PlanStatus, PlanStep, PlanStepKind, PlanStepStatus, PlanWithSteps } from './types.js'
import { checkFence, type FenceRef } from './leases.js'

/**
 * Plans and their steps. The strategist creates plans and supersedes stale ones; approvals move a
 * plan from awaiting_approval to approved (CLI / Telegram); the executor moves it through
 * executing to completed or failed and writes step states.
 *
 * Status changes are compare-and-set: `transition(id, from, to)` changes the row only while it is
 * in one of the `from` states and returns false otherwise, so two agents racing (the strategist
 * superseding, the executor starting) never both win. Moves outside the life cycle below are
 * refused with StoreError (a bug, not a race):
 *
 *   proposed ──► awaiting_approval ──► approved ──► executing ──► completed
 *      │  └───────────────────────────────▲  │          └──────► failed
 *      └──► rejected / superseded ◄────────┴──┘ (approved: also failed, e.g. stale)
 *
 *   expired: from proposed, awaiting_approval, approved or executing, once the plan is older than
 *            its TTL (strategy.planTtlSeconds) before a step starts: nothing of it runs any more.
 *   stopped: from approved or executing, when re-validation before a step finds it would now lose
 *            money or a venue it touches is unhealthy (execution/revalidate.ts); `error` says why.
 *
 * Steps: pending → sent | confirmed | failed | skipped; sent → confirmed | failed.
 */
export interface PlansQueries {
  /**
   * Inserts the plan and its steps in one transaction. Idempotent on the id: when a plan with
   * this id exists nothing is written and the existing plan is returned with `inserted: false`.
   */
  create(input: PlanInput): Promise<{ inserted: boolean; plan: Plan }>
  get(id: string): Promise<Plan | undefined>
  /** The plan and its steps (in idx order), read in one transaction. */
  getWithSteps(id: string): Promise<PlanWithSteps | undefined>
  /** Steps of a plan in idx order. */
  steps(planId: string): Promise<PlanStep[]>
  /**
   * Plans, newest first by default, optionally by status (one or several) and chain (null:
   * multi-chain plans only).
   */
  list(filter?: { status?: PlanStatus | readonly PlanStatus[]; chain?: string | null; limit?: number; order?: 'newest' | 'oldest' }): Promise<Plan[]>
  /**
   * Compare-and-set: moves the plan to `to` only if its status is `from` (or one of them).
   * Returns false when the plan is missing or in another state. `error` is stored with the move
   * (e.g. why it failed); omitted keeps the current one.
   */
  transition(id: string, from: PlanStatus | readonly PlanStatus[], to: PlanStatus, opts?: { error?: string | null; at?: number }): Promise<boolean>
  /**
   * Supersedes every open plan (proposed, awaiting_approval, approved) of `chain` (null:
   * multi-chain plans) except `except`. Executing plans are never superseded. Returns the ids.
   */
  supersedeOpen(chain: string | null, opts?: { except?: string | readonly string[]; at?: number }): Promise<string[]>
  /**
   * Compare-and-set on a step: moves it to `to` when it is in `from` (default: any state from
   * which `to` is allowed). `mergeDetail` is shallow-merged into the step's detail object in
   * the same write. Returns false when the step is missing or in another state.
   */
  setStepStatus(
    planId: string,
    idx: number,
    to: PlanStepStatus,
    opts?: { from?: PlanStepStatus | readonly PlanStepStatus[]; error?: string | null; mergeDetail?: Record<string, unknown>; at?: number },
  ): Promise<boolean>
  /** Shallow-merges `detail` into a step's detail object without changing its status. False if the step is missing. */
  mergeStepDetail(planId: string, idx: number, detail: Record<string, unknown>, at?: number): Promise<boolean>
}

export const PLAN_STATUSES: readonly PlanStatus[] = ['proposed', 'awaiting_approval', 'approved', 'executing', 'completed', 'failed', 'rejected', 'superseded', 'expired', 'stopped']
export const PLAN_STEP_KINDS: readonly PlanStepKind[] = ['withdraw', 'deposit', 'bridge', 'redeem']
export const PLAN_STEP_STATUSES: readonly PlanStepStatus[] = ['pending', 'sent', 'confirmed', 'failed', 'skipped']

/** Plans not yet executing: what the strategist may supersede. */
export const OPEN_PLAN_STATUSES: readonly PlanStatus[] = ['proposed', 'awaiting_approval', 'approved']

const PLAN_MOVES: Readonly<Record<PlanStatus, readonly PlanStatus[]>> = {
  proposed: ['awaiting_approval', 'approved', 'rejected', 'superseded', 'expired'],
  awaiting_approval: ['approved', 'rejected', 'superseded', 'expired'],
  approved: ['executing', 'superseded', 'failed', 'expired', 'stopped'],
  executing: ['completed', 'failed', 'expired', 'stopped'],
  completed: [],
  failed: [],
  rejected: [],
  superseded: [],
  expired: [],
  stopped: [],
}

const STEP_MOVES: Readonly<Record<PlanStepStatus, readonly PlanStepStatus[]>> = {
  pending: ['sent', 'confirmed', 'failed', 'skipped'],
  sent: ['confirmed', 'failed'],
  confirmed: [],
  failed: [],
  skipped: [],
}

interface PlanRow {
  id: string
  created_at: number
  updated_at: number
  chain: string | null
  status: string
  based_on_block: string
  total_amount: string
  expected_gain: string
  cost: string
  needs_approval: number
  approvals_required: number
  explanation: string
  error: string | null
}

interface StepRow {
  plan_id: string
  idx: number
  kind: string
  chain: string
  venue_id: string
  amount: string
  status: string
  detail: string
  error: string | null
  updated_at: number
}

function planFromRow(r: PlanRow): Plan {
  const blocks = jsonFromDb(r.based_on_block)
  const basedOnBlock: Record<string, bigint> = {}
  if (blocks && typeof blocks === 'object') {
    for (const [chain, b] of Object.entries(blocks as Record<string, unknown>)) basedOnBlock[chain] = intFromDb(b, `plans.based_on_block.${chain}`)
  }
  return {
    id: str(r.id),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    chain: optStr(r.chain),
    status: r.status as PlanStatus,
    basedOnBlock,
    totalAmount: amountFromDb(r.total_amount, 'plans.total_amount'),
    expectedGain: amountFromDb(r.expected_gain, 'plans.expected_gain'),
    cost: amountFromDb(r.cost, 'plans.cost'),
    needsApproval: Boolean(r.needs_approval),
    approvalsRequired: num(r.approvals_required),
    explanation: jsonFromDb(r.explanation),
    error: optStr(r.error),
  }
}

function stepFromRow(r: StepRow): PlanStep {
  return {
    planId: str(r.plan_id),
    idx: num(r.idx),
    kind: r.kind as PlanStepKind,
    chain: str(r.chain),
    venueId: str(r.venue_id),
    amount: amountFromDb(r.amount, 'plan_steps.amount'),
    status: r.status as PlanStepStatus,
    detail: jsonFromDb(r.detail),
    error: optStr(r.error),
    updatedAt: num(r.updated_at),
  }
}

const asList = <T>(v: T | readonly T[]): readonly T[] => (Array.isArray(v) ? (v as readonly T[]) : [v as T])
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ')

function checkPlanMove(id: string, from: readonly PlanStatus[], to: PlanStatus): void {
  if (!PLAN_STATUSES.includes(to)) throw new StoreError(`store: plan ${id}: unknown status "${to}" (known: ${PLAN_STATUSES.join(', ')})`)
  if (from.length === 0) throw new StoreError(`store: plan ${id}: transition needs at least one expected status`)
  for (const f of from) {
    if (!PLAN_MOVES[f]?.includes(to)) throw new StoreError(`store: plan ${id}: cannot move from ${f} to ${to} (from ${f}: ${PLAN_MOVES[f]?.join(', ') || 'final state'})`)
  }
}

function validatePlan(p: PlanInput): void {
  const where = `plan ${p.id}`
  if (!p.id) throw new StoreError('store: plan: id is required')
  if (p.status !== undefined && !OPEN_PLAN_STATUSES.includes(p.status)) throw new StoreError(`store: ${where}: a new plan starts as ${OPEN_PLAN_STATUSES.join(', ')}, not ${p.status}`)
  if (!Number.isSafeInteger(p.approvalsRequired) || p.approvalsRequired < 0) throw new StoreError(`store: ${where}: approvalsRequired must be a non-negative integer`)
  if (p.steps.length === 0) throw new StoreError(`store: ${where}: a plan needs at least one step`)
  p.steps.forEach((s, i) => {
    if (!PLAN_STEP_KINDS.includes(s.kind)) throw new StoreError(`store: ${where} step ${i}: unknown kind "${s.kind}" (known: ${PLAN_STEP_KINDS.join(', ')})`)
    if (!s.chain || !s.venueId) throw new StoreError(`store: ${where} step ${i}: chain and venueId are required`)
    if (typeof s.amount !== 'bigint' || s.amount <= 0n) throw new StoreError(`store: ${where} step ${i}: amount must be a positive bigint`)
  })
}

export function createPlans(db: Db, fence: FenceRef = {}): PlansQueries {
  const getPlan = async (id: string) => {
    const row = await db.get<PlanRow>('SELECT * FROM plans WHERE id = ?', [id])
    return row ? planFromRow(row) : undefined
  }
  const getSteps = async (planId: string) => (await db.all<StepRow>('SELECT * FROM plan_steps WHERE plan_id = ? ORDER BY idx', [planId])).map(stepFromRow)

  const q: PlansQueries = {
    async create(input) {
      validatePlan(input)
      const at = timeToDb(input.at ?? Date.now(), `plan ${input.id} at`)
      const blocks: Record<string, number> = {}
      for (const [chain, b] of Object.entries(input.basedOnBlock)) blocks[chain] = intToDb(b, `plan ${input.id} basedOnBlock.${chain}`)
      const planRow = [
        input.id,
        at,
        at,
        input.chain,
        input.status ?? 'proposed',
        jsonToDb(blocks),
        amountToDb(input.totalAmount, `plan ${input.id} totalAmount`),
        amountToDb(input.expectedGain, `plan ${input.id} expectedGain`),
        amountToDb(input.cost, `plan ${input.id} cost`),
        boolToDb(input.needsApproval),
        input.approvalsRequired,
        jsonToDb(input.explanation ?? {}),
      ]
      const stepRows = input.steps.map((s, idx) => [input.id, idx, s.kind, s.chain, s.venueId, amountToDb(s.amount, `plan ${input.id} step ${idx} amount`), 'pending', jsonToDb(s.detail ?? {}), at])
      return db.transaction(async () => {
        const existing = await getPlan(input.id)
        if (existing) return { inserted: false, plan: existing }
        await checkFence(db, fence)
        await db.run(
          `INSERT INTO plans (id, created_at, updated_at, chain, status, based_on_block, total_amount, expected_gain, cost, needs_approval, approvals_required, explanation, error)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
          planRow,
        )
        for (const row of stepRows) {
          await db.run('INSERT INTO plan_steps (plan_id, idx, kind, chain, venue_id, amount, status, detail, error, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)', row)
        }
        const plan = await getPlan(input.id)
        if (!plan) throw new StoreError(`store: plan ${input.id} vanished after insert`)
        return { inserted: true, plan }
      })
    },

    get: getPlan,

    async getWithSteps(id) {
      return db.transaction(async () => {
        const plan = await getPlan(id)
        return plan ? { plan, steps: await getSteps(id) } : undefined
      })
    },

    steps: getSteps,

    async list(filter = {}) {
      const where: string[] = []
      const params: (string | number)[] = []
      if (filter.status !== undefined) {
        const statuses = asList(filter.status)
        if (statuses.length === 0) return []
        where.push(`status IN (${marks(statuses.length)})`)
        params.push(...statuses)
      }
      if (filter.chain === null) where.push('chain IS NULL')
      else if (filter.chain !== undefined) {
        where.push('chain = ?')
        params.push(filter.chain)
      }
      const dir = filter.order === 'oldest' ? 'ASC' : 'DESC'
      params.push(Math.max(0, Math.floor(filter.limit ?? 100)))
      const rows = await db.all<PlanRow>(`SELECT * FROM plans ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at ${dir}, id ${dir} LIMIT ?`, params)
      return rows.map(planFromRow)
    },

    async transition(id, from, to, opts = {}) {
      const fromList = asList(from)
      checkPlanMove(id, fromList, to)
      const at = timeToDb(opts.at ?? Date.now(), `plan ${id} transition at`)
      const keepError = opts.error === undefined
      const res = await db.run(
        `UPDATE plans SET status = ?, updated_at = ?, error = ${keepError ? 'error' : '?'} WHERE id = ? AND status IN (${marks(fromList.length)})`,
        [to, at, ...(keepError ? [] : [opts.error ?? null]), id, ...fromList],
      )
      return res.changes > 0
    },

    async supersedeOpen(chain, opts = {}) {
      const at = timeToDb(opts.at ?? Date.now(), 'supersede at')
      const except = opts.except === undefined ? [] : asList(opts.except)
      return db.transaction(async () => {
        const rows = await db.all<{ id: string }>(
          `SELECT id FROM plans WHERE ${chain === null ? 'chain IS NULL' : 'chain = ?'} AND status IN (${marks(OPEN_PLAN_STATUSES.length)})
           ${except.length ? `AND id NOT IN (${marks(except.length)})` : ''} ORDER BY created_at, id`,
          [...(chain === null ? [] : [chain]), ...OPEN_PLAN_STATUSES, ...except],
        )
        for (const r of rows) {
          await db.run(`UPDATE plans SET status = 'superseded', updated_at = ? WHERE id = ? AND status IN (${marks(OPEN_PLAN_STATUSES.length)})`, [at, r.id, ...OPEN_PLAN_STATUSES])
        }
        return rows.map((r) => str(r.id))
      })
    },

    async setStepStatus(planId, idx, to, opts = {}) {
      if (!PLAN_STEP_STATUSES.includes(to)) throw new StoreError(`store: plan ${planId} step ${idx}: unknown status "${to}" (known: ${PLAN_STEP_STATUSES.join(', ')})`)
      const fromList = opts.from === undefined ? PLAN_STEP_STATUSES.filter((s) => STEP_MOVES[s].includes(to)) : asList(opts.from)
      for (const f of fromList) {
        if (!STEP_MOVES[f]?.includes(to)) throw new StoreError(`store: plan ${planId} step ${idx}: cannot move from ${f} to ${to}`)
      }
      if (fromList.length === 0) return false
      const at = timeToDb(opts.at ?? Date.now(), `plan ${planId} step ${idx} at`)
      return db.transaction(async () => {
        const row = await db.get<StepRow>(`SELECT * FROM plan_steps WHERE plan_id = ? AND idx = ? AND status IN (${marks(fromList.length)})`, [planId, idx, ...fromList])
        if (!row) return false
        let detail = row.detail
        if (opts.mergeDetail) {
          const current = jsonFromDb(row.detail)
          const base = current && typeof current === 'object' && !Array.isArray(current) ? (current as Record<string, unknown>) : {}
          detail = jsonToDb({ ...base, ...opts.mergeDetail })
        }
        const keepError = opts.error === undefined
        await db.run(`UPDATE plan_steps SET status = ?, detail = ?, updated_at = ?, error = ${keepError ? 'error' : '?'} WHERE plan_id = ? AND idx = ?`, [
          to,
          detail,
          at,
          ...(keepError ? [] : [opts.error ?? null]),
          planId,
          idx,
        ])
        return true
      })
    },

    async mergeStepDetail(planId, idx, detail, at) {
      const when = timeToDb(at ?? Date.now(), `plan ${planId} step ${idx} at`)
      return db.transaction(async () => {
        const row = await db.get<{ detail: string }>('SELECT detail FROM plan_steps WHERE plan_id = ? AND idx = ?', [planId, idx])
        if (!row) return false
        const current = jsonFromDb(row.detail)
        const base = current && typeof current === 'object' && !Array.isArray(current) ? (current as Record<string, unknown>) : {}
        await db.run('UPDATE plan_steps SET detail = ?, updated_at = ? WHERE plan_id = ? AND idx = ?', [jsonToDb({ ...base, ...detail }), when, planId, idx])
        return true
      })
    },
  }
  return q
}
