import { describe, expect, it } from 'vitest'
import type { Sample } from '../store/types'
import { allocate, targetMap, type Allocation } from './allocate'
import { checkAllocation } from './constraints'
import { strategyPolicySchema } from './policy'
import { scoreVenue, type ScoreVenue } from './risk'
import { frictionless, mkInput } from './testing'

/**
 * Missing data never moves money: a venue whose readings do not cover its window is frozen —
 * held at exactly its position, no withdrawal, no deposit — while evidence that was read (a
 * depeg, a pause) may still move collateral out.
 */

const E18 = 10n ** 18n
const raw = (a: Allocation, id: string) => a.targets.find((t) => t.venueId === id)!.target
/** Collateral units, for targets the LP leaves a hair (1e-12 of the pool) off a limit. */
const units = (x: bigint) => Number(x) / 1e18
const bindingOf = (a: Allocation, id: string) => a.targets.find((t) => t.venueId === id)!.binding

describe('allocate: frozen venues', () => {
  it('a venue without a complete window keeps exactly its position, beside a better venue and a worse one', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 100, score: 0.03 },
        // Its score is unknown: the old code read "excluded (no APY reading)" and drained it.
        { id: 'cold', current: 500, score: -Infinity, frozen: 'held: no APY reading for 14 h of 24 h' },
        // Frozen although its last (partial) score looks great: no deposit either.
        { id: 'cold-high', current: 0, score: 0.5, frozen: 'held: no APY reading for 2 h of 24 h' },
        { id: 'good', current: 0, score: 0.08 },
      ],
      policy: frictionless(),
    })
    const a = allocate(input)
    expect(raw(a, 'cold')).toBe(500n * E18)
    expect(raw(a, 'cold-high')).toBe(0n)
    expect(bindingOf(a, 'cold')).toEqual([{ constraint: 'frozen', detail: 'held: no APY reading for 14 h of 24 h' }])
    // The venues with data still move: idle's 100 go to the 8 % venue.
    expect(units(raw(a, 'good'))).toBeCloseTo(100, 6)
    expect(units(raw(a, 'idle'))).toBeCloseTo(0, 6)
    expect(checkAllocation(input, targetMap(a))).toEqual([])
  })

  it('a depegged venue that was read is still exited; a frozen one beside it stays', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 10, score: 0.03 },
        { id: 'depegged', current: 40, score: -Infinity, excluded: 'depeg 600.0 bps beyond 500 bps' },
        { id: 'cold', current: 50, score: -Infinity, frozen: 'held: no APY reading at block 7' },
      ],
      policy: frictionless(),
    })
    const a = allocate(input)
    expect(raw(a, 'depegged')).toBe(0n)
    expect(raw(a, 'cold')).toBe(50n * E18)
    expect(raw(a, 'idle')).toBe(50n * E18)
    expect(checkAllocation(input, targetMap(a))).toEqual([])
  })

  it('a frozen idle venue holds its whole chain (every step goes through idle)', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 50, score: -Infinity, frozen: 'held: no APY reading for 3 min of 3 min' },
        { id: 'a', current: 50, score: 0.01 },
        { id: 'b', current: 0, score: 0.09 },
      ],
      policy: frictionless(),
    })
    const a = allocate(input)
    expect(a.targets.map((t) => t.delta)).toEqual([0n, 0n, 0n])
    expect(bindingOf(a, 'b')[0]!.constraint).toBe('frozen')
    expect(bindingOf(a, 'b')[0]!.detail).toMatch(/^idle venue idle held: .*: the chain is held$/)
    expect(a.solver.status).toBe('hold')
  })

  it('checkAllocation refuses any move of a frozen venue, out or in', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 10, score: 0.03 },
        { id: 'cold', current: 30, score: -Infinity, frozen: 'held: no sample yet' },
      ],
    })
    const out = checkAllocation(input, new Map([['cold', 0n], ['idle', 40n * E18]]))
    expect(out.map((v) => `${v.constraint} ${v.subject}`)).toContain('fixed cold')
    const into = checkAllocation(input, new Map([['cold', 40n * E18], ['idle', 0n]]))
    expect(into.map((v) => `${v.constraint} ${v.subject}`)).toContain('fixed cold')
  })
})

describe('score → allocation: a cold start moves nothing', () => {
  const NOW = 1_800_000_000
  const WINDOW = { seconds: 180 }
  const policy = strategyPolicySchema.parse(frictionless())
  const venue = (id: string, kind: ScoreVenue['kind'] = 'erc4626'): ScoreVenue => ({ id, chain: 'eth', kind, protocol: `p-${id}`, risk: { commissionBps: 0, uptime: 1, audits: 5, launchDate: '2020-01-01', slashing: [] } })
  const sample = (id: string, apy: number | null, span: number | null, o: Partial<Sample> = {}): Sample => ({
    venueId: id,
    chain: 'eth',
    blockNumber: 100n,
    blockHash: '0x00',
    blockTime: NOW,
    available: true,
    error: null,
    exchangeRate: E18,
    apy,
    tvl: 10_000n * E18,
    utilisation: null,
    withdrawable: null,
    peg: null,
    paused: null,
    createdAt: 0,
    apySpanSeconds: span,
    ...o,
  })
  const allocationOf = (samples: Record<string, Sample>, positions: Record<string, number>) => {
    const scores = Object.entries(samples).map(([id, s]) => scoreVenue({ venue: venue(id, id === 'idle' ? 'lst' : 'erc4626'), samples: [s], position: BigInt(positions[id] ?? 0) * E18, now: NOW, window: WINDOW }, policy))
    return allocate({
      chains: [{ name: 'eth', decimals: 18, idleVenueId: 'idle', blockNumber: 100n }],
      venues: scores.map((s) => ({ id: s.venueId, chain: 'eth', protocol: `p-${s.venueId}`, kind: s.venueId === 'idle' ? 'lst' : 'erc4626', current: BigInt(positions[s.venueId] ?? 0) * E18, score: s.score, excluded: s.excluded, frozen: s.frozen ?? null, stuck: s.stuck, withdrawable: s.withdrawable })),
      policy,
    })
  }

  it('with spans short of the window every position stays; once complete, the same inputs move', () => {
    const positions = { idle: 100, a: 500, b: 500 }
    // 1 min into a 3 min window: a's 7.7 % and b's 7.0 % are not yet evidence of anything.
    const cold = allocationOf({ idle: sample('idle', 0.03, 60), a: sample('a', 0.077, 60), b: sample('b', 0.07, 60) }, positions)
    expect(cold.targets.every((t) => t.delta === 0n)).toBe(true)
    expect(cold.targets.find((t) => t.venueId === 'a')!.binding.map((b) => b.constraint)).toEqual(['frozen'])
    // The window complete: b's collateral goes to a (frictionless policy), idle's too.
    const warm = allocationOf({ idle: sample('idle', 0.03, 180), a: sample('a', 0.077, 180), b: sample('b', 0.07, 180) }, positions)
    expect(units(warm.targets.find((t) => t.venueId === 'a')!.target)).toBeCloseTo(1_100, 6)
  })

  it('an unreadable venue (no APY) among complete ones keeps its position; the others still rebalance', () => {
    const positions = { idle: 100, a: 0, b: 500 }
    const a = allocationOf({ idle: sample('idle', 0.03, 180), a: sample('a', 0.08, 180), b: sample('b', null, null) }, positions)
    expect(a.targets.find((t) => t.venueId === 'b')!.target).toBe(500n * E18)
    expect(units(a.targets.find((t) => t.venueId === 'a')!.target)).toBeCloseTo(100, 6)
  })
})
