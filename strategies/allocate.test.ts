import { describe, expect, it } from 'vitest'
import { type Allocation, allocate, targetMap } from './allocate'
import { allocationObjective, allocationUpperBound } from './bound'
import { checkAllocation } from './constraints'
import { frictionless, mkInput } from './testing'

const amt = (a: Allocation, id: string, decimals = 18) => Number(a.targets.find((t) => t.venueId === id)!.target) / 10 ** decimals
const binding = (a: Allocation, id: string) => a.targets.find((t) => t.venueId === id)!.binding.map((b) => b.constraint)

describe('allocate: hand-checked cases', () => {
  it('fills the best venue to its cap, then the next, keeping the idle buffer', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 100, score: 0.03 },
        { id: 'a', current: 0, score: 0.06, caps: { maxAmount: 30 } },
        { id: 'b', current: 0, score: 0.05, caps: { maxShareBps: 5_000 } },
        { id: 'c', current: 0, score: 0.02 },
      ],
      policy: frictionless({ allocation: { minIdleBps: 1_000 } }),
    })
    const a = allocate(input)
    expect(a.solver.status).toBe('optimal')
    expect(amt(a, 'a')).toBeCloseTo(30, 9)
    expect(amt(a, 'b')).toBeCloseTo(50, 9)
    expect(amt(a, 'c')).toBe(0)
    expect(amt(a, 'idle')).toBeCloseTo(20, 9)
    expect(binding(a, 'a')).toContain('cap')
    expect(binding(a, 'b')).toContain('share-cap')
    expect(checkAllocation(input, targetMap(a))).toEqual([])
    // Rounding never exceeds a cap: the targets sit at or just under them.
    expect(a.targets.find((t) => t.venueId === 'a')!.target).toBeLessThanOrEqual(30n * 10n ** 18n)
    expect(a.gainPerYear).toBeCloseTo(30 * 0.03 + 50 * 0.02, 6)
  })

  it('the liquidity buffer stays idle on every chain (min idle per chain)', () => {
    const input = mkInput({
      chains: [
        { name: 'eth', idle: 'eth-idle' },
        { name: 'arb', idle: 'arb-idle', decimals: 6 },
      ],
      venues: [
        { id: 'eth-idle', chain: 'eth', kind: 'lst', current: 10, score: 0.03 },
        { id: 'eth-v', chain: 'eth', current: 90, score: 0.08 },
        { id: 'arb-idle', chain: 'arb', kind: 'lst', current: 50, score: 0.03 },
        { id: 'arb-v', chain: 'arb', current: 0, score: 0.08 },
      ],
      policy: frictionless({ allocation: { minIdleBps: 2_000 } }),
    })
    const a = allocate(input)
    expect(amt(a, 'eth-idle')).toBeCloseTo(20, 9) // was 10 < 20: refilled first
    expect(amt(a, 'arb-idle', 6)).toBeCloseTo(10, 4) // a few raw units of dust land in idle
    expect(amt(a, 'arb-v', 6)).toBeCloseTo(40, 4)
    expect(binding(a, 'arb-idle')).toContain('min-idle')
    expect(checkAllocation(input, targetMap(a))).toEqual([])
  })

  it('hysteresis: a move must gain more than hysteresisBps per year', () => {
    const venues = [
      { id: 'idle', kind: 'lst' as const, current: 50, score: 0.03 },
      { id: 'a', current: 50, score: 0.03 },
      { id: 'b', current: 0, score: 0.0308 },
    ]
    const held = allocate(mkInput({ venues, policy: frictionless({ allocation: { hysteresisBps: 10 } }) }))
    expect(amt(held, 'b')).toBe(0)
    expect(held.solver.status).toBe('hold')
    expect(binding(held, 'b')).toContain('hysteresis')
    const moved = allocate(mkInput({ venues, policy: frictionless({ allocation: { hysteresisBps: 5 } }) }))
    expect(amt(moved, 'b')).toBeCloseTo(100, 9)
  })

  it('cooldown: a venue moved within cooldownBlocks keeps its position', () => {
    const venues = [
      { id: 'idle', kind: 'lst' as const, current: 50, score: 0.03 },
      { id: 'a', current: 50, score: 0.01, lastMovedBlock: 950 },
      { id: 'b', current: 0, score: 0.06, lastMovedBlock: 900 },
    ]
    const a = allocate(mkInput({ venues, policy: frictionless({ allocation: { cooldownBlocks: 100 } }) }))
    expect(amt(a, 'a')).toBe(50) // moved at 950, chain at block 1000: cooling down until 1050
    expect(binding(a, 'a')).toEqual(['cooldown'])
    expect(amt(a, 'b')).toBeCloseTo(50, 9) // moved at 900: free again at 1000
    const later = allocate(mkInput({ venues, chains: [{ name: 'eth', idle: 'idle', block: 1_050 }], policy: frictionless({ allocation: { cooldownBlocks: 100 } }) }))
    expect(amt(later, 'a')).toBe(0)
    const perVenue = allocate(mkInput({ venues, policy: frictionless({ allocation: { cooldownBlocks: 100, cooldownBlocksByVenue: { a: 10 } } }) }))
    expect(amt(perVenue, 'a')).toBe(0)
  })

  it('excluded venues are drained as far as they can be withdrawn; stuck ones are kept', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 10, score: 0.03 },
        { id: 'depegged', current: 30, score: -Infinity, excluded: 'depeg 600 bps' },
        { id: 'illiquid', current: 30, score: -Infinity, excluded: 'depeg', withdrawable: 12 },
        { id: 'paused', current: 30, score: -Infinity, excluded: 'paused', stuck: true },
        { id: 'good', current: 0, score: 0.01 },
      ],
      policy: frictionless(),
    })
    const a = allocate(input)
    expect(amt(a, 'depegged')).toBe(0)
    expect(amt(a, 'illiquid')).toBeCloseTo(18, 9)
    expect(binding(a, 'illiquid')).toEqual(expect.arrayContaining(['excluded', 'liquidity']))
    expect(amt(a, 'paused')).toBe(30)
    expect(binding(a, 'paused')).toEqual(['stuck'])
    expect(amt(a, 'good')).toBe(0) // 1 % < idle's 3 %
    expect(checkAllocation(input, targetMap(a))).toEqual([])
  })

  it('the move budget is never exceeded and goes to the largest improvements first', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 100, score: 0.03 },
        { id: 'a', current: 0, score: 0.05 },
        { id: 'b', current: 0, score: 0.09, caps: { maxAmount: 15 } },
      ],
      chains: [{ name: 'eth', idle: 'idle', movedThisPeriod: 5 }],
      policy: frictionless({ allocation: { maxMovePerPeriodBps: 2_500 } }),
    })
    const a = allocate(input)
    expect(a.moveBudget).toBeCloseTo(20, 9)
    expect(a.moved).toBeLessThanOrEqual(20)
    expect(amt(a, 'b')).toBeCloseTo(15, 9)
    expect(amt(a, 'a')).toBeCloseTo(5, 6)
    expect(binding(a, 'a')).toContain('move-budget')
    expect(a.shadowPrices.moveBudget).toBeCloseTo(0.02, 9) // one more unit would go idle → a (5 % − 3 %)
  })

  it('chain and protocol caps bind across venues', () => {
    const input = mkInput({
      chains: [
        { name: 'eth', idle: 'eth-idle' },
        { name: 'arb', idle: 'arb-idle' },
      ],
      venues: [
        { id: 'eth-idle', chain: 'eth', kind: 'lst', current: 50, score: 0.03 },
        { id: 'eth-aave', chain: 'eth', protocol: 'aave', current: 0, score: 0.07 },
        { id: 'eth-vault', chain: 'eth', protocol: 'vault', current: 0, score: 0.05 },
        { id: 'arb-idle', chain: 'arb', kind: 'lst', current: 50, score: 0.03 },
        { id: 'arb-aave', chain: 'arb', protocol: 'aave', current: 0, score: 0.06 },
      ],
      policy: frictionless({ allocation: { maxProtocolShareBpsByProtocol: { aave: 4_000 }, maxChainShareBpsByChain: { eth: 3_000 } } }),
    })
    const a = allocate(input)
    // Greedy by score would put eth-aave (7 %) first: 30 there (eth's cap) and 10 in arb-aave = 1.5/yr.
    // The optimum leaves aave's 40 to arb (6 % vs 3 % idle) and fills eth's 30 with the vault: 1.8/yr.
    expect(amt(a, 'eth-aave')).toBeCloseTo(0, 9)
    expect(amt(a, 'arb-aave')).toBeCloseTo(40, 9)
    expect(amt(a, 'eth-vault')).toBeCloseTo(30, 9)
    expect(a.gainPerYear).toBeCloseTo(1.8, 9)
    expect(binding(a, 'arb-aave')).toContain('protocol-cap')
    expect(binding(a, 'eth-vault')).toContain('chain-cap')
    expect(checkAllocation(input, targetMap(a))).toEqual([])
  })

  it('a breached cap is brought back first, within the move budget, and never made worse', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 10, score: 0.03 },
        { id: 'over', current: 60, score: 0.08, caps: { maxAmount: 40 } },
        { id: 'b', current: 30, score: 0.02 },
      ],
      policy: frictionless({ allocation: { maxMovePerPeriodBps: 1_500 } }),
    })
    const a = allocate(input)
    expect(amt(a, 'over')).toBeCloseTo(45, 6) // 15 of budget, all spent on the breach
    expect(binding(a, 'over')).toContain('breach')
    expect(checkAllocation(input, targetMap(a))).toEqual([])
  })

  it('a breach smaller than one step’s amortised gas is dust: left alone, not made worse', () => {
    const venues = (idle: number) => [
      { id: 'idle', kind: 'lst' as const, current: idle, score: 0.03 },
      { id: 'a', current: 100 - idle, score: 0.05 },
    ]
    // Buffer 10; gas 0.01 × 365/30 ≈ 0.12 units: a shortfall of 0.05 stays, one of 1 is repaired.
    const policy = frictionless({ allocation: { minIdleBps: 1_000 }, costs: { gasPerStep: 0.01 } })
    const dust = allocate(mkInput({ venues: venues(9.95), policy }))
    expect(dust.targets.every((t) => t.delta === 0n)).toBe(true)
    const real = allocate(mkInput({ venues: venues(9), policy }))
    expect(amt(real, 'idle')).toBeCloseTo(10, 9)
  })

  it('gas: a change too small to pay for its gas is not made', () => {
    const venues = [
      { id: 'idle', kind: 'lst' as const, current: 1_000, score: 0.03 },
      { id: 'big', current: 0, score: 0.05, caps: { maxAmount: 500 } },
      { id: 'dust', current: 0, score: 0.05, caps: { maxAmount: 0.01 } },
    ]
    const a = allocate(mkInput({ venues, policy: frictionless({ costs: { gasPerStep: 0.001 } }) }))
    expect(amt(a, 'big')).toBeCloseTo(500, 6)
    expect(amt(a, 'dust')).toBe(0) // 0.01 × 2 %/yr over 30 days ≪ 0.001 of gas
    expect(binding(a, 'dust')).toContain('gas')
    const none = allocate(mkInput({ venues: venues.map((v) => (v.id === 'big' ? { ...v, caps: { maxAmount: 0.5 } } : v)), policy: frictionless({ costs: { gasPerStep: 0.01 } }) }))
    expect(none.solver.status).toBe('hold')
    expect(none.targets.every((t) => t.delta === 0n)).toBe(true)
  })

  it('move costs: slippage amortised over the horizon can make a move not worth it', () => {
    const venues = [
      { id: 'idle', kind: 'lst' as const, current: 100, score: 0.03 },
      { id: 'reth', kind: 'lst' as const, current: 0, score: 0.035 },
    ]
    // 0.5 %/yr better, but 5 bps in costs over 30 days = 0.61 %/yr: hold. Over a year: move.
    const short = allocate(mkInput({ venues, policy: frictionless({ costs: { byKind: { lst: { slippageBps: 5 } } } }) }))
    expect(amt(short, 'reth')).toBe(0)
    const long = allocate(mkInput({ venues, policy: frictionless({ allocation: { horizonDays: 365 }, costs: { byKind: { lst: { slippageBps: 5 } } } }) }))
    expect(amt(long, 'reth')).toBeCloseTo(100, 9)
    expect(long.oneOffCost).toBeCloseTo(0.05, 9)
  })

  it('a stuck idle venue freezes its chain', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 50, score: 0.03, stuck: true },
        { id: 'a', current: 50, score: 0.01 },
        { id: 'b', current: 0, score: 0.09 },
      ],
      policy: frictionless(),
    })
    const a = allocate(input)
    expect(a.targets.every((t) => t.delta === 0n)).toBe(true)
    expect(binding(a, 'b')).toEqual(['stuck'])
  })

  it('is deterministic: input order does not matter, equal scores tie-break by venue id', () => {
    const venues = [
      { id: 'idle', kind: 'lst' as const, current: 100, score: 0.03 },
      { id: 'x', current: 0, score: 0.05 },
      { id: 'y', current: 0, score: 0.05 },
      { id: 'z', current: 0, score: 0.05 },
    ]
    const policy = frictionless({ allocation: { maxMovePerPeriodBps: 4_000 } })
    const a = allocate(mkInput({ venues, policy }))
    const b = allocate(mkInput({ venues: [...venues].reverse(), policy }))
    expect(a.targets.map((t) => [t.venueId, t.target])).toEqual(b.targets.map((t) => [t.venueId, t.target]))
    expect(amt(a, 'x')).toBeCloseTo(40, 9) // the budget goes to the lowest id among equals
    expect(amt(a, 'y') + amt(a, 'z')).toBe(0)
  })

  it('an empty pool or no venue to move holds', () => {
    expect(allocate(mkInput({ venues: [{ id: 'idle', kind: 'lst', current: 0, score: 0.03 }] })).solver.status).toBe('empty')
    const a = allocate(mkInput({ venues: [{ id: 'idle', kind: 'lst', current: 5, score: 0.03 }], policy: frictionless() }))
    expect(a.targets[0]!.target).toBe(5n * 10n ** 18n)
  })

  it('refuses an inconsistent input', () => {
    expect(() => allocate(mkInput({ venues: [{ id: 'a', current: 1, score: 0.1 }] }))).toThrow(/idle venue "idle" is not among the venues/)
  })

  it('its objective meets the Lagrangian upper bound from its shadow prices (optimality certificate)', () => {
    const input = mkInput({
      chains: [
        { name: 'eth', idle: 'eth-idle' },
        { name: 'arb', idle: 'arb-idle' },
      ],
      venues: [
        { id: 'eth-idle', chain: 'eth', kind: 'lst', current: 40, score: 0.03 },
        { id: 'eth-a', chain: 'eth', protocol: 'aave', current: 20, score: 0.045 },
        { id: 'eth-b', chain: 'eth', protocol: 'vault', current: 0, score: 0.07, caps: { maxAmount: 25 } },
        { id: 'arb-idle', chain: 'arb', kind: 'lst', current: 30, score: 0.03 },
        { id: 'arb-a', chain: 'arb', protocol: 'aave', current: 10, score: 0.06 },
      ],
      policy: { allocation: { maxMovePerPeriodBps: 2_000, maxProtocolShareBpsByProtocol: { aave: 4_000 } } },
    })
    const a = allocate(input)
    const obj = allocationObjective(input, targetMap(a))
    const ub = allocationUpperBound(input, a.shadowPrices)
    expect(obj).toBeLessThanOrEqual(ub + 1e-9)
    expect(ub - obj).toBeLessThan(1e-9 * Math.max(1, a.targetYield))
  })
})
