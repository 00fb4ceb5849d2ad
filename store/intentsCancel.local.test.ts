import { copyFile, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from './db.js'
import { MIGRATIONS_DIR } from './migrate.js'
import { tempDir } from './testing.js'
import type { Hex, SignedTx } from './types.js'

/** The cancel path of an intent (migration 008: status 'cancelled', attempt kind), on a real SQLite file. */

const FROM = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Hex
const TO = '0x000000000000000000000000000000000000dEaD' as Hex
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex
const signed = (n: number, nonce: bigint, fee = 100n): SignedTx => ({ rawTx: `0x02${nonce.toString(16)}${n}` as Hex, txHash: hash(n), gasLimit: 21_000n, maxFeePerGas: fee, maxPriorityFeePerGas: fee / 10n })
const mined = (n: number) => ({ txHash: hash(n), blockNumber: 10n, blockHash: hash(900 + n), receiptStatus: 'success' as const, gasUsed: 21_000n, effectiveGasPrice: 1n })

let dir: string
let cleanup: () => Promise<void>
let store: Store
beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
})
afterEach(async () => {
  await store?.close().catch(() => undefined)
  await cleanup()
})

async function signedAndBroadcast(s: Store, key: string, n: number, nonce: bigint) {
  await s.intents.create({ key, chain: 'ethereum', from: FROM, to: TO, data: '0xabcdef', value: 0n, at: 100 })
  await s.intents.sign(key, { minNonce: nonce, sign: async (x) => signed(n, x) })
  await s.intents.markBroadcast(key, hash(n), { headBlock: 5n })
}

describe('intents: cancellation', () => {
  it('migration 008 keeps every intent and attempt (kind tx); a cancel attempt mined makes the intent cancelled, never confirmed', async () => {
    // A store created by the migrations before 008, holding an in-flight intent.
    const old = join(dir, 'migrations-007')
    await mkdir(old)
    for (const f of (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql') && f < '008')) await copyFile(join(MIGRATIONS_DIR, f), join(old, f))
    const path = join(dir, 'store.sqlite')
    store = await openStore({ path, migrationsDir: old })
    await signedAndBroadcast(store, 'p1:0:0', 1, 7n)
    await signedAndBroadcast(store, 'p1:0:1', 2, 8n)
    const before = await store.intents.get('p1:0:0')
    await store.close()

    store = await openStore({ path })
    expect(await store.intents.get('p1:0:0')).toEqual(before)
    expect((await store.intents.attempts('p1:0:0')).map((a) => [a.n, a.kind, a.status])).toEqual([[1, 'tx', 'broadcast']])
    expect((await store.intents.open('ethereum', FROM)).map((i) => i.key)).toEqual(['p1:0:0', 'p1:0:1'])

    // Cancelled: a same-nonce attempt of kind 'cancel' replaces the call; once mined it is the intent's tx.
    expect(await store.intents.replace('p1:0:0', hash(1), signed(3, 7n, 200n), 200, 'cancel')).toBe(true)
    expect((await store.intents.attempts('p1:0:0')).map((a) => [a.n, a.kind, a.status, a.nonce])).toEqual([
      [1, 'tx', 'replaced', 7n],
      [2, 'cancel', 'signed', 7n],
    ])
    expect(await store.intents.markMined('p1:0:0', mined(3))).toBe(true)
    expect(await store.intents.markConfirmed('p1:0:0')).toBe(false) // a cancellation never confirms the call
    expect(await store.intents.markCancelled('p1:0:0')).toBe(true)
    expect(await store.intents.get('p1:0:0')).toMatchObject({ status: 'cancelled', txHash: hash(3), nonce: 7n })
    // Final: not open, not failed afterwards, not cancelled twice.
    expect(await store.intents.markFailed('p1:0:0', 'x', { from: ['signed', 'broadcast', 'mined'] })).toBe(false)
    expect(await store.intents.markCancelled('p1:0:0')).toBe(false)
    expect((await store.intents.open('ethereum', FROM)).map((i) => i.key)).toEqual(['p1:0:1'])
    expect((await store.intents.list({ status: 'cancelled' })).map((i) => i.key)).toEqual(['p1:0:0'])

    // The call itself mined instead (its receipt came first): confirmed, markCancelled refuses.
    expect(await store.intents.replace('p1:0:1', hash(2), signed(4, 8n, 200n), 200, 'cancel')).toBe(true)
    expect(await store.intents.markMined('p1:0:1', mined(2))).toBe(true)
    expect(await store.intents.markCancelled('p1:0:1')).toBe(false)
    expect(await store.intents.markConfirmed('p1:0:1')).toBe(true)
    expect((await store.intents.attempts('p1:0:1')).map((a) => [a.kind, a.status])).toEqual([
      ['tx', 'mined'],
      ['cancel', 'replaced'],
    ])
    await expect(store.intents.replace('p1:0:1', hash(2), signed(5, 8n), 300, 'bogus' as never)).rejects.toThrow(/kind must be "tx" or "cancel"/)
  })
})
