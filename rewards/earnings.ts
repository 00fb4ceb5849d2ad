/**
 * The pool's earnings over one reward epoch (pure: valuations and flows in, the split out).
 *
 * All amounts are integers in the collateral LST's smallest unit (wei of wstETH on the devnet).
 *
 *   gain          = valueEnd − valueStart − (deposits − withdrawals) + rewardsFunded − costs
 *   net           = gain − carriedLoss                       (high-water mark)
 *   net ≤ 0       → a losing epoch: nothing is distributed, no commission; carriedLoss' = −net
 *   net > 0       → commission = ⌊net × commissionBps / 10 000⌋ (the fee recipient's leaf),
 *                   distributable = net − commission + carriedRemainder (the delegators' pot),
 *                   carriedLoss' = 0; the pool sends `net` to the distributor (funding)
 *
 * `valueStart`/`valueEnd` are the pool's collateral across every chain (venues + idle + in flight)
 * at the epoch's boundary blocks. `deposits`/`withdrawals` are principal that entered or left the
 * pool in the epoch (not earnings); `rewardsFunded` is what the pool sent to the distributor in the
 * epoch (paying an earlier epoch's earnings: not a loss); `costs` are costs the pool paid outside
 * the collateral value (gas, converted to the LST; costs taken from the collateral itself, such as
 * bridge fees and slippage, already show in `valueEnd`). `carriedRemainder` is the rounding
 * remainder of the previous epoch, already held by the distributor: it is paid out again, never
 * funded twice. A delegator is never paid out of principal: funding is `net`, which is > 0 only
 * when the pool is above its high-water mark.
 */
export interface EarningsInput {
  valueStart: bigint
  valueEnd: bigint
  deposits: bigint
  withdrawals: bigint
  rewardsFunded: bigint
  costs: bigint
  /** The pool's commission in basis points (0..10 000). */
  commissionBps: number
  /** Loss carried from earlier epochs (≥ 0). */
  carriedLoss: bigint
  /** Rounding remainder carried from the previous epoch (≥ 0), already in the distributor. */
  carriedRemainder: bigint
}

export interface Earnings {
  gain: bigint
  /** gain − carriedLoss. */
  net: bigint
  losing: boolean
  commission: bigint
  /** What the delegators share this epoch (net − commission + carriedRemainder; 0 when losing). */
  distributable: bigint
  /** What the pool sends to the distributor for this epoch (net; 0 when losing). */
  funding: bigint
  /** Loss carried to the next epoch. */
  carriedLoss: bigint
}

export function epochEarnings(i: EarningsInput): Earnings {
  if (!Number.isInteger(i.commissionBps) || i.commissionBps < 0 || i.commissionBps > 10_000) throw new RangeError(`commissionBps: ${i.commissionBps} is not an integer in 0..10000`)
  for (const k of ['valueStart', 'valueEnd', 'deposits', 'withdrawals', 'rewardsFunded', 'costs', 'carriedLoss', 'carriedRemainder'] as const) {
    if (i[k] < 0n) throw new RangeError(`${k}: ${i[k]} is negative`)
  }
  const gain = i.valueEnd - i.valueStart - (i.deposits - i.withdrawals) + i.rewardsFunded - i.costs
  const net = gain - i.carriedLoss
  if (net <= 0n) return { gain, net, losing: true, commission: 0n, distributable: 0n, funding: 0n, carriedLoss: -net }
  const commission = (net * BigInt(i.commissionBps)) / 10_000n
  return { gain, net, losing: false, commission, distributable: net - commission + i.carriedRemainder, funding: net, carriedLoss: 0n }
}

const YEAR_SECONDS = 365 * 24 * 3600

/**
 * Earnings no pool of this kind can make: the epoch's gain (before commission) above `maxApy` of the
 * starting value, annualised over the epoch. Such a figure means the valuation or the principal
 * flows were misread (e.g. the pool's own moves taken for principal leaving), and paying it would
 * pay principal out as rewards: the epoch must wait for a person. Returns the reason, or null.
 */
export function implausibleGain(gain: bigint, valueStart: bigint, epochSeconds: number, maxApy: number): string | null {
  if (gain <= 0n || valueStart <= 0n) return null
  // gain / valueStart × YEAR / epochSeconds > maxApy, in integers (maxApy in parts per million).
  const lhs = gain * BigInt(YEAR_SECONDS) * 1_000_000n
  const rhs = valueStart * BigInt(epochSeconds) * BigInt(Math.round(maxApy * 1_000_000))
  if (lhs <= rhs) return null
  const apy = Number((gain * BigInt(YEAR_SECONDS) * 10_000n) / (valueStart * BigInt(epochSeconds))) / 100
  return `the epoch's gain annualises to ${apy.toLocaleString('en-US', { maximumFractionDigits: 2 })} % of the pool's value, above rewards.maxEpochApy ${maxApy * 100} %: the valuation or the principal flows were misread; nothing is published or paid (check the epoch's inputs with npm run rewards -- show, fix, or raise rewards.maxEpochApy if the gain is real)`
}
