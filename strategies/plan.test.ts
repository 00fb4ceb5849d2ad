import { describe, expect, it } from 'vitest'
import { allocate } from './allocate'
import { buildPlan, PlanInputError, planFromAllocation, renderPlan, StaleSamplesError, type PlanChain } from './plan'
import { strategyPolicySchema } from './policy'
import { randomPool } from './random'
import type { VenueScore } from './risk'
import { frictionless, mkInput } from './testing'

const E18 = 10n ** 18n
const score = (venueId: string, s: number, excluded: string | null = null): VenueScore => ({
  venueId,
  chain: 'eth',
  score: excluded ? -Infinity : s,
  grossApy: Number.isFinite(s) ? s : null,
  components: { audits: { value: 3, penaltyBps: 0, why: '3 audits' } },
  excluded,
  stuck: false,
  withdrawable: null,
  sampleBlock: 100n,
})
const chain = (o: Partial<PlanChain> = {}): PlanChain => ({ name: 'eth', decimals: 18, idleVenueId: 'idle', sampleBlock: 100n, headBlock: 102n, symbol: 'wstETH', ...o })
const venues = ['idle', 'a', 'b', 'c', 'd'].map((id) => ({ id, chain: 'eth', kind: id === 'idle' ? ('lst' as const) : ('erc4626' as const) }))

