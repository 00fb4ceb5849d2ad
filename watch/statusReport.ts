import { formatUnits } from 'viem'
import type { Config } from '../config/schema'
import type { Store } from '../store'
import type { Alert, Heartbeat, OpenCondition, Sample } from '../store/types'
import { holdLines } from '../strategies/hold'
import { formatAmount } from '../core/amount'
import { unitOf, valueInCollateral } from './units'

export interface StatusRow {
  chain: string
  venue: string
  kind: string
  apy: string
  tvl: string
  utilisation: string
  peg: string
  position: string
  withdrawable: string
  state: string
  block: string
  age: string
}

/** An active pause control: `target` is an agent name or "all". */
export interface ActivePause {
  target: string
  setBy: string
  setAt: number
}

/** A chain's pool total, valued in its collateral at the latest samples' exchange rates (watch/units.ts). */
export interface ChainTotal {
  chain: string
  /** "1,234.567 wstETH". */
  total: string
  /** Venues held in another asset, as "60.000 ethereum-reth → 56.470 wstETH". */
  converted: string[]
  /** Venues whose value is unknown (a rate missing): left out of the total, named. */
  unknown: string[]
}

export interface StatusReport {
  rows: StatusRow[]
  /** Every active pause (pause:<agent> and pause:all), by target. */
  pauses: ActivePause[]
  totals: ChainTotal[]
  alerts: OpenCondition[]
  /** The newest outbox rows (openings and recoveries), newest first. */
  recent: Alert[]
  heartbeats: Heartbeat[]
  generatedAt: number
}

const fmtPct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(2)}%`)
const fmtAmount = (x: bigint | null, decimals: number) => {
  if (x === null) return '—'
  const n = Number(formatUnits(x, decimals))
  return n >= 1000 ? n.toLocaleString('en-US', { maximumFractionDigits: 0 }) : n.toFixed(3)
}
/** A short age; a moment read a little after the report's clock (a beat written meanwhile) is "0s". */
export const fmtAge = (ms: number) => (ms < -60_000 ? '—' : ms < 120_000 ? `${Math.max(0, Math.round(ms / 1000))}s` : ms < 7_200_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 3_600_000)}h`)

/** A watcher's alert streaks under way and glitches (conditions that never persisted: nothing pushed). */
function watchDetail(info: { pendingAlerts?: number; glitches?: Record<string, number>; failing?: { ticks?: number; error?: string } } | null): string {
  const glitches = Object.entries(info?.glitches ?? {}).filter(([, n]) => typeof n === 'number' && n > 0)
  const parts: string[] = []
  // A watcher beats while its ticks fail (an RPC outage): alive, but not reading blocks.
  if (info?.failing) parts.push(`  FAILING (${info.failing.ticks ?? '?'} ticks: ${info.failing.error ?? 'unknown'})`)
  if (info?.pendingAlerts) parts.push(`  ${info.pendingAlerts} alert${info.pendingAlerts === 1 ? '' : 's'} pending persistence`)
  if (glitches.length) parts.push(`  glitches (not pushed): ${glitches.map(([rule, n]) => `${rule} ${n}`).join(', ')}`)
  return parts.join('')
}

/**
 * Every active pause control (`pause:<agent>`, `pause:all`), by target. A control whose value is
 * JSON false or null is not a pause (as store.controls.isPaused reads it).
 */
export async function activePauses(store: Store): Promise<ActivePause[]> {
  return (await store.controls.list('pause:'))
    .filter((c) => c.value !== false && c.value !== null)
    .map((c) => ({ target: c.key.slice('pause:'.length), setBy: c.setBy, setAt: c.setAt }))
}

/** The pause that holds `agent`, if any: its own, else "all". */
export function pauseOf(pauses: readonly ActivePause[], agent: string): ActivePause | undefined {
  return pauses.find((p) => p.target === agent) ?? pauses.find((p) => p.target === 'all')
}

/** One line: every active pause with who set it and when; "all" says what it covers. */
export function renderPauses(pauses: readonly ActivePause[], now: number): string {
  if (pauses.length === 0) return 'Pauses: none'
  const what = (p: ActivePause) => (p.target === 'all' ? 'all (every agent: the executor and the governor sign nothing)' : p.target)
  return `Pauses: ${pauses.map((p) => `${what(p)} (by ${p.setBy}, ${fmtAge(now - p.setAt)} ago)`).join(', ')}`
}

