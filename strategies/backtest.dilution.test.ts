import { describe, expect, it } from 'vitest'
import type { Sample } from '../store/types'
import { allocate } from './allocate'
import { backtest, dilutionFactor, type BacktestVenue } from './backtest'
import { strategyPolicySchema } from './policy'
import { scoreVenue } from './risk'
import { frictionless, mkInput } from './testing'

const E18 = 10n ** 18n
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
  tvl: null,
  utilisation: null,
  withdrawable: null,
  peg: null,
  paused: null,
  createdAt: 0,
  ...o,
})

describe('dilutionFactor (figures by hand)', () => {
  it('a vault of others’ 400 whose rate was read with the pool at 150', () => {
    // 1 150 in it: the same income over 1 550 instead of 550.
    expect(dilutionFactor({ share: 1, othersTvl: 400, startPosition: 150, position: 1_150 })).toBeCloseTo(550 / 1_550, 12) // 0.354839
    // Out of it: the others' 400 share what 550 shared.
    expect(dilutionFactor({ share: 1, othersTvl: 400, startPosition: 150, position: 0 })).toBeCloseTo(1.375, 12)
    // Half the yield a fixed income, half growing with deposits: 0.5 + 0.5 × 0.354839.
    expect(dilutionFactor({ share: 0.5, othersTvl: 400, startPosition: 150, position: 1_150 })).toBeCloseTo(0.677419, 6)
    // At the starting position, or with no sharing: the samples' rate.
    expect(dilutionFactor({ share: 1, othersTvl: 400, startPosition: 150, position: 150 })).toBe(1)
    expect(dilutionFactor({ share: 0, othersTvl: 400, startPosition: 150, position: 1_150 })).toBe(1)
  })
})

describe('backtest world with yield dilution (figures by hand)', () => {
  // One chain: idle collateral (flat, 0 %); vault A grows 1 % a day and shows 10 %, with 100 of
  // others' funds (fast-forward TVL) and the pool holding nothing in it at the start; venue B (an
  // LST: its rate does not dilute) grows 0.6 % a day and shows 6 %. 100 start idle. No costs.
  const steps = [0, 1, 2].map((k) => [
    sample('idle', k, { rate: 1, apy: 0 }),
    sample('a', k, { rate: 1.01 ** k, apy: 0.1, tvl: 100n * E18 }),
    sample('b', k, { rate: 1.006 ** k, apy: 0.06, tvl: 1_000n * E18 }),
  ])
  const venues: BacktestVenue[] = [
    { id: 'idle', chain: 'eth', protocol: 'lido', kind: 'lst', risk },
    { id: 'a', chain: 'eth', protocol: 'a', kind: 'erc4626', risk },
    { id: 'b', chain: 'eth', protocol: 'b', kind: 'lst', risk },
  ]
  const policy = strategyPolicySchema.parse(frictionless())
  const run = (dilution?: { erc4626: number }) =>
    backtest({ steps, venues, chains: [{ name: 'eth', decimals: 18, idleVenueId: 'idle' }], initial: { idle: 100n * E18 }, policy, rebalanceEvery: 1, warmupSteps: 0, tvlExcludesPool: true, ...(dilution ? { dilution } : {}) })

  it('the chaser’s 100 in A earn half its gains (100 others + 0 at the start, 200 with the pool): 1.01^0.5; then A reads 4.88 % < B’s 6 % and it moves', () => {
    const r = run({ erc4626: 1 })
    // Day 0: all 100 into A (10 % > 6 %). Day 0→1: 100 × 1.01^(100/200) = 100.498756.
    // Day 1: A as the chaser reads it: 1.1^0.5 − 1 = 4.88 % < 6 %: everything into B.
    // Day 1→2: B does not dilute: × 1.006 = 101.101749.
    expect(r.chaser.paid.map((p) => [p.step, p.kind, p.chain, Math.round(p.amount * 1e6) / 1e6])).toEqual([
      [0, 'deposit', 'eth', 100],
      [1, 'withdraw', 'eth', 100.498756],
      [1, 'deposit', 'eth', 100.498756],
    ])
    expect(r.chaser.finalValue).toBeCloseTo(101.101749, 6)
    // Without dilution (the samples' rate whatever the pool holds), A's 10 % stays on top: 100 × 1.01².
    const flat = run()
    expect(flat.chaser.finalValue).toBeCloseTo(102.01, 9)
    expect(flat.chaser.moves).toBe(1)
  })

  it('hold (idle, flat) is unchanged: dilution touches only what a contender holds in a diluting venue', () => {
    expect(run({ erc4626: 1 }).hold.finalValue).toBeCloseTo(100, 12)
  })
})

