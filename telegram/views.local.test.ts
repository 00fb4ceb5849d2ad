import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema } from '../config/schema'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { planLine, plansText, positionsText } from './views'

/** /positions and /plans against a real SQLite store: one unit, labelled; why the pool holds. */

const WST = '0x00000000000000000000000000000000000000a1'
const RETH = '0x00000000000000000000000000000000000000b2'
const VAULT = '0x00000000000000000000000000000000000000c3'
const E = 10n ** 18n
const config = configSchema.parse({
  chains: [
    { name: 'ethereum', chainId: 1, rpc: [{ url: 'http://127.0.0.1:1' }] },
    { name: 'base', chainId: 8453, rpc: [{ url: 'http://127.0.0.1:1' }] },
  ],
  pool: {
    account: WST,
    collateral: [
      { chain: 'ethereum', symbol: 'wstETH', token: WST },
      { chain: 'base', symbol: 'wstETH', token: WST },
    ],
  },
  venues: [
    { id: 'ethereum-wsteth', chain: 'ethereum', kind: 'lst', protocol: 'lido', address: WST, rateMethod: 'stEthPerToken' },
    { id: 'ethereum-reth', chain: 'ethereum', kind: 'lst', protocol: 'rocketpool', address: RETH, rateMethod: 'getExchangeRate' },
    { id: 'vault-a', chain: 'ethereum', kind: 'erc4626', protocol: 'x', address: VAULT },
    { id: 'base-wsteth', chain: 'base', kind: 'lst', protocol: 'lido', address: WST, rateMethod: 'stEthPerToken' },
  ],
})

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())
const now = 1_800_000_000_000

describe('/positions: valued in the collateral', () => {
  it('counts 10 rETH as 9.412 wstETH (not as 10 wstETH) in the chain total, and labels every line', async () => {
    const base = { chain: 'ethereum', blockNumber: 5n, blockHash: '0x01' as const, blockTime: now / 1000, available: true }
    await store.cursors.commitBlock({
      chain: 'ethereum',
      blockNumber: 5n,
      blockHash: '0x01',
      samples: [
        { ...base, venueId: 'ethereum-wsteth', exchangeRate: 1_209_300_000_000_000_000n, withdrawable: 50n * E },
        { ...base, venueId: 'ethereum-reth', exchangeRate: 1_138_200_000_000_000_000n, withdrawable: 10n * E },
        { ...base, venueId: 'vault-a', exchangeRate: E, withdrawable: 10n * E },
      ],
      positions: [
        { chain: 'ethereum', venueId: 'ethereum-wsteth', blockNumber: 5n, amount: 50n * E },
        { chain: 'ethereum', venueId: 'ethereum-reth', blockNumber: 5n, amount: 10n * E },
        { chain: 'ethereum', venueId: 'vault-a', blockNumber: 5n, amount: 1_000n * E },
      ],
    })
    const text = await positionsText(config, store, now)
    // 10 rETH × 1.1382 / 1.2093 = 9.4120… wstETH; 50 + 1000 + 9.412 = 1059.412
    expect(text).toContain('ethereum: 1,059.412 wstETH in venues (incl. 10.000 ethereum-reth → 9.412 wstETH)')
    expect(text).toContain('  ethereum-reth: 9.412 wstETH (10.000 ethereum-reth) (withdrawable 9.412 wstETH (10.000 ethereum-reth)')
    expect(text).toContain('  vault-a: 1,000.000 wstETH (withdrawable 10.000 wstETH')
    expect(text).toContain('base: 0.000 wstETH in venues')
  })
})

describe('/plans: one unit, and why the pool holds', () => {
  it('a cross-chain plan is in wstETH, not "units"', async () => {
    await store.plans.create({
      id: 'p-pool-ethereum-9',
      chain: null,
      status: 'awaiting_approval',
      basedOnBlock: { ethereum: 9n, base: 4n },
      totalAmount: 150n * E,
      expectedGain: 10n ** 16n,
      cost: 10n ** 15n,
      needsApproval: true,
      approvalsRequired: 2,
      steps: [{ kind: 'withdraw', chain: 'ethereum', venueId: 'vault-a', amount: 150n * E }],
    })
    const p = (await store.plans.get('p-pool-ethereum-9'))!
    expect(planLine(config, p, 0)).toBe('p-pool-ethereum-9 — awaiting approval, moves 150.000 wstETH, approvals 0/2')
    expect(await plansText(config, store)).not.toMatch(/units/)
  })

  it('lists the strategist’s binding hold reasons per chain', async () => {
    await store.heartbeats.beat('strategist', {
      last: { ethereum: 'hold', base: 'created' },
      hold: { ethereum: [{ kind: 'cooldown', text: 'cooldown: vault-a until ethereum block 1090' }, { kind: 'hysteresis', text: 'hysteresis: the best move gains 5.0 bps/yr per unit moved < the 10 bps threshold' }], base: [] },
    })
    const text = await plansText(config, store)
    expect(text).toContain('no plans yet\n\nWhy the pool holds:\n  ethereum: cooldown: vault-a until ethereum block 1090; hysteresis: the best move gains 5.0 bps/yr')
    expect(text).not.toContain('  base:')
  })
})
