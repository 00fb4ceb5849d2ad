import { describe, expect, it } from 'vitest'
import { apportion, decimalOf, isqrt } from './apportion.js'
import { TallyInputError } from './errors.js'
import { decodeCastFractionalVote, decodeFractionalParams, encodeCastFractionalVote, encodeFractionalParams, topUp, UINT128_MAX } from './fractional.js'
import { buildReceipt, recomputeFromReceipt, receiptToJson } from './receipt.js'
import { isValidChoice, snapshotJsScores, tally, type TallyInput } from './tally.js'
import { randomAddress, randomWorld, rng } from './testing.js'
import { VOTING_TYPES, type Address, type Signal, type VotingType } from './types.js'

const E18 = 10n ** 18n
const ok = { ok: true, method: 'eoa' } as const
const A = '0x00000000000000000000000000000000000000a1' as Address
const B = '0x00000000000000000000000000000000000000b2' as Address
const C = '0x00000000000000000000000000000000000000c3' as Address
const D = '0x00000000000000000000000000000000000000d4' as Address

const sig = (voter: Address, choice: unknown, extra: Partial<Signal> = {}): Signal => ({
  voter,
  choice,
  timestamp: 1_700_000_100,
  sigCheck: ok,
  ...extra,
})

const basicInput = (signals: Signal[], over: Partial<TallyInput> = {}): TallyInput => ({
  proposal: { id: 'p1', type: 'basic', choices: ['For', 'Against', 'Abstain'] },
  delegators: [
    { address: A, weightByChain: { ethereum: 60n * E18, arbitrum: 10n * E18 } },
    { address: B, weightByChain: { base: 20n * E18 } },
    { address: C, weightByChain: { ethereum: 7n * E18 } },
    { address: D, weightByChain: { arbitrum: 3n * E18 } },
  ],
  signals,
  policy: { silent: 'not-cast', quorumBps: 0 },
  onchain: { poolWeight: 1_000_000n * E18 + 7n },
  ...over,
})

describe('apportion', () => {
  it('splits exactly with largest remainders, ties to the lower index', () => {
    expect(apportion(10n, [1n, 1n, 1n])).toEqual([4n, 3n, 3n])
    expect(apportion(100n, [1n, 2n, 3n])).toEqual([17n, 33n, 50n])
    expect(apportion(0n, [0n, 0n])).toEqual([0n, 0n])
    expect(() => apportion(1n, [0n, 0n])).toThrow(RangeError)
  })
  it('always sums to the total (random)', () => {
    const r = rng(7)
    for (let k = 0; k < 500; k++) {
      const total = BigInt(Math.floor(r() * 1e15)) * BigInt(Math.floor(r() * 1e9))
      const ws = Array.from({ length: 1 + Math.floor(r() * 6) }, () => BigInt(Math.floor(r() * 1e12)) + 1n)
      const parts = apportion(total, ws)
      expect(parts.reduce((a, b) => a + b, 0n)).toBe(total)
      const sum = ws.reduce((a, b) => a + b, 0n)
      parts.forEach((p, i) => expect(p - (total * ws[i]!) / sum).toBeLessThanOrEqual(1n))
    }
  })
  it('isqrt is the floor square root', () => {
    const r = rng(3)
    for (let k = 0; k < 300; k++) {
      const n = BigInt(Math.floor(r() * 1e15)) ** 3n + BigInt(k)
      const s = isqrt(n)
      expect(s * s <= n && (s + 1n) * (s + 1n) > n).toBe(true)
    }
    expect(isqrt(0n)).toBe(0n)
    expect(isqrt(1n)).toBe(1n)
  })
  it('decimalOf keeps the decimal value', () => {
    expect(decimalOf(0.1)).toEqual({ int: 1n, scale: 1 })
    expect(decimalOf(1e-7)).toEqual({ int: 1n, scale: 7 })
    expect(decimalOf(1e21)).toEqual({ int: 10n ** 21n, scale: 0 })
    expect(decimalOf(12.5)).toEqual({ int: 125n, scale: 1 })
  })
})

