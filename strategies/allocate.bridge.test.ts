import { describe, expect, it } from 'vitest'
import { type Allocation, allocate, targetMap } from './allocate'
import { checkAllocation, limitsOf } from './constraints'
import { bridgeCost } from './costs'
import { strategyPolicySchema } from './policy'
import { randomPool } from './random'
import { allRoutes, frictionless, mkInput, type TestVenue } from './testing'

const amt = (a: Allocation, id: string, decimals = 18) => Number(a.targets.find((t) => t.venueId === id)!.target) / 10 ** decimals

/** Chain eth holds everything; arb (wrapped collateral, 8 decimals) has the better vault. */
function twoChains(o: { arbVault: number; policy?: Parameters<typeof frictionless>[0]; routes?: boolean; inFlight?: number; arbDecimals?: number; ethVault?: Partial<TestVenue> }) {
  return mkInput({
    chains: [
      { name: 'eth', idle: 'eth-idle' },
      { name: 'arb', idle: 'arb-idle', decimals: o.arbDecimals ?? 8, inFlight: o.inFlight },
    ],
    venues: [
      { id: 'eth-idle', chain: 'eth', kind: 'lst', current: 20, score: 0.03 },
      { id: 'eth-v', chain: 'eth', current: 80, score: 0.035, ...o.ethVault },
      { id: 'arb-idle', chain: 'arb', kind: 'lst', current: 0, score: 0.03 },
      { id: 'arb-v', chain: 'arb', current: 0, score: o.arbVault },
    ],
    policy: o.policy ?? frictionless(),
    routes: o.routes === false ? undefined : allRoutes('eth', 'arb'),
  })
}

