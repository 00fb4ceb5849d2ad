import { describe, expect, it } from 'vitest'
import type { Sample } from '../store/types'
import { backtest, realisedGrowth, renderBacktest, shortWindowWarning, stepExecution, type BacktestVenue } from './backtest'
import { strategyPolicySchema } from './policy'

const E18 = 10n ** 18n
const YEAR = 365 * 86_400
const DAY = 86_400
const risk = { commissionBps: 0, uptime: 1, audits: 5, launchDate: '2020-01-01', slashing: [] }

const sample = (venueId: string, k: number, o: Partial<Sample> & { rate: number }): Sample => ({
  venueId,
  chain: 'eth',
  blockNumber: BigInt(1_000 + k),
  blockHash: '0x00',
  blockTime: 1_700_000_000 + DAY * k,
  available: true,
  error: null,
  exchangeRate: BigInt(Math.round(o.rate * 1e12)) * 1_000_000n,
  apy: 0,
  tvl: 1_000_000n * E18,
  utilisation: null,
  withdrawable: null,
  peg: null,
  paused: null,
  createdAt: 0,
  ...o,
})

describe('backtest accounting on a constructed two-venue market (figures by hand)', () => {
  // One chain, idle collateral (never grows, shows 0 %) and one vault, one step a day:
  //   vault rate 1, 1.01, 1.0201, 0.95, 0.95   (1 % a day, then a 6.87 % loss on day 3)
  //   vault APY shown 10 %, paused on day 1, −50 % from day 3
  // 100 units start idle. Gas 0.01 per step, no slippage, no buffer, costs amortised over 1 day.
  const vaultRate = [1, 1.01, 1.0201, 0.95, 0.95]
  const vaultApy = [0.1, 0.1, 0.1, -0.5, -0.5]
  const steps = vaultRate.map((rate, k) => [sample('idle', k, { rate: 1, apy: 0 }), sample('vault', k, { rate, apy: vaultApy[k]!, paused: k === 1 })])
  const venues: BacktestVenue[] = [
    { id: 'idle', chain: 'eth', protocol: 'lido', kind: 'lst', risk },
    { id: 'vault', chain: 'eth', protocol: 'v', kind: 'erc4626', risk },
  ]
  const policy = strategyPolicySchema.parse({
    allocation: { minIdleBps: 0, maxMovePerPeriodBps: 10_000, cooldownBlocks: 0, hysteresisBps: 0, horizonDays: 1 },
    costs: { gasPerStep: 0.01 },
  })
  const r = backtest({ steps, venues, chains: [{ name: 'eth', decimals: 18, idleVenueId: 'idle' }], initial: { idle: 100n * E18, vault: 0n }, policy, rebalanceEvery: 1, warmupSteps: 0 })

  it('hold: never moves, earns the idle collateral’s nothing', () => {
    expect(r.hold.finalValue).toBeCloseTo(100, 9)
    expect(r.hold.yieldBps).toBeCloseTo(0, 9)
    expect(r.hold.moves).toBe(0)
    expect(r.hold.costs).toBe(0)
    expect(r.hold.maxDrawdownBps).toBe(0)
    expect(r.hold.exposureDays).toBe(0)
  })

  it('chaser: into the vault on day 0 (10 % > 0 %), stuck while paused, out on day 3 after the loss', () => {
    // 100 → ×1.01 ×1.01 → 102.01 → ×0.95/1.0201 → 95 (withdrawn to idle), minus 2 × 0.01 gas.
    expect(r.chaser.moves).toBe(2)
    expect(r.chaser.costs).toBeCloseTo(0.02, 12)
    expect(r.chaser.finalValue).toBeCloseTo(94.98, 6)
    expect(r.chaser.yieldBps).toBeCloseTo(-502, 3)
    // Peak 102.01 − 0.01 = 102.00 on day 2, trough 95 − 0.02 = 94.98 on day 3.
    expect(r.chaser.maxDrawdownBps).toBeCloseTo(((102 - 94.98) / 102) * 10_000, 3)
    // All of the pool sat in the vault through its paused day.
    expect(r.chaser.exposureDays).toBeCloseTo(1, 6)
  })

  it('oracle: pays the same gas, in on day 0, out on day 2 before the loss it foresees', () => {
    // 100 → 102.01 on day 2, withdrawn then; 2 × 0.01 gas.
    expect(r.oracle.moves).toBe(2)
    expect(r.oracle.costs).toBeCloseTo(0.02, 12)
    expect(r.oracle.finalValue).toBeCloseTo(101.99, 6)
    expect(r.oracle.yieldBps).toBeCloseTo(199, 3)
    // The only fall: the first gas, 0.01 of 100.
    expect(r.oracle.maxDrawdownBps).toBeCloseTo(1, 6)
    expect(r.oracle.exposureDays).toBeCloseTo(1, 6)
    expect(r.captured).toBeCloseTo((r.strategy.gain - 0) / 1.99, 6)
  })

  it('every contender pays the same price per step', () => {
    for (const l of r.legs) expect(l.costs).toBeCloseTo(0.01 * l.moves, 12)
    expect(r.legs.map((l) => l.name)).toEqual(['hold', 'chaser', 'poolwarden', 'oracle'])
    expect(r.days).toBe(4)
  })

  it('a window shorter than the cost horizon carries the warning, a long one does not', () => {
    expect(r.warnings).toEqual([])
    const long = strategyPolicySchema.parse({ ...policy, allocation: { ...policy.allocation, horizonDays: 30 } })
    const short = backtest({ steps, venues, chains: [{ name: 'eth', decimals: 18, idleVenueId: 'idle' }], initial: { idle: 100n * E18 }, policy: long, rebalanceEvery: 1, warmupSteps: 0 })
    expect(short.warnings).toHaveLength(1)
    expect(short.warnings[0]).toContain('costs dominate short horizons')
    expect(short.warnings[0]).toContain('4.0 d')
    expect(renderBacktest(short)[0]).toBe(short.warnings[0])
  })
})

