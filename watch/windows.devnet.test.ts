import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema, type Config, type ConfigInput } from '../config/schema'
import { createLogger } from '../core/logger'
import { simAaveMarketAbi } from '../devnet/abis'
import { DEVNET_WATCH } from '../devnet/deploy'
import { bpsToRay } from '../devnet/market'
import { chainClient } from '../execution/testing/devnetHelpers'
import { computePlan, proposePlan, type Computed } from '../plans/proposePlan'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { useDevnet } from '../test/devnet'
import { createWatcher, type Watcher } from './createWatcher'

/**
 * Windows in time, and missing data never moves money, on the real devnet: a cold start holds
 * until the APY windows are complete (or back-filled from the chain's history) and then makes the
 * plan a watcher running all along makes; a fresh devnet in the calm scenario moves nothing in
 * its first window.
 */

const devnet = useDevnet()
const logger = createLogger({ test: 'windows' }, 'silent')
const CHAIN = 'ethereum'

const stores: { store: Store; cleanup: () => Promise<void> }[] = []
beforeEach(() => {
  stores.length = 0
})
afterEach(async () => {
  for (const s of stores.splice(0)) await s.cleanup()
})
async function newStore(): Promise<Store> {
  const s = await openTempStore()
  stores.push(s)
  return s.store
}

/** The devnet config, a short window, and a policy with nothing but yield to weigh (so complete data does make a plan). */
function config(watch: ConfigInput['watch']): Config {
  const input = structuredClone(devnet.config) as ConfigInput
  // Blocks are mined on demand, never while the watcher reads: it may read the head itself.
  input.watch = { ...input.watch, readBehindHead: 0, ...watch }
  input.strategy = {
    ...(input.strategy ?? {}),
    approvalThreshold: 1e12,
    allocation: { maxMovePerPeriodBps: 10_000, hysteresisBps: 0, cooldownBlocks: 0 },
    costs: { gasPerStep: 0 },
  }
  for (const c of input.chains) c.finalityDepth = 0
  return configSchema.parse(input)
}

const stepsOf = (c: Computed) => (c.status === 'computed' ? c.plan.steps.map((s) => `${s.kind} ${s.venueId} ${s.amount}`) : [`skipped: ${c.reason}`])
/**
 * The same plan: the same steps (kind, venue) in the same order, each amount within 1 ppm — the
 * watcher stores a position that only accrues at most once an hour (watch/cadence.ts), so two
 * stores filled differently (live vs back-filled) may hold positions a few blocks of accrual apart
 * (~2e-9 of the position per second at 7 %).
 */
function expectSamePlan(a: Computed, b: Computed): void {
  const shape = (c: Computed) => (c.status === 'computed' ? c.plan.steps.map((s) => `${s.kind} ${s.venueId}`) : [`skipped: ${c.reason}`])
  expect(shape(a)).toEqual(shape(b))
  if (a.status !== 'computed' || b.status !== 'computed') return
  const close = (x: bigint, y: bigint, what: string) => expect((x > y ? x - y : y - x) * 1_000_000n <= (y > x ? y : x), `${what}: ${x} vs ${y}`).toBe(true)
  a.plan.steps.forEach((s, i) => close(s.amount, b.plan.steps[i]!.amount, `${s.kind} ${s.venueId}`))
  expect(a.allocation.targets.map((t) => t.venueId)).toEqual(b.allocation.targets.map((t) => t.venueId))
  a.allocation.targets.forEach((t, i) => close(t.target, b.allocation.targets[i]!.target, `target ${t.venueId}`))
}

async function drain(w: Watcher): Promise<number> {
  let n = 0
  while ((await w.tick()).status === 'processed') n++
  return n
}