describe('tally agrees with snapshot.js on every voting type', () => {
  for (const type of VOTING_TYPES) {
    it(`${type}: exact scores ≈ snapshot.js getScores(), over several seeds`, () => {
      let refused = 0
      for (let seed = 1; seed <= 12; seed++) {
        const world = randomWorld(seed * 101 + type.length, type)
        const result = tally({
          proposal: { id: 'p', type, choices: world.choices },
          delegators: world.delegators,
          signals: world.signals,
          policy: { silent: 'not-cast', quorumBps: 0 },
        })
        // snapshot.js on every signal with a weight, valid or not: it filters invalid choices itself.
        const all = result.signals.filter((o) => o.weight > 0n).map((o) => ({ choice: o.signal.choice, weight: o.weight }))
        const theirs = snapshotJsScores(type, world.choices, all)
        const total = Number(result.signalledWeight)
        const tol = (type === 'quadratic' ? 1e-9 : 1e-12) * total + 1e3
        expect(result.scores.length).toBe(theirs.length)
        result.scores.forEach((s, i) => expect(Math.abs(Number(s) - theirs[i]!)).toBeLessThanOrEqual(tol))
        expect(result.snapshotScores).toEqual(snapshotJsScores(type, world.choices, all.filter((v) => isValidChoice(type, v.choice, world.choices))))
        // Same validity as snapshot.js: counted or refused for the choice exactly when it says so.
        for (const o of result.signals) {
          if (o.status === 'counted') expect(isValidChoice(type, o.signal.choice, world.choices)).toBe(true)
          if (o.status === 'invalid-choice') expect(isValidChoice(type, o.signal.choice, world.choices)).toBe(false)
        }
        refused += result.signals.filter((o) => o.status === 'invalid-choice').length
        // Exact totals: every counted wei lands on a choice (approval counts it once per approved choice).
        if (type !== 'approval') expect(result.scores.reduce((a, b) => a + b, 0n)).toBe(result.signalledWeight)
      }
      expect(refused).toBeGreaterThan(0)
    })
  }

  it('ranked-choice runs snapshot.js instant runoff (elimination changes the winner)', () => {
    // First round: 1 has 40, 2 has 35, 3 has 25 → 3 eliminated, its ballots go to 2.
    const delegators = [A, B, C].map((address, i) => ({ address, weightByChain: { ethereum: [40n, 35n, 25n][i]! * E18 } }))
    const result = tally({
      proposal: { id: 'p', type: 'ranked-choice', choices: ['x', 'y', 'z'] },
      delegators,
      signals: [sig(A, [1, 2, 3]), sig(B, [2, 1, 3]), sig(C, [3, 2, 1])],
      policy: { silent: 'not-cast', quorumBps: 0 },
    })
    expect(result.scores).toEqual([40n * E18, 60n * E18, 0n])
    expect(result.winner).toBe(2)
    expect(result.snapshotChoice).toEqual([2, 1, 3])
    expect(result.snapshotScores).toEqual([40e18, 60e18, 0])
  })
})

