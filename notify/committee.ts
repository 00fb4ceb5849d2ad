import { formatUnits } from 'viem'
import type { Config } from '../config/schema'
import type { Logger } from '../core/logger'
import type { Store } from '../store'
import type { Plan, PlanStep } from '../store/types'

/**
 * The committee's plan notifications: approval reached, execution started, each step confirmed,
 * plan completed, failed or stopped (with the reason), expired. Derived from the plans' stored
 * states — whichever path moved them (the executor, a committee Safe transaction, the plan CLI) —
 * and written exactly once per event through the store (`notifications`, a dedup key per event),
 * as outbox rows of rule `committee-*` that Telegram sends to the chats marked `committee: true`.
 */

export const COMMITTEE_RULES = ['committee-approved', 'committee-started', 'committee-step', 'committee-completed', 'committee-failed', 'committee-stopped', 'committee-expired'] as const
export type CommitteeRule = (typeof COMMITTEE_RULES)[number]

/**
 * What the committee hears of autonomous plans (below the approval threshold, run without it):
 * only how they ended badly — failed, stopped or expired, with the reason — since the committee
 * answers for the pool's money either way; their routine start, steps and completion are not sent
 * (the strategist makes many; they are in /plans, the dashboard and the ops alerts).
 */
export const AUTONOMOUS_RULES: ReadonlySet<CommitteeRule> = new Set(['committee-failed', 'committee-stopped', 'committee-expired'])
const ENDED_BADLY = ['failed', 'stopped', 'expired'] as const

/** The events of a plan the committee is sent: all of a committee plan's; an autonomous plan's bad endings. Pure. */
export function committeeEvents(plan: Plan, steps: readonly PlanStep[], approvals: number, amount: AmountFormat): PlanEvent[] {
  const all = planEvents(plan, steps, approvals, amount)
  return plan.needsApproval ? all : all.filter((e) => AUTONOMOUS_RULES.has(e.rule))
}

export interface PlanEvent {
  key: string
  planId: string
  rule: CommitteeRule
  severity: 'info' | 'warning'
  title: string
  body: string
  chain: string | null
}

const STARTED_STEP = new Set(['sent', 'confirmed', 'failed'])
const HASH = /^0x[0-9a-fA-F]{64}$/

/** Transaction hashes found in a step's detail (its txs, a Safe tx, a bridge's source/destination tx). */
export function txHashes(detail: unknown, depth = 0): string[] {
  if (typeof detail === 'string') return HASH.test(detail) ? [detail] : []
  if (depth > 3 || typeof detail !== 'object' || detail === null) return []
  const out = (Array.isArray(detail) ? detail : Object.values(detail)).flatMap((v) => txHashes(v, depth + 1))
  return [...new Set(out)]
}

export type AmountFormat = (step: PlanStep) => string

