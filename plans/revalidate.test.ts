import { parseEther } from 'viem'
import { describe, expect, it } from 'vitest'
import type { VenueKind } from '../config/schema'
import type { Allocation } from '../strategies/allocate'
import { buildPlan } from '../strategies/plan'
import { strategyPolicySchema } from '../strategies/policy'
import { scoreVenue, type ScoreSample } from '../strategies/risk'
import { toExplanation } from './explanation'
import { storedSteps } from './proposePlan'
import { compareWithNow, remainingSteps, renderComparison, revalidatePlan, type PlanNow, type RevalidateInput, type VenueNow } from './revalidate'

// One chain: idle collateral (an LST at 3 %), vault A (4 %, the pool holds 100) and vault B (7 %, empty).
// The plan made at block 100 moves 40 from A to B. Each case changes one input of the latest samples.
const policy = strategyPolicySchema.parse({ planTtlSeconds: 3_600, maxSampleAgeBlocks: 10 })
const CHAIN = 'ethereum'
const risk = { commissionBps: 0, uptime: 1, audits: 3, launchDate: '2020-01-01', slashing: [] }
const kinds: Record<string, VenueKind> = { idle: 'lst', 'vault-a': 'erc4626', 'vault-b': 'erc4626' }
const T0 = 1_800_000_000_000 // ms: when the plan was made

interface Reading {
  apy: number
  paused?: boolean
  available?: boolean
  withdrawable?: bigint
  peg?: number
}

const samples = (r: Reading, block: bigint): ScoreSample[] =>
  Array.from({ length: 5 }, (_, i) => ({
    blockNumber: block - 4n + BigInt(i),
    blockTime: 1_700_000_000 + Number(block) - 4 + i,
    available: r.available ?? true,
    apy: r.available === false ? null : r.apy,
    tvl: parseEther('100000'),
    utilisation: null,
    withdrawable: r.available === false ? null : (r.withdrawable ?? parseEther('100000')),
    peg: r.peg ?? 1,
    paused: r.available === false ? null : (r.paused ?? false),
  }))

function score(id: string, r: Reading, block: bigint, position: bigint, assetApy?: number) {
  return scoreVenue({ venue: { id, chain: CHAIN, kind: kinds[id]!, protocol: id, risk }, samples: samples(r, block), position, now: 1_700_000_000 + Number(block), assetApy }, policy)
}

const THEN: Record<string, Reading> = { idle: { apy: 0.03 }, 'vault-a': { apy: 0.04 }, 'vault-b': { apy: 0.07 } }
const positions: Record<string, bigint> = { idle: parseEther('10'), 'vault-a': parseEther('100'), 'vault-b': 0n }

function scores(readings: Record<string, Reading>, block: bigint, pos: Record<string, bigint>) {
  const idle = score('idle', readings.idle!, block, pos.idle!)
  return {
    idle,
    'vault-a': score('vault-a', readings['vault-a']!, block, pos['vault-a']!, 0),
    'vault-b': score('vault-b', readings['vault-b']!, block, pos['vault-b']!, 0),
  }
}

/** The stored plan as the strategist writes it: steps and the why (scores at block 100). */
function makePlan(target: Record<string, bigint>) {
  const s = scores(THEN, 100n, positions)
  const plan = buildPlan({
    current: new Map(Object.entries(positions)),
    target: new Map(Object.entries(target)),
    scores: Object.values(s),
    venues: Object.keys(kinds).map((id) => ({ id, chain: CHAIN, kind: kinds[id]! })),
    chains: [{ name: CHAIN, decimals: 18, idleVenueId: 'idle', sampleBlock: 100n, headBlock: 100n, symbol: 'wstETH' }],
    policy,
  })
  const allocation = { currentYield: 0, targetYield: 0, gainPerYear: 0, oneOffCost: 0, objective: 0, moved: 0, moveBudget: 0, shadowPrices: {}, warnings: [], solver: { status: 'optimal' } } as unknown as Allocation
  const steps = storedSteps(plan).map((st, idx) => ({ ...st, idx, status: 'pending' as const }))
  return { plan: { id: 'p-ethereum-100', createdAt: T0, basedOnBlock: { [CHAIN]: 100n }, explanation: toExplanation(plan, allocation) }, steps, strategyPlan: plan }
}

