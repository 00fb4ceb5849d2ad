import { describe, expect, it } from 'vitest'
import type { Sample } from '../store/types'
import { backtest, realisedGrowth, type BacktestVenue } from './backtest'
import { strategyPolicySchema } from './policy'

const E18 = 10n ** 18n
const YEAR = 365 * 86_400
const risk = { commissionBps: 0, uptime: 1, audits: 5, launchDate: '2020-01-01', slashing: [] }
const venues: BacktestVenue[] = [
  { id: 'idle', chain: 'eth', protocol: 'lido', kind: 'lst', risk },
  { id: 'vault', chain: 'eth', protocol: 'v', kind: 'erc4626', risk, caps: { maxShareBps: 6_000 } },
  { id: 'aave', chain: 'eth', protocol: 'aave', kind: 'aave-v3', risk },
]

/** Steps of 12 s; each venue's APY from `apyAt(venue, step)`; `slash` cuts a rate once. */
function synth(n: number, apyAt: (id: string, k: number) => number, slash?: { venue: string; at: number; bps: number }): Sample[][] {
  const rate = new Map(venues.map((v) => [v.id, 1]))
  const out: Sample[][] = []
  for (let k = 0; k < n; k++) {
    const t = 1_700_000_000 + 12 * k
    out.push(
      venues.map((v) => {
        const apy = apyAt(v.id, k)
        if (k > 0) rate.set(v.id, rate.get(v.id)! * Math.pow(1 + apy, 12 / YEAR))
        if (slash && slash.venue === v.id && slash.at === k) rate.set(v.id, rate.get(v.id)! * (1 - slash.bps / 10_000))
        return {
          venueId: v.id,
          chain: 'eth',
          blockNumber: BigInt(1_000 + k),
          blockHash: '0x00',
          blockTime: t,
          available: true,
          error: null,
          exchangeRate: BigInt(Math.round(rate.get(v.id)! * 1e18)),
          apy,
          tvl: 10_000n * E18,
          utilisation: v.kind === 'aave-v3' ? 0.5 : null,
          withdrawable: null,
          peg: null,
          paused: null,
          createdAt: 0,
        }
      }),
    )
  }
  return out
}

const policy = strategyPolicySchema.parse({
  allocation: { minIdleBps: 1_000, maxMovePerPeriodBps: 10_000, cooldownBlocks: 0, hysteresisBps: 5 },
  risk: { volatility: { weight: 0 } },
  costs: { gasPerStep: 0 },
})
const chains = [{ name: 'eth', decimals: 18, idleVenueId: 'idle' }]
const initial = { idle: 50n * E18, vault: 0n, aave: 50n * E18 }

describe('backtest', () => {
  it('moves to the better venue: beats holding still, stays below the hindsight oracle', () => {
    const steps = synth(200, (id) => (id === 'vault' ? 0.08 : id === 'aave' ? 0.01 : 0.03))
    const r = backtest({ steps, venues, chains, initial, policy, rebalanceEvery: 20 })
    expect(r.steps).toBe(200)
    expect(r.days).toBeCloseTo((199 * 12) / 86_400, 9)
    expect(r.initialValue).toBeCloseTo(100, 9)
    expect(r.hold.annualisedYield).toBeCloseTo(0.02, 3) // half at 3 %, half at 1 %
    expect(r.strategy.rebalances).toBeGreaterThanOrEqual(1)
    expect(r.strategy.annualisedYield).toBeGreaterThan(r.hold.annualisedYield)
    expect(r.oracle.finalValue).toBeGreaterThanOrEqual(r.strategy.finalValue)
    expect(r.captured).not.toBeNull()
    expect(r.captured!).toBeGreaterThan(0.5)
    expect(r.captured!).toBeLessThanOrEqual(1)
  })

  it('a slashing loss hits the venue holding the position; costs are paid from idle', () => {
    const steps = synth(120, (id) => (id === 'vault' ? 0.06 : 0.03), { venue: 'aave', at: 100, bps: 100 })
    const withCosts = strategyPolicySchema.parse({ ...policy, costs: { gasPerStep: 0.01 } })
    const r = backtest({ steps, venues, chains, initial, policy: withCosts, rebalanceEvery: 10 })
    // Holding still keeps 50 in aave through the 1 % slash.
    expect(r.hold.finalValue).toBeLessThan(100 - 0.49)
    // The strategy left aave (3 % there, 6 % in the vault) before the slash.
    expect(r.strategy.finalValue).toBeGreaterThan(r.hold.finalValue + 0.4)
    expect(r.strategy.costs).toBeGreaterThan(0)
    expect(r.strategy.costs).toBeCloseTo(0.01 * r.strategy.steps, 9)
  })

  it('holding still when nothing is better: no rebalance', () => {
    const steps = synth(60, () => 0.03)
    const r = backtest({ steps, venues, chains, initial, policy, rebalanceEvery: 10 })
    expect(r.strategy.rebalances).toBe(0)
    expect(r.strategy.finalValue).toBeCloseTo(r.hold.finalValue, 12)
  })

  it('realised growth: exchange-rate ratio, else APY over the interval; unavailable = no growth', () => {
    const s = synth(2, () => 0.05)
    expect(realisedGrowth(s[0]![0]!, s[1]![0]!)).toBeCloseTo(Math.pow(1.05, 12 / YEAR), 11)
    const noRate = { ...s[1]![0]!, exchangeRate: null }
    expect(realisedGrowth({ ...s[0]![0]!, exchangeRate: null }, noRate)).toBeCloseTo(Math.pow(1.05, 12 / YEAR), 12)
    expect(realisedGrowth(s[0]![0]!, { ...s[1]![0]!, available: false })).toBe(1)
  })
})