describe('shortWindowWarning', () => {
  it('names the window (minutes, hours, days) and the horizon; none from the horizon on', () => {
    expect(shortWindowWarning(300 / DAY, 30)).toContain('this window is 5.0 min,')
    expect(shortWindowWarning(5 / 24, 30)).toContain('this window is 5.00 h,')
    const w = shortWindowWarning(12.5, 30)!
    expect(w).toContain('this window is 12.5 d,')
    expect(w).toContain('30 d')
    expect(w).toContain('costs dominate')
    expect(shortWindowWarning(30, 30)).toBeNull()
    expect(shortWindowWarning(90, 30)).toBeNull()
  })
})

describe('backtest over three venues', () => {
  const venues: BacktestVenue[] = [
    { id: 'idle', chain: 'eth', protocol: 'lido', kind: 'lst', risk },
    { id: 'vault', chain: 'eth', protocol: 'v', kind: 'erc4626', risk, caps: { maxShareBps: 6_000 } },
    { id: 'aave', chain: 'eth', protocol: 'aave', kind: 'aave-v3', risk },
  ]
  const synth = (n: number, apyOf: (id: string) => number): Sample[][] => {
    const rate = new Map(venues.map((v) => [v.id, 1]))
    return Array.from({ length: n }, (_, k) =>
      venues.map((v) => {
        if (k > 0) rate.set(v.id, rate.get(v.id)! * Math.pow(1 + apyOf(v.id), 12 / YEAR))
        return { ...sample(v.id, k, { rate: rate.get(v.id)!, apy: apyOf(v.id) }), blockTime: 1_700_000_000 + 12 * k }
      }),
    )
  }
  const policy = strategyPolicySchema.parse({
    allocation: { minIdleBps: 1_000, maxMovePerPeriodBps: 10_000, cooldownBlocks: 0, hysteresisBps: 5 },
    // Steps of 12 s: a score window of 20 of them (the warm-up is the window in steps).
    risk: { volatility: { weight: 0 }, scoreWindowSeconds: 240 },
    costs: { gasPerStep: 0 },
  })
  const chains = [{ name: 'eth', decimals: 18, idleVenueId: 'idle' }]

  it('poolwarden moves to the better venue within its cap: ahead of holding, at most the oracle without costs', () => {
    const r = backtest({ steps: synth(200, (id) => (id === 'vault' ? 0.08 : id === 'aave' ? 0.01 : 0.03)), venues, chains, initial: { idle: 50n * E18, aave: 50n * E18 }, policy, rebalanceEvery: 20 })
    expect(r.hold.annualisedYield).toBeCloseTo(0.02, 3) // half at 3 %, half at 1 %
    expect(r.strategy.rebalances).toBeGreaterThanOrEqual(1)
    expect(r.strategy.finalValue).toBeGreaterThan(r.hold.finalValue)
    // Without costs the oracle knows the same yields and is bound by the same caps.
    expect(r.oracle.finalValue).toBeGreaterThanOrEqual(r.strategy.finalValue - 1e-9)
    // The chaser has no caps: everything into the 8 % vault.
    expect(r.chaser.finalValue).toBeGreaterThan(r.strategy.finalValue)
  })

  it('nothing better: nobody moves', () => {
    const r = backtest({ steps: synth(60, () => 0.03), venues, chains, initial: { idle: 50n * E18, aave: 50n * E18 }, policy, rebalanceEvery: 10 })
    expect(r.strategy.rebalances).toBe(0)
    expect(r.strategy.finalValue).toBeCloseTo(r.hold.finalValue, 12)
  })
})

