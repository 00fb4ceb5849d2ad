import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fillableDisk } from '../scripts/faults/diskFull.js'
import { openStore, type Store } from './db.js'
import { unwritableCode } from './errors.js'
import { openTempStore } from './testing.js'
import type { Hex, IntentInput, SignedTx } from './types.js'

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const FROM = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Hex
const TO = '0x000000000000000000000000000000000000dEaD' as Hex
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex
const input = (key: string, over: Partial<IntentInput> = {}): IntentInput => ({ key, chain: 'ethereum', from: FROM, to: TO, data: '0xabcdef', value: 0n, at: 100, ...over })
const signed = (n: number, nonce: bigint, fee = 100n): SignedTx => ({ rawTx: `0x02${nonce.toString(16)}${n}` as Hex, txHash: hash(n), gasLimit: 21_000n, maxFeePerGas: fee, maxPriorityFeePerGas: fee / 10n })

describe('intents', () => {
  it('create is idempotent on the key; addresses are stored lower-case', async () => {
    const a = await store.intents.create(input('p1:0:0'))
    expect(a.inserted).toBe(true)
    expect(a.intent).toMatchObject({ key: 'p1:0:0', status: 'created', from: FROM.toLowerCase(), to: TO.toLowerCase(), value: 0n, nonce: null, rawTx: null, attempts: 0 })
    const b = await store.intents.create(input('p1:0:0', { data: '0x00' }))
    expect(b).toEqual({ inserted: false, intent: a.intent })
    await expect(store.intents.create(input('x', { to: '0x12' as Hex }))).rejects.toThrow(/address/)
    await expect(store.intents.create(input('x', { value: -1n }))).rejects.toThrow(/negative/)
  })

  it('sign takes the nonce from the store in the same transaction, never reusing one', async () => {
    await store.intents.create(input('a'))
    await store.intents.create(input('b'))
    await store.intents.create(input('c', { chain: 'base' }))
    const seen: bigint[] = []
    const r1 = await store.intents.sign('a', { minNonce: 7n, sign: async (n) => (seen.push(n), signed(1, n)) })
    expect(r1.signed).toBe(true)
    expect(r1.intent).toMatchObject({ status: 'signed', nonce: 7n, txHash: hash(1), attempts: 1, gasLimit: 21_000n })
    // chain says 5 (lagging): the store's next nonce (8) wins
    const r2 = await store.intents.sign('b', { minNonce: 5n, sign: async (n) => (seen.push(n), signed(2, n)) })
    expect(r2.intent.nonce).toBe(8n)
    // another chain has its own sequence
    expect((await store.intents.sign('c', { minNonce: 0n, sign: async (n) => signed(3, n) })).intent.nonce).toBe(0n)
    // signing again does nothing and does not call sign()
    const again = await store.intents.sign('a', { minNonce: 0n, sign: async () => expect.unreachable() })
    expect(again).toEqual({ signed: false, intent: r1.intent })
    expect(seen).toEqual([7n, 8n])
    expect((await store.intents.nonce('ethereum', FROM))?.nextNonce).toBe(9n)
    // the chain moved ahead (another tool sent from the account): minNonce wins
    await store.intents.create(input('d'))
    expect((await store.intents.sign('d', { minNonce: 20n, sign: async (n) => signed(4, n) })).intent.nonce).toBe(20n)
    await expect(store.intents.sign('nope', { minNonce: 0n, sign: async (n) => signed(5, n) })).rejects.toThrow(/no such intent/)
  })

  it('a sign() that throws leaves the intent created and the nonce untouched', async () => {
    await store.intents.create(input('a'))
    await expect(store.intents.sign('a', { minNonce: 3n, sign: async () => Promise.reject(new Error('hsm down')) })).rejects.toThrow('hsm down')
    expect((await store.intents.get('a'))?.status).toBe('created')
    expect(await store.intents.nonce('ethereum', FROM)).toBeUndefined()
    expect(await store.intents.attempts('a')).toEqual([])
  })

  it('broadcast → mined → confirmed; compare-and-set on status and hash', async () => {
    await store.intents.create(input('a'))
    await store.intents.sign('a', { minNonce: 0n, sign: async (n) => signed(1, n) })
    expect(await store.intents.markBroadcast('a', hash(9), { headBlock: 10n })).toBe(false) // not its tx
    expect(await store.intents.markBroadcast('a', hash(1), { headBlock: 10n })).toBe(true)
    expect(await store.intents.markBroadcast('a', hash(1), { headBlock: 11n })).toBe(false)
    expect(await store.intents.markConfirmed('a')).toBe(false) // not mined yet
    const mined = { txHash: hash(1), blockNumber: 11n, blockHash: hash(77), receiptStatus: 'success' as const, gasUsed: 50_000n, effectiveGasPrice: 90n }
    expect(await store.intents.markMined('a', mined)).toBe(true)
    expect(await store.intents.markMined('a', mined)).toBe(false)
    expect(await store.intents.markConfirmed('a')).toBe(true)
    expect(await store.intents.get('a')).toMatchObject({ status: 'confirmed', blockNumber: 11n, blockHash: hash(77), receiptStatus: 'success', gasUsed: 50_000n, effectiveGasPrice: 90n })
    expect((await store.intents.attempts('a')).map((x) => [x.n, x.status, x.broadcastBlock])).toEqual([[1, 'mined', 10n]])
    await expect(store.intents.markMined('a', { ...mined, txHash: hash(5) })).rejects.toThrow(/not one of its transactions/)
  })

  it('replace keeps the nonce, records both attempts, and accepts whichever is mined', async () => {
    await store.intents.create(input('a'))
    await store.intents.sign('a', { minNonce: 4n, sign: async (n) => signed(1, n, 100n) })
    await store.intents.markBroadcast('a', hash(1), { headBlock: 10n })
    expect(await store.intents.replace('a', hash(9), signed(2, 4n, 125n))).toBe(false) // stale expectation
    expect(await store.intents.replace('a', hash(1), signed(2, 4n, 125n))).toBe(true)
    let intent = await store.intents.get('a')
    expect(intent).toMatchObject({ status: 'signed', nonce: 4n, txHash: hash(2), maxFeePerGas: 125n, attempts: 2 })
    await store.intents.markBroadcast('a', hash(2), { headBlock: 14n })
    await store.intents.recordError('a', 'replacement transaction underpriced', { txHash: hash(2) })
    // the first attempt got mined after all
    expect(await store.intents.markMined('a', { txHash: hash(1), blockNumber: 15n, blockHash: hash(70), receiptStatus: 'success', gasUsed: 1n, effectiveGasPrice: 1n })).toBe(true)
    intent = await store.intents.get('a')
    expect(intent).toMatchObject({ status: 'mined', txHash: hash(1), maxFeePerGas: 100n, nonce: 4n, error: null })
    expect((await store.intents.attempts('a')).map((x) => [x.n, x.txHash, x.status, x.nonce, x.broadcastBlock, x.error])).toEqual([
      [1, hash(1), 'mined', 4n, 10n, null],
      [2, hash(2), 'replaced', 4n, 14n, 'replacement transaction underpriced'],
    ])
    // reorg: back to broadcast, then mined again
    expect(await store.intents.markUnmined('a')).toBe(true)
    expect(await store.intents.get('a')).toMatchObject({ status: 'broadcast', blockNumber: null, txHash: hash(1) })
    expect((await store.intents.attempts('a'))[0]?.status).toBe('broadcast')
  })

  it('markFailed only from the expected states; open() lists signed txs by nonce, created ones after', async () => {
    await store.intents.create(input('a', { at: 1 }))
    await store.intents.create(input('b', { at: 2 }))
    await store.intents.create(input('c', { at: 3 }))
    await store.intents.create(input('z', { at: 4, from: TO }))
    await store.intents.sign('b', { minNonce: 0n, sign: async (n) => signed(1, n) })
    await store.intents.sign('c', { minNonce: 0n, sign: async (n) => signed(2, n) })
    await store.intents.markBroadcast('c', hash(2), { headBlock: 1n })
    await store.intents.sign('z', { minNonce: 0n, sign: async (n) => signed(3, n) })
    expect(await store.intents.markFailed('a', 'pre-flight reverted: paused', { from: 'signed' })).toBe(false)
    expect(await store.intents.markFailed('a', 'pre-flight reverted: paused', { from: 'created' })).toBe(true)
    await expect(store.intents.markFailed('a', 'x', { from: ['confirmed', 'failed'] })).rejects.toThrow(/non-final/)
    expect((await store.intents.open('ethereum', FROM)).map((i) => i.key)).toEqual(['b', 'c'])
    await store.intents.create(input('d', { at: 5 }))
    expect((await store.intents.open('ethereum', FROM, { includeCreated: true })).map((i) => i.key)).toEqual(['b', 'c', 'd'])
    expect((await store.intents.list({ status: 'failed' })).map((i) => [i.key, i.error])).toEqual([['a', 'pre-flight reverted: paused']])
    expect((await store.intents.list({ keyPrefix: 'c' })).map((i) => i.key)).toEqual(['c'])
    expect((await store.intents.list({ from: TO })).map((i) => i.key)).toEqual(['z'])
  })

  it('two intents never share a nonce of one account (unique index), even if the nonce table is behind', async () => {
    await store.intents.create(input('a'))
    await store.intents.create(input('b'))
    await store.intents.sign('a', { minNonce: 3n, sign: async (n) => signed(1, n) })
    // nonce table lost or behind: the highest intent nonce still wins
    expect((await store.intents.sign('b', { minNonce: 0n, sign: async (n) => signed(2, n) })).intent.nonce).toBe(4n)
  })
})

