import { describe, expect, it } from 'vitest'
import type { Sample } from '../store/types'
import { strategyPolicySchema, type StrategyPolicyInput } from './policy'
import { explainScore, scoreVenue, type ScoreVenue } from './risk'

const NOW = Date.parse('2026-01-01T00:00:00Z') / 1000
const E18 = 10n ** 18n

function sample(i: number, o: Partial<Sample> = {}): Sample {
  return {
    venueId: 'v',
    chain: 'eth',
    blockNumber: BigInt(100 + i),
    blockHash: '0x00',
    blockTime: NOW - 100 + i,
    available: true,
    error: null,
    exchangeRate: E18,
    apy: 0.05,
    tvl: 1_000n * E18,
    utilisation: null,
    withdrawable: null,
    peg: null,
    paused: null,
    createdAt: 0,
    ...o,
  }
}

const venue = (risk: Partial<ScoreVenue['risk']> = {}, kind: ScoreVenue['kind'] = 'erc4626'): ScoreVenue => ({
  id: 'v',
  chain: 'eth',
  kind,
  protocol: 'p',
  risk: { commissionBps: 1_000, uptime: 1, audits: 3, launchDate: '2020-01-01', slashing: [], ...risk },
})
const policy = (p: StrategyPolicyInput = {}) => strategyPolicySchema.parse(p)

