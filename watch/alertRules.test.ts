import { describe, expect, it } from 'vitest'
import { evaluateVenue, median, type VenueFacts } from './alertRules'
import type { VenueConfig } from '../config/schema'

const thresholds = { apyDropBps: 200, apyBaselineSamples: 20, depegBps: 100, liquidityCoverage: 1, rpcFailures: 2 }
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
