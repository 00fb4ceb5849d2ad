import { IN_FLIGHT_STATES, type Transfer } from '../../store'
import { unitOf } from '../../watch/units'
import { rangeWindow, type WebDeps } from '../context'
import { fmtTime, fmtUnits, html, type Page, type RangeName, type Table } from '../html'

/** Wormhole transfers in flight and landed. */
export async function renderTransfers(deps: WebDeps, range: RangeName): Promise<Page> {
  const { config, store } = deps
  const w = await rangeWindow(deps, range)
  const all = await store.transfers.list({ limit: config.web.maxRows })
  const inFlight = all.filter((t) => IN_FLIGHT_STATES.includes(t.state) || t.state === 'pending')
  const rest = all.filter((t) => !inFlight.includes(t) && t.updatedAt >= w.from * 1000)
  const columns = [
    { key: 'id', label: 'transfer' },
    { key: 'plan', label: 'plan', href: (r: Record<string, unknown>) => `/plans/${encodeURIComponent(String(r.plan))}?range=${range}` },
    { key: 'route', label: 'route' },
    { key: 'state', label: 'state' },
    { key: 'amount', label: 'sent', numeric: true },
    { key: 'received', label: 'received', numeric: true },
    { key: 'sourceTx', label: 'source tx' },
    { key: 'sequence', label: 'sequence', numeric: true },
    { key: 'destTx', label: 'destination tx' },
    { key: 'initiated', label: 'sent at' },
    { key: 'landed', label: 'landed at' },
    { key: 'attempts', label: 'tries', numeric: true },
    { key: 'lastError', label: 'last error' },
  ] as const
  const row = (t: Transfer) => ({
    id: t.id,
    plan: t.planId,
    route: `${t.sourceChain} → ${t.destChain}`,
    state: t.state,
    amount: fmtUnits(t.amount, unitOf(config, t.sourceChain).decimals),
    received: fmtUnits(t.received, unitOf(config, t.destChain).decimals),
    sourceTx: t.sourceTx,
    sequence: t.sequence?.toString() ?? null,
    destTx: t.destTx,
    initiated: fmtTime(t.initiatedAt),
    landed: fmtTime(t.redeemedAt),
    attempts: t.attempts,
    lastError: t.lastError,
  })
  const flight: Table = { id: 'in-flight', title: 'In flight (not yet landed)', columns, rows: inFlight.map(row), empty: 'nothing in flight' }
  const landed: Table = { id: 'landed', title: 'Landed, deposited or failed in this range', columns, rows: rest.map(row), empty: 'no transfer finished in this range' }
  const total = await store.transfers.inFlightByChain()
  const body = html`<div class="kpis">${[...total].map(([chain, amount]) => html`<div class="kpi"><span>in flight to ${chain}</span><strong>${fmtUnits(amount, unitOf(config, chain).decimals)} ${unitOf(config, chain).symbol}</strong></div>`)}${total.size === 0 ? html`<div class="kpi"><span>in flight</span><strong>nothing</strong></div>` : ''}</div>`
  return { title: 'Transfers', section: '/transfers', body, tables: [flight, landed] }
}
