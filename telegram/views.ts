import { formatAmount } from '../core/amount.js'
import type { Config } from '../config/schema.js'
import { approvalsOf } from '../plans/decide.js'
import { planFromExplanation } from '../plans/explanation.js'
import { comparedWithNowText } from '../plans/planNow.js'
import { OPEN_PLAN_STATUSES, OPEN_TRANSFER_STATES, type Store } from '../store/index.js'
import type { Plan } from '../store/types.js'
import { holdLines } from '../strategies/hold.js'
import { liquidityCheckText } from '../strategies/liquidity.js'
import { renderPlan } from '../strategies/plan.js'
import { activePauses, buildStatus, fmtAge, pauseOf, renderPauses } from '../watch/statusReport.js'
import { unitOf } from '../watch/units.js'
import { forkDeltaText, noForkText } from '../plans/forkReport.js'
import { formatDuration } from './args.js'

/**
 * The read commands' replies, as plain text from the store (the watcher's status report, the
 * plans and their stored explanations): never from the chains. Each fits a Telegram message.
 */

/** Telegram's limit is 4096 characters; leave room for a note. */
export const MAX_REPLY = 4000

export function clip(text: string, max = MAX_REPLY): string {
  if (text.length <= max) return text
  const cut = text.lastIndexOf('\n', max - 40)
  return `${text.slice(0, cut > 0 ? cut : max - 40)}\n… (cut: ${text.length - (cut > 0 ? cut : max - 40)} more characters)`
}

/** An agent whose heartbeat is older than this is shown as stale. */
const STALE_MS = 60_000
export const MUTE_PREFIX = 'mute:'

export interface Mute {
  rule: string
  until: number
  setBy: string
}

/** Active mutes (expired ones are left out). */
export async function activeMutes(store: Store, now: number): Promise<Mute[]> {
  const out: Mute[] = []
  for (const c of await store.controls.list(MUTE_PREFIX)) {
    const until = (c.value as { until?: unknown } | null)?.until
    if (typeof until === 'number' && until > now) out.push({ rule: c.key.slice(MUTE_PREFIX.length), until, setBy: c.setBy })
  }
  return out
}

export async function statusText(config: Config, store: Store, now: number): Promise<string> {
  const beats = await store.heartbeats.all()
  const pauses = await activePauses(store)
  const mutes = await activeMutes(store, now)
  const open = await store.alerts.open()
  const plans = await store.plans.list({ status: OPEN_PLAN_STATUSES, limit: 50 })
  const lines = ['Agents:']
  if (beats.length === 0) lines.push('  no heartbeat yet')
  for (const h of beats) {
    const age = now - h.beatAt
    const info = h.info as { block?: string; failing?: unknown } | null
    // Paused by the store's controls (its own pause or "all"), whatever the agent last reported.
    const paused = pauseOf(pauses, h.agent)
    lines.push(`  ${age > STALE_MS ? '✗' : '✓'} ${h.agent} — beat ${fmtAge(age)} ago${age > STALE_MS ? ' (STALE)' : ''}${paused ? ` — paused (${paused.target === 'all' ? 'all' : 'its own pause'})` : ''}${info?.block ? ` — block ${info.block}` : ''}${info?.failing ? ' — failing (reads no block)' : ''}`)
  }
  lines.push('', renderPauses(pauses, now))
  if (mutes.length) lines.push(`Mutes: ${mutes.map((m) => `${m.rule} for ${formatDuration(m.until - now)}`).join(', ')}`)
  const critical = open.filter((a) => a.severity === 'critical').length
  lines.push(`Open alerts: ${open.length}${critical ? ` (${critical} critical)` : ''} — /alerts`)
  const awaiting = plans.filter((p) => p.status === 'awaiting_approval').length
  lines.push(`Open plans: ${plans.length}${awaiting ? ` (${awaiting} awaiting the committee)` : ''} — /plans`)
  lines.push(`Chains: ${config.chains.map((c) => c.name).join(', ')}`)
  return clip(lines.join('\n'))
}

export async function yieldsText(config: Config, store: Store, chain: string | undefined, now: number): Promise<string> {
  const report = await buildStatus(config, store, now)
  const rows = report.rows.filter((r) => !chain || r.chain === chain)
  if (rows.length === 0) return chain ? `no venue on ${chain}` : 'no venues configured'
  const lines = [`Yields${chain ? ` on ${chain}` : ''} (from the store):`]
  let last = ''
  for (const r of rows) {
    if (r.chain !== last) lines.push(`${r.chain}:`)
    last = r.chain
    const extra = [r.utilisation !== '—' ? `util ${r.utilisation}` : '', r.peg !== '—' ? `peg ${r.peg}` : '', r.state !== 'ok' ? r.state : ''].filter(Boolean).join(', ')
    lines.push(`  ${r.venue}: APY ${r.apy}, TVL ${r.tvl}${extra ? `, ${extra}` : ''} (block ${r.block}, ${r.age})`)
  }
  return clip(lines.join('\n'))
}

