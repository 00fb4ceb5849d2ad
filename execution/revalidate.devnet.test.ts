import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema, type Config, type ConfigInput } from '../config/schema'
import { recordDecision } from '../plans/decide'
import { planExpiredAlertKey, planStoppedAlertKey } from '../plans/expire'
import { comparedWithNowText } from '../plans/planNow'
import { proposePlan } from '../plans/proposePlan'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { planText } from '../telegram/views'
import { useDevnet } from '../test/devnet'
import { createWatcher } from '../watch/createWatcher'
import { PER_BLOCK_WATCH } from '../devnet/deploy'
import { executePlan } from './executePlan'
import { readFeeHistory } from '../chains/feeHistory'
import type { ChainClient } from '../chains/createChainClient'
import { chainClient, sender, setVaultIdleBps, setVaultPaused, silentLogger, txsFrom } from './testing/devnetHelpers'

// Plans re-validated before every step, on a real anvil chain: the watcher samples the chain into a
// real SQLite store, the strategist's proposePlan writes a committee plan, the committee approves
// it (plans/decide.ts), the executor runs it with re-validation on.
const devnet = useDevnet()
const CHAIN = 'ethereum'
const pool = devnet.accounts.pool.address

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

/** Every plan needs 2 of 3 committee approvals; one-hour TTL. */
function config(): Config {
  const input = structuredClone(devnet.config) as ConfigInput
  input.strategy = { ...(input.strategy ?? {}), approvalThreshold: 1, committee: { members: ['alice', 'bob', 'carol'], required: 2 }, planTtlSeconds: 3_600 }
  for (const c of input.chains) c.finalityDepth = 0
  // Every block's own APY (no window to fill): the plans here are about re-validation, not warm-up.
  // Blocks are mined on demand, never while the watcher reads: it may read the head itself.
  input.watch = { ...input.watch, ...PER_BLOCK_WATCH, readBehindHead: 0 }
  return configSchema.parse(input)
}

function watcher(cfg: Config) {
  return createWatcher({ common: { config: cfg, logger: silentLogger }, store, chain: chainClient(cfg, CHAIN) })
}

/** Mines and samples `blocks` blocks. */
async function watch(w: ReturnType<typeof watcher>, blocks: number) {
  for (let i = 0; i < blocks; i++) {
    await devnet.mine(CHAIN, 1)
    expect((await w.tick()).status).toBe('processed')
  }
}

async function committeePlan(cfg: Config, w: ReturnType<typeof watcher>) {
  // Fully liquid vaults: the allocator's liquidity cap (issue 11) would otherwise keep the deposits
  // out of the vaults, and these tests are about pausing a vault the plan deposits into.
  for (const v of cfg.venues) if (v.chain === CHAIN && v.kind === 'erc4626') await setVaultIdleBps(devnet, v.id, 10_000n)
  await w.tick()
  await watch(w, 8)
  const r = await proposePlan({ config: cfg, store, logger: silentLogger }, CHAIN)
  expect(r.status).toBe('created')
  if (r.status !== 'created') throw new Error('no plan')
  const found = (await store.plans.getWithSteps(r.planId))!
  expect(found.plan.status).toBe('awaiting_approval')
  return found
}

const approve = (cfg: Config, planId: string, member: string, at?: number) => recordDecision(store, { planId, member, decision: 'approve', via: 'cli', committee: cfg.strategy.committee, at })

function run(cfg: Config, planId: string, now?: () => number) {
  const chains = { [CHAIN]: chainClient(cfg, CHAIN) }
  const senders = { [CHAIN]: sender(devnet, cfg, store, chains[CHAIN]!) }
  return executePlan({ common: { config: cfg, logger: silentLogger }, store, chains, senders, plan: { id: planId }, revalidate: now ? { now } : {} })
}