describe('buildPlan', () => {
  const policy = strategyPolicySchema.parse({ approvalThreshold: 25, committee: { members: ['ann', 'bob', 'cy'], required: 2 }, costs: { gasPerStep: 0.001 } })
  const base = {
    current: { idle: 10n * E18, a: 20n * E18, b: 30n * E18, c: 0n, d: 5n * E18 },
    target: { idle: 5n * E18, a: 0n, b: 25n * E18, c: 30n * E18, d: 5n * E18 },
    scores: [score('idle', 0.03), score('a', 0.01, 'depeg 600 bps'), score('b', 0.02), score('c', 0.06), score('d', 0.05)],
    venues,
    chains: [chain()],
    policy,
  }

  it('withdrawals first (worst first), then deposits (best first); amounts are the differences', () => {
    const plan = buildPlan(base)
    expect(plan.steps.map((s) => [s.index, s.kind, s.venueId, s.amount])).toEqual([
      [0, 'withdraw', 'a', 20n * E18],
      [1, 'withdraw', 'b', 5n * E18],
      [2, 'deposit', 'c', 30n * E18],
    ])
    // Every deposit is funded by idle + the withdrawals before it.
    let idle = base.current.idle
    for (const s of plan.steps) {
      idle += s.kind === 'withdraw' ? s.amount : -s.amount
      expect(idle >= 0n).toBe(true)
    }
    expect(idle).toBe(base.target.idle)
  })

  it('gains add up, costs are per step, the net benefit is over the horizon', () => {
    const plan = buildPlan(base)
    const [a, b, c] = plan.steps
    expect(a!.expectedGainPerYear).toBeCloseTo(20 * 0.03, 12) // an excluded venue earns nothing
    expect(b!.expectedGainPerYear).toBeCloseTo(5 * (0.03 - 0.02), 12)
    expect(c!.expectedGainPerYear).toBeCloseTo(30 * (0.06 - 0.03), 12)
    expect(plan.expectedGainPerYear).toBeCloseTo(0.6 + 0.05 + 0.9, 12)
    expect(c!.cost).toBeCloseTo(0.001, 12) // erc4626: gas only
    expect(plan.totalCost).toBeCloseTo(0.003, 12)
    expect(plan.netBenefit).toBeCloseTo((1.55 * 30) / 365 - 0.003, 12)
    expect(a!.why).toMatch(/withdraw 20 wstETH from a: a is excluded \(depeg 600 bps\)/)
    expect(c!.why).toMatch(/deposit 30 wstETH into c: c scores 6\.00 % against idle idle's 3\.00 %/)
  })

  it('needs committee approval above the threshold', () => {
    const plan = buildPlan(base)
    expect(plan.moved).toBeCloseTo(30, 12) // 25 withdrawn + 5 from idle = 30 deposited
    expect(plan.needsApproval).toBe(true)
    expect(plan.approval).toEqual({ threshold: 25, required: 2, members: ['ann', 'bob', 'cy'] })
    const small = buildPlan({ ...base, target: { ...base.current, b: 25n * E18, c: 5n * E18 } })
    expect(small.moved).toBeCloseTo(5, 12)
    expect(small.needsApproval).toBe(false)
  })

  it('refuses stale samples and inconsistent targets', () => {
    expect(() => buildPlan({ ...base, chains: [chain({ sampleBlock: 80n, headBlock: 100n })] })).toThrow(StaleSamplesError)
    expect(() => buildPlan({ ...base, chains: [chain({ sampleBlock: 90n, headBlock: 100n })] })).not.toThrow()
    // Per chain: 20 blocks behind is fresh where the chain's limit is 40 (fast blocks), stale where it is 10.
    const fast = strategyPolicySchema.parse({ costs: { gasPerStep: 0.001 }, maxSampleAgeBlocksByChain: { eth: 40 } })
    expect(() => buildPlan({ ...base, policy: fast, chains: [chain({ sampleBlock: 80n, headBlock: 100n })] })).not.toThrow()
    expect(() => buildPlan({ ...base, policy: fast, chains: [chain({ sampleBlock: 59n, headBlock: 100n })] })).toThrow('plan refused: samples too old: eth at block 59, head 100 (41 behind, max 40 blocks)')
    expect(() => buildPlan({ ...base, target: { ...base.target, c: 31n * E18 } })).toThrow(PlanInputError)
  })

  it('an unchanged allocation is an empty plan', () => {
    const plan = buildPlan({ ...base, target: base.current })
    expect(plan.steps).toEqual([])
    expect(renderPlan(plan)).toMatch(/nothing to do/)
  })

  it('renders a dry run with the steps, the approval and (verbose) the score components', () => {
    const text = renderPlan(buildPlan(base), { verbose: true })
    expect(text).toMatch(/^Plan: 3 steps, moves 30\.0000 wstETH; needs 2 of 3 committee approvals \(ann, bob, cy\)/)
    expect(text).toMatch(/0 +withdraw +eth +a +20\.000000 wstETH/)
    expect(text).toMatch(/Based on: eth block 100 \(head 102\)/)
    expect(text).toMatch(/Scores:\na: excluded \(depeg 600 bps\)/)
    expect(text).toMatch(/\nc: score 6\.00 % from gross 6\.00 %/)
  })

  it('from an allocation: the steps carry the binding constraints', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 100, score: 0.03 },
        { id: 'a', current: 0, score: 0.06, caps: { maxAmount: 30 } },
      ],
      policy: frictionless(),
    })
    const a = allocate(input)
    const plan = planFromAllocation(a, { scores: [score('idle', 0.03), score('a', 0.06)], chains: [chain({ symbol: undefined })], policy: input.policy })
    expect(plan.steps).toHaveLength(1)
    expect(plan.steps[0]!.binding.map((b) => b.constraint)).toContain('cap')
    expect(plan.steps[0]!.why).toMatch(/\[cap: at its maxAmount cap\]/)
    expect(plan.expectedGainPerYear).toBeCloseTo(a.gainPerYear, 6)
  })

  it('property: over random pools, withdrawals precede deposits, amounts are the deltas, idle never goes negative', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const input = randomPool(seed, { chains: 1 + (seed % 3), venuesPerChain: 3 + (seed % 6), feasible: seed % 2 === 0, troubleRate: 0.1 })
      const a = allocate(input)
      const chains = input.chains.map((c) => chain({ name: c.name, idleVenueId: c.idleVenueId, sampleBlock: c.blockNumber, headBlock: c.blockNumber }))
      const scores = input.venues.map((v) => ({ ...score(v.id, v.score, v.excluded ?? null), chain: v.chain }))
      const plan = planFromAllocation(a, { scores, chains, policy: input.policy })
      const firstDeposit = plan.steps.findIndex((s) => s.kind === 'deposit')
      if (firstDeposit >= 0) expect(plan.steps.slice(firstDeposit).every((s) => s.kind === 'deposit')).toBe(true)
      expect(plan.steps.map((s) => s.index)).toEqual(plan.steps.map((_, i) => i))
      const byVenue = new Map(a.targets.map((t) => [t.venueId, t]))
      for (const s of plan.steps) {
        const t = byVenue.get(s.venueId)!
        expect(s.amount).toBe(s.kind === 'withdraw' ? -t.delta : t.delta)
        expect(s.amount > 0n).toBe(true)
      }
      expect(plan.steps.length).toBe(a.targets.filter((t) => !t.idle && t.delta !== 0n).length)
      for (const c of input.chains) {
        let idle = byVenue.get(c.idleVenueId)!.current
        for (const s of plan.steps.filter((x) => x.chain === c.name)) {
          idle += s.kind === 'withdraw' ? s.amount : -s.amount
          expect(idle >= 0n, `seed ${seed}`).toBe(true)
        }
        expect(idle).toBe(byVenue.get(c.idleVenueId)!.target)
      }
      expect(plan.expectedGainPerYear).toBeCloseTo(a.gainPerYear, 6)
    }
  })
})
