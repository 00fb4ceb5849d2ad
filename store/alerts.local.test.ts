import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from './db.js'
import { openTempStore } from './testing.js'
import type { RaiseInput } from './types.js'

let store: Store
let path: string
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, path, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const depeg = (extra: Partial<RaiseInput> = {}): RaiseInput => ({
  dedupKey: 'depeg:ethereum:wsteth',
  agent: 'watcher-ethereum',
  chain: 'ethereum',
  rule: 'depeg',
  subject: 'wsteth',
  severity: 'critical',
  title: 'wstETH depegged 2.1 %',
  body: 'peg 0.979 < 0.99',
  blockNumber: 123n,
  ...extra,
})

describe('alert state machine', () => {
  it('raise twice → one row; resolve → one recovery row; resolve again → nothing; raise again → new row', async () => {
    const first = await store.alerts.raise(depeg({ at: 1000 }))
    expect(first.inserted).toBe(true)
    const second = await store.alerts.raise(depeg({ title: 'again', at: 2000 }))
    expect(second).toEqual({ inserted: false, alertId: first.alertId })
    expect(await store.alerts.recent()).toHaveLength(1)
    expect(await store.alerts.isOpen('depeg:ethereum:wsteth')).toBe(true)
    expect(await store.alerts.open()).toEqual([
      { dedupKey: 'depeg:ethereum:wsteth', alertId: first.alertId, agent: 'watcher-ethereum', chain: 'ethereum', rule: 'depeg', subject: 'wsteth', severity: 'critical', title: 'wstETH depegged 2.1 %', openedAt: 1000, openedBlock: 123n },
    ])

    const resolved = await store.alerts.resolve('depeg:ethereum:wsteth', { agent: 'watcher-ethereum', blockNumber: 130n, body: 'peg 0.999', at: 3000 })
    expect(resolved.inserted).toBe(true)
    expect(await store.alerts.get(resolved.alertId ?? -1)).toMatchObject({
      kind: 'recovery',
      dedupKey: 'depeg:ethereum:wsteth',
      chain: 'ethereum',
      rule: 'depeg',
      subject: 'wsteth',
      severity: 'critical',
      title: 'Recovered: wstETH depegged 2.1 %',
      body: 'peg 0.999',
      blockNumber: 130n,
      createdAt: 3000,
    })
    expect(await store.alerts.isOpen('depeg:ethereum:wsteth')).toBe(false)
    expect(await store.alerts.resolve('depeg:ethereum:wsteth', { agent: 'watcher-ethereum' })).toEqual({ inserted: false, alertId: null })
    expect(await store.alerts.resolve('never-opened', { agent: 'x' })).toEqual({ inserted: false, alertId: null })
    expect((await store.alerts.recent()).map((a) => a.kind)).toEqual(['recovery', 'open'])

    const third = await store.alerts.raise(depeg())
    expect(third.inserted).toBe(true)
    expect(third.alertId).toBeGreaterThan(resolved.alertId ?? 0)
    expect((await store.alerts.recent()).map((a) => a.kind)).toEqual(['open', 'recovery', 'open'])
  })

  it('filters open conditions by agent, rule and chain', async () => {
    await store.alerts.raise(depeg())
    await store.alerts.raise(depeg({ dedupKey: 'apy:base:x', chain: 'base', rule: 'apy-drop', subject: 'x', agent: 'watcher-base', severity: 'warning' }))
    await store.alerts.raise(depeg({ dedupKey: 'rpc:y', chain: null, rule: 'rpc', subject: 'y', agent: 'sentinel', blockNumber: null }))
    expect((await store.alerts.open({ agent: 'watcher-base' })).map((c) => c.dedupKey)).toEqual(['apy:base:x'])
    expect((await store.alerts.open({ rule: 'depeg', chain: 'ethereum' })).map((c) => c.dedupKey)).toEqual(['depeg:ethereum:wsteth'])
    const rpc = (await store.alerts.open({ rule: 'rpc' }))[0]
    expect(rpc).toMatchObject({ chain: null, openedBlock: null })
    expect(await store.alerts.open()).toHaveLength(3)
  })

  it('two stores raising the same key at once write one row', async () => {
    const other = await openStore({ path })
    try {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).alerts.raise(depeg({ agent: `a${i}` }))))
      expect(results.filter((r) => r.inserted)).toHaveLength(1)
      expect(new Set(results.map((r) => r.alertId)).size).toBe(1)
      const resolves = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? store : other).alerts.resolve('depeg:ethereum:wsteth', { agent: 'x' })))
      expect(resolves.filter((r) => r.inserted)).toHaveLength(1)
      expect(await store.alerts.recent()).toHaveLength(2)
    } finally {
      await other.close()
    }
  })
})

describe('outbox delivery', () => {
  it('lists undelivered rows oldest first; markDelivered is idempotent; markFailed counts attempts', async () => {
    const a = await store.alerts.raise(depeg())
    const b = await store.alerts.raise(depeg({ dedupKey: 'other' }))
    expect((await store.alerts.undelivered()).map((x) => x.id)).toEqual([a.alertId, b.alertId])

    await store.alerts.markFailed(a.alertId, 'HttpError: network down')
    await store.alerts.markFailed(a.alertId, 'HttpError: network down again')
    expect(await store.alerts.get(a.alertId)).toMatchObject({ deliveryAttempts: 2, lastError: 'HttpError: network down again', deliveredAt: null })

    expect(await store.alerts.markDelivered(a.alertId, 5000)).toBe(true)
    expect(await store.alerts.markDelivered(a.alertId, 6000)).toBe(false)
    expect(await store.alerts.get(a.alertId)).toMatchObject({ deliveredAt: 5000, deliveryAttempts: 3, lastError: null })
    expect((await store.alerts.undelivered()).map((x) => x.id)).toEqual([b.alertId])
    expect(await store.alerts.undelivered(0)).toEqual([])
    expect(await store.alerts.markDelivered(9999)).toBe(false)
    expect((await store.alerts.recent(1)).map((x) => x.id)).toEqual([b.alertId])
  })

  it('refuses an unknown severity', async () => {
    await expect(store.alerts.raise(depeg({ severity: 'fatal' as 'critical' }))).rejects.toThrow(/severity/)
  })
})
