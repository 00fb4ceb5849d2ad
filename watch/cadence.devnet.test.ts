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
const logger = createLogger({ test: 'cadence' }, 'silent')

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

describe('sampling cadence on the devnet', () => {
  it('with an hour between samples, the blocks where a verdict changes and where an alert opens or recovers are still stored; calm blocks are not', async () => {
    // The calm market with a one-block and a four-block utilisation spike on the ethereum Aave market (the pool has a position there).
    const scenario = await calmWithSpikes()
    const sim = await devnet.simulator(scenario, { chains: [{ name: 'ethereum' }] })
    const input = structuredClone(devnet.config)
    input.watch = { ...input.watch, readBehindHead: 0, sampleEverySeconds: 3_600 }
    const config = configSchema.parse(input)
    const watcher = createWatcher({ common: { config, logger }, store, chain: createChainClient({ chain: config.chains.find((c) => c.name === 'ethereum')! }) })
    await watcher.tick()

    const blockAt = new Map<number, bigint>()
    for (let i = 0; i <= 24; i++) {
      const [step] = await sim.step(i)
      blockAt.set(i, step!.blockNumber)
      await catchUp(watcher)
    }
    const stored = new Set((await store.history.window('ethereum-aave', 1_000)).map((s) => s.blockNumber))
    const storedIdx = [...blockAt].filter(([, b]) => stored.has(b)).map(([i]) => i)
    // The spikes' edges (verdict changes: 5, 6, 15, 19) and the alert's opening and recovery blocks (17, 21).
    for (const i of [5, 6, 15, 17, 19, 21]) expect(storedIdx).toContain(i)
    // The calm stretch between the spikes falls inside the hour: nothing stored there.
    expect(storedIdx.filter((i) => i >= 9 && i <= 13)).toEqual([])
    expect(storedIdx.length).toBeLessThan(blockAt.size)

    const alerts = (await store.alerts.recent(100)).filter((a) => a.subject === 'ethereum-aave')
    expect(alerts.map((a) => [a.kind, a.blockNumber])).toEqual([
      ['recovery', blockAt.get(21)],
      ['open', blockAt.get(17)],
    ])
    // Every alert's block has the venue's sample (the evidence behind it).
    for (const a of alerts) expect(await store.history.sampleAtBlock('ethereum-aave', a.blockNumber!)).toBeDefined()
    // The pool's position is still there to read at the newest block (positions: watch/cadence.test.ts).
    expect((await store.history.positionAtBlock('ethereum-aave'))?.amount).toBeGreaterThan(0n)
  })
})
