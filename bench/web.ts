/**
 * The dashboard's server time (store reads + HTML) for the overview and a venue page, and a
 * `/metrics` scrape (store reads + Prometheus text, over real HTTP):
 * - `npm run bench -- history`: over the compacted synthetic month at the mainnet profile's rates
 *   (bench/historyMonth.ts: 15 venues, ~2.3 M raw rows in the 7-day full tier, hourly aggregates
 *   before) — the figures the targets are for;
 * - `npm run bench -- web`: over the web test world (web/testing/world.ts: two chains, four
 *   venues, a sample a minute for ~2 days), the pages' own cost on a small store.
 */
import { startMetricsServer } from '../metrics/server'
import { openTempStore } from '../store/testing'
import { renderOverview } from '../web/pages/overview'
import { renderVenue } from '../web/pages/venue'
import { layout, renderTable, SafeHtml, type Page } from '../web/html'
import type { WebDeps } from '../web/context'
import { dashboardConfig, fillDashboardStore, T0 } from '../web/testing/world'
import type { MonthStore } from './historyMonth'
import { MONTH_END, venueIdOf } from './historyMonth'

const html = (p: Page) => layout({ ...p, body: new SafeHtml(p.body.value + p.tables.map((t) => renderTable(t, { path: '/', query: {} }).value).join('')) }, { path: '/', query: {}, range: '30d', generatedAt: 0, profile: 'bench' })

/**
 * Median and max of `runs` timed calls after one warm-up call (page cache, JIT), and the median CPU
 * time of the process (all its threads: SQLite runs on libuv's) per call: on a shared machine the
 * wall time grows with the load average, the CPU time much less.
 */
async function timed(runs: number, f: () => Promise<unknown>): Promise<{ median: number; max: number; first: number; text: string }> {
  let t0 = performance.now()
  await f()
  const first = performance.now() - t0
  const ms: number[] = []
  const cpu: number[] = []
  for (let i = 0; i < runs; i++) {
    t0 = performance.now()
    const c0 = process.cpuUsage()
    await f()
    const c = process.cpuUsage(c0)
    ms.push(performance.now() - t0)
    cpu.push((c.user + c.system) / 1000)
  }
  ms.sort((a, b) => a - b)
  cpu.sort((a, b) => a - b)
  const median = ms[Math.floor(ms.length / 2)]!
  const max = ms[ms.length - 1]!
  return { median, max, first, text: `median ${median.toFixed(1)} ms, max ${max.toFixed(1)} ms (${runs} runs; first ${first.toFixed(1)} ms; CPU median ${cpu[Math.floor(cpu.length / 2)]!.toFixed(1)} ms)` }
}

const page = (f: () => Promise<Page>) => async () => html(await f())

export async function benchWeb(runs = 10): Promise<string[]> {
  const t = await openTempStore()
  try {
    await fillDashboardStore(t.store)
    const deps = { config: dashboardConfig(t.path), store: t.store, now: () => T0 * 1000 }
    return [
      `\n## Dashboard server time on the web test world (4 venues, 2 chains, ~2 days of samples; ${deps.config.web.chartPoints} points per chart; the month-sized figures: npm run bench -- history)`,
      `overview, 30d   : ${(await timed(runs, page(() => renderOverview(deps, '30d')))).text}`,
      `venue page, 30d : ${(await timed(runs, page(() => renderVenue(deps, 'eth-vault', '30d')))).text}`,
    ]
  } finally {
    await t.cleanup()
  }
}

/** Baselines measured before this bench's fixes (the same store shape), printed beside the figures. */
export const MONTH_BASELINE = { overviewMs: 252, venueMs: 208.9, scrapeMs: null as number | null }

/** The dashboard's 30-day pages and a /metrics scrape over the compacted month (the history bench's onStore). */
export async function benchOverMonth(m: MonthStore, runs = 10): Promise<string[]> {
  const deps: WebDeps = { config: m.config, store: m.store, now: () => MONTH_END * 1000 }
  const venue = venueIdOf('arbitrum', 1)
  const overview = await timed(runs, page(() => renderOverview(deps, '30d')))
  const venuePage = await timed(runs, page(() => renderVenue(deps, venue, '30d')))
  const overview1d = await timed(runs, page(() => renderOverview(deps, '1d')))
  const venue1d = await timed(runs, page(() => renderVenue(deps, venue, '1d')))
  const server = await startMetricsServer({ store: m.store, chains: m.config.chains.map((c) => c.name), host: '127.0.0.1', port: 0 })
  let scrape: Awaited<ReturnType<typeof timed>>
  let bytes = 0
  try {
    scrape = await timed(runs, async () => {
      const res = await fetch(`${server.url}/metrics`)
      if (!res.ok) throw new Error(`/metrics answered ${res.status}: ${await res.text()}`)
      bytes = (await res.text()).length
    })
  } finally {
    await server.close()
  }
  const ok = (ms: number, target: number) => (ms < target ? 'meets' : 'MISSES')
  return [
    `\n## Over the compacted synthetic month (mainnet profile: 15 venues on 3 chains; ${m.rawRows.toLocaleString('en')} raw samples in the full tier, ${m.hourRows.toLocaleString('en')} hourly aggregates; built and compacted in ${m.buildSeconds.toFixed(0)} s)`,
    `   the last ${7} days at each chain's default cadence, the 23 days before at a sample every 120 s, folded into hours by history.compact; ${m.config.web.chartPoints} points per chart`,
    `dashboard overview, 30d   : ${overview.text}   (target < 150 ms: ${ok(overview.median, 150)}; baseline ${MONTH_BASELINE.overviewMs} ms)`,
    `dashboard venue page, 30d : ${venuePage.text}   (target < 150 ms: ${ok(venuePage.median, 150)}; baseline ${MONTH_BASELINE.venueMs} ms: the score window read whole on every render)`,
    `dashboard overview, 1d    : ${overview1d.text}`,
    `dashboard venue page, 1d  : ${venue1d.text}`,
    `/metrics scrape (HTTP, ${bytes.toLocaleString('en')} bytes): ${scrape.text}   (target < 50 ms: ${ok(scrape.median, 50)}; baseline: the first scrape counted every stored sample, 1970 ms for that query alone, later scrapes read the whole chain index, 200–375 ms)`,
  ]
}
