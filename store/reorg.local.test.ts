import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Store } from './index.js'
import { openTempStore } from './testing.js'
import type { Hex, SampleInput } from './types.js'

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const hash = (n: number, fork = 'a'): Hex => `0x${fork.repeat(2)}${n.toString(16).padStart(62, '0')}` as Hex
const sample = (n: number, fork = 'a'): SampleInput => ({
  venueId: 'v1',
  chain: 'eth',
  blockNumber: BigInt(n),
  blockHash: hash(n, fork),
  blockTime: 1_700_000_000 + n,
  available: true,
  error: null,
  exchangeRate: 10n ** 18n,
  apy: 0.05,
  tvl: 1n,
  utilisation: null,
  withdrawable: null,
  peg: null,
  paused: null,
})
const commit = (n: number, keepBlocks = 256) =>
  store.cursors.commitBlock({ chain: 'eth', blockNumber: BigInt(n), blockHash: hash(n), parentHash: hash(n - 1), keepBlocks, samples: [sample(n)], positions: [{ chain: 'eth', venueId: 'v1', blockNumber: BigInt(n), amount: 5n, shares: 5n }] })

describe('reorg support in the store', () => {
  it('keeps the block hash chain, pruned to keepBlocks; rewind deletes samples, positions and hashes above the ancestor', async () => {
    for (let n = 1; n <= 10; n++) await commit(n, 4)
    const kept = await store.cursors.storedHashes('eth', 1n, 10n)
    // Samples carry their hash for every block; the kept chain is pruned (both agree here).
    expect([...kept.keys()]).toHaveLength(10)
    expect(kept.get(7n)).toBe(hash(7))
    expect(await store.cursors.rewind('eth', 7n, hash(7))).toEqual({ samples: 3, positions: 3 })
    expect(await store.samples.blocksBetween('eth', 1n, 10n)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n])
    expect((await store.positions.latest('v1'))!.blockNumber).toBe(7n)
    expect(await store.cursors.get('eth')).toMatchObject({ blockNumber: 7n, blockHash: hash(7) })
    expect([...(await store.cursors.storedHashes('eth', 8n, 10n)).keys()]).toEqual([])
  })

  it('retractAfter: an unsent alert on a removed block is retracted, a sent one corrected; a recovery on a removed block reopens its condition', async () => {
    const base = { agent: 'watcher-eth', chain: 'eth', rule: 'unavailable', severity: 'warning' as const }
    // Opened on block 5 (kept), recovered on block 9 (removed): the condition is open again.
    await store.alerts.raise({ ...base, dedupKey: 'k-old', subject: 'old', title: 'old down', blockNumber: 5n })
    await store.alerts.resolve('k-old', { agent: 'watcher-eth', title: 'old up', blockNumber: 9n })
    // Opened on block 8 (removed) and delivered: a correction notice; the condition is closed.
    const sent = await store.alerts.raise({ ...base, dedupKey: 'k-sent', subject: 'sent', title: 'sent down', blockNumber: 8n })
    await store.alerts.markDelivered(sent.alertId)
    // Opened on block 9 (removed), not delivered: retracted, never sent.
    const unsent = await store.alerts.raise({ ...base, dedupKey: 'k-unsent', subject: 'unsent', title: 'unsent down', blockNumber: 9n })
    // Another chain's and another agent's alerts are untouched.
    await store.alerts.raise({ ...base, chain: 'base', dedupKey: 'k-base', subject: 'b', title: 'base down', blockNumber: 9n })
    await store.alerts.raise({ ...base, agent: 'executor', dedupKey: 'k-exec', subject: 'x', title: 'exec', blockNumber: 9n })

    const r = await store.alerts.retractAfter({ agent: 'watcher-eth', chain: 'eth', afterBlock: 7n, reason: 'a 3-block reorg of eth replaced' })
    expect(r).toEqual({ retracted: 2, corrected: 1, reopened: 1, closed: 2 })

    expect((await store.alerts.get(unsent.alertId))!.retractedAt).not.toBeNull()
    const undelivered = await store.alerts.undelivered(50)
    expect(undelivered.map((a) => a.dedupKey)).not.toContain('k-unsent')
    // The recovery of k-old (block 9) was never sent either: retracted.
    expect(undelivered.filter((a) => a.dedupKey === 'k-old').map((a) => a.kind)).toEqual(['open'])
    const correction = undelivered.find((a) => a.dedupKey === 'k-sent')!
    expect(correction).toMatchObject({ kind: 'recovery', title: 'Withdrawn: sent down', blockNumber: null })
    expect(correction.body).toContain('block 8, which a 3-block reorg of eth replaced')
    expect((await store.alerts.open()).map((c) => c.dedupKey).sort()).toEqual(['k-base', 'k-exec', 'k-old'])
    expect((await store.alerts.open({ rule: 'unavailable', chain: 'eth', agent: 'watcher-eth' }))[0]!.openedBlock).toBe(5n)

    // A second reorg does not withdraw the correction (it has no block) nor anything twice.
    expect(await store.alerts.retractAfter({ agent: 'watcher-eth', chain: 'eth', afterBlock: 7n, reason: 'again' })).toEqual({ retracted: 0, corrected: 0, reopened: 0, closed: 0 })
  })
})
