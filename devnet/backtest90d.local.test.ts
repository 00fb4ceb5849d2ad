import { describe, expect, it } from 'vitest'
import { fastForwardBacktest } from './fastForward'
import { loadScenario } from './scenario'
import type { PaidStep } from '../strategies/backtest'

describe('backtest-90d: the contenders pay the same cost per step', () => {
  it('steps of the same kind on the same chain (a bridge: to the same chain) and venue kind at the same step cost the same gas and the same per unit moved', async () => {
    const run = fastForwardBacktest(await loadScenario('backtest-90d'))
    const r = run.result
    const fixedFee = run.input.policy.costs.bridge.fixedFee
    const movers = [r.chaser, r.strategy, r.oracle]
    for (const l of movers) expect(l.paid.length).toBeGreaterThan(0)
    expect(r.hold.paid).toEqual([])
    // What a step pays beyond gas per unit moved (a bridge's fixed fee taken out); redeems pay nothing.
    const perUnit = (p: PaidStep) => (p.cost - p.gas - (p.kind === 'bridge' ? fixedFee : 0)) / p.amount
    const byKey = new Map<string, { name: string; p: PaidStep }[]>()
    for (const l of movers)
      for (const p of l.paid) {
        const key = `${p.step}|${p.kind}|${p.chain}|${p.to ?? ''}|${p.venueKind}`
        ;(byKey.get(key) ?? byKey.set(key, []).get(key)!).push({ name: l.name, p })
      }
    let compared = 0
    for (const group of byKey.values()) {
      const names = new Set(group.map((g) => g.name))
      if (names.size < 2) continue
      const [first, ...rest] = group
      for (const g of rest) {
        expect(g.p.gas).toBeCloseTo(first!.p.gas, 12)
        if (g.p.amount > 1e-9 && first!.p.amount > 1e-9) expect(perUnit(g.p)).toBeCloseTo(perUnit(first!.p), 12)
        compared++
      }
    }
    // Enough overlap to mean something: the contenders often move on the same step.
    expect(compared).toBeGreaterThan(10)
    // Every move pays something: gas on each step (the redeem's is counted on the bridge).
    for (const l of movers) for (const p of l.paid) if (p.kind !== 'redeem') expect(p.cost).toBeGreaterThan(0)
  }, 300_000)
})