describe('allocate: bridging between chains', () => {
  it('without routes each chain keeps its collateral (no transfer), as before', () => {
    const input = twoChains({ arbVault: 0.09, routes: false })
    const a = allocate(input)
    expect(a.transfers).toEqual([])
    expect(amt(a, 'arb-v', 8)).toBe(0)
    expect(amt(a, 'eth-v')).toBeCloseTo(100, 9)
  })

  it('moves collateral to a clearly better venue on another chain, idle → bridge → idle → venue', () => {
    const input = twoChains({ arbVault: 0.09 })
    const a = allocate(input)
    expect(a.solver.status).toBe('optimal')
    expect(a.transfers).toHaveLength(1)
    const t = a.transfers[0]!
    expect([t.from, t.to]).toEqual(['eth', 'arb'])
    // Everything goes (frictionless, no buffer): 100 wstETH in 18 decimals arrive as 100 in 8.
    expect(Number(t.amount) / 1e18).toBeCloseTo(100, 6)
    expect(t.received).toBe(t.amount / 10n ** 10n)
    expect(amt(a, 'arb-v', 8)).toBeCloseTo(100, 6)
    expect(amt(a, 'eth-v')).toBeLessThan(1e-6)
    expect(checkAllocation(input, targetMap(a), undefined, a.transfers)).toEqual([])
    // The conservation check fails when the transfer is left out.
    expect(checkAllocation(input, targetMap(a)).map((v) => v.constraint)).toContain('conservation')
  })

  it('a bridge amount is carried in at most 8 decimals: the dust stays on the source chain', () => {
    const input = twoChains({ arbVault: 0.09, arbDecimals: 18 })
    const a = allocate(input)
    const t = a.transfers[0]!
    expect(t.amount % 10n ** 10n).toBe(0n)
    expect(t.received).toBe(t.amount)
    expect(checkAllocation(input, targetMap(a), undefined, a.transfers)).toEqual([])
  })

  it('moves across chains only when the gain over the horizon beats fee, gas on both sides and the delay', () => {
    // 0.5 % better for 30 days on ≤ 100 units ≈ 0.041 units: a fixed cost of 0.05 is not worth it, 0.02 is.
    const costly = allocate(twoChains({ arbVault: 0.04, policy: frictionless({ costs: { bridge: { fixedFee: 0.05, delayMinutes: 0 } } }) }))
    expect(costly.transfers).toEqual([])
    const cheap = allocate(twoChains({ arbVault: 0.04, policy: frictionless({ costs: { bridge: { fixedFee: 0.02, delayMinutes: 0 } } }) }))
    expect(cheap.transfers).toHaveLength(1)
    // A fee in bps of the amount larger than the gain over the horizon: no move.
    const feeBps = allocate(twoChains({ arbVault: 0.04, policy: frictionless({ costs: { bridge: { feeBps: 5, delayMinutes: 0 } } }) }))
    expect(feeBps.transfers).toEqual([]) // 5 bps one-off > 0.5 %/yr × 30/365 = 4.1 bps
    // The delay: days in flight at the destination's best score, against the horizon.
    const slow = allocate(twoChains({ arbVault: 0.04, policy: frictionless({ costs: { bridge: { delayMinutes: 4 * 1440 } } }) }))
    expect(slow.transfers).toEqual([]) // 4 d × 4 % > 30 d × 0.5 %
    const fast = allocate(twoChains({ arbVault: 0.04, policy: frictionless({ costs: { bridge: { delayMinutes: 2 * 1440 } } }) }))
    expect(fast.transfers).toHaveLength(1) // 2 d × 4 % < 30 d × 0.5 %
  })

  it('gas on both sides is counted: sourceTxs × gas(source) + destinationTxs × gas(destination)', () => {
    const policy = strategyPolicySchema.parse({ costs: { gasPerStepByChain: { eth: 0.01, arb: 0.001 }, bridge: { sourceTxs: 2, destinationTxs: 1, feeBps: 10, fixedFee: 0.003, delayMinutes: 1440 } } })
    const c = bridgeCost(policy, { from: 'eth', to: 'arb', amount: 50, bestScoreTo: 0.0365 })
    expect(c.gas).toBeCloseTo(0.021, 12)
    expect(c.fee).toBeCloseTo(0.003 + 0.05, 12)
    expect(c.delay).toBeCloseTo((50 * 0.0365) / 365, 12)
    expect(c.total).toBeCloseTo(c.gas + c.fee + c.delay, 12)
    // The allocation reports the transfer's cost in its one-off cost.
    const a = allocate(twoChains({ arbVault: 0.2, policy: frictionless({ costs: { gasPerStepByChain: { eth: 0.01, arb: 0.001 }, bridge: { fixedFee: 0.003, delayMinutes: 0 } } }) }))
    expect(a.transfers).toHaveLength(1)
    expect(a.transfers[0]!.cost.gas).toBeCloseTo(0.021, 12)
    expect(a.oneOffCost).toBeGreaterThanOrEqual(a.transfers[0]!.cost.total)
  })

  it('funds in flight count in the pool (share caps) but are never allocated', () => {
    // 100 on eth + 100 in flight to arb: a 30 % share cap is 60, not 30.
    const input = twoChains({ arbVault: 0.09, inFlight: 100, ethVault: { caps: { maxShareBps: 3_000 } }, routes: false })
    const a = allocate(input)
    expect(amt(a, 'eth-v')).toBeCloseTo(60, 6)
    expect(a.inFlight).toEqual({ arb: 100n * 10n ** 8n })
    // In-flight collateral is not in any target: the chain's targets sum to what it holds.
    const arbSum = a.targets.filter((t) => t.chain === 'arb').reduce((s, t) => s + t.target, 0n)
    expect(arbSum).toBe(0n)
  })

  it('keeps the move budget and the destination buffer; a stuck (paused) idle venue closes its routes', () => {
    const input = twoChains({ arbVault: 0.09, policy: frictionless({ allocation: { maxMovePerPeriodBps: 3_000, minIdleBps: 1_000 } }) })
    const a = allocate(input)
    expect(a.transfers).toHaveLength(1)
    const moved = a.targets.reduce((s, t) => s + (t.delta < 0n ? Number(-t.delta) / 10 ** (t.chain === 'arb' ? 8 : 18) : 0), 0)
    expect(moved).toBeLessThanOrEqual(30 + 1e-9)
    expect(checkAllocation(input, targetMap(a), undefined, a.transfers)).toEqual([])
    const frozen = twoChains({ arbVault: 0.09 })
    const stuck = { ...frozen, venues: frozen.venues.map((v) => (v.id === 'arb-idle' ? { ...v, stuck: true } : v)) }
    expect(allocate(stuck).transfers).toEqual([])
  })

  it('a transfer pays the hysteresis: a deposit is funded from its own chain unless another chain beats that by more than h', () => {
    const mk = (ethIdle: number) =>
      allocate(
        mkInput({
          chains: [
            { name: 'eth', idle: 'eth-idle' },
            { name: 'arb', idle: 'arb-idle' },
          ],
          venues: [
            { id: 'eth-idle', chain: 'eth', kind: 'lst', current: 100, score: ethIdle },
            { id: 'arb-idle', chain: 'arb', kind: 'lst', current: 100, score: 0.0308 },
            { id: 'arb-v', chain: 'arb', current: 0, score: 0.09, caps: { maxAmount: 50 } },
          ],
          policy: frictionless({ allocation: { hysteresisBps: 10 }, costs: { bridge: { delayMinutes: 0 } } }),
          routes: allRoutes('eth', 'arb'),
        }),
      )
    // eth's idle scores 4 bps less than arb's: noise, below the 10 bps hysteresis — arb funds its own deposit.
    const near = mk(0.0304)
    expect(near.transfers).toEqual([])
    expect(amt(near, 'arb-v')).toBeCloseTo(50, 9)
    expect(amt(near, 'arb-idle')).toBeCloseTo(50, 9)
    // 50 bps less: worth a transfer.
    const far = mk(0.0258)
    expect(far.transfers.map((t) => [t.from, t.to])).toEqual([['eth', 'arb']])
    expect(amt(far, 'arb-v')).toBeCloseTo(50, 6) // less the bridge's 8-decimal dust
  })

  it('refuses routes to unknown chains', () => {
    const input = twoChains({ arbVault: 0.09 })
    expect(() => allocate({ ...input, routes: [{ from: 'eth', to: 'sol' }] })).toThrow(/route eth → sol: unknown chain/)
  })
})

