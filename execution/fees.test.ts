import { describe, expect, it } from 'vitest'
import { bump, padGas, replacementFees, requiredBalance } from './fees'

describe('fees', () => {
  it('padGas: ×1.5 + 50k', () => {
    expect(padGas(100_000n)).toBe(200_000n)
    expect(padGas(21_001n)).toBe(81_501n)
  })

  it('padGas: the configured headroom (execution.gasPadPercent / gasPadExtra)', () => {
    expect(padGas(100_000n, { percent: 20, extra: 0 })).toBe(120_000n)
    expect(padGas(100_000n, { percent: 0, extra: 21_000 })).toBe(121_000n)
  })

  it('bump rounds up and always raises by at least 1 wei', () => {
    expect(bump(1_000n, 12.5)).toBe(1_125n)
    expect(bump(1_001n, 12.5)).toBe(1_127n) // 1126.125 → 1127
    expect(bump(1n, 12.5)).toBe(2n)
    expect(bump(0n, 25)).toBe(1n)
  })

  it('replacement: at least +percent on both fields, at least the current market, tip ≤ max fee', () => {
    const old = { maxFeePerGas: 2_000n, maxPriorityFeePerGas: 1_000n }
    expect(replacementFees(old, { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 100n }, 12.5)).toEqual({ maxFeePerGas: 2_250n, maxPriorityFeePerGas: 1_125n })
    expect(replacementFees(old, { maxFeePerGas: 9_000n, maxPriorityFeePerGas: 3_000n })).toEqual({ maxFeePerGas: 9_000n, maxPriorityFeePerGas: 3_000n })
    expect(replacementFees({ maxFeePerGas: 100n, maxPriorityFeePerGas: 100n }, { maxFeePerGas: 1n, maxPriorityFeePerGas: 500n })).toEqual({ maxFeePerGas: 500n, maxPriorityFeePerGas: 500n })
    for (let i = 0; i < 200; i++) {
      const o = { maxFeePerGas: BigInt(1 + Math.floor(Math.random() * 1e12)), maxPriorityFeePerGas: BigInt(Math.floor(Math.random() * 1e10)) }
      const r = replacementFees(o, { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, 12.5)
      expect(r.maxFeePerGas * 1000n).toBeGreaterThanOrEqual(o.maxFeePerGas * 1125n)
      expect(r.maxPriorityFeePerGas * 1000n).toBeGreaterThanOrEqual(o.maxPriorityFeePerGas * 1125n)
      expect(r.maxPriorityFeePerGas).toBeLessThanOrEqual(r.maxFeePerGas)
    }
    expect(() => replacementFees(old, old, 10)).toThrow(/below the 12.5 %/)
  })

  it('requiredBalance = gas × max fee + value', () => {
    expect(requiredBalance(100n, { maxFeePerGas: 3n, maxPriorityFeePerGas: 1n }, 7n)).toBe(307n)
  })
})
