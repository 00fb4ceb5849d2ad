import { describe, expect, it } from 'vitest'
import { apyBaseline, evaluateVenue, median, trimBaseline, type VenueFacts } from './alertRules'
import type { VenueConfig } from '../config/schema'

const thresholds = { apyDropBps: 200, apyBaselineSeconds: 3_600, depegBps: 100, liquidityCoverage: 1, rpcFailures: 2 }
const feed = '0x86392dC19c0b719886221c78AB11eb8Cf5c52812' as const
const venue = {
  id: 'vault-a', chain: 'ethereum', kind: 'erc4626', protocol: 'sim', address: '0x0000000000000000000000000000000000000001', pegFeed: feed,
  risk: { commissionBps: 0, uptime: 1, audits: 0, slashing: [] }, caps: {},
} as VenueConfig
const base: VenueFacts = { venue, available: true, error: null, apy: 0.04, apyBaseline: 0.04, rateChangeBps: 0.01, peg: 1, paused: false, position: 100n, withdrawable: 100n }
const rule = (f: Partial<VenueFacts>, open: string[] = []) => {
  const out = evaluateVenue({ ...base, ...f }, thresholds, (k) => open.includes(k))
  return Object.fromEntries(out.map((c) => [c.rule, c]))
}

describe('evaluateVenue', () => {
  it('is quiet for a healthy venue', () => {
    const r = rule({})
    expect(Object.values(r).map((c) => c.active)).toEqual([false, false, false, false, false, false])
  })
  it('opens an APY drop past the threshold and closes it only past half of it (hysteresis)', () => {
    expect(rule({ apy: 0.0199 })['apy-drop']!.active).toBe(true)
    expect(rule({ apy: 0.021 })['apy-drop']!.active).toBe(false)
    // Open: 150 bps below is still active; 90 bps below clears.
    expect(rule({ apy: 0.025 }, ['apy-drop:ethereum:vault-a'])['apy-drop']!.active).toBe(true)
    expect(rule({ apy: 0.031 }, ['apy-drop:ethereum:vault-a'])['apy-drop']!.active).toBe(false)
  })
  it('alerts a falling exchange rate as slashing, and holds the APY verdict meanwhile', () => {
    const r = rule({ rateChangeBps: -50, apy: -0.9 })
    expect(r.slashing!.active).toBe(true)
    expect(r.slashing!.severity).toBe('critical')
    expect(r['apy-drop']!.active).toBeNull()
    expect(rule({ rateChangeBps: 0.001 }).slashing!.active).toBe(false)
    expect(rule({ rateChangeBps: null }).slashing!.active).toBeNull()
  })
  it('holds the APY verdict while the loss is still inside the APY window (the slashing alert speaks for it), and judges it again after', () => {
    // The block after a 50 bps slash: the rate grows again, but the window's APY is the loss annualised.
    expect(rule({ rateChangeBps: 0.01, apy: -1, lossInWindow: true })['apy-drop']!.active).toBeNull()
    // The window has moved past the loss: a yield really 2.01 % below the baseline alerts.
    expect(rule({ rateChangeBps: 0.01, apy: 0.0199, lossInWindow: false })['apy-drop']!.active).toBe(true)
  })
  it('cannot tell an APY drop without a baseline', () => {
    expect(rule({ apyBaseline: null })['apy-drop']!.active).toBeNull()
  })
  it('keys depeg by the feed so venues sharing an LST alert once', () => {
    const r = rule({ peg: 0.985 })
    expect(r.depeg!.active).toBe(true)
    expect(r.depeg!.dedupKey).toBe(`depeg:ethereum:${feed.toLowerCase()}`)
    expect(rule({ peg: 0.994 }, [r.depeg!.dedupKey]).depeg!.active).toBe(true)
    expect(rule({ peg: 0.9996 }, [r.depeg!.dedupKey]).depeg!.active).toBe(false)
  })
  it('flags paused venues and liquidity below the position', () => {
    expect(rule({ paused: true }).paused!.active).toBe(true)
    expect(rule({ withdrawable: 99n }).liquidity!.active).toBe(true)
    expect(rule({ withdrawable: 100n }).liquidity!.active).toBe(false)
    expect(rule({ position: 0n, withdrawable: 0n }).liquidity!.active).toBe(false)
  })
  it('reports an unreadable venue and nothing else about it', () => {
    const out = evaluateVenue({ ...base, available: false, error: 'totalAssets reverted' }, thresholds, () => false)
    expect(out).toHaveLength(1)
    expect(out[0]!.active).toBe(true)
    expect(out[0]!.body).toContain('totalAssets reverted')
  })
})

describe('median', () => {
  it('handles odd, even and empty', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 2, 3])).toBe(2.5)
    expect(median([])).toBeNull()
  })
})

describe('apyBaseline: a span of seconds, not a count of samples', () => {
  const T = 1_700_000_000
  // The same APY path in time (4 % for an hour, then 3 %), seen every 12 s on one chain and every 60 s on another.
  const seen = (every: number) => Array.from({ length: Math.floor(5_400 / every) }, (_, i) => ({ time: T + i * every, apy: i * every < 3_600 ? 0.04 : 0.03 }))
  it('two cadences, the same 30-minute baseline', () => {
    const now = T + 5_400
    expect(apyBaseline(seen(12), now, 1_800)).toBeCloseTo(0.03, 12)
    expect(apyBaseline(seen(60), now, 1_800)).toBeCloseTo(0.03, 12)
    // An hour and a half: both reach back into the 4 % hour (two thirds of the span).
    expect(apyBaseline(seen(12), now, 5_400)).toBeCloseTo(0.04, 12)
    expect(apyBaseline(seen(60), now, 5_400)).toBeCloseTo(0.04, 12)
  })
  it('unknown until five APYs or the whole span is covered', () => {
    const few = [{ time: T, apy: 0.04 }, { time: T + 600, apy: 0.05 }]
    expect(apyBaseline(few, T + 700, 3_600)).toBeNull()
    // The first APY lies before the span's start: the span is covered, sparse as it is.
    expect(apyBaseline(few, T + 3_700, 3_600)).toBeCloseTo(0.05, 12)
    expect(apyBaseline([], T, 3_600)).toBeNull()
  })
  it('trimming keeps the newest APY before the span and everything after', () => {
    const xs = seen(60)
    trimBaseline(xs, T + 5_400, 1_800)
    expect(xs[0]!.time).toBe(T + 3_600)
    expect(xs.length).toBe(30)
    expect(apyBaseline(xs, T + 5_400, 1_800)).toBeCloseTo(0.03, 12)
  })
})
