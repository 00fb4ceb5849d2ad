import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PAUSE_ALL, pauseKey } from './controls.js'
import type { Store } from './db.js'
import { openTempStore } from './testing.js'

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

describe('controls', () => {
  it('isPaused: pause:<agent> pauses that agent, pause:all pauses every agent, clear unpauses', async () => {
    expect(await store.controls.isPaused('executor')).toBe(false)
    await store.controls.set(pauseKey('executor'), { reason: 'incident' }, 'alice')
    expect(await store.controls.isPaused('executor')).toBe(true)
    expect(await store.controls.isPaused('strategist')).toBe(false)

    await store.controls.set(PAUSE_ALL, true, 'bob')
    expect(await store.controls.isPaused('strategist')).toBe(true)
    expect(await store.controls.clear(pauseKey('executor'))).toBe(true)
    expect(await store.controls.isPaused('executor')).toBe(true) // still paused by pause:all
    expect(await store.controls.clear(PAUSE_ALL)).toBe(true)
    expect(await store.controls.clear(PAUSE_ALL)).toBe(false)
    expect(await store.controls.isPaused('executor')).toBe(false)

    await store.controls.set(pauseKey('executor'), false, 'alice')
    expect(await store.controls.isPaused('executor')).toBe(false) // JSON false is not a pause
  })

  it('get, set (replace), list with prefix', async () => {
    await store.controls.set('pause:executor', { reason: 'x' }, 'alice', 1000)
    await store.controls.set('pause:executor', { reason: 'y' }, 'bob', 2000)
    await store.controls.set('limit:daily', { amount: 10n ** 30n }, 'carol', 3000)
    await store.controls.set('pause_like_but_not', 1, 'carol', 3000)
    expect(await store.controls.get('pause:executor')).toEqual({ key: 'pause:executor', value: { reason: 'y' }, setBy: 'bob', setAt: 2000 })
    expect((await store.controls.get('limit:daily'))?.value).toEqual({ amount: '1000000000000000000000000000000' })
    expect(await store.controls.get('nope')).toBeUndefined()
    expect((await store.controls.list()).map((c) => c.key)).toEqual(['limit:daily', 'pause:executor', 'pause_like_but_not'])
    expect((await store.controls.list('pause:')).map((c) => c.key)).toEqual(['pause:executor'])
  })
})

describe('heartbeats', () => {
  it('beat upserts one row per agent', async () => {
    await store.heartbeats.beat('watcher-ethereum', { block: '123' }, { at: 1000 })
    await store.heartbeats.beat('watcher-ethereum', { block: '124' }, { at: 2000 })
    await store.heartbeats.beat('executor', undefined, { pid: 42, at: 1500 })
    expect(await store.heartbeats.all()).toEqual([
      { agent: 'executor', pid: 42, beatAt: 1500, info: {} },
      { agent: 'watcher-ethereum', pid: process.pid, beatAt: 2000, info: { block: '124' } },
    ])
    expect((await store.heartbeats.get('executor'))?.pid).toBe(42)
    expect(await store.heartbeats.get('nope')).toBeUndefined()
  })
})

describe('audit', () => {
  it('appends and lists newest first, with filters', async () => {
    const a = await store.audit.append({ actor: 'telegram:alice', action: 'pause', detail: { agent: 'executor' }, at: 1 })
    const b = await store.audit.append({ actor: 'telegram:bob', action: 'approve', detail: { plan: 'p1', amount: 5n } })
    await store.audit.append({ actor: 'telegram:alice', action: 'resume' })
    expect(b).toBeGreaterThan(a)
    expect((await store.audit.recent()).map((e) => e.action)).toEqual(['resume', 'approve', 'pause'])
    expect((await store.audit.recent(10, { actor: 'telegram:alice' })).map((e) => e.action)).toEqual(['resume', 'pause'])
    expect(await store.audit.recent(10, { action: 'approve' })).toEqual([{ id: b, at: expect.any(Number), actor: 'telegram:bob', action: 'approve', detail: { plan: 'p1', amount: '5' } }])
    expect((await store.audit.recent(10, { afterId: a })).map((e) => e.action)).toEqual(['resume', 'approve'])
    expect((await store.audit.recent(1))[0]?.detail).toEqual({})
  })
})
