import type { Config } from '../../config/schema'
import { planFromExplanation } from '../../plans/explanation'
import type { Plan, PlanStep, Sample } from '../../store'
import { unitOf } from '../../watch/units'
import { forkDeltaText } from '../../plans/forkReport'
import { NotFound, rangeWindow, type WebDeps } from '../context'
import { readingAtTime } from '../data'
import { fmtTime, fmtUnits, html, type Page, type RangeName, type Table } from '../html'

const planHref = (id: string, range: string) => `/plans/${encodeURIComponent(id)}?range=${range}`

/** Plans created in the range, newest first. */
export async function renderPlans(deps: WebDeps, range: RangeName): Promise<Page> {
  const { config, store } = deps
  const w = await rangeWindow(deps, range)
  const plans = (await store.plans.list({ limit: config.web.maxRows })).filter((p) => p.createdAt >= w.from * 1000)
  const table: Table = {
    id: 'plans',
    title: 'Plans',
    columns: [
      { key: 'id', label: 'plan', href: (r) => planHref(String(r.id), range) },
      { key: 'created', label: 'created' },
      { key: 'chain', label: 'chain' },
      { key: 'status', label: 'status' },
      { key: 'moved', label: 'moved', numeric: true },
      { key: 'expectedGain', label: 'expected gain', numeric: true },
      { key: 'cost', label: 'cost', numeric: true },
      { key: 'approvals', label: 'approvals' },
      { key: 'error', label: 'error' },
    ],
    rows: plans.map((p) => {
      const d = unitOf(config, p.chain).decimals
      return {
        id: p.id,
        created: fmtTime(p.createdAt),
        chain: p.chain ?? 'multi-chain',
        status: p.status,
        moved: fmtUnits(p.totalAmount, d),
        expectedGain: fmtUnits(p.expectedGain, d, 6),
        cost: fmtUnits(p.cost, d, 6),
        approvals: p.needsApproval ? `${p.approvalsRequired} required` : 'not needed',
        error: p.error,
      }
    }),
    note: plans.length >= config.web.maxRows ? `the newest ${config.web.maxRows} plans (web.maxRows)` : undefined,
    empty: 'no plan in this range',
  }
  return { title: 'Plans', section: '/plans', body: html``, tables: [table] }
}

/** One step's growth factor over [start, end]: the venue's exchange rate (assets per share) at the end over the one at the start. */
export interface Growth {
  venueId: string
  start: Pick<Sample, 'exchangeRate'> | undefined
  end: Pick<Sample, 'exchangeRate'> | undefined
}

/**
 * Realised gain of a plan over its horizon, in the plan's collateral (raw units): each deposit
 * earned its venue's exchange-rate growth from the plan's completion to the end of the horizon;
 * each withdrawal gave up its venue's growth over the same span. The idle collateral (an LST
 * venue) grows 0 in its own units. Null when a rate is missing.
 */
export function realisedGain(config: Config, steps: readonly Pick<PlanStep, 'kind' | 'venueId' | 'amount' | 'status'>[], growth: ReadonlyMap<string, Growth>): bigint | null {
  let gain = 0n
  for (const s of steps) {
    if (s.status !== 'confirmed' || (s.kind !== 'deposit' && s.kind !== 'withdraw')) continue
    const v = config.venues.find((x) => x.id === s.venueId)
    if (!v || v.kind === 'lst') continue
    const g = growth.get(s.venueId)
    const a = g?.start?.exchangeRate ?? null
    const b = g?.end?.exchangeRate ?? null
    if (a === null || b === null || a === 0n) return null
    const earned = (s.amount * (b - a)) / a
    gain += s.kind === 'deposit' ? earned : -earned
  }
  return gain
}

