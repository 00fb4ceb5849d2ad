/**
 * Largest-remainder apportionment in exact integer arithmetic: splits `total` into parts
 * proportional to `weights` that sum to `total` exactly. Each part is floor(total·wᵢ/Σw); the
 * units left over (fewer than the number of parts) go one each to the largest remainders, ties
 * to the lower index. Deterministic, no floats.
 */
export function apportion(total: bigint, weights: readonly bigint[]): bigint[] {
  if (total < 0n) throw new RangeError(`apportion: negative total ${total}`)
  let sum = 0n
  for (const w of weights) {
    if (w < 0n) throw new RangeError(`apportion: negative weight ${w}`)
    sum += w
  }
  if (sum === 0n) {
    if (total !== 0n) throw new RangeError('apportion: all weights are zero')
    return weights.map(() => 0n)
  }
  const parts = weights.map((w) => (total * w) / sum)
  const remainders = weights.map((w, i) => ({ i, r: (total * w) % sum }))
  let left = total - parts.reduce((a, b) => a + b, 0n)
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1))
  for (const { i } of remainders) {
    if (left === 0n) break
    parts[i] = parts[i]! + 1n
    left -= 1n
  }
  return parts
}

/** Integer square root (floor) of a non-negative bigint, by Newton's method. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError(`isqrt of negative ${n}`)
  if (n < 2n) return n
  // Start at a power of two ≥ sqrt(n) (from the bit length); from above, Newton's integer
  // iteration descends monotonically to floor(sqrt(n)).
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2))
  for (;;) {
    const y = (x + n / x) >> 1n
    if (y >= x) break
    x = y
  }
  while (x * x > n) x -= 1n
  while ((x + 1n) * (x + 1n) <= n) x += 1n
  return x
}

/**
 * The exact decimal value of a finite non-negative JS number as integer/10^scale, from its
 * shortest round-trip representation (0.1 is 1/10, not the binary approximation).
 */
export function decimalOf(x: number): { int: bigint; scale: number } {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`not a finite non-negative number: ${x}`)
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x))
  if (!m) throw new RangeError(`unexpected number format: ${x}`)
  const frac = m[2] ?? ''
  let digits = BigInt(m[1]! + frac)
  let scale = frac.length - Number(m[3] ?? 0)
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale)
    scale = 0
  }
  return { int: digits, scale }
}

/** Non-negative finite numbers as integers with one common decimal scale (proportions kept exactly). */
export function toCommonIntegers(values: readonly number[]): bigint[] {
  const decs = values.map(decimalOf)
  const scale = Math.max(0, ...decs.map((d) => d.scale))
  return decs.map((d) => d.int * 10n ** BigInt(scale - d.scale))
}
