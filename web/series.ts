/**
 * Pure series helpers for the charts: a common time grid, step-hold resampling of readings taken
 * at block times, position-weighted blends.
 */

/** `n` evenly spaced unix seconds from `from` to `to` inclusive (rounded to whole seconds). */
export function timeGrid(from: number, to: number, n: number): number[] {
  if (n <= 1 || to <= from) return [to]
  const out: number[] = []
  for (let k = 0; k < n; k++) out.push(Math.round(from + ((to - from) * k) / (n - 1)))
  return [...new Set(out)]
}

/**
 * For each grid time, the value of the newest reading at or before it (readings oldest first);
 * null before the first reading or where the reading's value is null.
 */
export function holdAt<T>(readings: ReadonlyArray<{ t: number; v: T | null }>, grid: readonly number[]): (T | null)[] {
  const out: (T | null)[] = []
  let i = -1
  for (const g of grid) {
    while (i + 1 < readings.length && readings[i + 1]!.t <= g) i++
    out.push(i >= 0 ? readings[i]!.v : null)
  }
  return out
}

/** Σ wᵢ·xᵢ / Σ wᵢ over the pairs where both are known and w > 0; null when no weight. */
export function weightedMean(pairs: ReadonlyArray<{ w: number | null; x: number | null }>): number | null {
  let sw = 0
  let swx = 0
  for (const { w, x } of pairs) {
    if (w === null || x === null || !(w > 0) || !Number.isFinite(x)) continue
    sw += w
    swx += w * x
  }
  return sw > 0 ? swx / sw : null
}
