import { describe, expect, it } from 'vitest'
import type { PlanStep } from '../../store/types'
import { UnsupportedStepError } from '../errors'
import { committeeLegs, waitsForTransfer } from './crossChainLegs'

const step = (idx: number, kind: PlanStep['kind'], chain: string): PlanStep =>
  ({ planId: 'p', idx, kind, chain, venueId: `${chain}-v`, amount: 1n, status: 'pending', detail: null, error: null }) as unknown as PlanStep

describe('committeeLegs: one Safe transaction per chain, in the order the money flows', () => {
  it('withdraw + bridge on A, redeem + deposit on B: A\'s leg first carrying withdraw and bridge; B\'s leg waits for its redeem', () => {
    const legs = committeeLegs([step(3, 'deposit', 'b'), step(0, 'withdraw', 'a'), step(2, 'redeem', 'b'), step(1, 'bridge', 'a')])
    expect(legs.map((l) => [l.chain, l.first, l.steps.map((s) => s.idx), l.redeems.map((s) => s.idx)])).toEqual([
      ['a', 0, [0, 1], []],
      ['b', 2, [3], [2]],
    ])
    expect(legs.map(waitsForTransfer)).toEqual([false, true])
  })

  it('a same-chain plan is one leg with no redeem', () => {
    const legs = committeeLegs([step(0, 'withdraw', 'a'), step(1, 'deposit', 'a')])
    expect(legs).toHaveLength(1)
    expect(waitsForTransfer(legs[0]!)).toBe(false)
  })

  it('a chain that acts, then receives, then acts again would need two Safe txs: refused, naming the step', () => {
    const steps = [step(0, 'withdraw', 'b'), step(1, 'withdraw', 'a'), step(2, 'bridge', 'a'), step(3, 'redeem', 'b'), step(4, 'deposit', 'b')]
    expect(() => committeeLegs(steps)).toThrow(UnsupportedStepError)
    expect(() => committeeLegs(steps)).toThrow(/^step 3: a redeem on b after step 0 there needs a second Safe transaction on b/)
  })

  it('two bridges out of one chain in one Safe tx are refused (one Wormhole message per leg)', () => {
    const steps = [step(0, 'bridge', 'a'), step(1, 'bridge', 'a'), step(2, 'redeem', 'b'), step(3, 'redeem', 'c')]
    expect(() => committeeLegs(steps)).toThrow(/^step 1: a second bridge step on a/)
  })
})
