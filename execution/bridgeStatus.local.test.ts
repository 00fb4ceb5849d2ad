import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema } from '../config/schema'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { buildBridgeStatus, renderBridgeStatus } from './bridgeStatus'

const A = '0x0000000000000000000000000000000000000001'
const B = '0x0000000000000000000000000000000000000002'
const P = '0x00000000000000000000000000000000000000aa'
const config = configSchema.parse({
  chains: [
    { name: 'ethereum', chainId: 1, rpc: [{ url: 'http://127.0.0.1:1' }] },
    { name: 'arbitrum', chainId: 2, rpc: [{ url: 'http://127.0.0.1:2' }] },
  ],
  pool: {
    account: P,
    collateral: [
      { chain: 'ethereum', symbol: 'wstETH', token: A },
      { chain: 'arbitrum', symbol: 'wstETH', token: B, decimals: 8 },
    ],
  },
  venues: [
    { id: 'eth-wsteth', chain: 'ethereum', kind: 'lst', protocol: 'lido', address: A, rateMethod: 'stEthPerToken' },
    { id: 'eth-vault', chain: 'ethereum', kind: 'erc4626', protocol: 'x', address: A },
    { id: 'arb-wsteth', chain: 'arbitrum', kind: 'lst', protocol: 'lido', address: B, rateMethod: 'stEthPerToken' },
    { id: 'arb-vault', chain: 'arbitrum', kind: 'erc4626', protocol: 'y', address: B },
  ],
})

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

describe('bridge status', () => {
  it('shows funds in flight (from → to, state, age, where they land), landed transfers, and collateral per chain including in flight', async () => {
    const now = 1_800_000_000_000
    await store.plans.create({
      id: 'p-pool-1',
      chain: null,
      status: 'approved',
      basedOnBlock: { ethereum: 1n },
      totalAmount: 1n,
      expectedGain: 1n,
      cost: 1n,
      needsApproval: false,
      approvalsRequired: 0,
      explanation: {},
      steps: [
        { kind: 'bridge', chain: 'ethereum', venueId: 'eth-wsteth', amount: 10n ** 19n },
        { kind: 'redeem', chain: 'arbitrum', venueId: 'arb-wsteth', amount: 10n ** 9n },
        { kind: 'deposit', chain: 'arbitrum', venueId: 'arb-vault', amount: 10n ** 9n },
        { kind: 'bridge', chain: 'ethereum', venueId: 'eth-wsteth', amount: 2n * 10n ** 18n },
        { kind: 'redeem', chain: 'arbitrum', venueId: 'arb-wsteth', amount: 2n * 10n ** 8n },
      ],
    })
    const mk = (stepIdx: number, redeemIdx: number, amount: bigint, received: bigint) =>
      store.transfers.create({ planId: 'p-pool-1', stepIdx, redeemIdx, sourceChain: 'ethereum', destChain: 'arbitrum', token: A, destToken: B, recipient: P, amount, received }, now - 90_000)
    const a = (await mk(0, 1, 10n ** 19n, 10n ** 9n)).transfer
    const b = (await mk(3, 4, 2n * 10n ** 18n, 2n * 10n ** 8n)).transfer
    await store.transfers.markInitiated(a.id, { sourceTx: '0x' + 'ab'.repeat(32), sourceBlock: 5n, sequence: 3n, emitter: '0x01' }, now - 60_000)
    await store.transfers.recordError(a.id, 'VAA not signed yet')
    await store.transfers.markInitiated(b.id, { sourceTx: '0x' + 'cd'.repeat(32), sourceBlock: 6n, sequence: 4n, emitter: '0x01' }, now - 80_000)
    await store.transfers.markVaaSigned(b.id, '0x01')
    await store.transfers.markRedeemed(b.id, { destTx: '0x' + 'ef'.repeat(32), destBlock: 9n }, now - 50_000)
    await store.positions.upsertMany([
      { venueId: 'eth-wsteth', chain: 'ethereum', blockNumber: 10n, amount: 5n * 10n ** 18n },
      { venueId: 'eth-vault', chain: 'ethereum', blockNumber: 10n, amount: 20n * 10n ** 18n },
      { venueId: 'arb-wsteth', chain: 'arbitrum', blockNumber: 10n, amount: 2n * 10n ** 8n },
    ])
    const s = await buildBridgeStatus(config, store, now)
    expect(s.inFlight.map((r) => [r.id, r.route, r.amount, r.state, r.age])).toEqual([['p-pool-1:0', 'ethereum → arbitrum', '10 wstETH', 'initiated', '60 s']])
    expect(s.inFlight[0]!.landsIn).toBe('arb-wsteth (0x00000000…) → arb-vault')
    expect(s.inFlight[0]!.detail).toContain('last: VAA not signed yet')
    expect(s.landed.map((r) => [r.id, r.state, r.age])).toEqual([['p-pool-1:3', 'redeemed', 'took 30 s']])
    expect(s.collateral).toEqual([
      { chain: 'ethereum', venues: 20, idle: 5, inFlight: 0, total: 25 },
      { chain: 'arbitrum', venues: 0, idle: 2, inFlight: 10, total: 12 },
    ])
    const text = renderBridgeStatus(s)
    expect(text).toContain('Funds in flight (1):')
    expect(text).toMatch(/arbitrum\s+12 wstETH {2}= venues 0 \+ idle 2 \+ in flight 10/)
    expect(text).toMatch(/pool\s+37 wstETH/)
    expect(text).toContain('Landed (latest):')
  })
})
