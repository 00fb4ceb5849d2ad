import { describe, expect, it } from 'vitest'
import { allocate } from './allocate'
import { holdReasons, holdText } from './hold'
import type { StrategyPolicyInput } from './policy'
import { frictionless, mkInput, type TestChain, type TestVenue } from './testing'

/** A 1000-unit pool on one chain: idle collateral at 3 % and one vault. */
function pool(vault: Partial<TestVenue>, policy: StrategyPolicyInput = frictionless(), chain: Partial<TestChain> = {}) {
  return mkInput({
    chains: [{ name: 'eth', idle: 'idle', block: 1_000, ...chain }],
    venues: [
      { id: 'idle', kind: 'lst', current: 1000 - (vault.current ?? 0), score: 0.03 },
      { id: 'vault', current: 0, score: 0.076, ...vault },
    ],
    policy,
  })
}
const reasons = (input: ReturnType<typeof pool>, opts = {}) => holdReasons(input, allocate(input), { symbol: 'wstETH', ...opts })

describe('holdReasons: the binding reason, computed', () => {
  it('a plan that moves has no hold reason', () => {
    expect(reasons(pool({}))).toEqual([])
  })

  it('the issue’s case: idle at 3 % beside a 7.6 % vault, the move budget spent → move budget, with when it frees', () => {
    const input = pool({}, frictionless({ allocation: { maxMovePerPeriodBps: 2_500 } }), { movedThisPeriod: 250 })
    const r = reasons(input, { budgetFreesAtBlock: { eth: 7_300n } })
    expect(r.map((x) => x.kind)).toEqual(['move-budget'])
    expect(r[0]!.text).toMatch(/^move budget spent: 0\.000 wstETH left this period .*frees at eth block 7300$/)
    expect(r[0]!.until).toEqual({ chain: 'eth', block: '7300' })
    // Same pool, budget not spent: it moves (so the reason above is the budget, not a guess).
    expect(reasons(pool({}, frictionless({ allocation: { maxMovePerPeriodBps: 2_500 } }), { movedThisPeriod: 0 }))).toEqual([])
  })

  it('a vault moved 10 blocks ago → cooldown of that venue until its block', () => {
    const input = pool({ current: 100, lastMovedBlock: 990 }, frictionless({ allocation: { cooldownBlocks: 100 } }))
    const r = reasons(input)
    expect(r.map((x) => x.kind)).toEqual(['cooldown'])
    expect(r[0]!.text).toBe('cooldown: vault until eth block 1090')
    expect(r[0]!.venues).toEqual(['vault'])
  })

  it('a 5 bps better vault under a 10 bps hysteresis → hysteresis, with the gain', () => {
    const r = reasons(pool({ score: 0.0305 }, frictionless({ allocation: { hysteresisBps: 10 } })))
    expect(r.map((x) => x.kind)).toEqual(['hysteresis'])
    expect(r[0]!.text).toBe('hysteresis: the best move gains 5.0 bps/yr per unit moved < the 10 bps threshold')
  })

  it('a move whose gas outweighs its gain → costs', () => {
    // 50 bps on all 1000 units (no buffer) for 30 days = 0.411 wstETH; gas 5 wstETH a step.
    const r = reasons(pool({ score: 0.035 }, frictionless({ costs: { gasPerStep: 5 } })))
    expect(r.map((x) => x.kind)).toEqual(['costs'])
    expect(r[0]!.text).toMatch(/^costs: the best move gains 0\.41\d+ wstETH over 30 d for 5\.000000 wstETH of gas/)
  })

  it('a vault at its liquidity share → liquidity', () => {
    const input = pool({ current: 100 }, frictionless({ allocation: { maxWithdrawableShareBps: 5_000 } }))
    const venues = input.venues.map((v) => (v.id === 'vault' ? { ...v, liquidity: 200n * 10n ** 18n } : v))
    const r = reasons({ ...input, venues })
    expect(r.map((x) => x.kind)).toEqual(['liquidity-share'])
    expect(r[0]!.venues).toEqual(['vault'])
  })

  it('budget spent and a gain under the hysteresis: both bind (each alone would still hold)', () => {
    const input = pool({ score: 0.0305 }, frictionless({ allocation: { hysteresisBps: 10, maxMovePerPeriodBps: 2_500 } }), { movedThisPeriod: 250 })
    expect(reasons(input).map((x) => x.kind)).toEqual(['move-budget', 'hysteresis'])
  })

  it('two limits binding jointly each quote the figure that limit alone implies', () => {
    // Budget spent (250 of 1000 moved, 25 % a period) and a 5 bps better vault under a 10 bps hysteresis.
    const input = pool({ score: 0.0305 }, frictionless({ allocation: { hysteresisBps: 10, maxMovePerPeriodBps: 2_500 } }), { movedThisPeriod: 250 })
    const r = reasons(input)
    expect(r.map((x) => x.kind)).toEqual(['move-budget', 'hysteresis'])
    // The budget: nothing left; the move it stops is the whole pool into the vault (1000 wstETH, no idle buffer).
    expect(r[0]!.text).toMatch(/^move budget spent: 0\.000 wstETH left this period \(2500 bps of the pool per 7200 blocks\), a move needs 1,?000\.000 wstETH/)
    // Hysteresis: that move gains 3.05 % − 3 % = 5 bps/yr a unit, below the threshold by itself (not a figure of another limit).
    expect(r[1]!.text).toBe('hysteresis: the best move gains 5.0 bps/yr per unit moved < the 10 bps threshold')
    // Each alone would still hold: lifting either one leaves a pool that does not move.
    expect(reasons(pool({ score: 0.0305 }, frictionless({ allocation: { hysteresisBps: 0, maxMovePerPeriodBps: 2_500 } }), { movedThisPeriod: 250 })).map((x) => x.kind)).toEqual(['move-budget'])
    expect(reasons(pool({ score: 0.0305 }, frictionless({ allocation: { hysteresisBps: 10, maxMovePerPeriodBps: 10_000 } }), { movedThisPeriod: 250 })).map((x) => x.kind)).toEqual(['hysteresis'])
  })

  describe('limits that bind only together: each named with the figure of the move the others allow', () => {
    it('gas and hysteresis: the gain beats the gas, but not the gas and the threshold together', () => {
      // 1000 wstETH into a 3.12 % vault beside 3 % idle: 12 bps/yr; hysteresis 10 bps; gas 0.05 a step.
      // Either limit alone lets it move (12 > 10; 0.0986 > 0.05); together they hold.
      const input = pool({ score: 0.0312 }, frictionless({ allocation: { hysteresisBps: 10 }, costs: { gasPerStep: 0.05 } }))
      const r = reasons(input)
      expect(r.map((x) => x.kind)).toEqual(['costs'])
      // Gain over 30 d: 1000 × 0.0012 × 30/365 = 0.098630; the hysteresis' claim 1000 × 0.0010 × 30/365 = 0.082192; left 0.016438 < 0.05.
      expect(r[0]!.text).toBe(
        'costs: the best move gains 0.098630 wstETH over 30 d; the 10 bps/yr hysteresis on the 1,000.000 wstETH it moves claims 0.082192 wstETH of that, leaving 0.016438 wstETH for 0.050000 wstETH of gas, slippage and bridge costs',
      )
      // The control: without the hysteresis the same gas does not hold the pool.
      expect(reasons(pool({ score: 0.0312 }, frictionless({ costs: { gasPerStep: 0.05 } })))).toEqual([])
    })

    it('gas and a nearly spent budget: the move the budget allows does not pay its gas (the whole one would)', () => {
      // 249.9 of the 250 budget moved: 0.1 wstETH left; a 4 % vault beside 3 % idle; gas 0.01 a step.
      const input = pool({ score: 0.04 }, frictionless({ allocation: { maxMovePerPeriodBps: 2_500 }, costs: { gasPerStep: 0.01 } }), { movedThisPeriod: 249.9 })
      const r = reasons(input)
      expect(r.map((x) => x.kind)).toEqual(['costs'])
      // 0.1 × 0.01 × 30/365 = 0.0000822 over 30 d for one deposit's gas, 0.01.
      expect(r[0]!.text).toBe('costs: the best move within the move budget (0.100 wstETH left this period) gains 0.000082 wstETH over 30 d for 0.010000 wstETH of gas, slippage and bridge costs')
      expect(reasons(pool({ score: 0.04 }, frictionless({ allocation: { maxMovePerPeriodBps: 2_500 }, costs: { gasPerStep: 0.01 } }), { movedThisPeriod: 0 }))).toEqual([])
    })

    it('hysteresis and a cooldown: the move outside the cooling venue gains too little', () => {
      // vault-a (7.6 %) moved at block 990, cooldown 100 → until 1090; vault-b 3.05 % beside 3 % idle: 5 bps < 10.
      const input = mkInput({
        chains: [{ name: 'eth', idle: 'idle', block: 1_000 }],
        venues: [
          { id: 'idle', kind: 'lst', current: 1000, score: 0.03 },
          { id: 'vault-a', current: 0, score: 0.076, lastMovedBlock: 990 },
          { id: 'vault-b', current: 0, score: 0.0305 },
        ],
        policy: frictionless({ allocation: { hysteresisBps: 10, cooldownBlocks: 100 } }),
      })
      const r = reasons(input)
      expect(r.map((x) => x.kind)).toEqual(['hysteresis'])
      expect(r[0]!.text).toBe('hysteresis: the best move outside the venues in cooldown (vault-a until eth block 1090) gains 5.0 bps/yr per unit moved < the 10 bps threshold')
    })
  })

  it('nothing better anywhere → says so, not a limit', () => {
    const r = reasons(pool({ score: 0.02 }))
    expect(r.map((x) => x.kind)).toEqual(['nothing-better'])
    expect(holdText(r)).toMatch(/current allocation is the best one/)
  })

  it('counts only moves on the asked chain', () => {
    const input = mkInput({
      chains: [
        { name: 'a', idle: 'a-idle' },
        { name: 'b', idle: 'b-idle' },
      ],
      venues: [
        { id: 'a-idle', chain: 'a', kind: 'lst', current: 500, score: 0.03 },
        { id: 'a-v', chain: 'a', current: 0, score: 0.02 },
        { id: 'b-idle', chain: 'b', kind: 'lst', current: 500, score: 0.03 },
        { id: 'b-v', chain: 'b', current: 0, score: 0.07 },
      ],
      policy: frictionless(),
    })
    const a = allocate(input)
    expect(holdReasons(input, a, { chain: 'b' })).toEqual([])
    expect(holdReasons(input, a, { chain: 'a' }).map((x) => x.kind)).toEqual(['nothing-better'])
  })

  it('reasons from outside (frozen venues) plug in first; "nothing better" is then not claimed', () => {
    const input = pool({ score: 0.02 })
    const frozen = { kind: 'frozen', text: 'frozen: vault-b has no APY reading for 14 of 24 h', venues: ['vault-b'] }
    expect(holdReasons(input, allocate(input), { extra: [frozen] })).toEqual([frozen])
    const budget = pool({}, frictionless({ allocation: { maxMovePerPeriodBps: 2_500 } }), { movedThisPeriod: 250 })
    expect(holdReasons(budget, allocate(budget), { extra: [frozen] }).map((r) => r.kind)).toEqual(['frozen', 'move-budget'])
  })
})
