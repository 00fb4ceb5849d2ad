/**
 * HTML building for the dashboard (pure): every interpolated value is escaped unless it is
 * already `SafeHtml` (made by `html`, or `raw` for our own constant markup). Tables are data
 * (`Table`) so the page and its CSV/JSON export are the same rows.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value
  }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!)
}

export type HtmlValue = SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[]

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return ''
  if (v instanceof SafeHtml) return v.value
  if (Array.isArray(v)) return v.map(render).join('')
  return escapeHtml(String(v))
}

/** Tagged template: `html\`<td>${text}</td>\`` escapes `text`; nested `html` stays as it is. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!
  return new SafeHtml(out)
}

/** Markup we wrote ourselves (never user or chain data). */
export const raw = (s: string): SafeHtml => new SafeHtml(s)

/** JSON for a `<script type="application/json">` block: `<` escaped so no `</script>` can close it. */
export function jsonForScript(value: unknown): SafeHtml {
  return raw(JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029'))
}

// ── tables ──────────────────────────────────────────────────────────────────────────────────

export type Cell = string | number | boolean | null

export interface Column {
  key: string
  label: string
  /** Render the cell as a link (href from the row), for the page only; the export keeps the value. */
  href?: (row: Readonly<Record<string, Cell>>) => string | null
  /** Right-aligned numbers. */
  numeric?: boolean
}

export interface Table {
  /** Unique on its page: the export's `table` parameter. */
  id: string
  title: string
  columns: readonly Column[]
  rows: ReadonlyArray<Record<string, Cell>>
  /** A note under the title (e.g. "cut at 500 rows"). */
  note?: string
  /** Shown when there are no rows. */
  empty?: string
}

function csvField(v: Cell): string {
  if (v === null) return ''
  const s = String(v)
  // Quote when needed; a leading = + - @ is prefixed with ' so a spreadsheet does not run it as a formula.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** RFC 4180 CSV of the table's rows (header = column keys), CRLF line ends. */
export function tableCsv(t: Pick<Table, 'columns' | 'rows'>): string {
  const lines = [t.columns.map((c) => csvField(c.key)).join(',')]
  for (const r of t.rows) lines.push(t.columns.map((c) => csvField(r[c.key] ?? null)).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/** The table's rows as JSON objects with the column keys, in column order. */
export function tableJson(t: Pick<Table, 'columns' | 'rows'>): Record<string, Cell>[] {
  return t.rows.map((r) => Object.fromEntries(t.columns.map((c) => [c.key, r[c.key] ?? null])))
}

/** `?a=1&b=2` with `over` applied (undefined removes a key). */
export function withQuery(path: string, query: Readonly<Record<string, string | undefined>>, over: Readonly<Record<string, string | undefined>> = {}): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries({ ...query, ...over })) if (v !== undefined && v !== '') q.set(k, v)
  const s = q.toString()
  return s ? `${path}?${s}` : path
}

export function renderTable(t: Table, exportBase: { path: string; query: Readonly<Record<string, string | undefined>> }): SafeHtml {
  const link = (format: string) => withQuery(exportBase.path, exportBase.query, { export: t.id, format })
  const head = t.columns.map((c) => html`<th${c.numeric ? raw(' class="num"') : ''}>${c.label}</th>`)
  const body = t.rows.map(
    (r) =>
      html`<tr>${t.columns.map((c) => {
        const v = r[c.key] ?? null
        const text = v === null ? '—' : String(v)
        const href = c.href?.(r) ?? null
        return html`<td data-label="${c.label}"${c.numeric ? raw(' class="num"') : ''}>${href ? html`<a href="${href}">${text}</a>` : text}</td>`
      })}</tr>`,
  )
  return html`<section class="table" id="t-${t.id}" data-table="${t.id}" data-rows="${t.rows.length}">
<div class="table-head"><h2>${t.title}</h2><span class="exports"><a class="export" data-format="csv" href="${link('csv')}" download="${t.id}.csv">CSV</a> <a class="export" data-format="json" href="${link('json')}" download="${t.id}.json">JSON</a></span></div>
${t.note ? html`<p class="note">${t.note}</p>` : ''}
${t.rows.length === 0 ? html`<p class="empty">${t.empty ?? 'nothing in this range'}</p>` : html`<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`}
</section>`
}

// ── charts ──────────────────────────────────────────────────────────────────────────────────

export interface ChartSeries {
  label: string
  /** One value per x (null = no reading). */
  values: ReadonlyArray<number | null>
  /** Percent axis (values are fractions, shown ×100). */
  unit?: 'pct' | 'amount' | 'ratio'
}

export interface Chart {
  id: string
  title: string
  /** Unix seconds, ascending. */
  x: readonly number[]
  series: readonly ChartSeries[]
  /** Stack the series (areas add up). */
  stacked?: boolean
  /** Vertical markers (alerts) at unix seconds, with a label. */
  marks?: ReadonlyArray<{ t: number; label: string; severity: string }>
  /** Range of the x axis (unix seconds), so charts of one page share it. */
  xRange?: [number, number]
}

/** Non-null values over every series: what the chart draws. */
export function chartPoints(c: Pick<Chart, 'series'>): number {
  return c.series.reduce((n, s) => n + s.values.filter((v) => v !== null && Number.isFinite(v)).length, 0)
}

/** A chart container: uPlot (web/static/dashboard.js) draws it from the JSON beside it. */
export function renderChart(c: Chart): SafeHtml {
  const points = chartPoints(c)
  return html`<figure class="chart" id="c-${c.id}" data-chart="${c.id}" data-points="${points}">
<figcaption>${c.title}</figcaption>
${points === 0 ? html`<p class="empty">no readings in this range</p>` : html`<div class="plot"></div><script type="application/json" class="chart-data">${jsonForScript(c)}</script>`}
</figure>`
}

// ── page frame ──────────────────────────────────────────────────────────────────────────────

export const RANGES = { '1h': 3_600, '1d': 86_400, '7d': 604_800, '30d': 2_592_000 } as const
export type RangeName = keyof typeof RANGES
export const DEFAULT_RANGE: RangeName = '1d'

/** The `range` query parameter, or an error naming it and the values it takes. */
export function parseRange(v: string | undefined): RangeName | { error: string } {
  if (v === undefined || v === '') return DEFAULT_RANGE
  if (v in RANGES) return v as RangeName
  return { error: `range: unknown range "${v}" (use one of ${Object.keys(RANGES).join(', ')})` }
}

export const NAV: ReadonlyArray<{ path: string; label: string }> = [
  { path: '/', label: 'Overview' },
  { path: '/venues', label: 'Venues' },
  { path: '/plans', label: 'Plans' },
  { path: '/governance', label: 'Governance' },
  { path: '/transfers', label: 'Transfers' },
  { path: '/audit', label: 'Audit' },
]

export interface Page {
  title: string
  /** Which NAV entry is current. */
  section: string
  body: SafeHtml
  tables: readonly Table[]
  /** Whether the time range applies (shows the range picker). */
  ranged?: boolean
}

export function layout(p: Page, ctx: { path: string; query: Readonly<Record<string, string | undefined>>; range: RangeName; generatedAt: number; profile: string }): string {
  const nav = NAV.map((n) => html`<a href="${withQuery(n.path, { range: ctx.range })}"${n.path === p.section ? raw(' aria-current="page"') : ''}>${n.label}</a>`)
  const ranges = (Object.keys(RANGES) as RangeName[]).map(
    (r) => html`<a class="range" href="${withQuery(ctx.path, ctx.query, { range: r, export: undefined, format: undefined })}"${r === ctx.range ? raw(' aria-current="true"') : ''}>${r}</a>`,
  )
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · poolwarden</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/uPlot.min.css"><link rel="stylesheet" href="/static/dashboard.css">
</head><body>
<header><span class="brand">poolwarden</span><span class="profile">${ctx.profile}</span><nav>${nav}</nav></header>
<main>
<div class="title"><h1>${p.title}</h1>${p.ranged === false ? '' : html`<span class="ranges">${ranges}</span>`}</div>
${p.body}
</main>
<footer>read-only · generated ${new Date(ctx.generatedAt).toISOString()}</footer>
<script src="/static/uPlot.iife.min.js"></script><script src="/static/dashboard.js"></script>
</body></html>`.value
}

// ── formatting ──────────────────────────────────────────────────────────────────────────────

export const fmtPct = (x: number | null | undefined, digits = 2): string | null => (x === null || x === undefined || !Number.isFinite(x) ? null : `${(x * 100).toFixed(digits)} %`)
export const fmtTime = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'))

/** A raw amount in display units with up to `digits` decimals (exact: bigint arithmetic). */
export function fmtUnits(x: bigint | null | undefined, decimals: number, digits = 4): string | null {
  if (x === null || x === undefined) return null
  const neg = x < 0n
  const a = neg ? -x : x
  const base = 10n ** BigInt(decimals)
  const scale = 10n ** BigInt(Math.min(digits, decimals))
  const q = (a * scale + base / 2n) / base
  const int = q / scale
  const frac = digits > 0 && decimals > 0 ? `.${(q % scale).toString().padStart(Math.min(digits, decimals), '0')}` : ''
  return `${neg && q !== 0n ? '-' : ''}${int}${frac}`
}

/** A raw amount as a float in display units (charts). */
export const toFloat = (x: bigint, decimals: number): number => Number(x) / 10 ** decimals
