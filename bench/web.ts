/**
 * `npm run bench -- web`: the dashboard's server time (store reads + HTML) for the overview and a
 * venue page over the 30-day range, on the web test world (web/testing/world.ts: two chains, four
 * venues, a sample a minute for ~2 days). A page reads web.chartPoints blocks per venue whatever
 * the store holds, so the figure measures the read path, not the store's size; the month-sized
 * store is the history-tier benchmark's (`npm run bench -- history`).
 */
import { openTempStore } from '../store/testing'
import { renderOverview } from '../web/pages/overview'
import { renderVenue } from '../web/pages/venue'
import { layout, renderTable, SafeHtml, type Page } from '../web/html'
import { dashboardConfig, fillDashboardStore, T0 } from '../web/testing/world'

const html = (p: Page) => layout({ ...p, body: new SafeHtml(p.body.value + p.tables.map((t) => renderTable(t, { path: '/', query: {} }).value).join('')) }, { path: '/', query: {}, range: '30d', generatedAt: 0, profile: 'bench' })

export async function benchWeb(runs = 10): Promise<string[]> {
  const t = await openTempStore()
  try {
    await fillDashboardStore(t.store)
    const deps = { config: dashboardConfig(t.path), store: t.store, now: () => T0 * 1000 }
    const time = async (f: () => Promise<Page>) => {
      await f() // warm: page cache, JIT
      const ms: number[] = []
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now()
        html(await f())
        ms.push(performance.now() - t0)
      }
      ms.sort((a, b) => a - b)
      return `median ${ms[Math.floor(ms.length / 2)]!.toFixed(1)} ms, max ${ms[ms.length - 1]!.toFixed(1)} ms (${runs} runs)`
    }
    return [
      `\n## Dashboard server time, 30-day range (${deps.config.web.chartPoints} points per chart; target: under 150 ms)`,
      `overview (4 venues, 2 chains) : ${await time(() => renderOverview(deps, '30d'))}`,
      `venue page (eth-vault)        : ${await time(() => renderVenue(deps, 'eth-vault', '30d'))}`,
    ]
  } finally {
    await t.cleanup()
  }
}