export async function positionsText(config: Config, store: Store, now: number): Promise<string> {
  const report = await buildStatus(config, store, now)
  const positions = new Map((await store.history.latestPositions()).map((p) => [p.venueId, p]))
  // Every amount valued in the chain's collateral at the latest exchange rates (watch/units.ts).
  const lines = ['Pool positions (valued in the collateral at the latest exchange rates):']
  for (const c of config.chains) {
    const rows = report.rows.filter((r) => r.chain === c.name)
    const t = report.totals.find((x) => x.chain === c.name)
    const venueLines: string[] = []
    for (const r of rows) {
      const p = positions.get(r.venue)
      if (!p || p.amount === 0n) continue
      venueLines.push(`  ${r.venue}: ${r.position} (withdrawable ${r.withdrawable}, APY ${r.apy})`)
    }
    const notes = [t?.converted.length ? `incl. ${t.converted.join(', ')}` : '', t?.unknown.length ? `not counted, no rate: ${t.unknown.join(', ')}` : ''].filter(Boolean)
    lines.push(`${c.name}: ${t?.total ?? formatAmount(0n, unitOf(config, c.name))} in venues${notes.length ? ` (${notes.join('; ')})` : ''}`)
    lines.push(...(venueLines.length ? venueLines : ['  nothing deposited']))
  }
  return clip(lines.join('\n'))
}

/** A plan's amounts: its chain's collateral, or the pool's unit for a cross-chain plan (never "units"). */
const amount = (config: Config, chain: string | null, x: bigint, digits = 3) => formatAmount(x, unitOf(config, chain), { digits })

export function planLine(config: Config, p: Plan, approvals: number): string {
  return `${p.id} — ${p.status.replace('_', ' ')}, moves ${amount(config, p.chain, p.totalAmount)}${p.needsApproval ? `, approvals ${approvals}/${p.approvalsRequired}` : ''}`
}

export async function plansText(config: Config, store: Store): Promise<string> {
  const open = await store.plans.list({ status: OPEN_PLAN_STATUSES, limit: 20 })
  const recent = (await store.plans.list({ limit: 10 })).filter((p) => !open.some((o) => o.id === p.id)).slice(0, 5)
  const strategist = (await store.heartbeats.all()).find((h) => h.agent === 'strategist')
  const held = strategist ? holdLines(strategist.info) : []
  const holding = held.length ? ['', 'Why the pool holds:', ...held] : []
  if (open.length === 0 && recent.length === 0) return clip(['no plans yet', ...holding].join('\n'))
  const lines: string[] = [open.length ? 'Open plans:' : 'Open plans: none']
  for (const p of open) lines.push(`  ${planLine(config, p, await approvalsOf(config, store, p))}`)
  if (recent.length) {
    lines.push('Recent:')
    for (const p of recent) lines.push(`  ${planLine(config, p, await approvalsOf(config, store, p))}`)
  }
  lines.push(...holding)
  lines.push('', '/plan <id> shows why; committee: /approve <id>, /reject <id>')
  return clip(lines.join('\n'))
}

/**
 * Custody "safe": a committee plan's Safe transactions (one per chain) with the confirmations the
 * executor last verified on chain — what the Approve button shows instead of recording a name.
 */
export async function safeTxLines(config: Config, store: Store, plan: Plan): Promise<string[]> {
  if (config.custody.kind !== 'safe' || !plan.needsApproval) return []
  const txs = await store.safeTxs.ofPlan(plan.id)
  if (txs.length === 0) return ['Safe transaction: not stored yet (the executor builds it on its next round)']
  return txs.flatMap((t) => {
    const needed = Math.max(t.threshold ?? 0, plan.approvalsRequired)
    // What it does, executed on a fork of the chain before anyone signed (plans/forkReport.ts).
    const fork = t.forkSimulation ? forkDeltaText(config, t.chain, t.forkSimulation) : noForkText(t.chain)
    return [`Safe tx on ${t.chain}: ${t.safeTxHash} (nonce ${t.nonce}, ${t.status}) — signatures ${t.confirmations.length}/${needed}${t.confirmations.length ? `: ${t.confirmations.join(', ')}` : ''}`, `  ${fork}`]
  })
}