const moveAtoB = () => makePlan({ idle: parseEther('10'), 'vault-a': parseEther('60'), 'vault-b': parseEther('40') })

interface NowOver {
  readings?: Partial<Record<string, Reading>>
  at?: number
  headBlock?: bigint | null
  pos?: Partial<Record<string, bigint>>
  rates?: Partial<Record<string, { then: bigint; now: bigint }>>
}

/** The latest view at block 110. */
function now(o: NowOver = {}): PlanNow {
  const readings = { ...THEN, ...o.readings } as Record<string, Reading>
  const pos = { ...positions, ...o.pos } as Record<string, bigint>
  const s = scores(readings, 110n, pos)
  const venues: VenueNow[] = Object.keys(kinds).map((id) => ({
    venueId: id,
    chain: CHAIN,
    kind: kinds[id]!,
    protocol: id,
    score: s[id as keyof typeof s],
    position: pos[id]!,
    positionThen: positions[id]!,
    rateNow: o.rates?.[id]?.now ?? 10n ** 18n,
    rateThen: o.rates?.[id]?.then ?? 10n ** 18n,
  }))
  return {
    at: o.at ?? T0 + 60_000,
    chains: [{ name: CHAIN, decimals: 18, symbol: 'wstETH', idleVenueId: 'idle', sampleBlock: 110n, headBlock: o.headBlock === undefined ? 112n : o.headBlock }],
    venues,
    missing: [],
  }
}

const check = (p: ReturnType<typeof makePlan>, n: PlanNow, over: Partial<RevalidateInput> = {}) => revalidatePlan({ plan: p.plan, steps: p.steps, now: n, policy, ...over })

