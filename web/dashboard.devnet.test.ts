/**
 * The dashboard over a store filled by a short devnet run: real watchers sample the real anvil
 * chains, the strategist proposes a plan from those samples and the executor carries it out on
 * chain. Then every page loads in headless Chromium without a console error and its charts draw
 * the samples; the plan page shows the transactions the executor sent.
 */
import type { Browser } from 'playwright-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema, type Config, type ConfigInput } from '../config/schema'
import { createLogger } from '../core/logger'
import { PER_BLOCK_WATCH } from '../devnet/deploy'
import { executePlan } from '../execution'
import { chainClient, sender } from '../execution/testing/devnetHelpers'
import { proposePlan } from '../plans/proposePlan'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { useDevnet } from '../test/devnet'
import { createWatcher, type Watcher } from '../watch/createWatcher'
import { createWebApp, startWebServer, type WebServer } from './server'
import { charts, download, launch, openPage, screenshot, shownCells, tableText } from './testing/browser'

const devnet = useDevnet()
const logger = createLogger({ test: 'web-devnet' }, 'silent')

let store: Store
let cleanup: () => Promise<void>
let browser: Browser | undefined
let server: WebServer | undefined
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(async () => {
  await browser?.close()
  await server?.close()
  await cleanup()
  browser = server = undefined
})

function config(): Config {
  const input = structuredClone(devnet.config) as ConfigInput
  input.strategy = { ...(input.strategy ?? {}), approvalThreshold: 1_000_000 }
  for (const c of input.chains) c.finalityDepth = 0
  input.watch = { ...input.watch, ...PER_BLOCK_WATCH }
  return configSchema.parse(input)
}

/** Ticks a watcher until it waits for a block not mined yet. */
async function catchUp(w: Watcher): Promise<void> {
  for (;;) {
    const r = await w.tick()
    if (r.status === 'waiting') return
    if (r.status === 'failed') throw new Error(`watcher: ${r.error}`)
  }
}

describe('the dashboard over a devnet run', () => {
  it('shows the sampled venues, the plan the executor carried out, and exports what it shows', { timeout: 300_000 }, async () => {
    const cfg = config()
    const chains = cfg.chains.map((c) => c.name)
    const watchers = new Map(chains.map((name) => [name, createWatcher({ common: { config: cfg, logger }, store, chain: chainClient(cfg, name) })]))
    /** The watcher of `chain` samples `blocks` more blocks (mined one at a time). */
    const watch = async (chain: string, blocks: number) => {
      const w = watchers.get(chain)!
      await catchUp(w)
      for (let i = 0; i < blocks; i++) {
        await devnet.mine(chain, 1)
        await catchUp(w)
      }
    }
    await watch('ethereum', 8)
    const proposed = await proposePlan({ config: cfg, store, logger }, 'ethereum')
    expect(proposed.status).toBe('created')
    if (proposed.status !== 'created') return
    const clients = { ethereum: chainClient(cfg, 'ethereum') }
    const done = await executePlan({ common: { config: cfg, logger }, store, chains: clients, senders: { ethereum: sender(devnet, cfg, store, clients.ethereum) }, plan: { id: proposed.planId } })
    expect(done.status).toBe('completed')
    for (const c of chains) await watch(c, 4)

    server = await startWebServer(createWebApp({ config: cfg, store }), { host: '127.0.0.1', port: 0 })
    browser = await launch()

    const overview = await openPage(browser, server.url, '/?range=1h')
    const oc = await charts(overview.page)
    expect(oc.collateral!.drawn).toBeGreaterThan(0)
    expect(oc.apy!.drawn).toBeGreaterThan(0)
    // The watchers beat their own heartbeats while they sample.
    expect((await tableText(overview.page, 'agents')).map((r) => [r[0], r[1]])).toEqual(chains.map((c) => [`watcher-${c}`, 'ok']).sort())
    await screenshot(overview.page, 'devnet-overview')

    const venues = await openPage(browser, server.url, '/venues?range=1h')
    const rows = await tableText(venues.page, 'venues')
    expect(rows.map((r) => r[0]).sort()).toEqual(cfg.venues.map((v) => v.id).sort())
    // Every venue has a reading: its block column is filled.
    expect(rows.filter((r) => r[8] === '—')).toEqual([])
    const vault = cfg.venues.find((v) => v.chain === 'ethereum' && v.kind !== 'lst')!
    const venue = await openPage(browser, server.url, `/venue/${vault.id}?range=1h`)
    const vc = await charts(venue.page)
    expect(vc.apy!.drawn).toBeGreaterThan(0)
    expect(vc.tvl!.drawn).toBeGreaterThan(0)
    expect(vc.position!.drawn).toBeGreaterThan(0)
    expect(shownCells(await download(venue.page, 'readings', 'json'))).toEqual(await tableText(venue.page, 'readings'))
    await screenshot(venue.page, 'devnet-venue')

    const plan = await openPage(browser, server.url, `/plans/${proposed.planId}`)
    const steps = await tableText(plan.page, 'steps')
    expect(steps.length).toBeGreaterThan(0)
    expect(steps.every((s) => s[5] === 'confirmed')).toBe(true)
    const txs = await tableText(plan.page, 'transactions')
    expect(txs.length).toBeGreaterThan(0)
    for (const t of txs) {
      expect(t[2]).toBe('confirmed')
      // The hash the page shows is a transaction the chain mined.
      const receipt = await devnet.chain(t[1]!).public.getTransactionReceipt({ hash: t[4] as `0x${string}` })
      expect(receipt.status).toBe('success')
    }
    expect(await plan.page.textContent('[data-kpi="realised"]')).toMatch(/^not measured yet: the \d+-day horizon ends /)
    await screenshot(plan.page, 'devnet-plan')

    const others = await Promise.all(['/plans?range=1h', '/governance?range=1h', '/transfers?range=1h', '/audit?range=1h'].map((p) => openPage(browser!, server!.url, p)))
    expect((await tableText(others[0]!.page, 'plans')).map((r) => r[0])).toContain(proposed.planId)
    expect([...overview.errors, ...venues.errors, ...venue.errors, ...plan.errors, ...others.flatMap((o) => o.errors)]).toEqual([])
  })
})
