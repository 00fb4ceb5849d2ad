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

export interface ApyWindow {
  /** The window the APY is derived over, seconds. */
  windowSeconds: number
  /** No APY from a shorter span than this, seconds (a cold start, a short history). */
  minSpanSeconds: number
}

export interface DerivedApy {
  apy: number
  /** Seconds between the base point and the current one: what the APY was annualised from. */
  spanSeconds: number
}

/**
 * The APY over the window ending at `current`: from the newest point at least `windowSeconds`
 * older (by block time), or the oldest point there is when the history is shorter. Null without
 * history or when that span is under `minSpanSeconds`: a rate over a few blocks is noise (a daily
 * oracle report, a one-block glitch) that annualising would blow up, so it is no APY at all.
 * `history` is sorted by block.
 */
export function derivedApy(history: readonly RatePoint[], current: RatePoint, w: ApyWindow): DerivedApy | null {
  let base: RatePoint | undefined
  for (let i = history.length - 1; i >= 0; i--) {
    const p = history[i]!
    if (p.blockNumber >= current.blockNumber) continue
    base = p
    if (current.blockTime - p.blockTime >= w.windowSeconds) break
  }
  if (!base) return null
  const spanSeconds = current.blockTime - base.blockTime
  if (spanSeconds < w.minSpanSeconds) return null
  const apy = apyFromRates(base, current)
  return apy === null ? null : { apy, spanSeconds }
}

/** Blocks a window of `seconds` spans at `blockTimeMs` per block (rounded up, at least 1). */
export function windowBlocks(seconds: number, blockTimeMs: number): number {
  return Math.max(1, Math.ceil((seconds * 1000) / Math.max(1, blockTimeMs)))
}

/**
 * The chain's real block time (ms) measured between two blocks, or `fallbackMs` (the configured
 * block time) when they do not tell (same block, equal timestamps).
 */
export function measuredBlockTimeMs(a: { number: bigint; timestamp: number }, b: { number: bigint; timestamp: number }, fallbackMs: number): number {
  const blocks = Number(b.number - a.number)
  const seconds = b.timestamp - a.timestamp
  if (blocks <= 0 || seconds <= 0) return fallbackMs
  return (seconds * 1000) / blocks
}

/** The readings a plausibility check looks at (a venue reading fits). */
export interface PlausibilityInput {
  apy: number | null
  tvl: bigint | null
  utilisation: number | null
  withdrawable: bigint | null
}

/**
 * Why a reading cannot be true (null = plausible): an APY above `maxApy` (fraction) or below
 * −100 %, a negative TVL or withdrawable amount, a utilisation outside 0..1. Such a reading is a
 * broken feed, never a reason to move money.
 */
export function implausibility(r: PlausibilityInput, maxApy: number): string | null {
  const out: string[] = []
  if (r.apy !== null && (!Number.isFinite(r.apy) || r.apy > maxApy)) out.push(`APY ${fmtPct(r.apy)} above the plausible ${fmtPct(maxApy)} (watch.maxPlausibleApy)`)
  else if (r.apy !== null && r.apy < -1) out.push(`APY ${fmtPct(r.apy)} below −100 %`)
  if (r.tvl !== null && r.tvl < 0n) out.push(`negative TVL ${r.tvl}`)
  if (r.withdrawable !== null && r.withdrawable < 0n) out.push(`negative withdrawable ${r.withdrawable}`)
  if (r.utilisation !== null && (!Number.isFinite(r.utilisation) || r.utilisation < 0 || r.utilisation > 1)) out.push(`utilisation ${r.utilisation} outside 0..1`)
  return out.length ? `implausible: ${out.join('; ')}` : null
}

const fmtPct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toLocaleString('en-US', { maximumFractionDigits: 2 })} %` : String(x))