describe('intents: the store fills while a tx is being signed', () => {
  it('the write after sign() fails: the signature is dropped with the rollback, the intent stays created with its nonce untouched, and it is signed again once space returns', async () => {
    const disk = await fillableDisk({ sizeMb: 2, forceFallback: true })
    const full = await openStore({ path: disk.path, maxBytes: 2 * 1024 * 1024 })
    try {
      await full.intents.create(input('a'))
      await disk.fill()
      // A raw tx too large for the pages left: the row written after the signature needs new pages.
      const big = (n: number, nonce: bigint): SignedTx => ({ ...signed(n, nonce), rawTx: `0x02${'ab'.repeat(64 * 1024)}` as Hex })
      const signedNonces: bigint[] = []
      const err = await full.intents.sign('a', { minNonce: 3n, sign: async (n) => (signedNonces.push(n), big(1, n)) }).then(() => undefined, (e: unknown) => e)
      expect(unwritableCode(err)).toBe('SQLITE_FULL')
      expect(signedNonces).toEqual([3n]) // it was signed…
      expect(await full.intents.get('a')).toMatchObject({ status: 'created', nonce: null, rawTx: null, attempts: 0 }) // …and nothing of it kept
      expect(await full.intents.attempts('a')).toEqual([])
      expect(await full.intents.nonce('ethereum', FROM)).toBeUndefined()
      await disk.free()
      const again = await full.intents.sign('a', { minNonce: 3n, sign: async (n) => (signedNonces.push(n), signed(2, n)) })
      expect(again.intent).toMatchObject({ status: 'signed', nonce: 3n, txHash: hash(2), attempts: 1 })
      expect(signedNonces).toEqual([3n, 3n]) // the same nonce: the dropped signature never took one
    } finally {
      await full.close()
      await disk.cleanup()
    }
  })
})
