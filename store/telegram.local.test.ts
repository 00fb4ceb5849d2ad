import { afterEach, beforeEach, expect, it } from 'vitest'
import type { Store } from '.'
import { openTempStore } from './testing'

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const NONCE = 'n0nce-0123456789abcdef'

it('uses a confirmation once, only by its user, before it expires', async () => {
  await store.telegram.createCallback({ nonce: NONCE, kind: 'confirm', action: 'pause', args: { agent: 'executor' }, userId: 7, chatId: 7, expiresAt: 2_000, at: 1_000 })
  expect(await store.telegram.consumeConfirmation('no-such-nonce-000000', 7, 1_500)).toEqual({ status: 'unknown' })
  expect((await store.telegram.consumeConfirmation(NONCE, 8, 1_500)).status).toBe('other-user')
  // Two presses at once: exactly one wins.
  const both = await Promise.all([store.telegram.consumeConfirmation(NONCE, 7, 1_500), store.telegram.consumeConfirmation(NONCE, 7, 1_500)])
  expect(both.map((r) => r.status).sort()).toEqual(['ok', 'used'])
  expect(both.find((r) => r.status === 'ok')).toMatchObject({ callback: { action: 'pause', args: { agent: 'executor' }, usedBy: 7, usedAt: 1_500 } })
  await store.telegram.createCallback({ nonce: `${NONCE}-2`, kind: 'confirm', action: 'pause', args: {}, userId: 7, chatId: 7, expiresAt: 2_000, at: 1_000 })
  expect((await store.telegram.consumeConfirmation(`${NONCE}-2`, 7, 2_000)).status).toBe('expired')
  // An offer is not a confirmation.
  await store.telegram.createCallback({ nonce: `${NONCE}-3`, kind: 'offer', action: 'approve', args: { planId: 'p' }, chatId: -1, at: 1_000 })
  expect((await store.telegram.consumeConfirmation(`${NONCE}-3`, 7, 1_500)).status).toBe('unknown')
  expect(await store.telegram.pruneCallbacks(2_500)).toBe(2)
  expect(await store.telegram.getCallback(`${NONCE}-3`)).toMatchObject({ kind: 'offer' })
  await expect(store.telegram.createCallback({ nonce: 'short', kind: 'confirm', action: 'x', args: {}, chatId: 1 })).rejects.toThrow(/16–60 url-safe characters/)
})

it('keeps the first final fate of an alert in a chat and counts failed attempts', async () => {
  const { alertId } = await store.alerts.raise({ dedupKey: 'k', agent: 'w', rule: 'r', subject: 's', severity: 'warning', title: 't', at: 1 })
  expect(await store.telegram.recordAttempt(alertId, -5, 'timeout', 10)).toBe(1)
  expect(await store.telegram.recordAttempt(alertId, -5, 'timeout', 11)).toBe(2)
  expect(await store.telegram.settle(alertId, -5, 'sent', { messageId: 3, at: 12 })).toBe(true)
  expect(await store.telegram.settle(alertId, -5, 'failed', { at: 13 })).toBe(false)
  expect(await store.telegram.recordAttempt(alertId, -5, 'late', 14)).toBe(0)
  expect(await store.telegram.deliveries(alertId)).toEqual([{ alertId, chatId: -5, status: 'sent', at: 12, attempts: 2, messageId: 3, error: null }])
  expect(await store.telegram.sentSince(-5, 'k', 'open', 12)).toBe(true)
  expect(await store.telegram.sentSince(-5, 'k', 'open', 13)).toBe(false)
  expect(await store.telegram.lastSentKind(-5, 'k')).toBe('open')
  expect(await store.telegram.lastSentKind(-6, 'k')).toBeUndefined()
})
