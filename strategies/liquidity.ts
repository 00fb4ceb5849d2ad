import type { VenueKind } from '../config/schema'

/**
 * What a venue could pay back: PURE helpers for the allocator's liquidity bound and the post-plan
 * liquidity check.
 *
 * A venue's *liquidity* `W` is what all of its holders together could withdraw now — the pool's own
 * position counts inside it. A plan that moves the pool's position from `c` to `t` changes it to
 *
 *   W' = W + f·(t − c)   for a deposit (f = the share of a deposit the venue keeps withdrawable:
 *                        1 for a lending market, the vault's liquid share for a vault that deploys
 *                        the rest; 1 when unknown)
 *   W' = W − (c − t)     for a withdrawal
 *
 * and the allocator keeps `t ≤ s · W'` with `s = allocation.maxWithdrawableShareBps / 1e4`, i.e.
 *
 *   t ≤ s · (W − f·c) / (1 − s·f)                                            (s·f < 1; s = 1: no bound)
 *
 * a fixed number for given W, f and c (0 when W ≤ f·c). So the pool never holds more than the share
 * `s` of what the venue could pay out after the plan; with `s ≤ 1 / alerts.liquidityCoverage` the
 * watcher's rule "withdrawable liquidity below the pool's position" (the pool's withdrawable is
 * min(t, W'), raised when it is below coverage · t) is never raised by the plan itself.
 */

/** The fields of a sample the liquidity estimate reads (a store `Sample` fits). */
export interface LiquidityReading {
  available: boolean
  /** What the POOL could withdraw now (the adapters read the pool's own maxWithdraw / min(available, balance)). */
  withdrawable: bigint | null
  /** What ALL holders could withdraw now (venue-wide, the pool included), where the venue tells it; null/absent = not read. */
  liquidity?: bigint | null
  tvl: bigint | null
  utilisation: number | null
}

export interface VenueLiquidity {
  /** W: what the venue could pay out now (raw, the pool's position included); null = unknown. */
  liquidity: bigint | null
  /** f: the share of a deposit that stays withdrawable (0..1). */
  perDeposit: number
}

/**
 * The venue's liquidity from one sample (`W`, `f`; see the module comment), or `liquidity: null`
 * when the sample does not tell it:
 * - the venue-wide reading where the sample has one (`liquidity`: an Aave reserve's aTokens not lent
 *   out; an ERC-4626 vault's configured `liquidityFunction`): W = it — or the pool's own withdrawable
 *   where that is below both the position and W — so the bound holds on a FIRST deposit too; a
 *   lending market keeps all of a deposit available (f = 1), a vault the same liquid share of new
 *   deposits as of its assets (f = W / TVL);
 * - aave-v3 without it: available liquidity = TVL × (1 − utilisation) (aTokens not lent out); a
 *   deposit is all available (f = 1);
 * - otherwise, where the pool's own withdrawable is below its position, the venue's liquidity is what
 *   binds: W = withdrawable (exact), and a vault keeps the same liquid share of new deposits as of
 *   its assets (f = W / TVL);
 * - else unknown: an ERC-4626 vault without `liquidityFunction` publishes only the pool's
 *   `maxWithdraw`, which says no more than "at least the position"; an LST held directly is tokens
 *   in hand (no bound needed).
 */
export function venueLiquidity(kind: VenueKind, s: LiquidityReading | undefined, position: bigint): VenueLiquidity {
  const unknown = { liquidity: null, perDeposit: 1 }
  if (!s || !s.available || kind === 'lst') return unknown
  if (s.liquidity != null) {
    const w = s.withdrawable !== null && s.withdrawable < position && s.withdrawable < s.liquidity ? s.withdrawable : s.liquidity
    const f = kind === 'aave-v3' ? 1 : s.tvl !== null && s.tvl > 0n ? Math.min(1, Number((s.liquidity * 1_000_000n) / s.tvl) / 1e6) : 1
    return { liquidity: w, perDeposit: f }
  }
  if (kind === 'aave-v3' && s.tvl !== null && s.utilisation !== null && Number.isFinite(s.utilisation)) {
    const u = Math.min(1, Math.max(0, s.utilisation))
    const free = (s.tvl * BigInt(Math.round((1 - u) * 1e6))) / 1_000_000n
    // The adapter's exact min(available, balance) wins where it shows less.
    return { liquidity: s.withdrawable !== null && s.withdrawable < position && s.withdrawable < free ? s.withdrawable : free, perDeposit: 1 }
  }
  if (s.withdrawable !== null && s.withdrawable < position) {
    const f = s.tvl !== null && s.tvl > 0n ? Math.min(1, Number((s.withdrawable * 1_000_000n) / s.tvl) / 1e6) : 1
    return { liquidity: s.withdrawable, perDeposit: f }
  }
  return unknown
}

