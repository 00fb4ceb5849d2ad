import { describe, expect, it } from 'vitest'
import { apyFromRates, derivedApy, type RatePoint } from './apy'
import { rayAprToApy } from './adapters'
import { RAY, SECONDS_PER_YEAR, WAD } from './types'

const pt = (blockNumber: number, blockTime: number, rate: bigint): RatePoint => ({ blockNumber: BigInt(blockNumber), blockTime, exchangeRate: rate })

describe('apyFromRates', () => {
  it('annualises growth over the interval', () => {
    // 1 % growth over half a year compounds to 2.01 % a year.
    const apy = apyFromRates(pt(1, 0, WAD), pt(2, SECONDS_PER_YEAR / 2, (WAD * 101n) / 100n))
    expect(apy).toBeCloseTo(0.0201, 6)
  })
  it('is negative when the rate falls (slashing)', () => {
    expect(apyFromRates(pt(1, 0, WAD), pt(2, SECONDS_PER_YEAR, (WAD * 99n) / 100n))).toBeCloseTo(-0.01, 9)
  })
  it('is null for an empty interval or a zero base', () => {
    expect(apyFromRates(pt(1, 10, WAD), pt(2, 10, WAD))).toBeNull()
    expect(apyFromRates(pt(1, 0, 0n), pt(2, 10, WAD))).toBeNull()
  })
  it('keeps precision for one-second intervals at realistic yields', () => {
    // 4 % APY over one second: growth of ~1.24e-9.
    const perSecond = Math.log1p(0.04) / SECONDS_PER_YEAR
    const next = WAD + BigInt(Math.round(perSecond * 1e18))
    expect(apyFromRates(pt(1, 100, WAD), pt(2, 101, next))).toBeCloseTo(0.04, 6)
  })
})

describe('derivedApy', () => {
  const history = [0, 1, 2, 3, 4, 5].map((b) => pt(b, b * 12, WAD + BigInt(b) * 10n ** 10n))
  it('uses the point `window` blocks back', () => {
    const cur = pt(6, 72, WAD + 6n * 10n ** 10n)
    expect(derivedApy(history, cur, 2)).toBeCloseTo(apyFromRates(history[4]!, cur)!, 12)
  })
  it('falls back to the oldest point when history is short, and null without history', () => {
    const cur = pt(6, 72, WAD + 6n * 10n ** 10n)
    expect(derivedApy(history, cur, 100)).toBeCloseTo(apyFromRates(history[0]!, cur)!, 12)
    expect(derivedApy([], cur, 2)).toBeNull()
  })
})

describe('rayAprToApy', () => {
  it('compounds a 3 % APR per second', () => {
    expect(rayAprToApy((RAY * 3n) / 100n)).toBeCloseTo(Math.exp(0.03) - 1, 6)
    expect(rayAprToApy(0n)).toBe(0)
  })
})
