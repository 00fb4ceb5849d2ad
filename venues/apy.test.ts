import { describe, expect, it } from 'vitest'
import { apyFromRates, derivedApy, implausibility, measuredBlockTimeMs, windowBlocks, type RatePoint } from './apy'
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
  // Blocks 12 s apart; the rate grows 1e-8 per block.
  const history = [0, 1, 2, 3, 4, 5].map((b) => pt(b, b * 12, WAD + BigInt(b) * 10n ** 10n))
  const cur = pt(6, 72, WAD + 6n * 10n ** 10n)
  it('uses the newest point at least the window (in seconds) back, whatever the block count', () => {
    // 24 s back is block 4 (48 s); 30 s back is block 3 (36 s): the window is time, not blocks.
    expect(derivedApy(history, cur, { windowSeconds: 24, minSpanSeconds: 1 })).toEqual({ apy: apyFromRates(history[4]!, cur), spanSeconds: 24 })
    expect(derivedApy(history, cur, { windowSeconds: 30, minSpanSeconds: 1 })?.spanSeconds).toBe(36)
  })
  it('falls back to the oldest point when history is short, and null without history', () => {
    expect(derivedApy(history, cur, { windowSeconds: 1_000, minSpanSeconds: 1 })).toEqual({ apy: apyFromRates(history[0]!, cur), spanSeconds: 72 })
    expect(derivedApy([], cur, { windowSeconds: 24, minSpanSeconds: 1 })).toBeNull()
  })
  it('never annualises from less than the minimum span', () => {
    // A cold start with one block of history: 12 s of growth would be annualised ×2.6 million.
    expect(derivedApy(history.slice(5), cur, { windowSeconds: 86_400, minSpanSeconds: 3_600 })).toBeNull()
    expect(derivedApy(history, cur, { windowSeconds: 86_400, minSpanSeconds: 73 })).toBeNull() // 72 s of history
    expect(derivedApy(history, cur, { windowSeconds: 86_400, minSpanSeconds: 72 })?.spanSeconds).toBe(72) // exactly the minimum
  })
  it('ignores points at or after the current block', () => {
    expect(derivedApy([...history, pt(6, 72, WAD), pt(7, 84, WAD)], cur, { windowSeconds: 12, minSpanSeconds: 1 })?.spanSeconds).toBe(12)
  })
})

describe('windowBlocks and measuredBlockTimeMs', () => {
  it('maps a window in seconds to blocks of the chain', () => {
    // One day: 7200 blocks of 12 s, 43,200 of 2 s (Base), 345,600 of 250 ms (Arbitrum).
    expect(windowBlocks(86_400, 12_000)).toBe(7_200)
    expect(windowBlocks(86_400, 2_000)).toBe(43_200)
    expect(windowBlocks(86_400, 250)).toBe(345_600)
    expect(windowBlocks(180, 1_000)).toBe(180)
    expect(windowBlocks(10, 12_000)).toBe(1) // rounded up, at least one block
  })
  it('measures the block time from two headers, or keeps the configured one', () => {
    expect(measuredBlockTimeMs({ number: 100n, timestamp: 1_000 }, { number: 200n, timestamp: 1_200 }, 12_000)).toBe(2_000)
    expect(measuredBlockTimeMs({ number: 100n, timestamp: 1_000 }, { number: 100n, timestamp: 1_000 }, 12_000)).toBe(12_000)
    expect(measuredBlockTimeMs({ number: 100n, timestamp: 1_000 }, { number: 110n, timestamp: 1_000 }, 12_000)).toBe(12_000) // equal timestamps
  })
})

describe('implausibility', () => {
  const ok = { apy: 0.05, tvl: 10n ** 21n, utilisation: 0.5, withdrawable: 10n ** 20n }
  it('accepts ordinary readings, slashing (a negative APY) included', () => {
    expect(implausibility(ok, 100)).toBeNull()
    expect(implausibility({ ...ok, apy: -0.3 }, 100)).toBeNull()
    expect(implausibility({ apy: null, tvl: null, utilisation: null, withdrawable: null }, 100)).toBeNull()
  })
  it('refuses an APY above the plausible maximum, a negative TVL, a utilisation above 1, naming each', () => {
    expect(implausibility({ ...ok, apy: 100.01 }, 100)).toBe('implausible: APY 10,001 % above the plausible 10,000 % (watch.maxPlausibleApy)')
    expect(implausibility({ ...ok, apy: 100 }, 100)).toBeNull() // exactly the maximum is allowed
    expect(implausibility({ ...ok, tvl: -1n }, 100)).toBe('implausible: negative TVL -1')
    expect(implausibility({ ...ok, utilisation: 1.2 }, 100)).toBe('implausible: utilisation 1.2 outside 0..1')
    expect(implausibility({ ...ok, apy: Infinity, withdrawable: -5n }, 100)).toMatch(/^implausible: APY Infinity above .*; negative withdrawable -5$/)
    expect(implausibility({ ...ok, apy: -1.5 }, 100)).toBe('implausible: APY -150 % below −100 %')
  })
})

describe('rayAprToApy', () => {
  it('compounds a 3 % APR per second', () => {
    expect(rayAprToApy((RAY * 3n) / 100n)).toBeCloseTo(Math.exp(0.03) - 1, 6)
    expect(rayAprToApy(0n)).toBe(0)
  })
})