describe('tally: the pool vote', () => {
  it('basic: winner and an exact fractional split summing to the pool weight', () => {
    const r = tally(basicInput([sig(A, 1), sig(B, 2), sig(C, 3)]))
    expect(r.status).toBe('ok')
    expect(r.totalWeight).toBe(100n * E18)
    expect(r.signalledWeight).toBe(97n * E18)
    expect(r.scores).toEqual([70n * E18, 20n * E18, 7n * E18])
    expect(r.snapshotChoice).toBe(1)
    const o = r.onchain!
    expect(o.against + o.for + o.abstain + o.uncast).toBe(1_000_000n * E18 + 7n)
    // D (3 %) is silent and not cast.
    expect(o.uncast).toBe(30_000n * E18)
    expect(o.for).toBe(700_000n * E18 + 5n)
    expect(decodeFractionalParams(o.params)).toEqual({ against: o.against, for: o.for, abstain: o.abstain })
  })

  it('silent policies: abstain and follow-majority', () => {
    const abstain = tally(basicInput([sig(A, 2), sig(B, 1)], { policy: { silent: 'abstain', quorumBps: 0 }, onchain: { poolWeight: 100n } }))
    expect(abstain.onchain).toMatchObject({ against: 70n, for: 20n, abstain: 10n, uncast: 0n })
    expect(abstain.effectiveScores).toEqual([20n * E18, 70n * E18, 10n * E18])
    const follow = tally(basicInput([sig(A, 2), sig(B, 1)], { policy: { silent: 'follow-majority', quorumBps: 0 }, onchain: { poolWeight: 100n } }))
    expect(follow.onchain).toMatchObject({ against: 80n, for: 20n, abstain: 0n, uncast: 0n })
    const notCast = tally(basicInput([sig(A, 2), sig(B, 1)], { onchain: { poolWeight: 100n } }))
    expect(notCast.onchain).toMatchObject({ against: 70n, for: 20n, abstain: 0n, uncast: 10n })
  })

  it('signal quorum: below it nothing is cast and the status says so', () => {
    const r = tally(basicInput([sig(B, 1)], { policy: { silent: 'follow-majority', quorumBps: 2_500 } }))
    expect(r.status).toBe('quorum-not-reached')
    expect(r.quorumReached).toBe(false)
    expect(r.snapshotChoice).toBeNull()
    expect(r.onchain).toBeNull()
    expect(tally(basicInput([sig(B, 1), sig(C, 1)], { policy: { silent: 'not-cast', quorumBps: 2_700 } })).status).toBe('ok')
    expect(tally(basicInput([], { policy: { silent: 'not-cast', quorumBps: 0 } })).status).toBe('no-signals')
  })

  it('refuses forged, out-of-window, wrong-proposal, invalid-choice and zero-weight signals; latest valid revote counts', () => {
    const stranger = randomAddress(rng(1))
    const r = tally(
      basicInput(
        [
          sig(A, 1, { id: 'a1', timestamp: 1_700_000_100 }),
          sig(A, 2, { id: 'a2', timestamp: 1_700_000_200 }), // revote: replaces a1
          sig(A, 3, { id: 'a3', timestamp: 1_700_000_300, sigCheck: { ok: false, method: 'eoa', error: 'recovered 0x…' } }), // forged later: ignored
          sig(B, 1, { timestamp: 1_600_000_000 }),
          sig(C, 1, { proposal: 'other' }),
          sig(D, 4),
          sig(stranger, 1),
        ],
        { proposal: { id: 'p1', type: 'basic', choices: ['For', 'Against', 'Abstain'], start: 1_700_000_000, end: 1_800_000_000 } },
      ),
    )
    expect(r.signals.map((o) => o.status)).toEqual([
      'superseded',
      'counted',
      'invalid-signature',
      'outside-window',
      'wrong-proposal',
      'invalid-choice',
      'zero-weight',
    ])
    expect(r.scores).toEqual([0n, 70n * E18, 0n])
    expect(r.snapshotChoice).toBe(2)
    expect(r.delegators.map((d) => d.signalled)).toEqual([true, false, false, false])
  })

  it('does not depend on the order of signals or delegators', () => {
    for (const type of VOTING_TYPES) {
      const w = randomWorld(99, type)
      const input: TallyInput = {
        proposal: { id: 'p', type, choices: w.choices },
        delegators: w.delegators,
        signals: w.signals,
        policy: { silent: 'follow-majority', quorumBps: 0 },
        onchain: { poolWeight: 123_456_789n * E18 + 1n, support: w.choices.map((_, i) => (['for', 'against', 'abstain'] as const)[i % 3]!) },
      }
      const a = tally(input)
      const b = tally({ ...input, signals: [...w.signals].reverse(), delegators: [...w.delegators].reverse() })
      expect(b.scores).toEqual(a.scores)
      expect(b.snapshotChoice).toEqual(a.snapshotChoice)
      expect(b.onchain).toEqual(a.onchain)
    }
  })

  it('Snapshot choice per type: proportions for weighted/quadratic, winner otherwise', () => {
    const run = (type: VotingType, choices: unknown[]) =>
      tally({
        proposal: { id: 'p', type, choices: ['x', 'y', 'z'] },
        delegators: [A, B, C].map((address, i) => ({ address, weightByChain: { ethereum: [50n, 30n, 20n][i]! * E18 } })),
        signals: choices.map((c, i) => sig([A, B, C][i]!, c)),
        policy: { silent: 'not-cast', quorumBps: 0 },
      }).snapshotChoice
    expect(run('single-choice', [3, 2, 3])).toBe(3)
    expect(run('approval', [[1, 3], [2, 3], [2]])).toEqual([3])
    expect(run('weighted', [{ 1: 1 }, { 2: 1, 3: 1 }, { 3: 4 }])).toEqual({ 1: 500_000, 2: 150_000, 3: 350_000 })
    const q = run('quadratic', [{ 1: 1 }, { 2: 1 }, { 3: 1 }]) as Record<string, number>
    expect(q).toEqual({ 1: 500_000, 2: 300_000, 3: 200_000 })
    // Runoff: z (20) is eliminated and goes to y → x 50, y 50: a tie goes to the lower index.
    expect(run('ranked-choice', [[1, 2, 3], [2, 3, 1], [3, 2, 1]])).toEqual([1, 2, 3])
    expect(run('ranked-choice', [[3, 1, 2], [2, 3, 1], [1, 2, 3]])).toEqual([3, 2, 1])
  })

  it('random worlds: the on-chain split always sums to the pool weight and fits uint128', () => {
    for (let seed = 1; seed <= 30; seed++) {
      for (const silent of ['not-cast', 'abstain', 'follow-majority'] as const) {
        const w = randomWorld(seed, 'basic', { signalShare: 0.6 })
        const poolWeight = BigInt(Math.floor(rng(seed)() * 1e15)) * E18 + BigInt(seed)
        const r = tally(basicInput(w.signals, { delegators: w.delegators, onchain: { poolWeight }, policy: { silent, quorumBps: 0 } }))
        const o = r.onchain!
        expect(o.against + o.for + o.abstain + o.uncast).toBe(poolWeight)
        if (silent !== 'not-cast') expect(o.uncast).toBe(0n)
        expect(decodeFractionalParams(o.params)).toEqual({ against: o.against, for: o.for, abstain: o.abstain })
      }
    }
  })

  it('refuses unusable inputs with TallyInputError', () => {
    expect(() => tally(basicInput([], { policy: { silent: 'not-cast', quorumBps: 20_000 } }))).toThrow(TallyInputError)
    expect(() => tally(basicInput([], { onchain: { poolWeight: UINT128_MAX + 1n } }))).toThrow(TallyInputError)
    expect(() =>
      tally({ ...basicInput([sig(A, 1)]), proposal: { id: 'p', type: 'copeland' as VotingType, choices: ['a'] } }),
    ).toThrow(/unsupported voting type/)
    expect(() =>
      tally({ ...basicInput([sig(A, 1)]), proposal: { id: 'p', type: 'single-choice', choices: ['a', 'b'] } }),
    ).toThrow(/support/)
  })
})

