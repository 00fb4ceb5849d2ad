/** Headless Chromium helpers for the dashboard's browser tests (playwright-core over Debian's chromium). */
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { expect } from 'vitest'

/** Debian's package (`apt-get install chromium`; .ci/run installs it); POOLWARDEN_CHROMIUM to use another. */
export const CHROMIUM = process.env.POOLWARDEN_CHROMIUM ?? '/usr/bin/chromium'
/** Screenshots of every page tested (gitignored; CI keeps them as artefacts). */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'web')

export async function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true })
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
}

/** Opens a page (expects 200) and collects console errors, uncaught exceptions and dialogs. */
export async function openPage(browser: Browser, baseUrl: string, path: string, opts: { width?: number; height?: number } = {}): Promise<{ page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 }, acceptDownloads: true })
  const page = await ctx.newPage()
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('dialog', (d) => {
    errors.push(`a dialog opened: ${d.message()}`)
    void d.dismiss()
  })
  const res = await page.goto(new URL(path, baseUrl).toString())
  expect(res?.status(), path).toBe(200)
  await page.waitForLoadState('load')
  return { page, errors }
}

/** Every chart of the page: the points the server sent, the points uPlot was handed (null: not drawn), a canvas. */
export async function charts(page: Page): Promise<Record<string, { points: number; drawn: number | null; canvas: boolean }>> {
  return page.$$eval('figure.chart', (figs) =>
    Object.fromEntries(
      figs.map((f) => [
        f.getAttribute('data-chart')!,
        { points: Number(f.getAttribute('data-points')), drawn: f.getAttribute('data-rendered') === '1' ? Number(f.getAttribute('data-drawn')) : null, canvas: f.querySelector('.uplot canvas') !== null },
      ]),
    ),
  )
}

/** The text of a table's cells as shown, row by row. */
export async function tableText(page: Page, id: string): Promise<string[][]> {
  return page.$$eval(`section[data-table="${id}"] tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')))
}

/** Downloads a table's export by clicking its link; returns the file's text. */
export async function download(page: Page, id: string, format: 'csv' | 'json'): Promise<string> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`section[data-table="${id}"] a.export[data-format="${format}"]`)])
  return readFileSync((await dl.path())!, 'utf8')
}

/** The JSON export of a table, as the page would show its cells (null as "—"). */
export function shownCells(json: string): string[][] {
  return (JSON.parse(json) as Array<Record<string, unknown>>).map((r) => Object.values(r).map((v) => (v === null ? '—' : String(v))))
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })
}