describe('scoreVenue', () => {
  it('believes a fall at once and a rise only through the window (pessimistic gross APY)', () => {
    const samples = [0.07, 0.07, 0.07, 0.07, 0.0005].map((apy, i) => sample(i, { apy }))
    const p = policy({ risk: { volatility: { weight: 0 } } })
    expect(scoreVenue({ venue: venue(), samples, position: 0n, now: NOW }, p).grossApy).toBeCloseTo(0.0005, 12)
    const rise = [0.03, 0.03, 0.03, 0.09].map((apy, i) => sample(i, { apy }))
    expect(scoreVenue({ venue: venue(), samples: rise, position: 0n, now: NOW }, p).grossApy).toBeCloseTo(0.045, 12)
    const plain = policy({ risk: { volatility: { weight: 0 }, pessimisticGross: false } })
    expect(scoreVenue({ venue: venue(), samples, position: 0n, now: NOW }, plain).grossApy).toBeCloseTo(0.0561, 12)
  })
  it('gross APY is the mean of the window; a mature, audited, liquid venue keeps it (commission already in the APY)', () => {
    const s = scoreVenue({ venue: venue(), samples: [0.04, 0.05, 0.06].map((apy, i) => sample(i, { apy })), position: 0n, now: NOW }, policy({ risk: { volatility: { weight: 0 } } }))
    expect(s.grossApy).toBeCloseTo(0.05, 12)
    expect(s.score).toBeCloseTo(0.05, 12)
    expect(s.components.commission!.penaltyBps).toBe(0)
    expect(s.components.commission!.why).toMatch(/already taken/)
    expect(s.excluded).toBeNull()
  })

  it('commission: net = gross × (1 − commission) where the kind’s APY is gross; uptime scales rewards', () => {
    const p = policy({ risk: { commissionInApy: { erc4626: false }, volatility: { weight: 0 } } })
    const s = scoreVenue({ venue: venue({ commissionBps: 1_000, uptime: 0.99 }), samples: [sample(0, { apy: 0.05 })], position: 0n, now: NOW }, p)
    expect(s.components.commission!.penaltyBps).toBeCloseTo(50, 9) // 10 % of 5 %
    expect(s.components.uptime!.penaltyBps).toBeCloseTo(4.5, 9) // 1 % of 4.5 %
    expect(s.score).toBeCloseTo(0.04455, 12) // 5 % less 10 % commission = 4.5 %, less 1 % downtime
    const netted = scoreVenue({ venue: venue({ uptime: 0.99 }), samples: [sample(0, { apy: 0.05 })], position: 0n, now: NOW }, policy({ risk: { uptimeInApy: { erc4626: true }, volatility: { weight: 0 } } }))
    expect(netted.score).toBeCloseTo(0.05, 12)
  })

  it('every risk penalty, with its reason', () => {
    const v = venue({ audits: 1, launchDate: '2025-01-01', slashing: [{ date: '2025-01-01', lossBps: 20 }] })
    const samples = [sample(0, { apy: 0.04 }), sample(1, { apy: 0.06, peg: 0.99, utilisation: 0.95, withdrawable: 25n * E18, tvl: 200n * E18 })]
    const s = scoreVenue({ venue: v, samples, position: 110n * E18, now: NOW }, policy())
    const c = s.components
    expect(c.slashing!.penaltyBps).toBeCloseTo(10, 9) // 20 bps a half-life ago
    expect(c.depeg!.penaltyBps).toBeCloseTo(100, 6)
    expect(c.liquidity!.penaltyBps).toBeCloseTo(100 * (1 - 25 / 110), 6)
    expect(c.volatility!.penaltyBps).toBeCloseTo(Math.SQRT2 * 100, 6) // stdev of 4 % and 6 %
    expect(c.utilisation!.penaltyBps).toBeCloseTo(100, 6) // halfway from 90 % to 100 %
    expect(c.concentration!.penaltyBps).toBeCloseTo((100 * (0.55 - 0.1)) / 0.9, 6)
    expect(c.age!.penaltyBps).toBeCloseTo(50, 9) // one year of two
    expect(c.audits!.penaltyBps).toBeCloseTo((50 * 2) / 3, 9)
    // By hand: 10 + 100 + 77.2727 + 141.4214 + 100 + 50 + 50 + 33.3333 = 562.0274 bps off a 5 % gross.
    expect(s.score).toBeCloseTo(-0.0062027417, 9)
    for (const comp of Object.values(c)) expect(comp.why.length).toBeGreaterThan(3)
    const text = explainScore(s)
    expect(text).toMatch(/depeg .*trades 100\.0 bps under its backing/)
    expect(text).toMatch(/slashing/)
  })

  it('the asset’s own yield compounds onto the venue’s', () => {
    const s = scoreVenue({ venue: venue(), samples: [sample(0, { apy: 0.02 })], position: 0n, now: NOW, assetApy: 0.03 }, policy())
    expect(s.score).toBeCloseTo(0.0506, 12) // 2 % on top of 3 %: 1.02 × 1.03 = 1.0506
    expect(s.components.assetYield!.penaltyBps).toBeLessThan(0)
  })

  it('unknown launch date and missing readings', () => {
    const s = scoreVenue({ venue: venue({ launchDate: undefined }), samples: [sample(0, { tvl: null })], position: 5n, now: NOW }, policy())
    expect(s.components.age!.penaltyBps).toBe(50)
    expect(s.components.concentration!.why).toMatch(/no TVL/)
    expect(s.components.liquidity!.why).toMatch(/no liquidity reading/)
  })

  it('only the samples of the last scoreWindowSeconds before now count', () => {
    // One sample a second, the newest at NOW − 97: a 4 s window ending at NOW − 96 holds the last two.
    const samples = [0.5, 0.5, 0.01, 0.03].map((apy, i) => sample(i, { apy }))
    const s = scoreVenue({ venue: venue(), samples: [...samples].reverse(), position: 0n, now: NOW - 96 }, policy({ risk: { scoreWindowSeconds: 3, pessimisticGross: false } }))
    expect(s.grossApy).toBeCloseTo(0.02, 12)
    // The same span measured to a later now: only the newest sample is still inside it.
    const later = scoreVenue({ venue: venue(), samples, position: 0n, now: NOW - 95 }, policy({ risk: { scoreWindowSeconds: 3, pessimisticGross: false } }))
    expect(later.grossApy).toBeCloseTo(0.03, 12)
    // Nothing inside the span: no APY reading in the window, the venue is held.
    const stale = scoreVenue({ venue: venue(), samples, position: 0n, now: NOW }, policy({ risk: { scoreWindowSeconds: 3 } }))
    expect(stale.grossApy).toBeNull()
    expect(stale.frozen).toBe('held: no APY reading in the window')
  })

  it('two chains sampled at different cadences get the same window span (and a chain may override it)', () => {
    // The same APY path in time (0.06 for the first 10 minutes, then 0.02), stored every 12 s on
    // one chain and every 60 s on the other: a 5-minute window sees only the 0.02 of the last 5 minutes on both.
    const path = (t: number) => (t < 600 ? 0.06 : 0.02)
    const series = (chain: string, every: number) =>
      Array.from({ length: Math.floor(900 / every) + 1 }, (_, i) => sample(i, { chain, blockNumber: BigInt(i), blockTime: NOW - 900 + i * every, apy: path(i * every) }))
    const fast = series('eth', 12)
    const slow = series('arb', 60)
    expect(fast.length).toBe(76)
    expect(slow.length).toBe(16)
    const p = policy({ risk: { scoreWindowSeconds: 300, pessimisticGross: false, volatility: { weight: 0 } } })
    const onFast = scoreVenue({ venue: { ...venue(), chain: 'eth' }, samples: fast, position: 0n, now: NOW }, p)
    const onSlow = scoreVenue({ venue: { ...venue(), chain: 'arb' }, samples: slow, position: 0n, now: NOW }, p)
    expect(onFast.grossApy).toBeCloseTo(0.02, 12)
    expect(onSlow.grossApy).toBeCloseTo(0.02, 12)
    // 25 samples on the fast chain, 5 on the slow one: the same 300 s (the former sample count would have mixed in 0.06 on the slow chain).
    expect(onFast.components.volatility!.why).toContain('over 25 samples')
    expect(onSlow.components.volatility!.why).toContain('over 5 samples')
    // Per chain: a 15-minute window on the slow chain reaches back into the 0.06 stretch (9 samples of it, 6 of 0.02).
    const wide = policy({ risk: { scoreWindowSeconds: 300, scoreWindowSecondsByChain: { arb: 900 }, pessimisticGross: false, volatility: { weight: 0 } } })
    expect(scoreVenue({ venue: { ...venue(), chain: 'arb' }, samples: slow, position: 0n, now: NOW }, wide).grossApy).toBeCloseTo((9 * 0.06 + 6 * 0.02) / 15, 12)
    expect(scoreVenue({ venue: { ...venue(), chain: 'eth' }, samples: fast, position: 0n, now: NOW }, wide).grossApy).toBeCloseTo(0.02, 12)
  })

  it('excluded: paused and unavailable are stuck; a deep depeg is not (it can be drained); no sample, no APY', () => {
    const p = policy()
    const paused = scoreVenue({ venue: venue(), samples: [sample(0), sample(1, { paused: true })], position: 1n, now: NOW }, p)
    expect(paused.score).toBe(-Infinity)
    expect(paused.excluded).toMatch(/paused/)
    expect(paused.stuck).toBe(true)
    const down = scoreVenue({ venue: venue(), samples: [sample(0, { available: false, error: 'reverted', apy: null })], position: 1n, now: NOW }, p)
    expect(down.excluded).toMatch(/unavailable.*reverted/)
    expect(down.stuck).toBe(true)
    const depeg = scoreVenue({ venue: venue(), samples: [sample(0, { peg: 0.94, withdrawable: E18 })], position: E18, now: NOW }, p)
    expect(depeg.excluded).toMatch(/depeg 600\.0 bps beyond 500 bps/)
    expect(depeg.stuck).toBe(false)
    expect(depeg.withdrawable).toBe(E18)
    // Missing data is not evidence: no sample, no APY → frozen (held), never excluded.
    const none = scoreVenue({ venue: venue(), samples: [], position: 0n, now: NOW }, p)
    expect([none.excluded, none.frozen]).toEqual([null, 'held: no sample yet'])
    const noApy = scoreVenue({ venue: venue(), samples: [sample(0, { apy: null })], position: 0n, now: NOW }, p)
    expect([noApy.excluded, noApy.frozen, noApy.score]).toEqual([null, 'held: no APY reading at block 100', -Infinity])
  })

  describe('frozen: the readings must cover the window', () => {
    const window = { seconds: 24 * 3_600 }
    it('holds a venue whose latest APY rests on less than the window, saying how much is missing', () => {
      const s = scoreVenue({ venue: venue(), samples: [sample(0, { apySpanSeconds: 10 * 3_600 })], position: E18, now: NOW, window }, policy())
      expect(s.frozen).toBe('held: no APY reading for 14 h of 24 h')
      expect(s.excluded).toBeNull()
      expect(s.score).toBe(-Infinity)
      expect(explainScore(s).split('\n')[0]).toBe('v: held: no APY reading for 14 h of 24 h')
    })
    it('holds a venue whose span is unknown (samples written before spans were recorded)', () => {
      expect(scoreVenue({ venue: venue(), samples: [sample(0)], position: E18, now: NOW, window }, policy()).frozen).toBe('held: no APY reading for 24 h of 24 h')
    })
    it('scores a venue whose latest APY covers the window, from complete samples only', () => {
      const samples = [sample(0, { apy: 0.5, apySpanSeconds: 3_600 }), sample(1, { apy: 0.04, apySpanSeconds: 86_400 }), sample(2, { apy: 0.06, apySpanSeconds: 86_401 })]
      const s = scoreVenue({ venue: venue(), samples, position: 0n, now: NOW, window }, policy({ risk: { pessimisticGross: false } }))
      expect(s.frozen).toBeNull()
      // The 50 % APY from one hour is not in the mean: (4 % + 6 %) / 2.
      expect(s.grossApy).toBeCloseTo(0.05, 12)
    })
    it('a refused (implausible) latest reading freezes, naming it', () => {
      const samples = [sample(0, { apySpanSeconds: 86_400 }), sample(1, { apy: null, error: 'implausible: negative TVL -1' })]
      expect(scoreVenue({ venue: venue(), samples, position: E18, now: NOW, window }, policy()).frozen).toBe('held: no APY reading at block 101 (implausible: negative TVL -1)')
    })
    it('evidence that was read still excludes without an APY: a depeg, a pause', () => {
      const depeg = scoreVenue({ venue: venue(), samples: [sample(0, { apy: null, peg: 0.9 })], position: E18, now: NOW, window }, policy())
      expect([depeg.frozen, depeg.stuck]).toEqual([null, false])
      expect(depeg.excluded).toMatch(/^depeg 1000\.0 bps/)
      const paused = scoreVenue({ venue: venue(), samples: [sample(0, { apy: null, paused: true })], position: E18, now: NOW, window }, policy())
      expect([paused.frozen, paused.stuck]).toEqual([null, true])
    })
  })

  it('slashing weight halves every half-life; future-dated events count in full', () => {
    // Half-life 365 d, now 2026-01-01: one half-life ago 40 → 20, two ago (730 d) 40 → 10, the future one in full.
    const v = venue({ slashing: [{ date: '2025-01-01', lossBps: 40 }, { date: '2024-01-02', lossBps: 40 }, { date: '2027-01-01', lossBps: 1 }] })
    const s = scoreVenue({ venue: v, samples: [sample(0)], position: 0n, now: NOW }, policy())
    expect(s.components.slashing!.penaltyBps).toBeCloseTo(31, 9)
  })
})