describe('GovernorCountingFractional params and calldata', () => {
  it('packs against, for, abstain as three big-endian uint128 (48 bytes)', () => {
    const params = encodeFractionalParams({ against: 1n, for: 2n, abstain: UINT128_MAX })
    expect(params).toBe(`0x${'0'.repeat(31)}1${'0'.repeat(31)}2${'f'.repeat(32)}`)
    expect(decodeFractionalParams(params)).toEqual({ against: 1n, for: 2n, abstain: UINT128_MAX })
    expect(() => encodeFractionalParams({ against: -1n, for: 0n, abstain: 0n })).toThrow(RangeError)
    expect(() => decodeFractionalParams('0x00')).toThrow(/48 bytes/)
  })
  it('castVoteWithReasonAndParams(proposalId, 255, reason, params) decodes back', () => {
    const split = { against: 5n * E18, for: 7n * E18 + 3n, abstain: 0n }
    const data = encodeCastFractionalVote({ proposalId: 2n ** 200n + 5n, reason: 'pool signal', split })
    expect(data.slice(0, 10)).toBe('0x5f398a14') // castVoteWithReasonAndParams(uint256,uint8,string,bytes)
    const d = decodeCastFractionalVote(data)
    expect(d).toMatchObject({ proposalId: 2n ** 200n + 5n, support: 255, reason: 'pool signal' })
    expect(decodeFractionalParams(d.params)).toEqual(split)
  })
  it('topUp casts only the difference, never more than the unused weight', () => {
    expect(topUp({ against: 10n, for: 50n, abstain: 0n }, { against: 5n, for: 20n, abstain: 0n }, 100n).delta).toEqual({ against: 5n, for: 30n, abstain: 0n })
    const moved = topUp({ against: 60n, for: 40n, abstain: 0n }, { against: 0n, for: 80n, abstain: 0n }, 100n)
    expect(moved.excess.for).toBe(40n)
    expect(moved.delta).toEqual({ against: 20n, for: 0n, abstain: 0n })
  })
})