/** One plan: why, steps, costs, approvals and Safe signatures, transactions, transfers, realised against expected gain. */
export async function renderPlan(deps: WebDeps, id: string, range: RangeName): Promise<Page> {
  const { config, store } = deps
  const got = await store.plans.getWithSteps(id)
  if (!got) throw new NotFound(`no plan "${id}"`)
  const { plan, steps } = got
  const unit = unitOf(config, plan.chain)
  const d = unit.decimals
  const why = planFromExplanation(plan.explanation)
  const [approvals, safeTxs, intents, transfers] = await Promise.all([store.approvals.list(id), store.safeTxs.ofPlan(id), store.intents.list({ keyPrefix: `${id}:` }), store.transfers.list({ planId: id })])
  const w = await rangeWindow(deps, range)

  const stepsTable: Table = {
    id: 'steps',
    title: 'Steps',
    columns: [
      { key: 'idx', label: '#', numeric: true },
      { key: 'kind', label: 'kind' },
      { key: 'chain', label: 'chain' },
      { key: 'venue', label: 'venue', href: (r) => `/venue/${encodeURIComponent(String(r.venue))}?range=${range}` },
      { key: 'amount', label: 'amount', numeric: true },
      { key: 'status', label: 'status' },
      { key: 'gainPerYear', label: 'gain / year', numeric: true },
      { key: 'cost', label: 'cost', numeric: true },
      { key: 'why', label: 'why' },
      { key: 'txs', label: 'transactions' },
      { key: 'error', label: 'error' },
    ],
    rows: steps.map((s) => {
      const e = why?.plan.steps.find((x) => x.index === s.idx)
      const txs = intents.filter((i) => i.key.startsWith(`${id}:${s.idx}:`) && i.txHash).map((i) => i.txHash)
      return {
        idx: s.idx,
        kind: s.kind,
        chain: s.chain,
        venue: s.venueId,
        amount: fmtUnits(s.amount, unitOf(config, s.chain).decimals),
        status: s.status,
        gainPerYear: e ? e.expectedGainPerYear.toFixed(6) : null,
        cost: e ? e.cost.toFixed(6) : null,
        why: e?.why ?? null,
        txs: txs.join(' ') || null,
        error: s.error,
      }
    }),
  }
  const approvalsTable: Table = {
    id: 'approvals',
    title: 'Committee decisions',
    columns: [
      { key: 'member', label: 'member' },
      { key: 'decision', label: 'decision' },
      { key: 'via', label: 'via' },
      { key: 'at', label: 'at' },
    ],
    rows: approvals.map((a) => ({ member: a.member, decision: a.decision, via: a.via, at: fmtTime(a.at) })),
    empty: plan.needsApproval ? 'no decision yet' : 'below the approval threshold: no approval needed',
  }
  const safeTable: Table = {
    id: 'safe-txs',
    title: 'Safe transactions (owners’ signatures verified on chain)',
    columns: [
      { key: 'chain', label: 'chain' },
      { key: 'safeTxHash', label: 'safeTxHash' },
      { key: 'nonce', label: 'nonce', numeric: true },
      { key: 'status', label: 'status' },
      { key: 'signatures', label: 'signatures' },
      { key: 'signers', label: 'signed by' },
      { key: 'executedTx', label: 'executed in' },
      { key: 'fork', label: 'on a fork before signing' },
      { key: 'error', label: 'error' },
    ],
    rows: safeTxs.map((t) => ({ chain: t.chain, safeTxHash: t.safeTxHash, nonce: t.nonce, status: t.status, signatures: `${t.confirmations.length}/${t.threshold ?? '?'}`, signers: t.confirmations.join(' ') || null, executedTx: t.executedTx, fork: t.forkSimulation ? forkDeltaText(config, t.chain, t.forkSimulation) : null, error: t.error })),
    empty: 'no Safe transaction (custody "eoa", or below the threshold)',
  }
  const txTable: Table = {
    id: 'transactions',
    title: 'Transactions (exactly-once intents)',
    columns: [
      { key: 'key', label: 'intent' },
      { key: 'chain', label: 'chain' },
      { key: 'status', label: 'status' },
      { key: 'nonce', label: 'nonce', numeric: true },
      { key: 'txHash', label: 'tx hash' },
      { key: 'block', label: 'block', numeric: true },
      { key: 'gasUsed', label: 'gas used', numeric: true },
      { key: 'attempts', label: 'attempts', numeric: true },
      { key: 'error', label: 'error' },
    ],
    rows: intents.map((i) => ({ key: i.key, chain: i.chain, status: i.status, nonce: i.nonce?.toString() ?? null, txHash: i.txHash, block: i.blockNumber?.toString() ?? null, gasUsed: i.gasUsed?.toString() ?? null, attempts: i.attempts, error: i.error })),
    empty: 'no transaction sent',
  }
  const transfersTable: Table = {
    id: 'transfers',
    title: 'Wormhole transfers',
    columns: [
      { key: 'id', label: 'transfer' },
      { key: 'route', label: 'route' },
      { key: 'state', label: 'state' },
      { key: 'amount', label: 'amount', numeric: true },
      { key: 'sourceTx', label: 'source tx' },
      { key: 'destTx', label: 'destination tx' },
    ],
    rows: transfers.map((t) => ({ id: t.id, route: `${t.sourceChain} → ${t.destChain}`, state: t.state, amount: fmtUnits(t.amount, unitOf(config, t.sourceChain).decimals), sourceTx: t.sourceTx, destTx: t.destTx })),
    empty: 'no cross-chain transfer',
  }

  // Realised against expected: measured from the venues' rates over the horizon after completion.
  const horizonDays = why?.plan.horizonDays ?? config.strategy.allocation.horizonDays
  const doneAt = plan.status === 'completed' ? plan.updatedAt : null
  let realised: string
  let realisedValue: bigint | null = null
  if (doneAt === null) realised = `not measured: the plan is ${plan.status}, not completed`
  else {
    const end = Math.floor(doneAt / 1000) + horizonDays * 86_400
    if (end > w.to) realised = `not measured yet: the ${horizonDays}-day horizon ends ${fmtTime(end * 1000)} (newest block ${fmtTime(w.to * 1000)})`
    else {
      const venues = [...new Set(steps.map((s) => s.venueId))]
      const growth = new Map<string, Growth>()
      for (const v of venues) growth.set(v, { venueId: v, start: await readingAtTime(store, v, Math.floor(doneAt / 1000)), end: await readingAtTime(store, v, end) })
      realisedValue = realisedGain(config, steps, growth)
      realised = realisedValue === null ? 'not measurable: a venue has no exchange rate at the start or end of the horizon' : `${fmtUnits(realisedValue, d, 6)} ${unit.symbol} (net of cost: ${fmtUnits(realisedValue - plan.cost, d, 6)})`
    }
  }
  const alloc = why?.allocation
  const body = html`<p class="sub">${plan.chain ?? 'multi-chain'} · status <strong data-status="${plan.status}">${plan.status}</strong> · created ${fmtTime(plan.createdAt)} · updated ${fmtTime(plan.updatedAt)}${plan.error ? html` · <span class="error">${plan.error}</span>` : ''}</p>
<div class="kpis">
<div class="kpi"><span>moved</span><strong>${fmtUnits(plan.totalAmount, d)} ${unit.symbol}</strong></div>
<div class="kpi"><span>expected gain (${horizonDays} d)</span><strong data-kpi="expected">${fmtUnits(plan.expectedGain, d, 6)} ${unit.symbol}</strong></div>
<div class="kpi"><span>cost</span><strong>${fmtUnits(plan.cost, d, 6)} ${unit.symbol}</strong></div>
<div class="kpi"><span>realised gain</span><strong data-kpi="realised">${realised}</strong></div>
<div class="kpi"><span>approvals</span><strong>${plan.needsApproval ? `${approvals.filter((a) => a.decision === 'approve').length} of ${plan.approvalsRequired}` : 'not needed'}</strong></div>
</div>
<section class="why"><h2>Why</h2>
${alloc ? html`<p>Risk-adjusted yield of the pool ${Number(alloc.currentYield).toFixed(6)} → ${Number(alloc.targetYield).toFixed(6)} ${unit.symbol} a year; gain ${Number(alloc.gainPerYear).toFixed(6)} ${unit.symbol}/year for a one-off cost of ${Number(alloc.oneOffCost).toFixed(6)} ${unit.symbol}; net over the horizon ${why!.plan.netBenefit.toFixed(6)} ${unit.symbol}.</p>` : html`<p class="empty">no stored explanation</p>`}
${alloc?.warnings?.length ? html`<ul>${alloc.warnings.map((x) => html`<li>${x}</li>`)}</ul>` : ''}
<p class="note">Realised gain: each confirmed deposit earns its venue's exchange-rate growth from completion to the end of the horizon, each withdrawal gives up its venue's; idle collateral earns nothing in its own units.</p>
</section>`
  return { title: `Plan ${plan.id}`, section: '/plans', body, tables: [stepsTable, approvalsTable, safeTable, txTable, transfersTable], ranged: false }
}

export type { Plan }
