import type { AuditEntry } from '../../store'
import { rangeWindow, type WebDeps } from '../context'
import { fmtTime, html, type Page, type RangeName, type Table } from '../html'

export interface AuditFilter {
  /** Part of the actor (e.g. "alice"). */
  who?: string
  /** Part of the action (e.g. "plan."). */
  what?: string
  /** "cli", "telegram" or an agent: the actor's prefix before ":" (an agent's own name when it has none). */
  via?: string
}

/** Where an entry came from: `cli:alice` → cli, `telegram:bob` → telegram, `executor` → executor. */
export const viaOf = (actor: string): string => (actor.includes(':') ? actor.slice(0, actor.indexOf(':')) : actor)

/** Pure: entries of the window that match the filter (case-insensitive parts). */
export function filterAudit(entries: readonly AuditEntry[], fromMs: number, f: AuditFilter): AuditEntry[] {
  const who = f.who?.trim().toLowerCase()
  const what = f.what?.trim().toLowerCase()
  const via = f.via?.trim().toLowerCase()
  return entries.filter((e) => e.at >= fromMs && (!who || e.actor.toLowerCase().includes(who)) && (!what || e.action.toLowerCase().includes(what)) && (!via || viaOf(e.actor).toLowerCase() === via))
}

/** The audit log, filterable by who, what, when (the range) and via. */
export async function renderAudit(deps: WebDeps, range: RangeName, f: AuditFilter): Promise<Page> {
  const { config, store } = deps
  const w = await rangeWindow(deps, range)
  const now = Math.floor((deps.now ?? Date.now)() / 1000)
  // The audit log is written on the wall clock: the range ends now (or at the newest block, if later).
  const fromMs = (Math.max(now, w.to) - (w.to - w.from)) * 1000
  const read = await store.audit.recent(config.web.maxRows * 10)
  const entries = filterAudit(read, fromMs, f)
    .sort((a, b) => b.at - a.at || b.id - a.id)
    .slice(0, config.web.maxRows)
  const vias = [...new Set(read.map((e) => viaOf(e.actor)))].sort()
  const table: Table = {
    id: 'audit',
    title: 'Audit log',
    columns: [
      { key: 'id', label: 'id', numeric: true },
      { key: 'at', label: 'when' },
      { key: 'actor', label: 'who' },
      { key: 'via', label: 'via' },
      { key: 'action', label: 'what' },
      { key: 'detail', label: 'detail' },
    ],
    rows: entries.map((e) => ({ id: e.id, at: fmtTime(e.at), actor: e.actor, via: viaOf(e.actor), action: e.action, detail: JSON.stringify(e.detail) })),
    note: entries.length >= config.web.maxRows ? `the newest ${config.web.maxRows} matching entries (web.maxRows)` : undefined,
    empty: 'no entry matches',
  }
  const body = html`<form class="filters" method="get" action="/audit"><input type="hidden" name="range" value="${range}">
<label>who <input name="who" value="${f.who ?? ''}" placeholder="alice"></label>
<label>what <input name="what" value="${f.what ?? ''}" placeholder="plan."></label>
<label>via <select name="via"><option value="">any</option>${vias.map((v) => html`<option value="${v}"${v === f.via ? html` selected` : ''}>${v}</option>`)}</select></label>
<button type="submit">Filter</button></form>`
  return { title: 'Audit', section: '/audit', body, tables: [table] }
}
