import { pollIntervalMs } from '../../runtime/createAgent'
import { activePauses } from '../../watch/statusReport'
import { poolUnit } from '../../watch/units'
import { poolSeries, rangeWindow, venueHistories, type WebDeps } from '../context'
import { fmtPct, fmtTime, html, renderChart, type Page, type RangeName, type Table } from '../html'
import { alertRows, alertColumns } from './shared'

/** How long an agent may go without a heartbeat before the page calls it late (ms). */
export function lateAfterMs(deps: WebDeps): number {
  return Math.max(30_000, 10 * pollIntervalMs(deps.config.chains))
}

/** The overview: collateral per chain and venue (stacked), blended and risk-adjusted APY, open alerts, agents, pauses. */
export async function renderOverview(deps: WebDeps, range: RangeName): Promise<Page> {
  const { config, store } = deps
  const now = (deps.now ?? Date.now)()
  const w = await rangeWindow(deps, range)
  const histories = await venueHistories(deps, w, config.venues)
  const s = poolSeries(config, histories, w)
  const unit = poolUnit(config)
  const xRange: [number, number] = [w.from, w.to]

  const collateralChart = renderChart({
    id: 'collateral',
    title: `Collateral per chain and venue (${unit.symbol}, stacked)`,
    x: s.x,
    series: s.collateral.map((c) => ({ label: `${c.venue.chain} · ${c.venue.id}`, values: c.values, unit: 'amount' as const })),
    stacked: true,
    xRange,
  })
  const apyChart = renderChart({
    id: 'apy',
    title: 'Pool APY: blended and risk-adjusted (position-weighted)',
    x: s.x,
    series: [
      { label: 'blended APY', values: s.blendedApy, unit: 'pct' },
      { label: 'risk-adjusted APY', values: s.riskAdjustedApy, unit: 'pct' },
    ],
    xRange,
  })

  const open = await store.alerts.open()
  const openTable: Table = {
    id: 'open-alerts',
    title: 'Open alerts',
    columns: [
      { key: 'opened', label: 'opened' },
      { key: 'severity', label: 'severity' },
      { key: 'chain', label: 'chain' },
      { key: 'rule', label: 'rule' },
      { key: 'subject', label: 'subject', href: (r) => (config.venues.some((v) => v.id === r.subject) ? `/venue/${encodeURIComponent(String(r.subject))}?range=${range}` : null) },
      { key: 'title', label: 'title' },
    ],
    rows: open.map((a) => ({ opened: fmtTime(a.openedAt), severity: a.severity, chain: a.chain, rule: a.rule, subject: a.subject, title: a.title })),
    empty: 'no open alerts',
  }
  const raised = (await store.alerts.recent(config.web.maxRows)).filter((a) => a.createdAt >= w.from * 1000)
  const raisedTable: Table = { id: 'alerts', title: 'Alerts raised in this range', columns: alertColumns, rows: alertRows(raised), empty: 'no alerts in this range' }

  const late = lateAfterMs(deps)
  const pauses = await activePauses(store)
  const beats = await store.heartbeats.all()
  const agentsTable: Table = {
    id: 'agents',
    title: 'Agents (heartbeats)',
    columns: [
      { key: 'agent', label: 'agent' },
      { key: 'health', label: 'health' },
      { key: 'lastBeat', label: 'last beat' },
      { key: 'ageSeconds', label: 'age (s)', numeric: true },
      { key: 'pid', label: 'pid', numeric: true },
      { key: 'last', label: 'last round' },
    ],
    rows: beats.map((b) => {
      const info = (b.info ?? {}) as { paused?: boolean; last?: unknown }
      const age = now - b.beatAt
      const paused = info.paused === true || pauses.some((p) => p.target === b.agent || p.target === 'all')
      return {
        agent: b.agent,
        health: age > late ? 'late' : paused ? 'paused' : 'ok',
        lastBeat: fmtTime(b.beatAt),
        ageSeconds: Math.max(0, Math.round(age / 1000)),
        pid: b.pid,
        last: info.last === undefined ? null : JSON.stringify(info.last).slice(0, 160),
      }
    }),
    note: `late: no heartbeat for more than ${Math.round(late / 1000)} s`,
    empty: 'no agent has beaten yet',
  }
  const pausesTable: Table = {
    id: 'pauses',
    title: 'Active pauses',
    columns: [
      { key: 'target', label: 'paused' },
      { key: 'setBy', label: 'by' },
      { key: 'since', label: 'since' },
    ],
    rows: pauses.map((p) => ({ target: p.target, setBy: p.setBy, since: fmtTime(p.setAt) })),
    empty: 'nothing is paused',
  }
  const lastBlended = [...s.blendedApy].reverse().find((v) => v !== null) ?? null
  const lastRisk = [...s.riskAdjustedApy].reverse().find((v) => v !== null) ?? null
  const total = s.collateral.reduce((n, c) => n + (c.values[c.values.length - 1] ?? 0), 0)
  const body = html`<div class="kpis">
<div class="kpi"><span>collateral</span><strong data-kpi="collateral">${total.toFixed(4)} ${unit.symbol}</strong></div>
<div class="kpi"><span>blended APY</span><strong data-kpi="blended">${fmtPct(lastBlended) ?? '—'}</strong></div>
<div class="kpi"><span>risk-adjusted APY</span><strong data-kpi="risk-adjusted">${fmtPct(lastRisk) ?? '—'}</strong></div>
<div class="kpi"><span>open alerts</span><strong data-kpi="open-alerts">${open.length}</strong></div>
<div class="kpi"><span>pauses</span><strong data-kpi="pauses">${pauses.length ? pauses.map((p) => p.target).join(', ') : 'none'}</strong></div>
</div>
<div class="charts">${collateralChart}${apyChart}</div>`
  return { title: 'Overview', section: '/', body, tables: [openTable, agentsTable, pausesTable, raisedTable] }
}