describe('allocate with routes: properties over random pools', () => {
  const cases = Array.from({ length: 60 }, (_, i) => ({
    seed: 7_000 + i,
    chains: 2 + (i % 3),
    venuesPerChain: 2 + ((i * 5) % 7),
    feasible: i % 3 !== 0,
    decimals: i % 4 === 0 ? [8, 18] : [18],
  }))

  it('every limit holds, each chain changes only by its transfers, the pool is conserved up to bridge dust', () => {
    let bridged = 0
    for (const c of cases) {
      const base = randomPool(c.seed, { chains: c.chains, venuesPerChain: c.venuesPerChain, feasible: c.feasible, decimals: c.decimals, troubleRate: 0.08 })
      const input = { ...base, routes: allRoutes(...base.chains.map((ch) => ch.name)) }
      const a = allocate(input)
      expect(checkAllocation(input, targetMap(a), undefined, a.transfers), `seed ${c.seed}`).toEqual([])
      expect(a.warnings, `seed ${c.seed}`).toEqual([])
      const L = limitsOf(input)
      let before = 0n
      let after = 0n
      for (const v of input.venues) {
        before += v.current * L.scale.get(v.chain)!
        after += targetMap(a).get(v.id)! * L.scale.get(v.chain)!
      }
      // What the bridge cannot carry (below 8 decimals) stays on the source chain: nothing is lost.
      expect(after, `seed ${c.seed}`).toBe(before)
      // Never both ways between two chains.
      for (const t of a.transfers) expect(a.transfers.some((u) => u.from === t.to && u.to === t.from)).toBe(false)
      // With routes the objective is at least as good as without.
      expect(a.objective, `seed ${c.seed}`).toBeGreaterThanOrEqual(allocate(base).objective - 1e-9)
      if (a.transfers.length) bridged++
    }
    expect(bridged).toBeGreaterThan(5)
  })
})
