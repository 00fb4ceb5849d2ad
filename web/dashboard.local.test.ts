/**
 * The dashboard in a real headless Chromium (Debian's /usr/bin/chromium via playwright-core)
 * against a real SQLite store filled through the store's own write functions (web/testing.ts).
 * Every page loads without a console error, its charts draw points with uPlot, an export
 * downloads the rows the page shows, and a screenshot of each page is kept in test-artifacts/web/.
 */
import { readFileSync } from 'node:fs'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recomputeFromReceipt } from '../governance/receipt'
import { openTempStore } from '../store/testing'
import { createWebApp, startWebServer, type WebServer } from './server'
import { charts, download, launch, openPage, screenshot, shownCells, tableText } from './testing/browser'
import { DELEGATOR_BAD_SIG, DELEGATOR_COUNTED, T0, dashboardConfig, fillDashboardStore } from './testing/world'

let browser: Browser
let server: WebServer
let cleanup: () => Promise<void>
let ids: Awaited<ReturnType<typeof fillDashboardStore>>

beforeAll(async () => {
  const t = await openTempStore()
  cleanup = t.cleanup
  ids = await fillDashboardStore(t.store)
  const config = dashboardConfig(t.path)
  server = await startWebServer(createWebApp({ config, store: t.store, now: () => T0 * 1000 }), { host: '127.0.0.1', port: 0 })
  browser = await launch()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await cleanup?.()
})

const open = (path: string, opts: { width?: number; height?: number } = {}) => openPage(browser, server.url, path, opts)
const shot = screenshot

