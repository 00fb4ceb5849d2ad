/**
 * Whether a step moved the pool's position as expected, pure. The position is read just before
 * (block b − 1) and at the block b of the step's main transaction, so other moves of the pool
 * cannot hide inside the difference; what remains is the interest accrued over that block and
 * share rounding, which the tolerance covers:
 *
 *   |after − before − expected| ≤ amount × toleranceBps / 10 000 + before × accrualPpm / 1 000 000 + 10 wei
 *
 * with expected = +amount for a deposit and −amount for a withdraw.
 */

export interface PositionCheckInput {
  kind: 'deposit' | 'withdraw'
  amount: bigint
  before: bigint
  after: bigint
  /** On the amount (default 10 = 0.1 %). */
  toleranceBps?: number
  /** On the position before, for interest and rate moves within the block (default 100 ppm). */
  accrualPpm?: number
}

export interface PositionCheck {
  ok: boolean
  expected: bigint
  actual: bigint
  tolerance: bigint
}

export function checkPositionChange(input: PositionCheckInput): PositionCheck {
  const expected = input.kind === 'deposit' ? input.amount : -input.amount
  const actual = input.after - input.before
  const tolerance =
    (input.amount * BigInt(Math.round((input.toleranceBps ?? 10) * 100))) / 1_000_000n + (input.before * BigInt(Math.round(input.accrualPpm ?? 100))) / 1_000_000n + 10n
  const diff = actual - expected
  return { ok: (diff < 0n ? -diff : diff) <= tolerance, expected, actual, tolerance }
}
