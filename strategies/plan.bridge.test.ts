import { describe, expect, it } from 'vitest'
import { allocate } from './allocate'
import { buildPlan, PlanInputError, planFromAllocation, renderPlan } from './plan'
import type { VenueScore } from './risk'
import { allRoutes, frictionless, mkInput } from './testing'

const sc = (venueId: string, chain: string, s: number): VenueScore => ({
  venueId,
  chain,
  score: s,
  grossApy: s,
  components: {},
  excluded: null,
  stuck: false,
  withdrawable: null,
  sampleBlock: 100n,
})

describe('buildPlan: cross-chain', () => {
  const input = mkInput({
    chains: [
      { name: 'eth', idle: 'eth-idle' },
      { name: 'arb', idle: 'arb-idle', decimals: 8 },
    ],
    venues: [
      { id: 'eth-idle', chain: 'eth', kind: 'lst', current: 20, score: 0.03 },
      { id: 'eth-v', chain: 'eth', current: 80, score: 0.035 },
      { id: 'arb-idle', chain: 'arb', kind: 'lst', current: 0, score: 0.03 },
      { id: 'arb-v', chain: 'arb', current: 0, score: 0.09 },
    ],
    policy: frictionless({ costs: { bridge: { fixedFee: 0.001, delayMinutes: 30 } } }),
    routes: allRoutes('eth', 'arb'),
  })
  const a = allocate(input)
  const scores = [sc('eth-idle', 'eth', 0.03), sc('eth-v', 'eth', 0.035), sc('arb-idle', 'arb', 0.03), sc('arb-v', 'arb', 0.09)]
  const chains = [
    { name: 'eth', decimals: 18, idleVenueId: 'eth-idle', sampleBlock: 100n, headBlock: 100n, symbol: 'wstETH' },
    { name: 'arb', decimals: 8, idleVenueId: 'arb-idle', sampleBlock: 100n, headBlock: 100n, symbol: 'wstETH' },
  ]

  it('orders the steps withdraw → bridge → redeem → deposit, the bridge and redeem sharing the transfer', () => {
    const plan = planFromAllocation(a, { scores, chains, policy: input.policy })
    expect(plan.steps.map((s) => [s.kind, s.chain, s.venueId])).toEqual([
      ['withdraw', 'eth', 'eth-v'],
      ['bridge', 'eth', 'eth-idle'],
      ['redeem', 'arb', 'arb-idle'],
      ['deposit', 'arb', 'arb-v'],
    ])
    const [w, b, r, d] = plan.steps
    const t = a.transfers[0]!
    expect(b!.amount).toBe(t.amount)
    expect(r!.amount).toBe(t.received)
    expect(b!.transfer).toEqual({ from: 'eth', to: 'arb', amount: t.amount, received: t.received })
    expect(r!.transfer).toEqual(b!.transfer)
    // The deposit on arb is funded by the redeem; the bridge by the withdrawal and eth's idle.
    expect(d!.amount).toBeLessThanOrEqual(r!.amount)
    expect(b!.amount).toBeLessThanOrEqual(w!.amount + 20n * 10n ** 18n)
    // The bridge step carries the transfer's cost: fee, gas on both sides, delay.
    expect(b!.costs.fee).toBeCloseTo(0.001, 12)
    expect(b!.costs.delay).toBeGreaterThan(0)
    expect(r!.cost).toBe(0)
    // Collateral moved counts the transfer once: ~100 units, not 200.
    expect(plan.moved).toBeCloseTo(100, 6)
    // Gains add up to the allocation's.
    expect(plan.expectedGainPerYear).toBeCloseTo(a.gainPerYear, 6)
    expect(renderPlan(plan)).toMatch(/bridge 100 wstETH from eth to arb/)
  })

  it('refuses targets that do not match the transfers (a chain changes only by its transfers)', () => {
    const current = new Map(a.targets.map((t) => [t.venueId, t.current]))
    const target = new Map(a.targets.map((t) => [t.venueId, t.target]))
    const venues = a.targets.map((t) => ({ id: t.venueId, chain: t.chain, kind: t.kind }))
    expect(() => buildPlan({ current, target, venues, scores, chains, policy: input.policy })).toThrow(PlanInputError)
    expect(() => buildPlan({ current, target, venues, scores, chains, policy: input.policy, transfers: a.transfers })).not.toThrow()
  })
})
