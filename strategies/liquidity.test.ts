import { describe, expect, it } from 'vitest'
import { allocate, targetMap } from './allocate'
import { checkAllocation } from './constraints'
import { liquidityAfter, liquidityAlertsAfter, liquidityBound, liquidityCheckText, venueLiquidity } from './liquidity'
import { frictionless, mkInput } from './testing'

const E = 10n ** 18n

describe('liquidityBound: target ≤ share × (liquidity after the plan)', () => {
  it('hand-checked values (W liquidity, c position, s share, f liquid share of a deposit)', () => {
    // W 1000, nothing held, s ½: t = 1000 → W' = 2000, t = ½ W'.
    expect(liquidityBound(0n, 1000n, 5_000)).toBe(1000n)
    // W 1000 of which the pool's 400, s ½: t = 600 → W' = 1200.
    expect(liquidityBound(400n, 1000n, 5_000)).toBe(600n)
    // s ¼, W 300: t = 100 → W' = 400, 100 = ¼ of it.
    expect(liquidityBound(0n, 300n, 2_500)).toBe(100n)
    // A vault keeping half of a deposit liquid: W 205, f ½, s ½: t ≤ ½·205 / (1 − ¼) = 136.67 → 136.
    expect(liquidityBound(0n, 205n, 5_000, 0.5)).toBe(136n)
    // 205 withdrawable against a 400 position: nothing more may go in.
    expect(liquidityBound(400n, 205n, 5_000)).toBe(0n)
    // Unknown liquidity, or the share switched off: no bound.
    expect(liquidityBound(0n, null, 5_000)).toBeNull()
    expect(liquidityBound(0n, 1000n, 10_000)).toBeNull()
  })

  it('liquidityAfter: deposits add their liquid share, withdrawals take all of theirs', () => {
    expect(liquidityAfter(205n, 0n, 100n, 0.5)).toBe(255n)
    expect(liquidityAfter(205n, 400n, 300n)).toBe(105n)
    expect(liquidityAfter(50n, 400n, 300n)).toBe(0n)
  })
})

describe('venueLiquidity: from one sample', () => {
  const s = (o: Partial<{ withdrawable: bigint | null; tvl: bigint | null; utilisation: number | null; available: boolean }>) => ({ available: true, withdrawable: null, tvl: null, utilisation: null, ...o })
  it('aave-v3: what is not lent out, all of a deposit stays available', () => {
    expect(venueLiquidity('aave-v3', s({ tvl: 1000n * E, utilisation: 0.8, withdrawable: 0n }), 0n)).toEqual({ liquidity: 200n * E, perDeposit: 1 })
  })
  it('a vault whose liquidity binds the pool: the reading is the venue’s liquidity, its liquid share the deposit’s', () => {
    expect(venueLiquidity('erc4626', s({ tvl: 820n * E, withdrawable: 205n * E }), 400n * E)).toEqual({ liquidity: 205n * E, perDeposit: 0.25 })
  })
  it('a venue-wide reading (a vault’s liquidityFunction, an Aave reserve’s free aTokens) counts on a first deposit', () => {
    // Nothing held: the pool's own maxWithdraw is 0 and says nothing; the vault's 200 of 1000 idle does.
    const vault = venueLiquidity('erc4626', { ...s({ tvl: 1000n * E, withdrawable: 0n }), liquidity: 200n * E }, 0n)
    expect(vault).toEqual({ liquidity: 200n * E, perDeposit: 0.2 })
    expect(venueLiquidity('aave-v3', { ...s({ tvl: 1000n * E, utilisation: 0.5, withdrawable: 0n }), liquidity: 300n * E }, 0n)).toEqual({ liquidity: 300n * E, perDeposit: 1 })
    // The pool's own withdrawable below its position and the reading: it binds (exact for the pool).
    expect(venueLiquidity('erc4626', { ...s({ tvl: 1000n * E, withdrawable: 150n * E }), liquidity: 200n * E }, 400n * E)).toEqual({ liquidity: 150n * E, perDeposit: 0.2 })
  })
  it('a vault paying the pool’s whole position, an LST in hand, an unreadable venue: unknown', () => {
    expect(venueLiquidity('erc4626', s({ tvl: 820n * E, withdrawable: 400n * E }), 400n * E).liquidity).toBeNull()
    expect(venueLiquidity('lst', s({ withdrawable: 1n }), 5n).liquidity).toBeNull()
    expect(venueLiquidity('aave-v3', s({ available: false, tvl: 1n, utilisation: 0 }), 0n).liquidity).toBeNull()
  })
})