describe('allocate: yield dilution charged at the target (figures by hand)', () => {
  // Idle 3 % (no dilution), a vault paying 6 % with 500 of others' funds and nothing of the pool:
  // its income 6 % × 500 = 30 a year is shared by whatever TVL is there. A deposit x earns
  // 30·x/(500 + x); its marginal unit 30·500/(500 + x)², 3 % at x* = √(30·500/0.03) − 500 = 207.1.
  // The LP's knots sit at the pool's shares j/24 of the TVL (x = 500·j/(24 − j)): the piece up to
  // j = 7 (205.88) still earns more than 3 % at its secant, the next (205.88 → 250: 2.83 %) does not.
  const venues = (dilutingApy?: number) => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 1_000, score: 0.03 },
        { id: 'v', current: 0, score: 0.06 },
      ],
      policy: frictionless({ risk: { concentration: { maxPenaltyBps: 0 } } }),
    })
    const v = input.venues.find((x) => x.id === 'v')!
    v.atPosition = { tvl: 500n * E18, concentrationBps: 0, liquidityBps: 0, ...(dilutingApy === undefined ? {} : { dilutingApy }) }
    return input
  }

  it('deposits up to where the marginal unit earns idle’s 3 %: 205.88 (the knot below x* = 207.1)', () => {
    const a = allocate(venues(0.06))
    const t = Number(a.targets.find((x) => x.venueId === 'v')!.target) / 1e18
    expect(t).toBeCloseTo((7 * 500) / 17, 3)
    // The yield it reports is the diluted one: 1000 − 205.88 at 3 %, 30 × 205.88 / 705.88 in the vault.
    expect(a.targetYield).toBeCloseTo((1_000 - 3_500 / 17) * 0.03 + (30 * (3_500 / 17)) / (500 + 3_500 / 17), 6)
  })

  it('without dilution the vault takes everything', () => {
    const a = allocate(venues())
    expect(Number(a.targets.find((x) => x.venueId === 'v')!.target) / 1e18).toBeCloseTo(1_000, 6)
  })
})

describe('scoreVenue: the diluting part of the yield (figures by hand)', () => {
  const s = (apy: number): Sample => sample('v', 0, { rate: 1, apy, tvl: 1_000n * E18 })
  it('a vault: its own yield after uptime, compounded with the asset’s; an LST: none', () => {
    const vault = { id: 'v', chain: 'eth', kind: 'erc4626' as const, protocol: 'p', risk: { ...risk, uptime: 0.99 } }
    const policy = strategyPolicySchema.parse({})
    // 6 % × 0.99 uptime = 5.94 %, × (1 + 3 % of the asset) = 6.1182 %.
    const sc = scoreVenue({ venue: vault, samples: [s(0.06)], position: 0n, now: 1_700_000_000, assetApy: 0.03 }, policy)
    expect(sc.atPosition!.dilutingApy).toBeCloseTo(0.061182, 9)
    // Half of it a fixed income (policy risk.dilution.erc4626 0.5).
    const half = scoreVenue({ venue: vault, samples: [s(0.06)], position: 0n, now: 1_700_000_000, assetApy: 0.03 }, strategyPolicySchema.parse({ risk: { dilution: { erc4626: 0.5 } } }))
    expect(half.atPosition!.dilutingApy).toBeCloseTo(0.030591, 9)
    const lst = scoreVenue({ venue: { ...vault, kind: 'lst' }, samples: [s(0.03)], position: 0n, now: 1_700_000_000 }, policy)
    expect(lst.atPosition!.dilutingApy).toBe(0)
  })
})