describe('the dashboard in a headless browser', () => {
  it('overview: stacked collateral and APY charts drawn, open alerts escaped, late agent, the pause', async () => {
    const { page, errors } = await open('/?range=7d')
    const c = await charts(page)
    expect(c.collateral!.points).toBeGreaterThan(0)
    expect(c.collateral!.canvas).toBe(true)
    expect(c.collateral!.drawn).toBe(c.collateral!.points)
    expect(c.apy!.drawn).toBeGreaterThan(0)
    expect(c.apy!.canvas).toBe(true)
    // 400 idle + 300 + 200 + the vault's 100 grown by rate 1.00009/1.00003 = 1000.0060 wstETH.
    expect(await page.textContent('[data-kpi="collateral"]')).toBe('1000.0060 wstETH')
    // The alert title carries markup: shown as text, never run.
    const open_ = await tableText(page, 'open-alerts')
    expect(open_.length).toBe(1)
    expect(open_[0]).toContain('arb-wsteth <script>alert(1)</script> trades at 0.985')
    const agents = Object.fromEntries((await tableText(page, 'agents')).map((r) => [r[0], r[1]]))
    expect(agents).toEqual({ executor: 'ok', strategist: 'late', 'watcher-ethereum': 'ok' })
    expect(await tableText(page, 'pauses')).toEqual([['strategist', 'telegram:alice', expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/)]])
    await shot(page, 'overview')
    expect(errors).toEqual([])
  })

  it('overview on a phone: nothing wider than the screen', async () => {
    const { page, errors } = await open('/?range=1d', { width: 390, height: 844 })
    expect((await charts(page)).collateral!.drawn).toBeGreaterThan(0)
    // Evaluated in the page (a string: this project's TypeScript has no DOM types).
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number
    expect(overflow).toBeLessThanOrEqual(0)
    await shot(page, 'overview-phone')
    expect(errors).toEqual([])
  })

  it('venue: APY, TVL, position and peg over time with its alerts marked; an empty utilisation says so', async () => {
    const { page, errors } = await open('/venue/eth-vault?range=7d')
    const c = await charts(page)
    for (const id of ['apy', 'tvl', 'position']) {
      expect(c[id]!.canvas, id).toBe(true)
      expect(c[id]!.drawn, id).toBeGreaterThan(0)
    }
    expect(c.utilisation!.points).toBe(0) // a vault has no utilisation reading
    expect(await page.textContent('figure[data-chart="utilisation"] .empty')).toBe('no readings in this range')
    const alerts = await tableText(page, 'alerts')
    expect(alerts.map((r) => r[3])).toEqual(['recovery', 'open'])
    expect(await page.$$eval('figure[data-chart="apy"] ul.marks li', (l) => l.length)).toBe(2)
    const risk = await tableText(page, 'risk')
    expect(risk.length).toBeGreaterThan(0)
    await shot(page, 'venue')
    expect(errors).toEqual([])
  })

  it('an export downloads the same rows the page shows (CSV and JSON)', async () => {
    const { page, errors } = await open('/venue/eth-vault?range=1d')
    const shown = await tableText(page, 'readings')
    expect(shown.length).toBeGreaterThan(10)
    expect(shownCells(await download(page, 'readings', 'json'))).toEqual(shown)
    const csv = (await download(page, 'readings', 'csv')).trimEnd().split('\r\n')
    expect(csv[0]).toBe('block,at,tier,available,apy,tvl,utilisation,peg,position')
    expect(csv.slice(1).map((l) => l.split(',').map((v) => (v === '' ? '—' : v)))).toEqual(shown)
    expect(errors).toEqual([])
  })

  it('plans: the list, and a completed plan with its realised gain after the horizon', async () => {
    const list = await open('/plans?range=7d')
    expect((await tableText(list.page, 'plans')).map((r) => r[0])).toEqual([ids.awaitingPlan, ids.bridgePlan, ids.landedPlan, ids.completedPlan])
    await shot(list.page, 'plans')
    expect(list.errors).toEqual([])

    const { page, errors } = await open(`/plans/${ids.completedPlan}`)
    // 100 wstETH in the vault from rate 1.00003 (block 1000) to 1.0000732 (a day later, block 2440): 100 × 0.0000432 / 1.00003.
    expect(await page.textContent('[data-kpi="realised"]')).toBe('0.004320 wstETH (net of cost: 0.003320)')
    expect(await page.textContent('[data-kpi="expected"]')).toBe('0.002466 wstETH')
    const steps = await tableText(page, 'steps')
    expect(steps.map((r) => [r[1], r[3], r[5]])).toEqual([
      ['withdraw', 'eth-wsteth', 'confirmed'],
      ['deposit', 'eth-vault', 'confirmed'],
    ])
    expect(steps[1]![9]).toBe(`0x${'abc1'.padStart(64, '0')}`)
    expect((await tableText(page, 'transactions')).map((r) => r[2])).toEqual(['confirmed', 'confirmed'])
    await shot(page, 'plan')
    expect(errors).toEqual([])
  })

  it('a committee plan: its decision, its Safe transaction with the signatures so far, no realised gain yet', async () => {
    const { page, errors } = await open(`/plans/${ids.awaitingPlan}`)
    expect(await page.textContent('[data-kpi="realised"]')).toBe('not measured: the plan is awaiting_approval, not completed')
    expect((await tableText(page, 'approvals')).map((r) => r.slice(0, 3))).toEqual([['alice', 'approve', 'telegram']])
    const safe = await tableText(page, 'safe-txs')
    expect(safe.map((r) => [r[1], r[4]])).toEqual([[`0x${'5afe'.padStart(64, '0')}`, '1/2']])
    // The step's reason carries markup: escaped.
    expect((await tableText(page, 'steps'))[0]![8]).toBe('move <b>most</b> of the idle collateral into the vault')
    await shot(page, 'plan-committee')
    expect(errors).toEqual([])
  })

  it('governance: the receipt download is what npm run recompute checks; "how was my signal counted"', async () => {
    const { page, errors } = await open(`/governance?range=7d`)
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`section[data-table="proposals"] a[href="/governance/receipt/${ids.tallyId}"]`)])
    const receipt = readFileSync((await dl.path())!, 'utf8')
    const r = recomputeFromReceipt(receipt)
    expect(r.ok).toBe(true)
    expect(r.receipt.signals.map((s) => s.status)).toEqual(['counted', 'invalid-signature'])
    expect((await tableText(page, 'votes')).map((x) => [x[1], x[2]])).toEqual([['snapshot', 'created']])
    await page.fill('input[name=delegator]', DELEGATOR_BAD_SIG)
    await Promise.all([page.waitForURL(/delegator=/), page.click('form.lookup button')])
    const mine = await tableText(page, 'my-signal')
    expect(mine.map((x) => [x[0], x[2], x[5], x[6]])).toEqual([['0xupstream', '300000000000000000000', 'invalid-signature', 'signature does not recover to the voter']])
    await shot(page, 'governance')
    const counted = await open(`/governance?range=7d&delegator=${DELEGATOR_COUNTED}`)
    expect((await tableText(counted.page, 'my-signal')).map((x) => [x[3], x[4], x[5]])).toEqual([['true', '1', 'counted']])
    expect([...errors, ...counted.errors]).toEqual([])
  })

  it('transfers: in flight and landed', async () => {
    const { page, errors } = await open('/transfers?range=7d')
    expect((await tableText(page, 'in-flight')).map((r) => [r[0], r[3]])).toEqual([[`${ids.bridgePlan}:1`, 'initiated']])
    expect((await tableText(page, 'landed')).map((r) => [r[0], r[3]])).toEqual([[`${ids.landedPlan}:1`, 'deposited']])
    await shot(page, 'transfers')
    expect(errors).toEqual([])
  })

  it('audit: filtered by via and by time range', async () => {
    const week = await open('/audit?range=7d&via=cli')
    expect((await tableText(week.page, 'audit')).map((r) => [r[2], r[4]])).toEqual([
      ['cli:bob', 'plan.approve'],
      ['cli:alice', 'plan.sign'],
    ])
    const day = await open('/audit?range=1d&via=cli')
    expect((await tableText(day.page, 'audit')).map((r) => r[2])).toEqual(['cli:bob'])
    const who = await open('/audit?range=7d&who=alice')
    expect((await tableText(who.page, 'audit')).map((r) => r[4])).toEqual(['pause', 'plan.sign'])
    await shot(week.page, 'audit')
    expect([...week.errors, ...day.errors, ...who.errors]).toEqual([])
  })

  it('bad input: an unknown range or venue answers with what to use', async () => {
    const r = await fetch(new URL('/?range=2y', server.url))
    expect(r.status).toBe(400)
    expect(await r.text()).toContain('range: unknown range &quot;2y&quot; (use one of 1h, 1d, 7d, 30d)')
    const v = await fetch(new URL('/venue/nope', server.url))
    expect(v.status).toBe(404)
    expect(await v.text()).toContain('no venue &quot;nope&quot; (known: eth-wsteth, eth-vault, arb-wsteth, arb-aave)')
  })
})