describe('revalidatePlan', () => {
  it('goes on when nothing changed', () => {
    const p = moveAtoB()
    expect(p.steps.map((s) => `${s.kind} ${s.venueId}`)).toEqual(['withdraw vault-a', 'deposit vault-b'])
    expect(check(p, now())).toEqual({ verdict: 'go' })
  })

  it('expires a plan older than its TTL, committee or not', () => {
    const p = moveAtoB()
    expect(check(p, now({ at: T0 + 3_600_000 })).verdict).toBe('go') // exactly the TTL: still valid
    const v = check(p, now({ at: T0 + 3_601_000 }))
    expect(v.verdict).toBe('expire')
    if (v.verdict === 'expire') expect(v.reason).toMatch(/^plan p-ethereum-100 is 60 min old, past its TTL of 60 min \(strategy\.planTtlSeconds\)/)
  })

  it('holds on stale or missing data: samples behind the head, a venue unreadable, a chain without samples', () => {
    const p = moveAtoB()
    const stale = check(p, now({ headBlock: 121n }))
    expect(stale).toEqual({ verdict: 'hold', reason: expect.stringMatching(/^samples of ethereum are from block 110, 11 blocks behind the head 121 \(max 10/) })
    const unreadable = check(p, now({ readings: { 'vault-b': { apy: 0, available: false } } }))
    expect(unreadable.verdict).toBe('hold')
    if (unreadable.verdict === 'hold') expect(unreadable.reason).toMatch(/^step 1: vault-b is unreadable \(unavailable at block 110\)/)
    const missing = check(p, { ...now(), chains: [], venues: [], missing: [{ chain: CHAIN, reason: 'no samples yet' }] })
    expect(missing).toEqual({ verdict: 'hold', reason: 'no current samples on ethereum: no samples yet; waiting' })
  })

  it('stops when the target venue paused, naming it and the block; before the withdrawal runs', () => {
    const v = check(moveAtoB(), now({ readings: { 'vault-b': { apy: 0.07, paused: true } } }), { stepIdx: 0 })
    expect(v).toEqual({ verdict: 'stop', reason: 'step 1 (deposit vault-b): target venue vault-b paused at block 110', stepIdx: 1, venueId: 'vault-b' })
  })

  it('stops on a depeg beyond the exclusion threshold of a deposit target', () => {
    const v = check(moveAtoB(), now({ readings: { 'vault-b': { apy: 0.07, peg: 0.9 } } }))
    expect(v.verdict).toBe('stop')
    if (v.verdict === 'stop') expect(v.reason).toMatch(/^step 1 \(deposit vault-b\): target venue vault-b depeg 1000\.0 bps beyond 500 bps$/)
  })

  it('stops when a deposit target lost exchange rate since the plan (slashing)', () => {
    const v = check(moveAtoB(), now({ rates: { 'vault-b': { then: 10n ** 18n, now: 995n * 10n ** 15n } } }))
    expect(v.verdict).toBe('stop')
    if (v.verdict === 'stop') expect(v.reason).toBe('step 1 (deposit vault-b): target venue vault-b lost 50.00 bps of its exchange rate since block 100 (slashing or a loss event), seen at block 110')
    // One wei of share rounding is not a loss.
    expect(check(moveAtoB(), now({ rates: { 'vault-b': { then: 10n ** 18n, now: 10n ** 18n - 1n } } })).verdict).toBe('go')
  })

  it('stops when a deposit target can no longer pay back the position it would hold (new liquidity shortfall)', () => {
    const v = check(moveAtoB(), now({ readings: { 'vault-b': { apy: 0.07, withdrawable: parseEther('25') } } }))
    expect(v.verdict).toBe('stop')
    if (v.verdict === 'stop') expect(v.reason).toBe('step 1 (deposit vault-b): withdrawable liquidity of vault-b fell from 100000.0000 wstETH to 25.0000 wstETH at block 110: the position after the deposit (40.0000 wstETH) could not be taken out again')
  })

  it('stops a withdrawal larger than the venue can pay, or from a paused venue', () => {
    const short = check(moveAtoB(), now({ readings: { 'vault-a': { apy: 0.04, withdrawable: parseEther('10') } } }))
    expect(short).toMatchObject({ verdict: 'stop', stepIdx: 0, reason: 'step 0 (withdraw vault-a): only 10.0000 wstETH withdrawable from vault-a at block 110, the step withdraws 40.0000 wstETH' })
    const paused = check(moveAtoB(), now({ readings: { 'vault-a': { apy: 0.04, paused: true } } }))
    expect(paused).toMatchObject({ verdict: 'stop', stepIdx: 0, reason: 'step 0 (withdraw vault-a): venue vault-a paused at block 110: the withdrawal cannot run' })
  })

  it('stops when the target now scores below idle: the deposit would lose, the APY change is named', () => {
    const v = check(moveAtoB(), now({ readings: { 'vault-b': { apy: 0.025 } } }))
    expect(v.verdict).toBe('stop')
    if (v.verdict === 'stop') {
      expect(v.stepIdx).toBe(1)
      expect(v.reason).toMatch(/^step 1 \(deposit vault-b\): APY of vault-b fell from 7\.00 % to 2\.50 % at block 110: vault-b now scores .* no better than idle idle's .*: the deposit gains -\d/)
    }
  })

  it('stops when the remaining steps no longer gain more than they cost (APY of the target fell, still above idle)', () => {
    // B at 3.2 %: the deposit still beats idle (3 %), but leaving A (4 %) for it loses.
    const v = check(moveAtoB(), now({ readings: { 'vault-b': { apy: 0.032 } } }))
    expect(v.verdict).toBe('stop')
    if (v.verdict === 'stop') {
      expect(v.venueId).toBe('vault-b')
      expect(v.reason).toMatch(/^APY of vault-b fell from 7\.00 % to 3\.20 % at block 110: the remaining steps \(0, 1\) gain -\d+\.\d bps ≤ \d+\.\d bps of costs over \d+ d \(at plan time: net \d/)
    }
  })

  it('mid-plan: with the withdrawal done, only the deposit is judged', () => {
    const p = moveAtoB()
    p.steps[0] = { ...p.steps[0]!, status: 'confirmed' as never }
    // B at 3.2 %: leaving A was the loss (sunk); the deposit alone still beats idle over the horizon.
    expect(check(p, now({ readings: { 'vault-b': { apy: 0.032 } } }), { stepIdx: 1 }).verdict).toBe('go')
    const v = check(p, now({ readings: { 'vault-b': { apy: 0.02 } } }), { stepIdx: 1 })
    expect(v).toMatchObject({ verdict: 'stop', stepIdx: 1 })
  })

  it('a move that did not pay at plan time (forced, e.g. by the idle buffer) is not stopped on economics, only on health', () => {
    // Withdraw 40 from A (4 %) to idle (3 %): loses yield by design.
    const p = makePlan({ idle: parseEther('50'), 'vault-a': parseEther('60'), 'vault-b': 0n })
    expect(p.strategyPlan.netBenefit).toBeLessThan(0)
    expect(check(p, now({ readings: { 'vault-a': { apy: 0.05 } } })).verdict).toBe('go')
    expect(check(p, now({ readings: { 'vault-a': { apy: 0.05, paused: true } } })).verdict).toBe('stop')
  })

  it('never re-judges a redeem whose transfer already left (funds in flight land)', () => {
    const steps = [
      { idx: 0, kind: 'bridge' as const, chain: 'ethereum', venueId: 'idle', amount: 1n, status: 'confirmed' as const, detail: {} },
      { idx: 1, kind: 'redeem' as const, chain: 'base', venueId: 'base-idle', amount: 1n, status: 'pending' as const, detail: { bridgeStep: 0 } },
      { idx: 2, kind: 'deposit' as const, chain: 'base', venueId: 'base-vault', amount: 1n, status: 'pending' as const, detail: {} },
    ]
    expect(remainingSteps(steps, 1).map((s) => s.idx)).toEqual([2])
    expect(remainingSteps(steps.map((s) => ({ ...s, status: 'pending' as const }))).map((s) => s.idx)).toEqual([0, 1, 2])
  })
})

describe('revalidatePlan: a cross-chain plan (withdraw → bridge → redeem → deposit)', () => {
  // ethereum: idle 3 %, vault-a 4 % (100 held); base: idle 3 %, base-vault 9 % (empty). 40 move from
  // vault-a on ethereum into base-vault on base through the bridge.
  const venues = [
    { id: 'idle', chain: CHAIN, kind: 'lst' as const },
    { id: 'vault-a', chain: CHAIN, kind: 'erc4626' as const },
    { id: 'base-idle', chain: 'base', kind: 'lst' as const },
    { id: 'base-vault', chain: 'base', kind: 'erc4626' as const },
  ]
  const held: Record<string, bigint> = { idle: parseEther('10'), 'vault-a': parseEther('100'), 'base-idle': parseEther('5'), 'base-vault': 0n }
  const apys: Record<string, number> = { idle: 0.03, 'vault-a': 0.04, 'base-idle': 0.03, 'base-vault': 0.09 }
  const scoreAll = (a: Record<string, number>, block: bigint) =>
    venues.map((v) => scoreVenue({ venue: { id: v.id, chain: v.chain, kind: v.kind, protocol: v.id, risk }, samples: samples({ apy: a[v.id]! }, block), position: held[v.id]!, now: 1_700_000_000 + Number(block), assetApy: v.kind === 'lst' ? undefined : 0 }, policy))
  const chains = (block: bigint) => [
    { name: CHAIN, decimals: 18, idleVenueId: 'idle', sampleBlock: block, headBlock: block, symbol: 'wstETH' },
    { name: 'base', decimals: 18, idleVenueId: 'base-idle', sampleBlock: block, headBlock: block, symbol: 'wstETH' },
  ]
  const strategyPlan = buildPlan({
    current: new Map(Object.entries(held)),
    target: new Map(Object.entries({ ...held, 'vault-a': parseEther('60'), 'base-vault': parseEther('40') })),
    scores: scoreAll(apys, 100n),
    venues,
    chains: chains(100n),
    policy,
    transfers: [{ from: CHAIN, to: 'base', amount: parseEther('40'), received: parseEther('40') }],
  })
  const allocation = { currentYield: 0, targetYield: 0, gainPerYear: 0, oneOffCost: 0, objective: 0, moved: 0, moveBudget: 0, shadowPrices: {}, warnings: [], solver: { status: 'optimal' } } as unknown as Allocation
  const plan = { id: 'p-pool-ethereum-100', createdAt: T0, basedOnBlock: { [CHAIN]: 100n, base: 100n }, explanation: toExplanation(strategyPlan, allocation) }
  const steps = storedSteps(strategyPlan).map((st, idx) => ({ ...st, idx, status: 'pending' as const }))
  const nowOf = (a: Record<string, number>): PlanNow => {
    const sc = scoreAll(a, 110n)
    return {
      at: T0 + 60_000,
      chains: chains(110n).map((c) => ({ name: c.name, decimals: 18, symbol: 'wstETH', idleVenueId: c.idleVenueId, sampleBlock: 110n, headBlock: 110n })),
      venues: venues.map((v, i) => ({ venueId: v.id, chain: v.chain, kind: v.kind, protocol: v.id, score: sc[i]!, position: held[v.id]!, positionThen: held[v.id]!, rateNow: null, rateThen: null })),
      missing: [],
    }
  }

  it('goes on while nothing changed; stops before the withdrawal when the destination vault collapsed', () => {
    expect(steps.map((s) => `${s.kind} ${s.chain} ${s.venueId}`)).toEqual(['withdraw ethereum vault-a', 'bridge ethereum idle', 'redeem base base-idle', 'deposit base base-vault'])
    expect(revalidatePlan({ plan, steps, now: nowOf(apys), policy })).toEqual({ verdict: 'go' })
    const v = revalidatePlan({ plan, steps, now: nowOf({ ...apys, 'base-vault': 0.01 }), policy })
    expect(v).toMatchObject({ verdict: 'stop', stepIdx: 3 })
    if (v.verdict === 'stop') expect(v.reason).toMatch(/^step 3 \(deposit base-vault\): APY of base-vault fell from 9\.00 % to 1\.00 % at block 110/)
  })

  it('after the bridge step, the redeem is not judged; the deposit on the destination still is', () => {
    const after = steps.map((s) => (s.idx < 2 ? { ...s, status: 'confirmed' as never } : s))
    expect(revalidatePlan({ plan, steps: after, stepIdx: 3, now: nowOf(apys), policy })).toEqual({ verdict: 'go' })
    expect(revalidatePlan({ plan, steps: after, stepIdx: 3, now: nowOf({ ...apys, 'base-vault': 0.01 }), policy })).toMatchObject({ verdict: 'stop', stepIdx: 3 })
  })
})

describe('compareWithNow', () => {
  it('shows APYs, scores, positions and the remaining gain then and now, the age against the TTL, and the verdict', () => {
    const p = moveAtoB()
    const n = now({ readings: { 'vault-b': { apy: 0.032 } }, pos: { 'vault-a': parseEther('90') }, at: T0 + 600_000 })
    const c = compareWithNow({ plan: p.plan, steps: p.steps, now: n, policy })
    expect(c.ageSeconds).toBe(600)
    expect(c.expiresInSeconds).toBe(3_000)
    expect(c.basedOn).toEqual([{ chain: CHAIN, then: 100n, now: 110n }])
    const b = c.venues.find((v) => v.venueId === 'vault-b')!
    expect(b.apyThen).toBeCloseTo(0.07, 10)
    expect(b.apyNow).toBeCloseTo(0.032, 10)
    expect(c.venues.find((v) => v.venueId === 'vault-a')).toMatchObject({ positionThen: parseEther('100'), positionNow: parseEther('90') })
    expect(c.gain.then!.net).toBeGreaterThan(0)
    expect(c.gain.now!.net).toBeLessThan(0)
    expect(c.verdict.verdict).toBe('stop')
    const text = renderComparison(c, () => ({ decimals: 18, symbol: 'wstETH' }))
    expect(text).toContain('Compared with now — made 10 min ago, expires in 50 min (TTL 60 min)')
    expect(text).toContain('vault-b: APY 7.00 % → 3.20 %')
    expect(text).toContain('position 100.000 wstETH → 90.000 wstETH')
    expect(text).toMatch(/re-validation now: would stop it — APY of vault-b fell from 7\.00 % to 3\.20 %/)
  })

  it('says when the plan has expired', () => {
    const p = moveAtoB()
    const c = compareWithNow({ plan: p.plan, steps: p.steps, now: now({ at: T0 + 7_200_000 }), policy })
    expect(c.verdict.verdict).toBe('expire')
    expect(renderComparison(c, () => ({ decimals: 18, symbol: 'wstETH' }))).toContain('made 2.0 h ago: EXPIRED (TTL 60 min)')
  })
})