describe('allocate under the liquidity share', () => {
  // A 7.6 % vault beside 3 % idle, 1000 units in the pool: without the bound it takes all it may.
  const pool = (liquidity?: number, current = 0, extra: Record<string, unknown> = {}) => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 1000 - current, score: 0.03 },
        { id: 'vault', current, score: 0.076, ...extra },
      ],
      policy: frictionless({ allocation: { maxWithdrawableShareBps: 5_000 } }),
    })
    const v = input.venues.find((x) => x.id === 'vault')!
    return { ...input, venues: input.venues.map((x) => (x.id === 'vault' ? { ...v, liquidity: liquidity === undefined ? null : BigInt(liquidity) * E } : x)) }
  }

  it('without a liquidity reading the vault takes the whole pool', () => {
    const a = allocate(pool())
    // (the LP works in doubles: up to a billionth of a unit stays in idle)
    expect(a.targets.find((t) => t.venueId === 'vault')!.target).toBeGreaterThan(1000n * E - 10n ** 9n)
  })

  it('with 300 of liquidity and a ½ share it takes 300 (then 600 could be paid out), and says why', () => {
    const input = pool(300)
    const a = allocate(input)
    const t = a.targets.find((x) => x.venueId === 'vault')!
    expect(t.target).toBeLessThanOrEqual(300n * E)
    expect(t.target).toBeGreaterThan(300n * E - 10n ** 10n) // at the bound, up to the LP's float margin
    expect(t.binding.map((b) => b.constraint)).toContain('liquidity-share')
    expect(t.binding.find((b) => b.constraint === 'liquidity-share')!.detail).toMatch(/5000 bps/)
    expect(checkAllocation(input, targetMap(a))).toEqual([])
    expect(a.liquidityCheck.findings).toEqual([])
    expect(a.liquidityCheck.checked).toEqual(['vault'])
    expect(liquidityCheckText(a.liquidityCheck)).toMatch(/no liquidity alert from this plan \(vault/)
  })

  it('the issue’s case: 205 withdrawable against a 400 position — nothing more goes in, nothing is forced out', () => {
    const a = allocate(pool(205, 400))
    const t = a.targets.find((x) => x.venueId === 'vault')!
    expect(t.target).toBe(400n * E)
    expect(t.binding.map((b) => b.constraint)).toContain('liquidity-share')
  })

  it('a first deposit into a vault keeping 20 % of its assets liquid: at most ½ × what it could pay out after', () => {
    // W 200 of a 1000 TVL (f = 0.2), nothing held, s ½: t ≤ ½·200 / (1 − ½·0.2) = 1000/9 = 111.11…
    const base = pool(200)
    const input = { ...base, venues: base.venues.map((x) => (x.id === 'vault' ? { ...x, liquidityPerDeposit: 0.2 } : x)) }
    const a = allocate(input)
    const t = a.targets.find((x) => x.venueId === 'vault')!
    expect(t.target).toBeLessThanOrEqual(111_111_111_111_111_111_111n)
    expect(t.target).toBeGreaterThan(111_111_111_111_111_111_111n - 10n ** 10n)
    expect(t.binding.map((b) => b.constraint)).toContain('liquidity-share')
    // After the plan the vault could pay out 200 + 0.2·111.1 = 222.2: the pool holds half of it.
    expect(checkAllocation(input, targetMap(a))).toEqual([])
    expect(a.liquidityCheck.findings).toEqual([])
  })

  it('checkAllocation refuses a deposit past the bound', () => {
    const input = pool(300)
    const v = checkAllocation(input, new Map([['vault', 400n * E], ['idle', 600n * E]]))
    expect(v.map((x) => x.constraint)).toEqual(['liquidity-share'])
  })
})

describe('liquidityAlertsAfter: the plan raises no liquidity alert itself', () => {
  it('flags a deposit that leaves the pool’s withdrawable below its position, not one that stays covered', () => {
    // W 205 and only a quarter of a deposit stays liquid: 400 in → W' = 305 < 400.
    const bad = liquidityAlertsAfter([{ id: 'v', current: 0n, target: 400n, liquidity: 205n, liquidityPerDeposit: 0.25 }], 1)
    expect(bad.findings.map((f) => [f.venueId, f.withdrawableAfter])).toEqual([['v', 305n]])
    const ok = liquidityAlertsAfter([{ id: 'v', current: 0n, target: 200n, liquidity: 205n, liquidityPerDeposit: 0.25 }], 1)
    expect(ok.findings).toEqual([])
    // Already short before the plan: not raised by the plan.
    expect(liquidityAlertsAfter([{ id: 'v', current: 400n, target: 300n, liquidity: 205n }], 1).findings).toEqual([])
    // Unknown liquidity: listed as unchecked.
    expect(liquidityAlertsAfter([{ id: 'v', current: 0n, target: 1n }], 1).unchecked).toEqual(['v'])
  })

  it('a share above 1 / coverage would raise it: allocate holds and says so', () => {
    const input = mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 1000, score: 0.03 },
        { id: 'vault', current: 0, score: 0.076 },
      ],
      policy: frictionless({ allocation: { maxWithdrawableShareBps: 9_000 } }),
    })
    const venues = input.venues.map((x) => (x.id === 'vault' ? { ...x, liquidity: 205n * E, liquidityPerDeposit: 0.25 } : x))
    // s 0.9, f 0.25: t ≤ 0.9·205/(1 − 0.225) = 238 → W' = 264.5 ≥ 238: covered at coverage 1 …
    expect(allocate({ ...input, venues }).liquidityCheck.findings).toEqual([])
    // … but not at a coverage of 1.2 (the rule wants 285.6): the allocation holds.
    const a = allocate({ ...input, venues, liquidityCoverage: 1.2 })
    expect(a.liquidityCheck.findings.map((f) => f.venueId)).toEqual(['vault'])
    expect(a.targets.every((t) => t.delta === 0n)).toBe(true)
    expect(a.warnings.join(' ')).toMatch(/liquidity alert itself.*at most 8333 bps/)
  })
})
