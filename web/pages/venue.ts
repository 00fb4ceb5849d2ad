import { unitOf, collateralVenueOf } from '../../watch/units'
import { effectiveApy, NotFound, rangeWindow, scoreOf, venueHistories, type WebDeps } from '../context'
import { latestPerVenue, latestPosition, recentSamples } from '../data'
import { scoreWindowSecondsOf } from '../../strategies/policy'
import { fmtPct, fmtTime, fmtUnits, html, renderChart, type Chart, type Page, type RangeName, type Table } from '../html'
import { alertColumns, alertRows } from './shared'
import { spanOf } from '../spanCache'

/** Every venue with its newest reading. */
export async function renderVenues(deps: WebDeps, range: RangeName): Promise<Page> {
  const { config, store } = deps
  const { samples, positions } = await latestPerVenue(store, config.venues.map((v) => v.id))
  const table: Table = {
    id: 'venues',
    title: 'Venues (newest reading)',
    columns: [
      { key: 'venue', label: 'venue', href: (r) => `/venue/${encodeURIComponent(String(r.venue))}?range=${range}` },
      { key: 'chain', label: 'chain' },
      { key: 'kind', label: 'kind' },
      { key: 'apy', label: 'APY', numeric: true },
      { key: 'tvl', label: 'TVL', numeric: true },
      { key: 'utilisation', label: 'utilisation', numeric: true },
      { key: 'peg', label: 'peg', numeric: true },
      { key: 'position', label: 'pool position', numeric: true },
      { key: 'block', label: 'block', numeric: true },
      { key: 'at', label: 'block time' },
    ],
    rows: config.venues.map((v) => {
      const s = samples.get(v.id)
      const d = unitOf(config, v.chain).decimals
      return {
        venue: v.id,
        chain: v.chain,
        kind: v.kind,
        apy: fmtPct(s?.apy),
        tvl: fmtUnits(s?.tvl, d, 2),
        utilisation: fmtPct(s?.utilisation, 1),
        peg: s?.peg === null || s?.peg === undefined ? null : s.peg.toFixed(4),
        position: fmtUnits(positions.get(v.id)?.amount ?? null, d),
        block: s ? s.blockNumber.toString() : null,
        at: s ? fmtTime(s.blockTime * 1000) : null,
      }
    }),
  }
  return { title: 'Venues', section: '/venues', body: html``, tables: [table], ranged: true }
}

