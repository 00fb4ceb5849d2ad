/**
 * What a Zodiac Roles v2 allowance holds at a given time, computed exactly as the modifier does
 * (AllowanceTracker._accruedAllowance, zodiac-modifier-roles v2):
 *
 *   period == 0 or now < timestamp + period   → balance and timestamp unchanged (no refill yet;
 *                                               period 0: a one-time allowance, never refilled)
 *   else n = floor((now - timestamp) / period) → balance < maxRefill: min(maxRefill, balance + refill·n)
 *                                               balance ≥ maxRefill: unchanged (a balance set above
 *                                               the cap is never cut down to it)
 *                                               timestamp + n·period (windows stay anchored)
 *
 * The modifier accrues at the block of the call, so a figure read at the current block is what a
 * transaction mined now would find, and never more than a later block finds (refills only add).
 * Pure: no chain, no clock.
 */

/** An allowance as the Roles modifier's `allowances(bytes32)` returns it. */
export interface RolesAllowance {
  refill: bigint
  maxRefill: bigint
  period: bigint
  balance: bigint
  timestamp: bigint
}

/** The balance available at `now` (unix seconds) and the anchor of the refill window it falls in. */
export function accruedAllowance(a: RolesAllowance, now: bigint): { balance: bigint; timestamp: bigint } {
  if (a.period === 0n || now < a.timestamp + a.period) return { balance: a.balance, timestamp: a.timestamp }
  const n = (now - a.timestamp) / a.period
  const balance = a.balance < a.maxRefill ? min(a.maxRefill, a.balance + a.refill * n) : a.balance
  return { balance, timestamp: a.timestamp + n * a.period }
}

/** The time of the next refill after `now`, or null for a one-time allowance (period 0). */
export function nextRefillAt(a: RolesAllowance, now: bigint): bigint | null {
  if (a.period === 0n) return null
  return accruedAllowance(a, now).timestamp + a.period
}

/**
 * The first time at or after `now` at which `amount` fits in the allowance (nothing else consumed
 * meanwhile): `now` when it already does, else the refill that first brings the balance to it;
 * null when no refill ever will (period 0, refill 0, or `amount` above what refills reach).
 */
export function allowanceFitsAt(a: RolesAllowance, amount: bigint, now: bigint): bigint | null {
  const at = accruedAllowance(a, now)
  if (amount <= at.balance) return now
  if (a.period === 0n || a.refill === 0n || at.balance >= a.maxRefill || amount > a.maxRefill) return null
  const refills = (amount - at.balance + a.refill - 1n) / a.refill
  return at.timestamp + refills * a.period
}

const min = (x: bigint, y: bigint) => (x < y ? x : y)
