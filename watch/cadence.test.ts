import { describe, expect, it } from 'vitest'
import { sampleEverySecondsOf } from '../config/history'
import { verdictKey } from './alertRules'
import { advance, positionChanged, sampleDecision, type StoreReason, type VenueCadence } from './cadence'

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

  it('positions are stored on change only', () => {
    let st: VenueCadence = {}
    const seen: boolean[] = []
    for (const p of ['100/100', '100/100', '150/140', '150/140', '0/0']) {
      seen.push(positionChanged(st, p))
      st = advance(st, { time: 1 }, 'calm', null, p)
    }
    expect(seen).toEqual([true, false, true, false, true])
  })

  it('the verdict key tells active, clear, unknown and refused apart', () => {
    const k = (active: boolean | null, refused = false) => verdictKey([{ dedupKey: 'depeg:base:0xfeed', active }], refused)
    expect(new Set([k(true), k(false), k(null), k(false, true)]).size).toBe(4)
    expect(k(false)).toBe('read|depeg:base:0xfeed=0')
  })
})