describe('receipts', () => {
  const input = basicInput([sig(A, 1, { id: 'v1', sig: '0x1234' }), sig(B, 2, { id: 'v2' }), sig(C, 9, { id: 'v3' })], {
    policy: { silent: 'abstain', quorumBps: 5_000 },
  })
  const targets = {
    snapshot: { space: 'upstream.eth', proposal: '0xabc' },
    governor: { chainId: 31337, address: '0x0000000000000000000000000000000000000123' as Address, proposalId: 42n, reason: 'pool' },
  }

  it('recomputes the vote from the receipt JSON alone', () => {
    const receipt = buildReceipt(input, targets)
    const again = recomputeFromReceipt(receiptToJson(receipt))
    expect(again.ok).toBe(true)
    expect(again.mismatches).toEqual([])
    expect(again.vote.snapshotVote).toEqual({ space: 'upstream.eth', proposal: '0xabc', type: 'basic', choice: 1 })
    expect(decodeCastFractionalVote(again.vote.calldata as `0x${string}`).proposalId).toBe(42n)
    expect(receipt.signals.map((s) => s.status)).toEqual(['counted', 'counted', 'invalid-choice'])
    expect(receipt.delegators[0]).toMatchObject({ weight: (70n * E18).toString(), weightByChain: { ethereum: (60n * E18).toString() } })
  })

  it('names every field a tampered receipt gets wrong', () => {
    const receipt = JSON.parse(receiptToJson(buildReceipt(input, targets)))
    receipt.delegators[1].weightByChain.base = (90n * E18).toString() // B inflates its weight…
    const again = recomputeFromReceipt(receipt)
    expect(again.ok).toBe(false)
    expect(again.mismatches.some((m) => m.startsWith('delegators.1.weight:'))).toBe(true)
    expect(again.mismatches.some((m) => m.startsWith('result.onchain.against:'))).toBe(true)
    expect(again.mismatches.some((m) => m.startsWith('result.calldata:'))).toBe(true)
  })

  it('refuses a receipt that does not parse', () => {
    expect(() => recomputeFromReceipt('{')).toThrow(/not JSON/)
    expect(() => recomputeFromReceipt({ version: 1 })).toThrow(/receipt: kind/)
  })
})
