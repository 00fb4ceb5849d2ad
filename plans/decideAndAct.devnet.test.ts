import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema, type Config, type ConfigInput } from '../config/schema'
import { createLogger } from '../core/logger'
import { executePlan } from '../execution'
import { chainClient, sender } from '../execution/testing/devnetHelpers'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { PER_BLOCK_WATCH } from '../devnet/deploy'
import { useDevnet } from '../test/devnet'
import { createWatcher } from '../watch/createWatcher'
import { recordDecision } from './decide'
import { planFromExplanation } from './explanation'
import { proposePlan } from './proposePlan'

const devnet = useDevnet()
const logger = createLogger({ test: 'decide-act' }, 'silent')

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

function config(threshold: number): Config {
  const input = structuredClone(devnet.config) as ConfigInput
  input.strategy = { ...(input.strategy ?? {}), approvalThreshold: threshold, committee: { members: ['alice', 'bob', 'carol'], required: 2 } }
  for (const c of input.chains) c.finalityDepth = 0
  input.watch = { ...input.watch, ...PER_BLOCK_WATCH }
  return configSchema.parse(input)
}

/** The watcher samples `blocks` blocks of the chain (mined one second apart). */
async function watch(cfg: Config, chain: string, blocks: number) {
  const w = createWatcher({ common: { config: cfg, logger }, store, chain: chainClient(cfg, chain) })
  await w.tick()
  for (let i = 0; i < blocks; i++) {
    await devnet.mine(chain, 1)
    expect((await w.tick()).status).toBe('processed')
  }
  return w
}

describe('decide and act on the devnet', () => {
  it('proposes a plan from the samples, keeps it while nothing changes, and executes it below the threshold', async () => {
    const cfg = config(1_000_000)
    await watch(cfg, 'ethereum', 8)
    const r = await proposePlan({ config: cfg, store, logger }, 'ethereum')
    expect(r.status).toBe('created')
    if (r.status !== 'created') return
    const stored = (await store.plans.getWithSteps(r.planId))!
    expect(stored.plan.status).toBe('approved')
    expect(stored.steps.length).toBeGreaterThan(0)
    // The why travels with the plan: scores with components and each step's reason.
    const why = planFromExplanation(stored.plan.explanation)!
    expect(Object.keys(why.plan.scores).length).toBeGreaterThan(0)
    expect(why.plan.steps.every((s) => s.why.length > 0)).toBe(true)
    expect((await store.alerts.open()).map((a) => a.dedupKey)).toContain(`plan:${r.planId}`)
    // Same samples, same plan: no churn.
    expect((await proposePlan({ config: cfg, store, logger }, 'ethereum')).status).toBe('unchanged')

    const chains = { ethereum: chainClient(cfg, 'ethereum') }
    const senders = { ethereum: sender(devnet, cfg, store, chains.ethereum) }
    const before = new Map((await store.positions.latestPerVenue({ chain: 'ethereum' })).map((p) => [p.venueId, p.amount]))
    const done = await executePlan({ common: { config: cfg, logger }, store, chains, senders, plan: { id: r.planId } })
    expect(done.status).toBe('completed')
    // The watcher sees the new positions: each step's venue moved by its amount (interest aside).
    const w = await watch(cfg, 'ethereum', 1)
    while ((await w.tick()).status === 'processed');
    const after = new Map((await store.positions.latestPerVenue({ chain: 'ethereum' })).map((p) => [p.venueId, p.amount]))
    for (const s of stored.steps) {
      const delta = after.get(s.venueId)! - before.get(s.venueId)!
      const expected = s.kind === 'deposit' ? s.amount : -s.amount
      const tolerance = s.amount / 1000n + 10n ** 15n
      expect(delta - expected <= tolerance && expected - delta <= tolerance, `${s.kind} ${s.venueId}: moved ${delta}, planned ${expected}`).toBe(true)
    }
    // A plan is executing or done: the next round finds nothing left worth moving at once.
    const next = await proposePlan({ config: cfg, store, logger }, 'ethereum')
    expect(['hold', 'created', 'unchanged']).toContain(next.status)
  })

  it('waits for M of N committee approvals above the threshold', async () => {
    const cfg = config(1)
    await watch(cfg, 'arbitrum', 6)
    const r = await proposePlan({ config: cfg, store, logger }, 'arbitrum')
    expect(r.status).toBe('created')
    if (r.status !== 'created') return
    expect((await store.plans.get(r.planId))!.status).toBe('awaiting_approval')
    const chains = { arbitrum: chainClient(cfg, 'arbitrum') }
    const senders = { arbitrum: sender(devnet, cfg, store, chains.arbitrum) }
    const early = await executePlan({ common: { config: cfg, logger }, store, chains, senders, plan: { id: r.planId } })
    expect(early.status).toBe('not-executable')
    const decide = (member: string) => recordDecision(store, { planId: r.planId, member, decision: 'approve', via: 'cli', committee: cfg.strategy.committee })
    expect((await decide('alice')).outcome).toBe('recorded')
    expect((await decide('bob')).outcome).toBe('approved')
    const done = await executePlan({ common: { config: cfg, logger }, store, chains, senders, plan: { id: r.planId } })
    expect(done.status).toBe('completed')
  })
})