describe('re-validation before every step (devnet)', () => {
  it('stops a committee plan whose target venue was paused between approval and execution: nothing moves, alert names it', async () => {
    const cfg = config()
    const w = watcher(cfg)
    const { plan, steps } = await committeePlan(cfg, w)
    const target = steps.find((s) => s.kind === 'deposit' && cfg.venues.find((v) => v.id === s.venueId)?.kind === 'erc4626')
    expect(target, `a deposit into a vault in ${steps.map((s) => `${s.kind} ${s.venueId}`).join(', ')}`).toBeDefined()
    expect((await approve(cfg, plan.id, 'alice')).outcome).toBe('recorded')
    expect((await approve(cfg, plan.id, 'bob')).outcome).toBe('approved')

    // The committee view before the pause: the plan would run.
    expect(await comparedWithNowText({ config: cfg, store }, (await store.plans.get(plan.id))!, steps)).toMatch(/re-validation now: would run$/)
    // The Telegram plan view carries the same comparison.
    expect(await planText(cfg, store, plan.id)).toMatch(/Compared with now — made \d+ (s|min) ago, expires in \d+ min \(TTL 60 min\)\n {2}samples: ethereum block \d+ → \d+/)

    // The venue pauses (the simulator's pause: the vault's setParams), the watcher reads it.
    await setVaultPaused(devnet, target!.venueId, true)
    await watch(w, 1)
    const pausedAt = (await store.cursors.get(CHAIN))!.blockNumber
    const from = await devnet.chain(CHAIN).public.getBlockNumber({ cacheTime: 0 })

    const r = await run(cfg, plan.id)
    expect(r.status).toBe('stopped')
    if (r.status !== 'stopped') return
    expect(r.reason).toBe(`step ${target!.idx} (deposit ${target!.venueId}): target venue ${target!.venueId} paused at block ${pausedAt}`)
    expect(r.plan).toMatchObject({ status: 'stopped', error: r.reason })
    expect(r.steps.every((s) => s.status === 'pending')).toBe(true)
    expect(await txsFrom(devnet, CHAIN, pool, from)).toEqual([])
    expect(await store.intents.list({ keyPrefix: `${plan.id}:` })).toEqual([])
    const alert = (await store.alerts.open({ rule: 'plan-stopped' }))[0]
    expect(alert).toMatchObject({ dedupKey: planStoppedAlertKey(plan.id), severity: 'warning', subject: plan.id })
    expect((await store.alerts.get(alert!.alertId))!.body).toContain(`target venue ${target!.venueId} paused at block ${pausedAt}`)
    // The committee sees why: the plan view names the stop (a finished plan has no comparison).
    const view = (await planText(cfg, store, plan.id))!
    expect(view).toContain(`Plan ${plan.id} — stopped (${r.reason})`)
    expect(view).not.toContain('Compared with now')
    // Running it again sends nothing either.
    expect((await run(cfg, plan.id)).status).toBe('stopped')
    expect(await txsFrom(devnet, CHAIN, pool, from)).toEqual([])
  })

  it('an approved committee plan whose inputs still hold runs to completion with re-validation before every step', async () => {
    const cfg = config()
    const w = watcher(cfg)
    const { plan, steps } = await committeePlan(cfg, w)
    await approve(cfg, plan.id, 'alice')
    await approve(cfg, plan.id, 'bob')
    await watch(w, 2)
    const r = await run(cfg, plan.id)
    expect(r.status).toBe('completed')
    expect(r.steps.map((s) => s.status)).toEqual(steps.map(() => 'confirmed'))
  })

  it('gas priced from the fee history: a chain whose eth_feeHistory fails holds the plan before any step (nothing moves); once it reads, the plan runs', async () => {
    const base = config()
    const cfg = configSchema.parse({ ...base, strategy: { ...base.strategy, costs: { ...base.strategy.costs, gas: { source: 'fee-history' } } } })
    const w = watcher(cfg)
    await w.tick()
    await watch(w, 8)
    const client = chainClient(cfg, CHAIN)
    const r = await proposePlan({ config: cfg, store, logger: silentLogger }, CHAIN, { feeHistory: { [CHAIN]: await readFeeHistory(client.client, cfg.strategy.costs.gas) } })
    expect(r.status).toBe('created')
    if (r.status !== 'created') return
    await approve(cfg, r.planId, 'alice')
    await approve(cfg, r.planId, 'bob')
    await watch(w, 2)
    // The same chain client, its eth_feeHistory failing as on a node without the method.
    const noFees: ChainClient = { ...client, client: new Proxy(client.client, { get: (t, k) => (k === 'getFeeHistory' ? () => Promise.reject(new Error('the method eth_feeHistory does not exist')) : Reflect.get(t, k)) }) }
    const from = await devnet.chain(CHAIN).public.getBlockNumber({ cacheTime: 0 })
    const held = await executePlan({ common: { config: cfg, logger: silentLogger }, store, chains: { [CHAIN]: noFees }, senders: { [CHAIN]: sender(devnet, cfg, store, noFees) }, plan: { id: r.planId }, revalidate: {} })
    expect(held.status).toBe('held')
    if (held.status !== 'held') return
    expect(held.reason).toMatch(/^fee history of ethereum does not read \(.*eth_feeHistory does not exist.*\): the steps' gas cost is unknown; waiting$/)
    await devnet.mine(CHAIN, 1)
    expect(await txsFrom(devnet, CHAIN, pool, from)).toEqual([])
    const done = await run(cfg, r.planId)
    expect(done.status).toBe('completed')
  })

  it('a venue paused mid-plan: the steps done stay done, the plan stops before the next one, the rest stay pending', async () => {
    const cfg = config()
    const w = watcher(cfg)
    const { plan, steps } = await committeePlan(cfg, w)
    const target = steps.findLast((s) => s.kind === 'deposit' && cfg.venues.find((v) => v.id === s.venueId)?.kind === 'erc4626')!
    expect(target.idx, steps.map((s) => `${s.idx} ${s.kind} ${s.venueId} ${s.amount}`).join("; ")).toBeGreaterThan(0)
    await approve(cfg, plan.id, 'alice')
    await approve(cfg, plan.id, 'bob')
    const chains = { [CHAIN]: chainClient(cfg, CHAIN) }
    const senders = { [CHAIN]: sender(devnet, cfg, store, chains[CHAIN]!) }
    const r = await executePlan({
      common: { config: cfg, logger: silentLogger }, store, chains, senders, plan: { id: plan.id }, revalidate: {},
      hooks: {
        at: async (point, ctx) => {
          if (point !== 'step-done' || ctx.stepIdx !== target.idx - 1) return
          await setVaultPaused(devnet, target.venueId, true)
          while ((await w.tick()).status === 'processed');
        },
      },
    })
    expect(r.status).toBe('stopped')
    if (r.status !== 'stopped') return
    expect(r.stepIdx).toBe(target.idx)
    expect(r.reason).toMatch(new RegExp(`^step ${target.idx} \\(deposit ${target.venueId}\\): target venue ${target.venueId} paused at block \\d+$`))
    expect(r.steps.map((s) => s.status)).toEqual(steps.map((s) => (s.idx < target.idx ? 'confirmed' : 'pending')))
    expect(await store.intents.list({ keyPrefix: `${plan.id}:${target.idx}:` })).toEqual([])
  })

  it('a committee plan approved after its TTL is expired, never executed, and does not block a fresh plan', async () => {
    const cfg = config()
    const w = watcher(cfg)
    const { plan } = await committeePlan(cfg, w)
    const late = plan.createdAt + 3_601_000
    // The committee view says it before anyone approves.
    expect(await comparedWithNowText({ config: cfg, store }, plan, (await store.plans.steps(plan.id)), late)).toMatch(/made 60 min ago: EXPIRED \(TTL 60 min\)/)
    expect((await approve(cfg, plan.id, 'alice', late)).outcome).toBe('recorded')
    expect((await approve(cfg, plan.id, 'carol', late)).outcome).toBe('approved')
    const from = await devnet.chain(CHAIN).public.getBlockNumber({ cacheTime: 0 })

    const r = await run(cfg, plan.id, () => late)
    expect(r.status).toBe('expired')
    if (r.status !== 'expired') return
    expect(r.reason).toMatch(new RegExp(`^plan ${plan.id} is 60 min old, past its TTL of 60 min \\(strategy\\.planTtlSeconds\\)`))
    expect(r.plan.status).toBe('expired')
    expect(r.steps.every((s) => s.status === 'pending')).toBe(true)
    expect(await txsFrom(devnet, CHAIN, pool, from)).toEqual([])
    expect(await store.alerts.isOpen(planExpiredAlertKey(plan.id))).toBe(true)
    expect(await store.alerts.isOpen(`plan:${plan.id}`)).toBe(false)

    // The strategist's next round, same samples: a fresh plan, not "unchanged".
    const next = await proposePlan({ config: cfg, store, logger: silentLogger }, CHAIN, { now: late })
    expect(next).toMatchObject({ status: 'created', planId: `${plan.id}-2` })
  })

  it('the strategist expires a plan still awaiting the committee past its TTL and proposes afresh', async () => {
    const cfg = config()
    const w = watcher(cfg)
    const { plan } = await committeePlan(cfg, w)
    await watch(w, 1)
    const late = plan.createdAt + 3_601_000
    const next = await proposePlan({ config: cfg, store, logger: silentLogger }, CHAIN, { now: late })
    expect(next.status).toBe('created')
    expect((await store.plans.get(plan.id))!.status).toBe('expired')
    expect(await store.alerts.isOpen(planExpiredAlertKey(plan.id))).toBe(true)
  })
})
