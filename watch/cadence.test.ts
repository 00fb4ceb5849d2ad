import { describe, expect, it } from 'vitest'
import { sampleEverySecondsOf } from '../config/history'
import { verdictKey } from './alertRules'
import { advance, positionDecision, sampleDecision, type StoreReason, type VenueCadence } from './cadence'

/** Runs the cadence over blocks (time, verdict) and returns the stored blocks' indexes with their reasons. */
function storedOf(blocks: readonly { time: number; verdict: string }[], every: number): [number, StoreReason][] {
  let st: VenueCadence = {}
  const out: [number, StoreReason][] = []
  blocks.forEach((b, i) => {
    const r = sampleDecision(st, b, b.verdict, every)
    if (r) out.push([i, r])
    st = advance(st, b, b.verdict, r)
  })
  return out
}

describe('sampling cadence', () => {
  it('defaults: every block on chains with blocks of 2 s or more, the minimum interval on faster ones; per-chain and global settings win', () => {
    const chains = [
      { name: 'ethereum', blockTimeMs: 12_000 },
      { name: 'base', blockTimeMs: 2_000 },
      { name: 'arbitrum', blockTimeMs: 250 },
    ]
    const watch = { minSampleIntervalSeconds: 3 }
    expect(['ethereum', 'base', 'arbitrum'].map((c) => sampleEverySecondsOf({ chains, watch }, c))).toEqual([0, 0, 3])
    expect(sampleEverySecondsOf({ chains, watch: { ...watch, sampleEverySeconds: 60 } }, 'base')).toBe(60)
    expect(sampleEverySecondsOf({ chains: [{ ...chains[2]!, sampleEverySeconds: 10 }], watch: { ...watch, sampleEverySeconds: 60 } }, 'arbitrum')).toBe(10)
  })

  it('stores one block per interval on a fast chain (4 blocks/s, every 2 s)', () => {
    const blocks = Array.from({ length: 20 }, (_, i) => ({ time: 1000 + Math.floor(i / 4), verdict: 'calm' }))
    // Times 1000,1000,1000,1000,1001,…: the first block, then the first block at ≥ 2 s after the last stored.
    expect(storedOf(blocks, 2)).toEqual([
      [0, 'first'],
      [8, 'cadence'],
      [16, 'cadence'],
    ])
  })

  it('always stores the block where a verdict changes (and the one where it changes back), whatever the cadence', () => {
    const verdicts = ['calm', 'calm', 'calm', 'depeg', 'depeg', 'depeg', 'calm', 'calm']
    const blocks = verdicts.map((verdict, i) => ({ time: 1000 + i, verdict }))
    expect(storedOf(blocks, 3600)).toEqual([
      [0, 'first'],
      [3, 'alert'],
      [6, 'alert'],
    ])
  })

  it('every block with a cadence of 0', () => {
    const blocks = Array.from({ length: 4 }, () => ({ time: 1000, verdict: 'calm' }))
    expect(storedOf(blocks, 0).map(([i]) => i)).toEqual([0, 1, 2, 3])
  })

  it('positions: stored at any block on a share change, a fall or a jump; an accruing amount only with an alert-worthy sample or once an hour', () => {
    let st: VenueCadence = {}
    const seen: boolean[] = []
    const blocks: [number, bigint, bigint | null, StoreReason | null][] = [
      [0, 1_000_000n, 900n, 'first'], // first reading
      [1, 1_000_001n, 900n, null], // accrued, sample skipped
      [2, 1_000_002n, 900n, 'cadence'], // accrued (under 1 bp), same hour: not yet
      [3, 1_000_003n, 900n, 'alert'], // accrued, alert-worthy block
      [4, 1_500_000n, 1_300n, null], // a deposit: shares changed, stored even without a sample
      [3_700, 1_500_001n, 1_300n, 'cadence'], // accrued, a new hour
      [3_701, 1_500_001n, 1_300n, 'alert'], // unchanged
      [3_702, 1_000_000n, null, null], // a withdrawal (and no shares now): stored
      [3_703, 1_000_000n, null, 'cadence'], // unchanged
      [3_704, 1_000_200n, null, null], // no shares: a deposit (2 bp at once) is stored without a sample
      [3_705, 1_000_201n, null, null], // accrued, no sample
    ]
    for (const [time, amount, shares, reason] of blocks) {
      const keep = positionDecision(st, { time }, { amount, shares }, reason)
      seen.push(keep)
      st = advance(st, { time }, 'calm', reason, keep ? { amount, shares } : undefined)
    }
    expect(seen).toEqual([true, false, false, true, true, true, false, true, false, true, false])
  })

  it('the verdict key tells active, clear, unknown and refused apart', () => {
    const k = (active: boolean | null, refused = false) => verdictKey([{ dedupKey: 'depeg:base:0xfeed', active }], refused)
    expect(new Set([k(true), k(false), k(null), k(false, true)]).size).toBe(4)
    expect(k(false)).toBe('read|depeg:base:0xfeed=0')
  })
})
