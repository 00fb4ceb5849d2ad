import type { Scenario } from '../devnet/market'
import { loadScenario } from '../devnet/scenario'
import type { Watcher } from './createWatcher'

/**
 * Ticks a watcher until it waits for the next block; returns how many blocks it processed.
 * A failed tick throws with its error (tests want to see it, not a timeout).
 */
export async function catchUp(w: Watcher, max = 500): Promise<number> {
  let processed = 0
  for (let i = 0; i < max; i++) {
    const r = await w.tick()
    if (r.status === 'processed') processed++
    else if (r.status === 'waiting') return processed
    else if (r.status === 'failed') throw new Error(`tick failed: ${r.error}`)
  }
  throw new Error('watcher did not catch up')
}

/**
 * The calm market with two utilisation spikes on the ethereum Aave market (where the pool has a
 * position): one block at index 5, four blocks at indices 15..18.
 */
export async function calmWithSpikes(): Promise<Scenario> {
  const calm = await loadScenario('calm')
  return {
    ...calm,
    shocks: [
      { kind: 'utilisationSpike' as const, venue: 'ethereum-aave', start: 5, duration: 1, utilisationBps: 9_900, idleBps: 10 },
      { kind: 'utilisationSpike' as const, venue: 'ethereum-aave', start: 15, duration: 4, utilisationBps: 9_900, idleBps: 10 },
    ],
  }
}
