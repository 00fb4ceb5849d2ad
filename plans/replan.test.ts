import { describe, expect, it } from 'vitest'
import { configSchema } from '../config/schema'
import { movedOf, placedDifferently, replanVerdict, venueDeltas, type ReplanInput, type StepLike } from './replan'

const E = 10n ** 18n
/** Tenths of a unit, 18 decimals. */
const t = (tenths: number) => (BigInt(tenths) * E) / 10n
const chains = (name: string) =>
  ({ base: { decimals: 18, idleVenueId: 'base-idle' }, eth: { decimals: 18, idleVenueId: 'eth-idle' }, arb: { decimals: 8, idleVenueId: 'arb-idle' } })[name]
const deposit = (venueId: string, amount: bigint, chain = 'base'): StepLike => ({ kind: 'deposit', chain, venueId, amount })
const deltas = (steps: StepLike[]) => venueDeltas(steps, chains)
const policy = configSchema.shape.strategy.parse({}).replan

/** The live run's case: a 3000 wstETH pool, an autonomous plan depositing 44.1 wstETH from idle into a vault. */
const input = (over: { open?: Partial<ReplanInput['open']>; proposal?: Partial<ReplanInput['proposal']>; policy?: Partial<ReplanInput['policy']> } = {}): ReplanInput => ({
  open: { id: 'p-base-100', signatures: 0, invalid: null, netNow: 0.17, deltas: deltas([deposit('base-vault', t(441))]), ...over.open },
  proposal: { net: 0.19, deltas: deltas([deposit('base-vault', t(494))]), ...over.proposal },
  poolTotal: 3_000,
  horizonDays: 30,
  symbol: 'wstETH',
  policy: { ...policy, ...over.policy },
})

describe('strategy.replan defaults', () => {
  it('2 bps/yr of the pool, 25 % of the moved amount, signed plans replaced only when invalid', () => {
    expect(policy).toEqual({ minGainChangeBps: 2, minAmountChangeBps: 2_500, signedMinGainChangeBps: null })
  })

  it('a bad value names the field', () => {
    const r = configSchema.shape.strategy.safeParse({ replan: { minAmountChangeBps: -1 } })
    expect(r.success).toBe(false)
    expect(JSON.stringify(r.error?.issues[0]?.path)).toBe('["replan","minAmountChangeBps"]')
  })
})

describe('venue deltas and amounts placed differently', () => {
  it('a deposit takes from idle; a withdrawal gives to it; a bridge and redeem move idle across chains in each chain’s decimals', () => {
    const d = deltas([
      { kind: 'withdraw', chain: 'eth', venueId: 'eth-vault', amount: 10n * E },
      { kind: 'bridge', chain: 'eth', venueId: 'eth-idle', amount: 10n * E },
      { kind: 'redeem', chain: 'arb', venueId: 'arb-idle', amount: 999_000_000n }, // 9.99 at 8 decimals
      { kind: 'deposit', chain: 'arb', venueId: 'arb-vault', amount: 999_000_000n },
    ])
    expect(Object.fromEntries(d)).toEqual({ 'eth-vault': -10, 'eth-idle': 0, 'arb-idle': 0, 'arb-vault': 9.99 })
    expect(movedOf(d)).toBeCloseTo(9.995, 12) // (10 + 9.99) / 2
  })

  it('44.1 vs 49.4 into the same vault: 5.3 placed differently; the same 44.1 into another vault: all 44.1', () => {
    const a = deltas([deposit('base-vault', t(441))])
    expect(placedDifferently(a, deltas([deposit('base-vault', t(494))]))).toBeCloseTo(5.3, 12) // (5.3 vault + 5.3 idle) / 2
    expect(placedDifferently(a, deltas([deposit('base-vault-2', t(441))]))).toBeCloseTo(44.1, 12) // (44.1 + 44.1 + 0 idle) / 2
    expect(placedDifferently(a, new Map())).toBeCloseTo(44.1, 12) // a hold
  })
})