/** Every event the plan's stored state shows has happened, in the order they happen. Pure. */
export function planEvents(plan: Plan, steps: readonly PlanStep[], approvals: number, amount: AmountFormat): PlanEvent[] {
  const id = plan.id
  const key = (what: string) => `committee:${id}:${what}`
  const out: PlanEvent[] = []
  const started = plan.status === 'executing' || plan.status === 'completed' || steps.some((s) => STARTED_STEP.has(s.status))
  if (plan.needsApproval && (approvals >= plan.approvalsRequired || plan.status === 'approved' || started)) {
    out.push({ planId: id, key: key('approved'), rule: 'committee-approved', severity: 'info', chain: plan.chain, title: `Plan ${id}: committee approval reached`, body: `${approvals} of ${plan.approvalsRequired} approvals; the executor runs it next (re-validated on the latest samples first)` })
  }
  if (started) out.push({ planId: id, key: key('started'), rule: 'committee-started', severity: 'info', chain: plan.chain, title: `Plan ${id}: execution started`, body: `${steps.length} step(s)` })
  for (const s of [...steps].sort((a, b) => a.idx - b.idx)) {
    if (s.status !== 'confirmed') continue
    const txs = txHashes(s.detail)
    out.push({
      planId: id,
      key: key(`step:${s.idx}`),
      rule: 'committee-step',
      severity: 'info',
      chain: s.chain,
      title: `Plan ${id}: step ${s.idx + 1}/${steps.length} confirmed — ${s.kind} ${amount(s)} ${s.kind === 'withdraw' ? 'from' : s.kind === 'deposit' ? 'into' : 'via'} ${s.venueId} on ${s.chain}`,
      body: txs.length ? `tx ${txs.join(', ')}` : 'no transaction needed',
    })
  }
  const reason = plan.error ?? steps.find((s) => s.error)?.error ?? 'no reason recorded'
  if (plan.status === 'completed') out.push({ planId: id, key: key('completed'), rule: 'committee-completed', severity: 'info', chain: plan.chain, title: `Plan ${id} completed`, body: `all ${steps.length} step(s) confirmed` })
  if (plan.status === 'failed') out.push({ planId: id, key: key('failed'), rule: 'committee-failed', severity: 'warning', chain: plan.chain, title: `Plan ${id} failed`, body: `reason: ${reason}` })
  if (plan.status === 'stopped') out.push({ planId: id, key: key('stopped'), rule: 'committee-stopped', severity: 'warning', chain: plan.chain, title: `Plan ${id} stopped`, body: `reason: ${reason}` })
  if (plan.status === 'expired') out.push({ planId: id, key: key('expired'), rule: 'committee-expired', severity: 'warning', chain: plan.chain, title: `Plan ${id} expired`, body: `reason: ${reason}` })
  return out
}

/** A step's amount in the chain's collateral units (config.pool.collateral), e.g. "4 wstETH". */
export function collateralAmount(config: Pick<Config, 'pool'>): AmountFormat {
  return (s) => {
    const c = config.pool.collateral.find((x) => x.chain === s.chain)
    return `${formatUnits(s.amount, c?.decimals ?? 18)} ${c?.symbol ?? 'units'}`
  }
}

const BASELINE = 'committee:baseline'

export interface CommitteeNotifier {
  /** Writes the events not yet notified; returns their keys. */
  round(): Promise<string[]>
}

/**
 * Reads the committee plans updated within the lookback (and the autonomous plans that failed,
 * stopped or expired within it), derives their events and writes each
 * new one once (store.notifications.notifyOnce: the key and the outbox row in one transaction).
 * On its very first run (no baseline in the store) it records the events that already happened
 * as notified without sending them, so installing it does not replay a week of history.
 */
export function createCommitteeNotifier(deps: { store: Store; config: Config; agent: string; logger?: Logger; now?: () => number }): CommitteeNotifier {
  const { store, config, agent } = deps
  const now = deps.now ?? Date.now
  const amount = collateralAmount(config)
  return {
    async round() {
      const since = now() - config.sentinel.committee.lookbackSeconds * 1000
      const [committee, autonomous] = await Promise.all([
        store.notifications.plansUpdatedSince(since, { needsApproval: true }),
        store.notifications.plansUpdatedSince(since, { needsApproval: false, statuses: ENDED_BADLY }),
      ])
      const events: PlanEvent[] = []
      for (const id of [...committee, ...autonomous]) {
        const p = await store.plans.getWithSteps(id)
        if (!p) continue
        const count = p.plan.needsApproval ? (await store.approvals.count(id)).approve : 0
        events.push(...committeeEvents(p.plan, p.steps, count, amount))
      }
      const done = await store.notifications.notified([BASELINE, ...events.map((e) => e.key)])
      if (!done.has(BASELINE)) {
        await store.notifications.markNotified([...events.map((e) => e.key), BASELINE], now())
        if (events.length) deps.logger?.info({ events: events.length }, 'committee notifications: earlier plan events recorded as the baseline, not sent')
        return []
      }
      const sent: string[] = []
      for (const e of events) {
        if (done.has(e.key)) continue
        if (await store.notifications.notifyOnce({ key: e.key, agent, rule: e.rule, subject: e.planId, severity: e.severity, title: e.title, body: e.body, chain: e.chain, at: now() })) sent.push(e.key)
      }
      if (sent.length) deps.logger?.info({ sent }, 'committee notifications written')
      return sent
    },
  }
}
