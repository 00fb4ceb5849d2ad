import { describe, expect, it } from 'vitest'
import { openTempStore } from '../store/testing'
import type { PlanInput } from '../store/types'
import { awaitingPlanToKeep, sameSteps } from './proposePlan'

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
  it('takes its tolerances from config.plans', () => {
    const wide = { sameStepBps: 300, sameStepOfLargestBps: 0 }
    expect(sameSteps([st('deposit', 'a', 1000n)], [st('deposit', 'a', 1020n)], wide)).toBe(true) // 2 % ≤ 3 %
    expect(sameSteps([st('deposit', 'a', 1000n)], [st('deposit', 'a', 1040n)], wide)).toBe(false) // 40 > 31.2
    const exact = { sameStepBps: 0, sameStepOfLargestBps: 0 }
    expect(sameSteps([st('deposit', 'a', 1000n)], [st('deposit', 'a', 1001n)], exact)).toBe(false)
    expect(sameSteps([st('deposit', 'a', 1000n)], [st('deposit', 'a', 1000n)], exact)).toBe(true)
  })
})

describe('a plan awaiting the committee is not replaced by every block', () => {
  const input = (id: string, over: Partial<PlanInput> = {}): PlanInput => ({
    id,
    chain: null,
    basedOnBlock: { ethereum: 120n },
    totalAmount: 300n,
    expectedGain: 100n,
    cost: 10n, // net 90
    needsApproval: true,
    approvalsRequired: 2,
    explanation: {},
    status: 'awaiting_approval',
    steps: [{ kind: 'deposit', chain: 'ethereum', venueId: 'ethereum-vault-boost', amount: 300n }],
    ...over,
  })

  it('keeps it unless the new net benefit beats it by more than replaceAwaitingPlanBps', async () => {
    const { store, cleanup } = await openTempStore()
    try {
      expect(await awaitingPlanToKeep(store, 50n, 1_000)).toBeUndefined() // nothing awaiting
      await store.plans.create(input('p-pool-ethereum-120'))
      expect(await awaitingPlanToKeep(store, 95n, 1_000)).toBe('p-pool-ethereum-120') // 5 % better: kept
      expect(await awaitingPlanToKeep(store, 99n, 1_000)).toBe('p-pool-ethereum-120') // exactly 10 %: kept
      expect(await awaitingPlanToKeep(store, 100n, 1_000)).toBeUndefined() // 11 % better: replaced
      expect(await awaitingPlanToKeep(store, 95n, 0)).toBeUndefined() // 0 bps: always replaced
      // Approved plans are executing, not waiting: never a reason to hold a new plan back.
      await store.plans.transition('p-pool-ethereum-120', 'awaiting_approval', 'approved')
      expect(await awaitingPlanToKeep(store, 50n, 1_000)).toBeUndefined()
      // A waiting plan with nothing to gain holds nothing back.
      await store.plans.create(input('p-ethereum-121', { chain: 'ethereum', expectedGain: 5n, cost: 5n }))
      expect(await awaitingPlanToKeep(store, 1n, 1_000)).toBeUndefined()
    } finally {
      await cleanup()
    }
  })
})
