import { parseEther } from 'viem'
import type { Store } from '../../store'
import type { PlanInput, PlanStepInput } from '../../store/types'

/** A plan row for tests: approved, on one chain, with these steps. */
export async function createTestPlan(store: Store, id: string, chain: string, steps: PlanStepInput[], over: Partial<PlanInput> = {}) {
  const total = steps.reduce((a, s) => a + s.amount, 0n)
  return store.plans.create({
    id,
    chain,
    status: 'approved',
    basedOnBlock: { [chain]: 1n },
    totalAmount: total,
    expectedGain: parseEther('0.01'),
    cost: parseEther('0.001'),
    needsApproval: false,
    approvalsRequired: 0,
    explanation: { test: true },
    steps,
    ...over,
  })
}

/** The kill test's plan: withdraw from the core vault, deposit into the boost vault, supply to Aave. */
export function rebalanceSteps(chain: string): PlanStepInput[] {
  return [
    { kind: 'withdraw', chain, venueId: `${chain}-vault-core`, amount: parseEther('40') },
    { kind: 'deposit', chain, venueId: `${chain}-vault-boost`, amount: parseEther('25') },
    { kind: 'deposit', chain, venueId: `${chain}-aave`, amount: parseEther('15') },
  ]
}