describe('realisedGrowth', () => {
  it('exchange-rate ratio, else APY over the interval; unavailable = no growth', () => {
    const a = sample('v', 0, { rate: 1, apy: 0.05 })
    const b = sample('v', 1, { rate: 1.001, apy: 0.05 })
    expect(realisedGrowth(a, b)).toBeCloseTo(1.001, 11)
    expect(realisedGrowth({ ...a, exchangeRate: null }, { ...b, exchangeRate: null })).toBeCloseTo(Math.pow(1.05, DAY / YEAR), 12)
    expect(realisedGrowth(a, { ...b, available: false })).toBe(1)
  })
})

describe('execution rules, the same for every contender (stepExecution)', () => {
  it('a paused venue keeps its funds: no withdrawal, no deposit', () => {
    expect(stepExecution({ kind: 'withdraw', planned: 100 }, { stuck: true, position: 100, liquidity: null })).toEqual({ amount: 0, received: 0 })
    expect(stepExecution({ kind: 'deposit', planned: 40 }, { stuck: true, idle: 100 })).toEqual({ amount: 0, received: 0 })
  })

  it('a withdrawal above the venue’s withdrawable liquidity is partial; never more than the position', () => {
    expect(stepExecution({ kind: 'withdraw', planned: 100 }, { position: 100, liquidity: 30 })).toEqual({ amount: 30, received: 30 })
    expect(stepExecution({ kind: 'withdraw', planned: 100 }, { position: 60, liquidity: null }).amount).toBe(60)
    expect(stepExecution({ kind: 'withdraw', planned: 25 }, { position: 100, liquidity: 30 }).amount).toBe(25)
  })

  it('deposits and bridges spend only the idle collateral that is there', () => {
    expect(stepExecution({ kind: 'deposit', planned: 50 }, { idle: 20 }).amount).toBe(20)
    expect(stepExecution({ kind: 'bridge', planned: 50 }, { idle: 20 })).toEqual({ amount: 20, received: 20 })
  })

  it('leaving a depegged chain realises the depeg: 100 at 0.97 buys 97 at par', () => {
    const x = stepExecution({ kind: 'bridge', planned: 100 }, { idle: 100, pegFrom: 0.97, pegTo: 1 })
    expect(x.amount).toBe(100)
    expect(x.received).toBeCloseTo(97, 12)
  })
})