/** One venue: APY, TVL, utilisation, peg and the pool's position over time; risk score components; its alerts on the same axis. */
export async function renderVenue(deps: WebDeps, venueId: string, range: RangeName): Promise<Page> {
  const { config, store } = deps
  const venue = config.venues.find((v) => v.id === venueId)
  if (!venue) throw new NotFound(`no venue "${venueId}" (known: ${config.venues.map((v) => v.id).join(', ')})`)
  const w = await rangeWindow(deps, range)
  const cv = collateralVenueOf(config, venue.chain)
  const hs = await venueHistories(deps, w, cv && cv.id !== venue.id ? [venue, cv] : [venue])
  const points = hs.find((h) => h.venue.id === venue.id)!.points
  const unit = unitOf(config, venue.chain)
  const x = points.map((p) => p.blockTime)
  const f = (v: bigint | null) => (v === null ? null : Number(v) / 10 ** unit.decimals)
  const xRange: [number, number] = [w.from, w.to]

  const alerts = (await store.alerts.recent(config.web.maxRows)).filter((a) => a.createdAt >= w.from * 1000 && (a.subject === venue.id || a.dedupKey.split(':').includes(venue.id)))
  const marks = alerts.map((a) => ({ t: Math.round(a.createdAt / 1000), label: `${a.kind === 'recovery' ? 'recovered' : a.severity}: ${a.title}`, severity: a.kind === 'recovery' ? 'recovery' : a.severity }))
  const chart = (c: Omit<Chart, 'x' | 'xRange' | 'marks'>): Chart => ({ ...c, x, xRange, marks })
  const charts = [
    chart({ id: 'apy', title: 'APY', series: [{ label: 'APY', values: points.map((p) => p.apy), unit: 'pct' }] }),
    chart({ id: 'tvl', title: `TVL (${unit.symbol})`, series: [{ label: 'TVL', values: points.map((p) => f(p.tvl)), unit: 'amount' }] }),
    chart({ id: 'utilisation', title: 'Utilisation', series: [{ label: 'utilisation', values: points.map((p) => p.utilisation), unit: 'pct' }] }),
    chart({ id: 'peg', title: 'Peg (LST price in its backing asset)', series: [{ label: 'peg', values: points.map((p) => p.peg), unit: 'ratio' }] }),
    chart({ id: 'position', title: `Pool position (${unit.symbol})`, series: [{ label: 'position', values: points.map((p) => f(p.position ?? 0n)), unit: 'amount' }] }),
  ]

  // The risk score as the strategist computes it now (its window: the newest samples of the score's
  // span, kept in memory between renders: only the rows stored since are read, web/spanCache.ts).
  const window = (await spanOf(store, venue.id, scoreWindowSecondsOf(config.strategy, venue.chain))).rows
  const collApy = cv ? ((await recentSamples(store, cv.id, 1))[0]?.apy ?? null) : null
  const position = (await latestPosition(store, venue.id))?.amount ?? 0n
  const score = scoreOf(config, venue, window, position, collApy)
  const components: Table = {
    id: 'risk',
    title: 'Risk score components (now)',
    note: `score (risk-adjusted APY): ${Number.isFinite(score.score) ? fmtPct(score.score) : 'excluded'} · gross APY ${fmtPct(score.grossApy) ?? '—'} · effective APY ${fmtPct(effectiveApy(config, venue, window[0]?.apy ?? null, collApy)) ?? '—'}${score.excluded ? ` · excluded: ${score.excluded}` : ''}${score.frozen ? ` · frozen: ${score.frozen}` : ''}`,
    columns: [
      { key: 'component', label: 'component' },
      { key: 'value', label: 'value' },
      { key: 'penaltyBps', label: 'penalty (bps/yr)', numeric: true },
      { key: 'why', label: 'why' },
    ],
    rows: Object.entries(score.components).map(([k, c]) => ({ component: k, value: c.value === null ? null : String(c.value), penaltyBps: Number(c.penaltyBps.toFixed(2)), why: c.why })),
    empty: 'no samples to score',
  }
  const readings: Table = {
    id: 'readings',
    title: 'Readings shown on the charts',
    columns: [
      { key: 'block', label: 'block', numeric: true },
      { key: 'at', label: 'block time' },
      { key: 'tier', label: 'reading' },
      { key: 'available', label: 'available' },
      { key: 'apy', label: 'APY', numeric: true },
      { key: 'tvl', label: 'TVL', numeric: true },
      { key: 'utilisation', label: 'utilisation', numeric: true },
      { key: 'peg', label: 'peg', numeric: true },
      { key: 'position', label: 'position', numeric: true },
    ],
    rows: points
      .slice()
      .reverse()
      .map((p) => ({
        block: p.blockNumber.toString(),
        at: fmtTime(p.blockTime * 1000),
        tier: p.tier === 'hour' ? 'hour (close; APY: mean)' : 'sample',
        available: p.available,
        apy: p.apy,
        tvl: fmtUnits(p.tvl, unit.decimals),
        utilisation: p.utilisation,
        peg: p.peg,
        position: fmtUnits(p.position, unit.decimals),
      })),
  }
  const alertTable: Table = { id: 'alerts', title: 'Alerts of this venue in this range (marked on the charts)', columns: alertColumns, rows: alertRows(alerts), empty: 'no alerts of this venue in this range' }
  const body = html`<p class="sub">${venue.chain} · ${venue.kind} · ${venue.protocol} · <code>${venue.address}</code></p>
<div class="charts">${charts.map(renderChart)}</div>`
  return { title: `Venue ${venue.id}`, section: '/venues', body, tables: [components, alertTable, readings] }
}
