/**
 * Pure gas and fee arithmetic of the tx sender.
 */

/** Headroom over a gas estimate (config `execution.gasPadPercent` / `gasPadExtra`). */
export interface GasPad {
  percent: number
  extra: number
}

/** Today's padding: ×1.5 + 50 000. */
export const DEFAULT_GAS_PAD: GasPad = { percent: 50, extra: 50_000 }

/**
 * Gas limit from an estimate: × (1 + percent / 100) + extra (default ×1.5 + 50 000). Estimates
 * run at 'latest', where interest-accruing venues have just checkpointed; the transaction runs a
 * block later and accrues more (see devnet/README: the simulator ran out of gas every other block
 * on a plain estimate).
 */
export function padGas(estimate: bigint, pad: GasPad = DEFAULT_GAS_PAD): bigint {
  return (estimate * BigInt(100 + pad.percent)) / 100n + BigInt(pad.extra)
}

/** geth refuses a same-nonce replacement unless both fee fields rise by at least 10 % (12.5 % for blob txs): never bump by less. */
export const MIN_FEE_BUMP_PERCENT = 12.5

export interface Fees {
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
}

/** `value` raised by `percent` %, rounded up, and by at least 1 wei. */
export function bump(value: bigint, percent: number): bigint {
  const basisPoints = BigInt(Math.ceil(percent * 100))
  const raised = (value * (10_000n + basisPoints) + 9_999n) / 10_000n
  return raised > value ? raised : value + 1n
}

/**
 * Fees of a replacement: each field at least `percent` (≥ 12.5) above the stuck tx's, and at
 * least what the chain asks now; the priority fee never exceeds the max fee.
 */
export function replacementFees(old: Fees, current: Fees, percent = 25): Fees {
  if (!(percent >= MIN_FEE_BUMP_PERCENT)) throw new RangeError(`fee bump ${percent} % is below the ${MIN_FEE_BUMP_PERCENT} % nodes require for a replacement`)
  const tip = max(bump(old.maxPriorityFeePerGas, percent), current.maxPriorityFeePerGas)
  const fee = max(bump(old.maxFeePerGas, percent), current.maxFeePerGas, tip)
  return { maxFeePerGas: fee, maxPriorityFeePerGas: tip }
}

export function max(...values: bigint[]): bigint {
  return values.reduce((a, b) => (b > a ? b : a))
}

/** Wei the account must hold to send: gas × max fee + value. */
export function requiredBalance(gas: bigint, fees: Fees, value: bigint): bigint {
  return gas * fees.maxFeePerGas + value
}