describe('execution rules inside a backtest (figures by hand)', () => {
  const free = strategyPolicySchema.parse({
    allocation: { minIdleBps: 0, maxMovePerPeriodBps: 10_000, cooldownBlocks: 0, hysteresisBps: 0, horizonDays: 1 },
    costs: { gasPerStep: 0, bridge: { delayMinutes: 0 } },
    risk: { volatility: { weight: 0 } },
  })
  const one = [{ name: 'eth', decimals: 18, idleVenueId: 'idle' }]

  it('a paused venue’s funds stay in it and earn what it pays; the chaser leaves only when the pause ends', () => {
    // a: 1 % a day, paused on days 0–2; b shows 20 % (rate flat). 100 start in a.
    const aRate = [1, 1.01, 1.0201, 1.030301, 1.030301]
    const steps = aRate.map((rate, k) => [
      sample('idle', k, { rate: 1, apy: 0 }),
      sample('a', k, { rate, apy: 0.05, paused: k <= 2 }),
      sample('b', k, { rate: 1, apy: 0.2 }),
    ])
    const venues: BacktestVenue[] = [
      { id: 'idle', chain: 'eth', protocol: 'lido', kind: 'lst', risk },
      { id: 'a', chain: 'eth', protocol: 'a', kind: 'erc4626', risk },
      { id: 'b', chain: 'eth', protocol: 'b', kind: 'erc4626', risk },
    ]
    const r = backtest({ steps, venues, chains: one, initial: { a: 100n * E18 }, policy: free, rebalanceEvery: 1, warmupSteps: 0 })
    // Three days of 1 % in a (paused for the first two decisions), then out into b on day 3.
    expect(r.chaser.finalValue).toBeCloseTo(103.0301, 9)
    const out = r.chaser.paid.filter((p) => p.kind === 'withdraw')
    expect(out.map((p) => p.step)).toEqual([3])
    expect(out[0]!.amount).toBeCloseTo(103.0301, 9)
    // Nobody withdrew from a while it was paused.
    for (const l of r.legs) for (const p of l.paid) if (p.kind === 'withdraw') expect(p.step).toBeGreaterThanOrEqual(3)
  })

  it('a withdrawal takes at most the venue’s liquidity with the pool in it: the rest follows when liquidity returns', () => {
    // Fast-forward style samples: TVL 100 of other depositors, 10 of it withdrawable (a 10 % liquid
    // share) on day 0, all of it from day 1. The pool's 100 in a: W = 10 % of 200 = 20 on day 0.
    const steps = [0, 1, 2].map((k) => [
      sample('idle', k, { rate: 1, apy: 0, withdrawable: null }),
      sample('a', k, { rate: 1, apy: 0.01, tvl: 100n * E18, withdrawable: (k === 0 ? 10n : 100n) * E18 }),
      sample('b', k, { rate: 1, apy: 0.2, tvl: 100n * E18, withdrawable: 100n * E18 }),
    ])
    const venues: BacktestVenue[] = [
      { id: 'idle', chain: 'eth', protocol: 'lido', kind: 'lst', risk },
      { id: 'a', chain: 'eth', protocol: 'a', kind: 'erc4626', risk },
      { id: 'b', chain: 'eth', protocol: 'b', kind: 'erc4626', risk },
    ]
    const r = backtest({ steps, venues, chains: one, initial: { a: 100n * E18 }, policy: free, rebalanceEvery: 1, warmupSteps: 0, tvlExcludesPool: true })
    const out = r.chaser.paid.filter((p) => p.kind === 'withdraw')
    expect(out.map((p) => [p.step, Math.round(p.amount * 1e9) / 1e9])).toEqual([
      [0, 20],
      [1, 80],
    ])
  })

  it('the chaser that bridges out of a 3 % depeg loses it; poolwarden counts the loss as a cost and stays', () => {
    // eth's collateral trades at 0.97 throughout; arb's idle collateral shows 10 % (its rate is flat,
    // so nobody gains by being there); 100 start idle on eth. No fees, no gas.
    const chains = [
      { name: 'eth', decimals: 18, idleVenueId: 'eth-idle' },
      { name: 'arb', decimals: 18, idleVenueId: 'arb-idle' },
    ]
    const venues: BacktestVenue[] = [
      { id: 'eth-idle', chain: 'eth', protocol: 'lido', kind: 'lst', risk },
      { id: 'arb-idle', chain: 'arb', protocol: 'lido', kind: 'lst', risk },
    ]
    const market = (peg: number) =>
      [0, 1, 2].map((k) => [
        { ...sample('eth-idle', k, { rate: 1, apy: 0.03, peg }), chain: 'eth' },
        { ...sample('arb-idle', k, { rate: 1, apy: 0.1, peg: 1 }), chain: 'arb' },
      ])
    const policy = strategyPolicySchema.parse({ ...free, allocation: { ...free.allocation, horizonDays: 30 }, risk: { ...free.risk, depeg: { weight: 0 } } })
    const run = (peg: number) =>
      backtest({ steps: market(peg), venues, chains, initial: { 'eth-idle': 100n * E18 }, policy, rebalanceEvery: 1, warmupSteps: 0, routes: [{ from: 'eth', to: 'arb' }, { from: 'arb', to: 'eth' }] })
    const depegged = run(0.97)
    expect(depegged.chaser.paid.filter((p) => p.kind === 'bridge').map((p) => p.step)).toEqual([0])
    expect(depegged.chaser.finalValue).toBeCloseTo(97, 9)
    expect(depegged.hold.finalValue).toBeCloseTo(100, 9)
    // 7 %/yr more over a 30-day horizon (≈ 0.58 %) does not repay selling 3 % under par.
    expect(depegged.strategy.moves).toBe(0)
    // On par, the same gain is worth a bridge.
    expect(run(1).strategy.paid.some((p) => p.kind === 'bridge')).toBe(true)
  })
})
