import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from './db.js'
import { openTempStore } from './testing.js'
import type { PendingCondition } from './types.js'

let store: Store
let path: string
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, path, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const streak = (over: Partial<PendingCondition> = {}): PendingCondition => ({
  dedupKey: 'apy-drop:ethereum:vault-a',
  agent: 'watcher-ethereum',
  rule: 'apy-drop',
  toward: 'open',
  blocks: 1,
  sinceBlock: 120n,
  sinceTime: 1_700_000_000,
  ...over,
})

describe('alert persistence state', () => {
  it('stores streaks per agent, updates them in place, deletes ended ones, and survives a reopen', async () => {
    await store.alerts.savePending([streak(), streak({ dedupKey: 'liquidity:base:vault-b', agent: 'watcher-base', rule: 'liquidity', toward: 'close', blocks: 2, sinceBlock: 7n, sinceTime: 5 })], [])
    await store.alerts.savePending([streak({ blocks: 2 })], [])
    expect(await store.alerts.pending('watcher-ethereum')).toEqual([streak({ blocks: 2 })])

    // A restart: a new connection to the same file sees the same streaks.
    const again = await openStore({ path })
    try {
      expect(await again.alerts.pending('watcher-base')).toEqual([
        { dedupKey: 'liquidity:base:vault-b', agent: 'watcher-base', rule: 'liquidity', toward: 'close', blocks: 2, sinceBlock: 7n, sinceTime: 5 },
      ])
    } finally {
      await again.close()
    }

    await store.alerts.savePending([], ['apy-drop:ethereum:vault-a'])
    expect(await store.alerts.pending('watcher-ethereum')).toEqual([])
    expect(await store.alerts.clearPending('watcher-base')).toBe(1)
    expect(await store.alerts.pending('watcher-base')).toEqual([])
  })

  it('writes nothing of a streak list when one entry is malformed', async () => {
    const err = await store.alerts.savePending([streak(), streak({ dedupKey: 'x', blocks: 0 })], []).catch((e: unknown) => e)
    expect(String(err)).toContain('savePending x: blocks must be an integer ≥ 1, got 0')
    expect(await store.alerts.pending('watcher-ethereum')).toEqual([])
  })

  it('rolls streaks back with the block transaction they belong to', async () => {
    await store
      .transaction(async () => {
        await store.alerts.savePending([streak()], [])
        throw new Error('the block failed')
      })
      .catch(() => undefined)
    expect(await store.alerts.pending('watcher-ethereum')).toEqual([])
  })

  it('counts glitches per agent and rule, remembering the last one', async () => {
    await store.alerts.countGlitch({ agent: 'watcher-ethereum', rule: 'apy-drop', dedupKey: 'apy-drop:ethereum:vault-a', blockNumber: 10n, at: 1_000 })
    await store.alerts.countGlitch({ agent: 'watcher-ethereum', rule: 'apy-drop', dedupKey: 'apy-drop:ethereum:vault-b', blockNumber: 12n, at: 2_000 })
    await store.alerts.countGlitch({ agent: 'watcher-ethereum', rule: 'unavailable', dedupKey: 'unavailable:ethereum:vault-a', blockNumber: 11n, at: 1_500 })
    await store.alerts.countGlitch({ agent: 'watcher-base', rule: 'unavailable', dedupKey: 'unavailable:base:vault-c', count: 3, at: 3_000 })
    expect(await store.alerts.glitches({ agent: 'watcher-ethereum' })).toEqual([
      { agent: 'watcher-ethereum', rule: 'apy-drop', count: 2, lastKey: 'apy-drop:ethereum:vault-b', lastBlock: 12n, lastAt: 2_000 },
      { agent: 'watcher-ethereum', rule: 'unavailable', count: 1, lastKey: 'unavailable:ethereum:vault-a', lastBlock: 11n, lastAt: 1_500 },
    ])
    expect((await store.alerts.glitches()).map((g) => [g.agent, g.rule, g.count])).toEqual([
      ['watcher-base', 'unavailable', 3],
      ['watcher-ethereum', 'apy-drop', 2],
      ['watcher-ethereum', 'unavailable', 1],
    ])
    // Glitches push nothing: the outbox stays empty.
    expect(await store.alerts.undelivered()).toEqual([])
  })
})
