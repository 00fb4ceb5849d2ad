import { SECONDS_PER_YEAR } from './types'

export interface RatePoint {
  blockNumber: bigint
  blockTime: number
  exchangeRate: bigint
}

/**
 * APY implied by exchange-rate growth between two samples, compounded over a year.
 * Null when the interval is empty or the earlier rate is zero. A falling rate (slashing) gives a
 * negative APY, which is what the pool earned.
 */
export function apyFromRates(from: RatePoint, to: RatePoint): number | null {
  const dt = to.blockTime - from.blockTime
  if (dt <= 0 || from.exchangeRate <= 0n) return null
  // Ratio with 1e-18 precision without going through floats for the big numbers.
  const growth = Number(((to.exchangeRate - from.exchangeRate) * 10n ** 18n) / from.exchangeRate) / 1e18
  return Math.expm1(Math.log1p(growth) * (SECONDS_PER_YEAR / dt))
}

/** Picks the point `window` blocks back (or the oldest we have) from points sorted by block. */
export function derivedApy(history: readonly RatePoint[], current: RatePoint, window: number): number | null {
  let base: RatePoint | undefined
  for (let i = history.length - 1; i >= 0; i--) {
    const p = history[i]!
    if (p.blockNumber >= current.blockNumber) continue
    base = p
    if (current.blockNumber - p.blockNumber >= BigInt(window)) break
  }
  return base ? apyFromRates(base, current) : null
}