/** The venues × chains table and open alerts, from the store only (never from the chains). */
export async function buildStatus(config: Config, store: Store, now = Date.now()): Promise<StatusReport> {
  const latest = new Map<string, Sample>((await store.history.latestPerVenue()).map((s) => [s.venueId, s]))
  const positions = new Map((await store.history.latestPositions()).map((p) => [p.venueId, p]))
  const decimalsOf = (chain: string) => config.pool.collateral.find((c) => c.chain === chain)?.decimals ?? 18
  const valued = (v: (typeof config.venues)[number], x: bigint | null | undefined) => {
    if (x === null || x === undefined) return '—'
    const u = unitOf(config, v.chain)
    const r = valueInCollateral(config, v, x, latest)
    const shown = formatAmount(r.value, u)
    return r.other ? `${shown} (${formatAmount(x, { decimals: u.decimals, symbol: v.id })})` : shown
  }
  const totals: ChainTotal[] = config.chains.map((c) => {
    const u = unitOf(config, c.name)
    let total = 0n
    const converted: string[] = []
    const unknown: string[] = []
    for (const v of config.venues.filter((x) => x.chain === c.name)) {
      const amount = positions.get(v.id)?.amount ?? 0n
      if (amount === 0n) continue
      const r = valueInCollateral(config, v, amount, latest)
      if (r.value === null) unknown.push(v.id)
      else total += r.value
      if (r.other && r.value !== null) converted.push(`${formatAmount(amount, { decimals: u.decimals, symbol: v.id })} → ${formatAmount(r.value, u)}`)
    }
    return { chain: c.name, total: formatAmount(total, u), converted, unknown }
  })
  const rows = config.venues.map((v): StatusRow => {
    const s = latest.get(v.id)
    const d = decimalsOf(v.chain)
    const state = !s ? 'no sample' : !s.available ? 'UNAVAILABLE' : s.paused ? 'PAUSED' : 'ok'
    return {
      chain: v.chain,
      venue: v.id,
      kind: v.kind,
      apy: fmtPct(s?.apy ?? null),
      tvl: fmtAmount(s?.tvl ?? null, d),
      utilisation: fmtPct(s?.utilisation ?? null),
      peg: s?.peg == null ? '—' : s.peg.toFixed(4),
      position: valued(v, positions.get(v.id)?.amount ?? null),
      withdrawable: valued(v, s?.withdrawable ?? null),
      state,
      block: s ? String(s.blockNumber) : '—',
      age: s ? fmtAge(now - s.blockTime * 1000) : '—',
    }
  })
  return { rows, totals, pauses: await activePauses(store), alerts: await store.alerts.open(), recent: await store.alerts.recent(8), heartbeats: await store.heartbeats.all(), generatedAt: now }
}

/** Plain-text table: the first thing a newcomer sees. */
export function renderStatus(r: StatusReport): string {
  const headers: Record<keyof StatusRow, string> = {
    chain: 'CHAIN', venue: 'VENUE', kind: 'KIND', apy: 'APY', tvl: 'TVL', utilisation: 'UTIL', peg: 'PEG', position: 'POOL POSITION', withdrawable: 'WITHDRAWABLE', state: 'STATE', block: 'BLOCK', age: 'AGE',
  }
  const keys = Object.keys(headers) as (keyof StatusRow)[]
  const width = Object.fromEntries(keys.map((k) => [k, Math.max(headers[k].length, ...r.rows.map((row) => row[k].length))])) as Record<keyof StatusRow, number>
  const numeric = new Set<keyof StatusRow>(['apy', 'tvl', 'utilisation', 'peg', 'position', 'withdrawable', 'block', 'age'])
  const line = (cells: Record<keyof StatusRow, string>) => keys.map((k) => (numeric.has(k) ? cells[k].padStart(width[k]) : cells[k].padEnd(width[k]))).join('  ').trimEnd()
  const out = [line(headers), ...r.rows.map(line)]
  out.push('')
  out.push('Pool per chain (valued in the collateral at the latest exchange rates):')
  for (const t of r.totals) {
    const notes = [t.converted.length ? `incl. ${t.converted.join(', ')}` : '', t.unknown.length ? `not counted, no rate: ${t.unknown.join(', ')}` : ''].filter(Boolean)
    out.push(`  ${t.chain}: ${t.total}${notes.length ? ` (${notes.join('; ')})` : ''}`)
  }
  out.push('')
  out.push(renderPauses(r.pauses, r.generatedAt))
  out.push('')
  if (r.alerts.length === 0) out.push('Open alerts: none')
  else {
    out.push(`Open alerts (${r.alerts.length}):`)
    for (const a of r.alerts) out.push(`  [${a.severity.toUpperCase()}] ${a.title}${a.openedBlock !== null ? ` (since block ${a.openedBlock})` : ''} — ${fmtAge(r.generatedAt - a.openedAt)} ago`)
  }
  if (r.recent.length > 0) {
    out.push('')
    out.push('Recent alerts:')
    for (const a of r.recent) out.push(`  ${a.kind === 'open' ? '▲' : '▼'} [${a.severity.toUpperCase()}] ${a.title}${a.blockNumber !== null ? ` (block ${a.blockNumber})` : ''} — ${fmtAge(r.generatedAt - a.createdAt)} ago`)
  }
  out.push('')
  out.push('Agents:')
  if (r.heartbeats.length === 0) out.push('  no heartbeat yet')
  for (const h of r.heartbeats) {
    const info = h.info as { block?: string; lag?: number; pendingAlerts?: number; glitches?: Record<string, number> } | null
    const paused = pauseOf(r.pauses, h.agent)
    out.push(
      `  ${h.agent.padEnd(20)} last beat ${fmtAge(r.generatedAt - h.beatAt).padStart(4)} ago  pid ${h.pid}${info?.block ? `  block ${info.block}` : ''}${info?.lag ? `  lag ${info.lag}` : ''}${paused ? `  PAUSED (${paused.target === 'all' ? 'pause all' : `pause ${paused.target}`})` : ''}${watchDetail(info)}`,
    )
  }
  const strategist = r.heartbeats.find((h) => h.agent === 'strategist')
  const held = strategist ? holdLines(strategist.info) : []
  if (held.length) {
    out.push('')
    out.push(`Why the pool holds (strategist, ${fmtAge(r.generatedAt - strategist!.beatAt)} ago):`)
    out.push(...held)
  }
  return out.join('\n')
}
