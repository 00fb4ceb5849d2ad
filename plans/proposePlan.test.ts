import { describe, expect, it } from 'vitest'
import { sameSteps } from './proposePlan'

const st = (kind: 'withdraw' | 'deposit', venueId: string, amount: bigint) => ({ kind, venueId, amount })

describe('sameSteps', () => {
  it('treats accrual-sized changes as the same plan', () => {
    expect(sameSteps([st('deposit', 'a', 1000n)], [st('deposit', 'a', 1009n)])).toBe(true)
    expect(sameSteps([st('deposit', 'a', 1000n)], [st('deposit', 'a', 1020n)])).toBe(false)
  })
  it('does not let a small step churn a big plan, but still sees a different plan', () => {
    const a = [st('deposit', 'big', 352_000n), st('deposit', 'small', 3n)]
    expect(sameSteps(a, [st('deposit', 'big', 352_000n), st('deposit', 'small', 90n)])).toBe(true)
    expect(sameSteps(a, [st('deposit', 'big', 352_000n), st('deposit', 'small', 9_000n)])).toBe(false)
    expect(sameSteps(a, [st('deposit', 'small', 3n), st('deposit', 'big', 352_000n)])).toBe(false)
    expect(sameSteps(a, [st('withdraw', 'big', 352_000n), st('deposit', 'small', 3n)])).toBe(false)
  })
})