/**
 * The largest target (raw) a venue with liquidity `liquidity` may hold when the pool holds
 * `current` now: floor(s·(W − f·c)/(1 − s·f)), 0 when W ≤ f·c. Null: no bound (liquidity unknown,
 * or shareBps ≥ 10 000: the pool may then hold what the venue could pay out, whatever it is).
 */
export function liquidityBound(current: bigint, liquidity: bigint | null | undefined, shareBps: number, perDeposit = 1): bigint | null {
  if (liquidity == null || shareBps >= 10_000) return null
  const s = BigInt(Math.max(0, Math.round(shareBps)))
  const f = BigInt(Math.round(Math.min(1, Math.max(0, perDeposit)) * 1e6)) // 1e6 = 1
  const room = liquidity * 1_000_000n - f * current // (W − f·c)·1e6
  if (room <= 0n || s === 0n) return 0n
  // t ≤ s·(W − f c)/(1 − s f) = s·room / (1e4·1e6 − s·f)
  return (s * room) / (10_000n * 1_000_000n - s * f)
}

/** The venue's liquidity after the plan moves the pool's position from `current` to `target` (never below 0). */
export function liquidityAfter(liquidity: bigint, current: bigint, target: bigint, perDeposit = 1): bigint {
  const f = BigInt(Math.round(Math.min(1, Math.max(0, perDeposit)) * 1e6))
  const w = target >= current ? liquidity + ((target - current) * f) / 1_000_000n : liquidity - (current - target)
  return w < 0n ? 0n : w
}

export interface LiquidityCheckVenue {
  id: string
  current: bigint
  target: bigint
  /** The venue's liquidity now (pool included), null = unknown. */
  liquidity?: bigint | null
  /** The share of a deposit that stays withdrawable (default 1). */
  liquidityPerDeposit?: number
}

export interface LiquidityFinding {
  venueId: string
  /** What the pool could withdraw after the plan: min(target, W'). */
  withdrawableAfter: bigint
  target: bigint
  detail: string
}

/**
 * The post-plan check: venues whose position the plan changes and where the watcher's liquidity
 * rule (pool's withdrawable < coverage × position) would be active after the plan but is not now.
 * Empty = the plan raises no liquidity alert itself. Venues of unknown liquidity cannot be checked
 * and are not reported (`unchecked` lists them).
 */
export function liquidityAlertsAfter(venues: readonly LiquidityCheckVenue[], coverage: number): { findings: LiquidityFinding[]; checked: string[]; unchecked: string[] } {
  const cov = BigInt(Math.round(coverage * 1e6))
  const alerting = (withdrawable: bigint, position: bigint) => position > 0n && withdrawable * 1_000_000n < position * cov
  const findings: LiquidityFinding[] = []
  const checked: string[] = []
  const unchecked: string[] = []
  for (const v of venues) {
    if (v.target === v.current) continue
    if (v.liquidity == null) {
      if (v.target > v.current) unchecked.push(v.id)
      continue
    }
    checked.push(v.id)
    const wNow = v.liquidity < v.current ? v.liquidity : v.current
    const after = liquidityAfter(v.liquidity, v.current, v.target, v.liquidityPerDeposit)
    const wAfter = after < v.target ? after : v.target
    if (alerting(wAfter, v.target) && !alerting(wNow, v.current)) {
      findings.push({ venueId: v.id, withdrawableAfter: wAfter, target: v.target, detail: `${v.id}: after the plan ${wAfter} of a ${v.target} position withdrawable (coverage ${coverage})` })
    }
  }
  return { findings, checked, unchecked }
}

/** One line for `plan show`, dry-run and Telegram: what the post-plan liquidity check found. */
export function liquidityCheckText(c: { checked: readonly string[]; unchecked: readonly string[]; findings: readonly LiquidityFinding[]; coverage: number }): string {
  if (c.findings.length) return `liquidity check: the plan would raise a liquidity alert itself (${c.findings.map((f) => f.detail).join('; ')}): held`
  const parts = [
    c.checked.length ? `no liquidity alert from this plan (${c.checked.join(', ')}: withdrawable stays ≥ ${c.coverage} × the position)` : 'no venue of known liquidity changes',
  ]
  if (c.unchecked.length) parts.push(`liquidity unknown, not checked: ${c.unchecked.join(', ')}`)
  return `liquidity check: ${parts.join('; ')}`
}
