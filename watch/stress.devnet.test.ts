import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createChainClient } from '../chains/createChainClient'
import type { ConfigInput } from '../config/schema'
import { configSchema } from '../config/schema'
import { createLogger } from '../core/logger'
import { shockWindows } from '../devnet/market'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { PER_BLOCK_WATCH } from '../devnet/deploy'
import { useDevnet } from '../test/devnet'
import { createWatcher } from './createWatcher'
import { catchUp } from './testing'

const devnet = useDevnet()
const logger = createLogger({ test: 'stress' }, 'silent')

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

/** The dedup key each stress shock must open, from the deployed venue it hits. */
function expectedKey(kind: string, venueId: string): string {
  const v = devnet.venue(venueId)
  const cfg = devnet.config.venues.find((x) => x.id === venueId)!
  switch (kind) {
    case 'depeg':
      return `depeg:${v.chain}:${cfg.pegFeed!.toLowerCase()}`
    case 'pause':
      return `paused:${v.chain}:${venueId}`
    case 'apyCollapse':
      return `apy-drop:${v.chain}:${venueId}`
    case 'slash':
      return `slashing:${v.chain}:${venueId}`
    case 'utilisationSpike':
      return `liquidity:${v.chain}:${venueId}`
    default:
      throw new Error(`no expectation for shock kind ${kind}`)
  }
}

describe('stress scenario', () => {
  it('raises exactly one alert per shock and one recovery notice, and nothing in between', async () => {
    const input = structuredClone(devnet.config) as ConfigInput
    input.watch = { ...input.watch, ...PER_BLOCK_WATCH }
    const config = configSchema.parse(input)
    const watchers = config.chains.map((c) => createWatcher({ common: { config, logger }, store, chain: createChainClient({ chain: c }) }))
    const sim = await devnet.simulator('stress')
    const windows = shockWindows(sim.scenario)
    expect(windows.length).toBeGreaterThanOrEqual(5)

    // Block each scenario index landed in, per chain.
    const blockAt = new Map<string, bigint>()
    for (const w of watchers) await w.tick()
    const last = Math.max(...windows.map((w) => w.end)) + 10
    for (let i = 0; i <= last; i++) {
      const steps = await sim.step(i)
      for (const s of steps) blockAt.set(`${s.chain}:${i}`, s.blockNumber)
      for (const w of watchers) await catchUp(w)
    }

    const rows = (await store.alerts.recent(1_000)).reverse()
    const keys = [...new Set(rows.map((r) => r.dedupKey))].sort()
    const expected = [...new Set(windows.map((w) => expectedKey(w.kind, w.venue)))].sort()
    expect(keys).toEqual(expected)
    for (const w of windows) {
      const key = expectedKey(w.kind, w.venue)
      const chain = devnet.venue(w.venue).chain
      const mine = rows.filter((r) => r.dedupKey === key)
      expect(mine.map((r) => r.kind), `${w.kind}@${w.venue}`).toEqual(['open', 'recovery'])
      const shockBlock = blockAt.get(`${chain}:${w.start}`)!
      const endBlock = blockAt.get(`${chain}:${w.end}`)!
      // The condition is seen in the shock's own block (values published at once), or the next one
      // where the APY is derived from exchange-rate growth, which needs one block of the new rate.
      // Critical rules (depeg, pause, slashing) alert in that block; warning rules (APY drop,
      // liquidity) wait until it has held 3 blocks (alerts.persistence default), i.e. 2 more.
      const seen = w.kind === 'apyCollapse' ? 1n : 0n
      const wait = w.kind === 'apyCollapse' || w.kind === 'utilisationSpike' ? 2n : 0n
      expect(mine[0]!.blockNumber! - shockBlock, `${w.kind}@${w.venue} alert lag`).toBeLessThanOrEqual(seen + wait)
      expect(mine[0]!.blockNumber! - shockBlock, `${w.kind}@${w.venue} alert lag`).toBeGreaterThanOrEqual(wait)
      // The recovery comes after the shock ends, not before. A slash is one cut of the exchange
      // rate: it recovers as soon as the rate grows again, the block after.
      if (w.kind === 'slash') {
        expect(mine[1]!.blockNumber! - mine[0]!.blockNumber!).toBe(1n)
        continue
      }
      // The recovery of a warning rule waits for 3 healthy blocks as well.
      expect(mine[1]!.blockNumber! >= endBlock - 1n + wait, `${w.kind}@${w.venue} recovery at ${mine[1]!.blockNumber} vs end ${endBlock}`).toBe(true)
    }
    expect(await store.alerts.open()).toEqual([])
  })
})
