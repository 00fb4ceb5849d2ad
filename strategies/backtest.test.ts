import { describe, expect, it } from 'vitest'
import type { Sample } from '../store/types'
import { backtest, realisedGrowth, renderBacktest, shortWindowWarning, type BacktestVenue } from './backtest'
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
