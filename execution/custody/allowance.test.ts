import { describe, expect, it } from 'vitest'
import { accruedAllowance, allowanceFitsAt, nextRefillAt, type RolesAllowance } from './allowance'

// Hand-computed against Roles v2's _accruedAllowance: refills at timestamp + k·period only.
// 30 left of a 100 cap, +10 every 60 s, window anchored at t = 1000.
const a: RolesAllowance = { refill: 10n, maxRefill: 100n, period: 60n, balance: 30n, timestamp: 1_000n }

describe('accruedAllowance (Roles v2 _accruedAllowance)', () => {
  it('period 0: a one-time allowance keeps its balance forever and never refills', () => {
    const once = { ...a, period: 0n }
    expect(accruedAllowance(once, 1_000_000n)).toEqual({ balance: 30n, timestamp: 1_000n })
    expect(nextRefillAt(once, 1_000_000n)).toBeNull()
  })

  it('before one whole period: nothing accrued (one second short of the refill)', () => {
    expect(accruedAllowance(a, 1_000n)).toEqual({ balance: 30n, timestamp: 1_000n })
    expect(accruedAllowance(a, 1_059n)).toEqual({ balance: 30n, timestamp: 1_000n })
    expect(nextRefillAt(a, 1_059n)).toBe(1_060n)
  })

  it('a time before the anchor (an allowance set to start later): nothing accrued, first refill one period after the anchor', () => {
    expect(accruedAllowance(a, 500n)).toEqual({ balance: 30n, timestamp: 1_000n })
    expect(nextRefillAt(a, 500n)).toBe(1_060n)
  })

  it('exactly one period, and inside the second: one refill, window moved to 1060', () => {
    expect(accruedAllowance(a, 1_060n)).toEqual({ balance: 40n, timestamp: 1_060n })
    expect(accruedAllowance(a, 1_119n)).toEqual({ balance: 40n, timestamp: 1_060n })
    expect(nextRefillAt(a, 1_060n)).toBe(1_120n)
  })

  it('several periods: 3 whole periods by 1239 add 30; the window is anchored at 1180, not at 1239', () => {
    expect(accruedAllowance(a, 1_239n)).toEqual({ balance: 60n, timestamp: 1_180n })
    expect(nextRefillAt(a, 1_239n)).toBe(1_240n)
  })

  it('capped at maxRefill: 10 periods would add 100, the balance stops at 100', () => {
    expect(accruedAllowance(a, 1_600n)).toEqual({ balance: 100n, timestamp: 1_600n })
    expect(accruedAllowance(a, 1_000_030n)).toEqual({ balance: 100n, timestamp: 1_000_000n })
  })

  it('a balance already at or above maxRefill is left as it is (not cut to the cap)', () => {
    expect(accruedAllowance({ ...a, balance: 150n }, 1_600n)).toEqual({ balance: 150n, timestamp: 1_600n })
    expect(accruedAllowance({ ...a, balance: 100n }, 1_600n)).toEqual({ balance: 100n, timestamp: 1_600n })
  })

  it('refill = maxRefill (the distributor\'s allowance): one refill fills it whatever was left', () => {
    const fund: RolesAllowance = { refill: 15n, maxRefill: 15n, period: 1_800n, balance: 4n, timestamp: 10_000n }
    expect(accruedAllowance(fund, 11_799n)).toEqual({ balance: 4n, timestamp: 10_000n })
    expect(accruedAllowance(fund, 11_800n)).toEqual({ balance: 15n, timestamp: 11_800n })
  })
})

describe('allowanceFitsAt', () => {
  it('an amount within the balance fits now', () => {
    expect(allowanceFitsAt(a, 30n, 1_010n)).toBe(1_010n)
    expect(allowanceFitsAt(a, 40n, 1_070n)).toBe(1_070n)
  })

  it('an amount above the balance fits at the refill that reaches it: 55 needs 3 refills (30 → 60), at 1180', () => {
    expect(allowanceFitsAt(a, 31n, 1_059n)).toBe(1_060n)
    expect(allowanceFitsAt(a, 55n, 1_059n)).toBe(1_180n)
    expect(allowanceFitsAt(a, 60n, 1_059n)).toBe(1_180n)
    expect(allowanceFitsAt(a, 61n, 1_059n)).toBe(1_240n)
    // From inside the second window (balance 40 at 1060): 55 still fits first at 1180.
    expect(allowanceFitsAt(a, 55n, 1_100n)).toBe(1_180n)
  })

  it('never: above maxRefill, a one-time allowance, no refill, or a balance above the cap that refills cannot reach past', () => {
    expect(allowanceFitsAt(a, 101n, 1_059n)).toBeNull()
    expect(allowanceFitsAt({ ...a, period: 0n }, 31n, 1_059n)).toBeNull()
    expect(allowanceFitsAt({ ...a, refill: 0n }, 31n, 1_059n)).toBeNull()
    expect(allowanceFitsAt({ ...a, balance: 150n }, 151n, 1_059n)).toBeNull()
    // An allowance never set on chain reads as all zeros.
    expect(allowanceFitsAt({ refill: 0n, maxRefill: 0n, period: 0n, balance: 0n, timestamp: 0n }, 1n, 1_059n)).toBeNull()
  })
})
