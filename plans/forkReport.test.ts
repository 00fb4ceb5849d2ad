import { describe, expect, it } from 'vitest'
import type { Config } from '../config/schema'
import { forkDeltaText, noForkText } from './forkReport'

const config = { pool: { collateral: [{ chain: 'ethereum', token: '0x0000000000000000000000000000000000000001', decimals: 18, symbol: 'wstETH' }] } } as unknown as Config
const E = 10n ** 18n

describe('forkDeltaText', () => {
  it('one signed delta per venue in the chain\'s collateral, the idle collateral named idle, unchanged ±0', () => {
    const text = forkDeltaText(config, 'ethereum', {
      block: '812', gasUsed: '250000',
      positions: [
        { venueId: 'ethereum-vault-core', idle: false, before: String(100n * E), after: String(60n * E), valueBefore: String(100n * E), valueAfter: String(60n * E) },
        { venueId: 'ethereum-vault-boost', idle: false, before: '0', after: String(25n * E + E / 10n), valueBefore: '0', valueAfter: String(25n * E + E / 10n) },
        { venueId: 'ethereum-wsteth', idle: true, before: String(5n * E), after: String(5n * E), valueBefore: String(5n * E), valueAfter: String(5n * E) },
      ],
    })
    expect(text).toBe('ethereum, on a fork of block 812: ethereum-vault-core −40.000 wstETH, ethereum-vault-boost +25.100 wstETH, idle ±0.000 wstETH')
  })

  it('a venue whose rates were unknown shows its raw delta and says it is not valued', () => {
    const text = forkDeltaText(config, 'ethereum', { block: '9', gasUsed: '1', positions: [{ venueId: 'ethereum-reth', idle: false, before: String(2n * E), after: String(E), valueBefore: null, valueAfter: null }] })
    expect(text).toBe('ethereum, on a fork of block 9: ethereum-reth −1.000 wstETH (venue asset, not valued)')
  })

  it('a chain without a fork simulation says why', () => {
    expect(noForkText('arbitrum')).toMatch(/^arbitrum: not simulated on a fork before signing/)
  })
})
