import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema } from '../config/schema'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { buildBridgeStatus, renderBridgeStatus } from '../execution/bridgeStatus'
import { buildStatus, renderStatus } from './statusReport'

/**
 * `npm run status` against a real SQLite store: every pool amount valued in the collateral and
 * labelled, rETH converted into the chain's total, and why the strategist holds.
 */

const WST = '0x00000000000000000000000000000000000000a1'
const RETH = '0x00000000000000000000000000000000000000b2'
const VAULT = '0x00000000000000000000000000000000000000c3'
const E = 10n ** 18n
const config = configSchema.parse({
  chains: [{ name: 'ethereum', chainId: 1, rpc: [{ url: 'http://127.0.0.1:1' }] }],
  pool: { account: WST, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: WST }] },
  venues: [
    { id: 'ethereum-wsteth', chain: 'ethereum', kind: 'lst', protocol: 'lido', address: WST, rateMethod: 'stEthPerToken' },
    { id: 'ethereum-reth', chain: 'ethereum', kind: 'lst', protocol: 'rocketpool', address: RETH, rateMethod: 'getExchangeRate' },
    { id: 'vault-a', chain: 'ethereum', kind: 'erc4626', protocol: 'x', address: VAULT },
  ],
})

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const now = 1_800_000_000_000
async function commit(withRethRate = true) {
  const base = { chain: 'ethereum', blockNumber: 12n, blockHash: '0xab' as const, blockTime: now / 1000 - 3, available: true }
  await store.cursors.commitBlock({
    chain: 'ethereum',
    blockNumber: 12n,
    blockHash: '0xab',
    samples: [
      { ...base, venueId: 'ethereum-wsteth', exchangeRate: 1_209_300_000_000_000_000n, withdrawable: 100n * E },
      ...(withRethRate ? [{ ...base, venueId: 'ethereum-reth', exchangeRate: 1_138_200_000_000_000_000n, withdrawable: 60n * E }] : []),
      { ...base, venueId: 'vault-a', exchangeRate: E, withdrawable: 25n * 10n ** 17n },
    ],
    positions: [
      { chain: 'ethereum', venueId: 'ethereum-wsteth', blockNumber: 12n, amount: 100n * E },
      { chain: 'ethereum', venueId: 'ethereum-reth', blockNumber: 12n, amount: 60n * E },
      { chain: 'ethereum', venueId: 'vault-a', blockNumber: 12n, amount: 25n * 10n ** 17n },
    ],
  })
}

describe('status: one unit of account', () => {
  it('values rETH in wstETH at the block’s rates, labels every pool amount and counts rETH in the chain total', async () => {
    await commit()
    const text = renderStatus(await buildStatus(config, store, now))
    const row = (id: string) => text.split('\n').find((l) => l.startsWith(`ethereum  ${id}`))!
    // 60 rETH × 1.1382 / 1.2093 = 56.4723… wstETH; 100 + 2.5 + 56.4723 = 158.9723…
    expect(row('ethereum-reth')).toContain('56.472 wstETH (60.000 ethereum-reth)')
    expect(row('vault-a')).toContain('2.500 wstETH')
    expect(row('ethereum-wsteth')).toContain('100.000 wstETH')
    expect(text).toContain('  ethereum: 158.972 wstETH (incl. 60.000 ethereum-reth → 56.472 wstETH)')
  })

  it('an rETH position without its rate is named, not counted as wstETH', async () => {
    await commit(false)
    const text = renderStatus(await buildStatus(config, store, now))
    expect(text).toContain('  ethereum: 102.500 wstETH (not counted, no rate: ethereum-reth)')
    expect(text.split('\n').find((l) => l.startsWith('ethereum  ethereum-reth'))).toContain('— wstETH (60.000 ethereum-reth)')
  })

  it('says why the pool holds, from the strategist’s heartbeat', async () => {
    await commit()
    await store.heartbeats.beat('strategist', { paused: false, last: { ethereum: 'hold' }, hold: { ethereum: [{ kind: 'move-budget', text: 'move budget spent: 0.000 wstETH left this period; frees at ethereum block 7300' }] } }, { at: now - 2_000 })
    const text = renderStatus(await buildStatus(config, store, now))
    expect(text).toContain('Why the pool holds (strategist, 2s ago):\n  ethereum: move budget spent: 0.000 wstETH left this period; frees at ethereum block 7300')
  })

  it('no hold section when the strategist made its plans', async () => {
    await store.heartbeats.beat('strategist', { paused: false, last: { ethereum: 'created' }, hold: { ethereum: [] } }, { at: now - 2_000 })
    expect(renderStatus(await buildStatus(config, store, now))).not.toContain('Why the pool holds')
  })

  it('the cross-chain collateral per chain counts rETH converted too (or names it without a rate)', async () => {
    await commit()
    const s = await buildBridgeStatus(config, store, now)
    // venues: 2.5 wstETH in the vault + 56.4723… wstETH of rETH; idle 100
    expect(s.collateral[0]!.venues).toBeCloseTo(58.97234, 5)
    expect(s.collateral[0]!.total).toBeCloseTo(158.97234, 5)
    expect(renderBridgeStatus(s)).toContain('Collateral per chain in wstETH')
  })

  it('an unknown rate leaves rETH out of the bridge view’s total, named', async () => {
    await commit(false)
    const text = renderBridgeStatus(await buildBridgeStatus(config, store, now))
    expect(text).toMatch(/ethereum\s+102\.5 wstETH {2}= venues 2\.5 \+ idle 100 \+ in flight 0 \(not counted, no rate: ethereum-reth\)/)
  })
})