describe('replanVerdict', () => {
  it('a near-identical proposal keeps the open plan, and says by how much it differs', () => {
    // Gain: (0.19 − 0.17) × 365 / 30 / 3000 × 1e4 = 0.811 bps/yr < 2; amount: 5.3 / 49.4 = 10.7 % < 25 %.
    const v = replanVerdict(input())
    expect(v.keep).toBe(true)
    expect(v.gainBps).toBeCloseTo(0.8111, 3)
    expect(v.amountShareBps).toBeCloseTo(1072.87, 1)
    expect(v.text).toBe(
      'kept plan p-base-100: new proposal differs by +0.8 bps/yr of the pool / 5.300 wstETH placed differently (10.7 % of the moved amount), below strategy.replan (minGainChangeBps 2, minAmountChangeBps 2500)',
    )
  })

  it('a proposal that gains materially more supersedes it', () => {
    // (0.77 − 0.17) × 365 / 30 / 3000 × 1e4 = 24.3 bps/yr ≥ 2.
    const v = replanVerdict(input({ proposal: { net: 0.77 } }))
    expect(v.keep).toBe(false)
    expect(v.text).toMatch(/^plan p-base-100 replaced: new proposal differs by \+24\.3 bps\/yr of the pool .* the gain is at least strategy\.replan\.minGainChangeBps 2$/)
  })

  it('a proposal that places a quarter of the amount differently supersedes it, even at the same gain', () => {
    // Into another vault: 44.1 of 44.1 placed differently = 100 %.
    const v = replanVerdict(input({ proposal: { net: 0.17, deltas: deltas([deposit('base-vault-2', t(441))]) } }))
    expect(v.keep).toBe(false)
    expect(v.amountShareBps).toBeCloseTo(10_000, 6)
    expect(v.text).toMatch(/44\.100 wstETH placed differently \(100\.0 % .*the amount is at least strategy\.replan\.minAmountChangeBps 2500$/)
    // 44.1 → 60: 15.9 / 60 = 26.5 % ≥ 25 %; 44.1 → 58: 13.9 / 58 = 24.0 % < 25 % (gain held equal).
    expect(replanVerdict(input({ proposal: { net: 0.17, deltas: deltas([deposit('base-vault', t(600))]) } })).keep).toBe(false)
    expect(replanVerdict(input({ proposal: { net: 0.17, deltas: deltas([deposit('base-vault', t(580))]) } })).keep).toBe(true)
  })

  it('an invalid open plan is replaced, whatever the difference', () => {
    const invalid = 're-validation on the latest samples: step 0 (deposit base-vault): target venue base-vault paused at block 120'
    const v = replanVerdict(input({ open: { invalid } }))
    expect(v).toMatchObject({ keep: false, text: `plan p-base-100 replaced: ${invalid}` })
  })

  it('an open plan that cannot be re-scored is replaced by the proposal made on the latest samples', () => {
    expect(replanVerdict(input({ open: { netNow: null } })).text).toBe('plan p-base-100 replaced: it could not be re-scored on the latest samples')
  })

  it('a signed plan stays while valid, however different the proposal; replaced when invalid; signedMinGainChangeBps opts in to a gain threshold', () => {
    const other = { net: 0.77, deltas: deltas([deposit('base-vault-2', t(441))]) } // +24.3 bps/yr, 100 % placed differently
    const kept = replanVerdict(input({ open: { signatures: 1 }, proposal: other }))
    expect(kept.keep).toBe(true)
    expect(kept.text).toMatch(/^kept plan p-base-100 \(1 committee signature\(s\)\): new proposal differs by \+24\.3 bps\/yr .*replaced only when it becomes invalid \(strategy\.replan\.signedMinGainChangeBps null\) — reject it to let a new plan through$/)
    expect(replanVerdict(input({ open: { signatures: 2, invalid: 'expired' }, proposal: other })).keep).toBe(false)
    expect(replanVerdict(input({ open: { signatures: 1 }, proposal: other, policy: { signedMinGainChangeBps: 20 } })).keep).toBe(false) // 24.3 ≥ 20
    expect(replanVerdict(input({ open: { signatures: 1 }, proposal: other, policy: { signedMinGainChangeBps: 30 } })).keep).toBe(true) // 24.3 < 30
  })

  it('a hold (no steps, no gain) against a valid autonomous plan is all of it placed differently: replaced', () => {
    const v = replanVerdict(input({ proposal: { net: 0, deltas: new Map() } }))
    expect(v.keep).toBe(false)
    expect(v.amountShareBps).toBeCloseTo(10_000, 6)
  })
})
