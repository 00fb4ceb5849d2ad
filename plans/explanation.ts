import type { Allocation } from '../strategies/allocate'
import type { Plan } from '../strategies/plan'

/**
 * A plan's "why" as stored with it (plans.explanation): the strategies Plan (steps with their
 * reasons and binding constraints, scores with every component, costs) and the allocation's
 * summary. Bigints travel as "123n" strings so `plan show` can rebuild the Plan exactly.
 */
export interface Explanation {
  version: 1
  plan: unknown
  allocation: Pick<Allocation, 'currentYield' | 'targetYield' | 'gainPerYear' | 'oneOffCost' | 'objective' | 'moved' | 'moveBudget' | 'shadowPrices' | 'warnings' | 'solver'> &
    Partial<Pick<Allocation, 'liquidityCheck'>>
}

const BIG = /^-?\d+n$/

function encode(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v)))
}

function decode<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value), (_k, v) => {
    if (typeof v !== 'string') return v
    if (BIG.test(v)) return BigInt(v.slice(0, -1))
    if (v === 'Infinity') return Infinity
    if (v === '-Infinity') return -Infinity
    return v
  }) as T
}

export function toExplanation(plan: Plan, a: Allocation): Explanation {
  const { currentYield, targetYield, gainPerYear, oneOffCost, objective, moved, moveBudget, shadowPrices, warnings, solver, liquidityCheck } = a
  return {
    version: 1,
    plan: encode(plan),
    allocation: encode({ currentYield, targetYield, gainPerYear, oneOffCost, objective, moved, moveBudget, shadowPrices, warnings, solver, liquidityCheck }) as Explanation['allocation'],
  }
}

/** The strategies Plan back from a stored explanation, or null when it is not one of ours. */
export function planFromExplanation(e: unknown): { plan: Plan; allocation: Explanation['allocation'] } | null {
  const x = e as Partial<Explanation> | null
  if (!x || x.version !== 1 || !x.plan) return null
  return { plan: decode<Plan>(x.plan), allocation: x.allocation! }
}