/** The Approve button in custody "safe": the Safe tx and its confirmations; nothing is recorded. */
export async function safeApprovalText(config: Config, store: Store, plan: Plan): Promise<string> {
  const lines = [`Plan ${plan.id} is a Safe transaction the committee signs; an approval is your signature, not a button.`, ...(await safeTxLines(config, store, plan))]
  lines.push(config.profile === 'devnet' ? `Sign it: npm run plan -- approve ${plan.id} --as <you>` : 'Sign it in Safe{Wallet} (Transactions → Queue); the executor executes once the threshold is met.')
  return clip(lines.join('\n'))
}

/** The `npm run plan -- show` view: header, committee, steps, and the stored why. Undefined when unknown. */
export async function planText(config: Config, store: Store, id: string): Promise<string | undefined> {
  const found = await store.plans.getWithSteps(id)
  if (!found) return undefined
  const { plan, steps } = found
  const approvals = await store.approvals.list(id)
  const lines = [`Plan ${plan.id} — ${plan.status.replace('_', ' ')}${plan.error ? ` (${plan.error})` : ''}`]
  lines.push(`based on ${Object.entries(plan.basedOnBlock).map(([c, b]) => `${c} block ${b}`).join(', ')}; moves ${amount(config, plan.chain, plan.totalAmount)}; cost ${amount(config, plan.chain, plan.cost, 4)}`)
  if (plan.needsApproval) {
    const yes = approvals.filter((a) => a.decision === 'approve').length
    if (config.custody.kind === 'safe') lines.push(...(await safeTxLines(config, store, plan)))
    else lines.push(`committee: ${yes}/${plan.approvalsRequired} approvals${approvals.length ? ` — ${approvals.map((a) => `${a.member} ${a.decision} (${a.via})`).join(', ')}` : ''}`)
  }
  lines.push('steps:')
  for (const s of steps) lines.push(`  ${s.idx}. ${s.kind} ${amount(config, s.chain, s.amount, 4)} ${s.venueId} — ${s.status}${s.error ? ` (${s.error})` : ''}`)
  const compared = await comparedWithNowText({ config, store }, plan, steps)
  if (compared) lines.push('', compared)
  const e = planFromExplanation(plan.explanation)
  if (e) {
    lines.push('', renderPlan(e.plan, { verbose: false }))
    if (e.allocation.warnings.length) lines.push(`warnings: ${e.allocation.warnings.join('; ')}`)
    if (e.allocation.liquidityCheck) lines.push(liquidityCheckText(e.allocation.liquidityCheck))
  }
  return clip(lines.join('\n'))
}

export async function alertsText(store: Store, now: number): Promise<string> {
  const open = await store.alerts.open()
  const mutes = await activeMutes(store, now)
  const lines = open.length ? [`Open alerts (${open.length}):`] : ['Open alerts: none']
  for (const a of open) lines.push(`  [${a.severity.toUpperCase()}] ${a.title} — ${a.rule}, ${fmtAge(now - a.openedAt)} ago`)
  if (mutes.length) lines.push('', `Muted: ${mutes.map((m) => `${m.rule} for ${formatDuration(m.until - now)} (by ${m.setBy})`).join(', ')}`)
  return clip(lines.join('\n'))
}

/** /transfers: the Wormhole transfers not yet landed, held ones first, then the latest landed. */
export async function transfersText(store: Store): Promise<string> {
  const all = await store.transfers.list({ limit: 30 })
  if (all.length === 0) return 'Transfers: none yet'
  const held = all.filter((t) => t.heldReason !== null)
  const open = all.filter((t) => t.heldReason === null && OPEN_TRANSFER_STATES.includes(t.state))
  const rest = all.filter((t) => t.heldReason === null && !OPEN_TRANSFER_STATES.includes(t.state)).slice(0, 5)
  const line = (t: (typeof all)[number]) => `  ${t.id} ${t.sourceChain}→${t.destChain} ${t.state}, ${t.attempts} attempt(s)`
  const lines: string[] = []
  if (held.length) {
    lines.push(`Held for a person (${held.length}) — /release <id> once the cause is fixed:`)
    for (const t of held) lines.push(line(t), `    ${t.heldReason}`)
  }
  lines.push(open.length ? `In progress (${open.length}):` : 'In progress: none', ...open.map(line))
  if (rest.length) lines.push('Latest finished:', ...rest.map(line))
  return clip(lines.join('\n'))
}