describe('APY windows in seconds, frozen until complete', () => {
  it('a cold start with empty history makes no plan until the window fills; then the plan a back-filled (warm) start makes', async () => {
    const W = 20
    // Cold: no history, no back-fill.
    const coldCfg = config({ apyWindowSeconds: W, minApySpanSeconds: 5, backfillWindow: false })
    const cold = await newStore()
    const w = createWatcher({ common: { config: coldCfg, logger }, store: cold, chain: chainClient(coldCfg, CHAIN) })
    expect((await w.tick()).status).toBe('processed')
    const first = await computePlan({ config: coldCfg, store: cold }, CHAIN)
    expect(first.status).toBe('computed')
    if (first.status !== 'computed') return
    expect(first.plan.steps).toEqual([])
    // Every venue of the chain is held, with how much of the window is missing.
    expect(first.frozen.map((f) => f.venueId).sort()).toEqual(coldCfg.venues.filter((v) => v.chain === CHAIN && (v.kind !== 'lst' || first.idle === v.id)).map((v) => v.id).sort())
    expect(first.frozen.find((f) => f.venueId === first.idle)!.reason).toMatch(/^held: no APY reading (at block \d+|for \d+ s of 20 s)$/)
    const held = await proposePlan({ config: coldCfg, store: cold, logger }, CHAIN)
    expect(held.status).toBe('hold')
    if (held.status === 'hold') expect(held.reason).toMatch(/^held for lack of data: /)

    // Block by block (1 s apart) the window fills; until it does, nothing is planned.
    let madePlanAt = -1
    for (let i = 1; i <= W + 25; i++) {
      await devnet.mine(CHAIN, 1)
      expect((await w.tick()).status).toBe('processed')
      const c = await computePlan({ config: coldCfg, store: cold }, CHAIN)
      if (c.status !== 'computed') throw new Error(c.reason)
      if (c.plan.steps.length > 0 && madePlanAt < 0) madePlanAt = i
      if (i < W) expect({ i, steps: c.plan.steps.length }).toEqual({ i, steps: 0 })
    }
    expect(madePlanAt).toBeGreaterThanOrEqual(W)
    const coldPlan = await computePlan({ config: coldCfg, store: cold }, CHAIN)

    // A fresh watcher on an empty store, back-filling from anvil's history: the same plan at once.
    const warmCfg = config({ apyWindowSeconds: W, minApySpanSeconds: 5, backfillWindow: true })
    const warm = await newStore()
    const fresh = createWatcher({ common: { config: warmCfg, logger }, store: warm, chain: chainClient(warmCfg, CHAIN) })
    const processed = 1 + (await drain(fresh))
    // The window (20 s in blocks of the measured block time, ~1 s) plus the score's and baseline's 20 samples.
    expect(processed).toBeGreaterThanOrEqual(W + 20 + 1)
    expect(processed).toBeLessThan(W + 20 + 10)
    const warmPlan = await computePlan({ config: warmCfg, store: warm }, CHAIN)
    expect(warmPlan.status).toBe('computed')
    expectSamePlan(warmPlan, coldPlan)
    expect(stepsOf(warmPlan).length).toBeGreaterThan(0)
    // Back-filled blocks raised no alert of their own.
    expect(await warm.alerts.open({})).toEqual([])
  })

  it('a window longer than backfillMaxBlocks is back-filled sparsely: complete windows from the first live block', async () => {
    const W = 40
    const cfg = config({ apyWindowSeconds: W, minApySpanSeconds: 5, backfillWindow: true, backfillMaxBlocks: 10 })
    // Every venue has existed for a whole window (the latest deployed ones are younger than 40 s).
    await devnet.mine(CHAIN, W)
    const store = await newStore()
    const w = createWatcher({ common: { config: cfg, logger }, store, chain: chainClient(cfg, CHAIN) })
    const head = await chainClient(cfg, CHAIN).client.getBlockNumber({ cacheTime: 0 })
    const r = await w.tick()
    // It starts live at the head (not 40 + 20 blocks back) ...
    expect(r).toMatchObject({ status: 'processed', block: head })
    // ... with the window read at spread-out historical blocks (stored, no cursor, no alerts) ...
    const vault = cfg.venues.find((v) => v.chain === CHAIN && v.kind === 'erc4626')!
    const history = await store.samples.recent(vault.id, 1_000)
    expect(history.length).toBeGreaterThan(20)
    expect(history.length).toBeLessThan(W + 20)
    expect(await store.alerts.open({})).toEqual([])
    // ... so the head's APYs already span the whole window: nothing of the chain is frozen.
    expect(history[0]!.apySpanSeconds).toBeGreaterThanOrEqual(W)
    const c = await computePlan({ config: cfg, store }, CHAIN)
    if (c.status !== 'computed') throw new Error(c.reason)
    expect(c.frozen.filter((f) => f.chain === CHAIN)).toEqual([])
  })

  it('a fresh devnet in the calm scenario never moves collateral in its first window, and rebalances after it', async () => {
    // The devnet exactly as `npm start` runs it: its policy, its windows, back-fill on.
    const cfg = configSchema.parse(structuredClone(devnet.config))
    expect([cfg.watch.apyWindowSeconds, cfg.watch.backfillWindow]).toEqual([DEVNET_WATCH.apyWindowSeconds, true])
    const store = await newStore()
    const watchers = cfg.chains.map((c) => createWatcher({ common: { config: cfg, logger }, store, chain: chainClient(cfg, c.name) }))
    for (const w of watchers) await drain(w)
    // The first window of each chain (each anvil keeps its own clock): from the first block any of
    // its venues could be read (back-filled from anvil's history: the deployment) until a whole
    // window of readings exists.
    const windowEnd = new Map<string, number>()
    for (const c of cfg.chains) {
      let firstRead = Infinity
      for (const v of cfg.venues.filter((x) => x.chain === c.name)) {
        const oldest = (await store.samples.recent(v.id, 100_000)).filter((x) => x.available).at(-1)
        if (oldest) firstRead = Math.min(firstRead, oldest.blockTime)
      }
      expect(Number.isFinite(firstRead)).toBe(true)
      windowEnd.set(c.name, firstRead + DEVNET_WATCH.apyWindowSeconds)
    }
    const sim = await devnet.simulator('calm')
    let heldInWindow = 0
    let createdAfter: string | undefined
    for (let i = 0; !createdAfter; i++) {
      for (const w of watchers) await drain(w)
      const now = new Map(cfg.chains.map((c) => [c.name, 0]))
      for (const x of await store.samples.latestPerVenue()) now.set(x.chain, Math.max(now.get(x.chain)!, x.blockTime))
      const inWindow = (c: string) => now.get(c)! < windowEnd.get(c)!
      const anyInWindow = cfg.chains.some((c) => inWindow(c.name))
      if (i % 10 === 0 || !anyInWindow || cfg.chains.some((c) => now.get(c.name)! >= windowEnd.get(c.name)! - 5)) {
        for (const c of cfg.chains) {
          const r = await proposePlan({ config: cfg, store, logger }, c.name)
          if (r.status === 'hold' && inWindow(c.name)) heldInWindow++
          if (r.status !== 'created') continue
          // A chain's plan touches its own venues; a cross-chain plan touches every chain.
          const touched = r.planId.startsWith('p-pool-') ? cfg.chains.map((x) => x.name) : [c.name]
          for (const t of touched) expect(inWindow(t), `plan ${r.planId} at ${t} time ${now.get(t)}, before its window ends at ${windowEnd.get(t)}`).toBe(false)
          createdAfter = r.planId
        }
      }
      // Warm-up is one window; the calm devnet finds its first move within a minute after it.
      expect(Math.min(...now.values())).toBeLessThan(Math.max(...windowEnd.values()) + 60)
      await sim.step(i)
    }
    expect(heldInWindow).toBeGreaterThan(0)
    const plan = await store.plans.get(createdAfter)
    expect(plan?.status).toMatch(/approved|awaiting_approval/)
  })

  it('a feed answering garbage is refused as implausible, counted, held, and alerted once while it persists', async () => {
    const cfg = config({ apyWindowSeconds: 20, minApySpanSeconds: 5, backfillWindow: false })
    const store = await newStore()
    const w = createWatcher({ common: { config: cfg, logger }, store, chain: chainClient(cfg, CHAIN) })
    await w.tick()
    const aave = devnet.venue(`${CHAIN}-aave`)
    if (aave.kind !== 'aave-v3') throw new Error('expected the aave venue')
    const wallet = devnet.chain(CHAIN).wallet(devnet.accounts.deployer)
    const setRate = async (aprBps: number) => {
      await wallet.writeContract({ address: aave.market, abi: simAaveMarketAbi, functionName: 'setParams', args: [bpsToRay(aprBps), bpsToRay(aprBps + 120), 6_500n, false] })
      expect((await w.tick()).status).toBe('processed')
    }
    const key = `implausible:${CHAIN}:${aave.id}`
    // 5,000 % APR compounds to an APY far above the 10,000 % maximum.
    await setRate(500_000)
    const s1 = (await store.samples.latestPerVenue({ chain: CHAIN })).find((x) => x.venueId === aave.id)!
    expect(s1.available).toBe(true)
    expect(s1.apy).toBeNull()
    expect(s1.error).toMatch(/^implausible: APY [\d,.]+ % above the plausible 10,000 % \(watch\.maxPlausibleApy\)$/)
    expect(await store.alerts.isOpen(key)).toBe(false) // one reading: counted, not alerted
    await devnet.mine(CHAIN, 1)
    await w.tick()
    expect(await store.alerts.isOpen(key)).toBe(false)
    await devnet.mine(CHAIN, 1)
    await w.tick()
    expect(await store.alerts.isOpen(key)).toBe(true) // the third in a row
    for (let i = 0; i < 3; i++) {
      await devnet.mine(CHAIN, 1)
      await w.tick()
    }
    const raised = (await store.alerts.recent(100)).filter((a) => a.dedupKey === key)
    expect(raised).toHaveLength(1)
    // The venue is held (frozen), never a reason to move.
    const c = await computePlan({ config: cfg, store }, CHAIN)
    if (c.status !== 'computed') throw new Error(c.reason)
    expect(c.frozen.find((f) => f.venueId === aave.id)?.reason).toMatch(/^held: no APY reading at block \d+ \(implausible: /)
    expect(c.plan.steps.filter((st) => st.venueId === aave.id)).toEqual([])
    // A plausible reading resolves it.
    await setRate(240)
    expect(await store.alerts.isOpen(key)).toBe(false)
  })
})
