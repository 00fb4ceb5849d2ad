import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Store } from './db.js'
import { StoreError } from './errors.js'
import { openTempStore } from './testing.js'
import type { TransferInput } from './transfers.js'

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  await store.plans.create({
    id: 'p-pool-1',
    chain: null,
    basedOnBlock: { ethereum: 10n, arbitrum: 12n },
    totalAmount: 10n ** 19n,
    expectedGain: 1n,
    cost: 1n,
    needsApproval: false,
    approvalsRequired: 0,
    explanation: {},
    steps: [
      { kind: 'bridge', chain: 'ethereum', venueId: 'ethereum-wsteth', amount: 10n ** 19n },
      { kind: 'redeem', chain: 'arbitrum', venueId: 'arbitrum-wsteth', amount: 10n ** 9n },
    ],
    at: 1,
  })
})
afterEach(() => cleanup())

const input = (over: Partial<TransferInput> = {}): TransferInput => ({
  planId: 'p-pool-1',
  stepIdx: 0,
  redeemIdx: 1,
  sourceChain: 'ethereum',
  destChain: 'arbitrum',
  token: '0xAAaaAAaaaAaAaAaAaaaAaaaaAAaAAAAaAAaaAAaA',
  destToken: '0xBbBBbbBBbbbBBbbbbBBBbbbBbbBbbbBBBBbBbbbb',
  recipient: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC',
  amount: 10n ** 19n,
  received: 10n ** 9n,
  ...over,
})

describe('transfers', () => {
  it('create is idempotent on <plan>:<step>; addresses are stored lower-case', async () => {
    const a = await store.transfers.create(input(), 100)
    expect(a.inserted).toBe(true)
    expect(a.transfer).toMatchObject({ id: 'p-pool-1:0', state: 'pending', amount: 10n ** 19n, received: 10n ** 9n, token: '0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', attempts: 0, createdAt: 100 })
    const b = await store.transfers.create(input({ amount: 5n }), 200)
    expect(b.inserted).toBe(false)
    expect(b.transfer.amount).toBe(10n ** 19n)
    expect((await store.transfers.byStep('p-pool-1', 0))?.id).toBe('p-pool-1:0')
    await expect(store.transfers.create(input({ stepIdx: 3, destChain: 'ethereum' }))).rejects.toThrow(StoreError)
    await expect(store.transfers.create(input({ stepIdx: 3, amount: 0n }))).rejects.toThrow(StoreError)
  })

  it('moves pending → initiated → vaa_signed → redeemed → deposited by compare-and-set only', async () => {
    const { transfer: t } = await store.transfers.create(input(), 100)
    expect(await store.transfers.markVaaSigned(t.id, '0x01')).toBe(false) // not initiated yet
    expect(await store.transfers.markRedeemed(t.id, { destTx: '0xd', destBlock: 5n })).toBe(false)
    expect(await store.transfers.markInitiated(t.id, { sourceTx: '0xABC', sourceBlock: 11n, sequence: 7n, emitter: '0x' + '0'.repeat(24) + 'EE'.repeat(20) }, 110)).toBe(true)
    expect(await store.transfers.markInitiated(t.id, { sourceTx: '0xdef', sourceBlock: 12n, sequence: 8n, emitter: '0x00' }, 111)).toBe(false) // once
    await store.transfers.recordError(t.id, 'VAA not signed yet', 115)
    await store.transfers.recordError(t.id, 'VAA not signed yet', 116)
    expect(await store.transfers.get(t.id)).toMatchObject({ state: 'initiated', sourceTx: '0xabc', sourceBlock: 11n, sequence: 7n, attempts: 2, lastError: 'VAA not signed yet', initiatedAt: 110 })
    expect(await store.transfers.markFailed(t.id, 'x')).toBe(false) // left the source: never failed
    await expect(store.transfers.markVaaSigned(t.id, 'not hex')).rejects.toThrow(StoreError)
    expect(await store.transfers.markVaaSigned(t.id, '0x01AB', 120)).toBe(true)
    expect(await store.transfers.get(t.id)).toMatchObject({ state: 'vaa_signed', vaa: '0x01ab', lastError: null, vaaAt: 120 })
    expect(await store.transfers.markRedeemed(t.id, { destTx: '0xDD', destBlock: 20n }, 130)).toBe(true)
    expect(await store.transfers.markRedeemed(t.id, { destTx: '0xee', destBlock: 21n }, 131)).toBe(false)
    expect(await store.transfers.markDeposited(t.id, 140)).toBe(true)
    expect(await store.transfers.get(t.id)).toMatchObject({ state: 'deposited', destTx: '0xdd', destBlock: 20n, redeemedAt: 130, depositedAt: 140 })
  })

  it('a transfer found already complete on the destination goes initiated → redeemed with no dest tx', async () => {
    const { transfer: t } = await store.transfers.create(input())
    await store.transfers.markInitiated(t.id, { sourceTx: '0x1', sourceBlock: 1n, sequence: 1n, emitter: '0x2' })
    expect(await store.transfers.markRedeemed(t.id, { destTx: null, destBlock: null })).toBe(true)
    expect((await store.transfers.get(t.id))!.destTx).toBeNull()
  })

  it('pending → failed only; in flight = initiated and vaa_signed, per destination', async () => {
    const a = (await store.transfers.create(input({ stepIdx: 0 }))).transfer
    const b = (await store.transfers.create(input({ stepIdx: 1, received: 3n }))).transfer
    const c = (await store.transfers.create(input({ stepIdx: 2, destChain: 'base', received: 4n }))).transfer
    const d = (await store.transfers.create(input({ stepIdx: 3 }))).transfer
    expect(await store.transfers.inFlightByChain()).toEqual(new Map())
    for (const t of [a, b, c]) await store.transfers.markInitiated(t.id, { sourceTx: '0x1', sourceBlock: 1n, sequence: BigInt(t.stepIdx), emitter: '0x2' })
    await store.transfers.markVaaSigned(b.id, '0x00')
    expect(await store.transfers.markFailed(d.id, 'pre-flight reverted', 5)).toBe(true)
    expect(await store.transfers.inFlightByChain()).toEqual(new Map([['arbitrum', 10n ** 9n + 3n], ['base', 4n]]))
    await store.transfers.markRedeemed(a.id, { destTx: '0x3', destBlock: 2n })
    expect((await store.transfers.inFlightByChain()).get('arbitrum')).toBe(3n)
    expect((await store.transfers.list({ state: 'failed' })).map((t) => t.id)).toEqual([d.id])
    expect((await store.transfers.list({ planId: 'p-pool-1' })).length).toBe(4)
  })
})
