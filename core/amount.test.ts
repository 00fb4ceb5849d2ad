import { describe, expect, it } from 'vitest'
import { formatAmount } from './amount'

describe('formatAmount', () => {
  const wst = { decimals: 18, symbol: 'wstETH' }
  it('raw bigints, exactly, with the unit', () => {
    expect(formatAmount(1_234_500_000_000_000_000_000n, wst)).toBe('1,234.500 wstETH')
    expect(formatAmount(1n, wst, { digits: 18 })).toBe('0.000000000000000001 wstETH')
    expect(formatAmount(999_999_999n, { decimals: 6, symbol: 'USDC' }, { digits: 2 })).toBe('999.99 USDC')
    expect(formatAmount(-2_000_000n, { decimals: 6, symbol: 'x' }, { digits: 1, group: false })).toBe('-2.0 x')
  })
  it('numbers in units, and missing values, still labelled', () => {
    expect(formatAmount(0.25, 'wstETH')).toBe('0.250 wstETH')
    expect(formatAmount(12345.6789, wst, { digits: 1 })).toBe('12,345.7 wstETH')
    expect(formatAmount(null, wst)).toBe('— wstETH')
    expect(formatAmount(-0.0001, 'wstETH')).toBe('0.000 wstETH')
  })
})
