import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createChainClient } from '../chains/createChainClient'
import { configSchema } from '../config/schema'
import { createLogger } from '../core/logger'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { useDevnet } from '../test/devnet'
import { createWatcher } from './createWatcher'
import { calmWithSpikes, catchUp } from './testing'

const devnet = useDevnet()
const logger = createLogger({ test: 'persistence' }, 'silent')

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

describe('alerts that wait for evidence, on the devnet', () => {
  it('a one-block liquidity shortfall pushes nothing and is counted; a 4-block one alerts in its 3rd block, across a watcher restart', async () => {
    // The calm market with two utilisation spikes on the ethereum Aave market (where the pool has
    // a position): one block at index 5, four blocks at indices 15..18.
    const scenario = await calmWithSpikes()
    const sim = await devnet.simulator(scenario, { chains: [{ name: 'ethereum' }] })
    // Blocks are mined on demand, never while the watcher reads: it may read the head itself.
    const input = structuredClone(devnet.config)
    input.watch = { ...input.watch, readBehindHead: 0 }
    const config = configSchema.parse(input)
    const chainConfig = config.chains.find((c) => c.name === 'ethereum')!
    const make = () => createWatcher({ common: { config, logger }, store, chain: createChainClient({ chain: chainConfig }) })
    let watcher = make()
    await watcher.tick()

    const blockAt = new Map<number, bigint>()
    for (let i = 0; i <= 24; i++) {
      const [step] = await sim.step(i)
      blockAt.set(i, step!.blockNumber)
      // A restart in the middle of the long spike (after its 2nd block): the streak is in the store.
      if (i === 16) {
        await catchUp(watcher)
        expect((await store.alerts.pending('watcher-ethereum')).map((p) => [p.dedupKey, p.toward, p.blocks])).toEqual([['liquidity:ethereum:ethereum-aave', 'open', 2]])
        watcher = make()
      }
      await catchUp(watcher)
    }

    const rows = (await store.alerts.recent(100)).reverse()
    expect(rows.map((r) => [r.dedupKey, r.kind, r.blockNumber])).toEqual([
      ['liquidity:ethereum:ethereum-aave', 'open', blockAt.get(17)],
      ['liquidity:ethereum:ethereum-aave', 'recovery', blockAt.get(21)],
    ])
    expect(rows[0]!.body).toContain(`held 3 blocks since block ${blockAt.get(15)}`)
    // The one-block spike: counted in the store and the heartbeat, never written to the outbox.
    expect((await store.alerts.glitches({ agent: 'watcher-ethereum' })).map((g) => [g.rule, g.count, g.lastKey, g.lastBlock])).toEqual([
      ['liquidity', 1, 'liquidity:ethereum:ethereum-aave', blockAt.get(6)],
    ])
    const hb = await store.heartbeats.get('watcher-ethereum')
    expect(hb!.info).toMatchObject({ glitches: { liquidity: 1 }, pendingAlerts: 0 })
    expect(await store.alerts.open()).toEqual([])
  })
})
