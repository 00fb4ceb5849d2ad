import snapshot from '@snapshot-labs/snapshot.js'
import { apportion, isqrt, toCommonIntegers } from './apportion.js'
import { TallyInputError } from './errors.js'
import { encodeFractionalParams, UINT128_MAX } from './fractional.js'
import {
  VOTING_TYPES,
  type Delegator,
  type FractionalSplit,
  type Hex,
  type OnchainTarget,
  type Signal,
  type SignalStatus,
  type SnapshotChoice,
  type Support,
  type TallyPolicy,
  type TallyProposal,
  type TallyStatus,
  type VotingType,
} from './types.js'

/**
 * The pool's tally (pure: data in, decision out). Delegators' signals on the pool's signalling
 * proposal, weighted by their pool shares (bigint wei summed over chains), become
 *  (a) the pool's Snapshot choice — integer proportions for weighted/quadratic, else the type's
 *      winner — and
 *  (b) the on-chain fractional split (against, for, abstain, uncast) summing to the pool's
 *      Governor weight to the last wei.
 *
 * Snapshot's rules come from snapshot.js (`utils.voting`): each type's `isValidChoice` decides
 * which signals count, and for ranked-choice its instant-runoff decides the elimination. The
 * scores themselves are recomputed in exact integer arithmetic (snapshot.js works in floats,
 * which cannot carry wei): single-choice/basic/approval are plain sums; weighted splits each
 * signal's weight over its choices by largest remainder; quadratic uses fixed-point integer
 * square roots (scale 1e9, floor) and then apportions the valid weight by largest remainder;
 * ranked-choice sums each ballot's weight onto its top candidate among snapshot.js's final
 * round. Tests check these scores against snapshot.js's own `getScores()` on every type.
 */

/** Snapshot's basic choices are For, Against, Abstain (in this order). */
const BASIC_SUPPORT: Support[] = ['for', 'against', 'abstain']
const DEFAULT_PROPORTION_SCALE = 1_000_000
/** Fixed-point scale of the quadratic square roots. */
const SQRT_SCALE = 10n ** 9n
const SUPPORTS: Support[] = ['against', 'for', 'abstain']

export interface TallyInput {
  proposal: TallyProposal
  delegators: readonly Delegator[]
  signals: readonly Signal[]
  policy: TallyPolicy
  /** Present when the proposal mirrors an on-chain Governor proposal. */
  onchain?: OnchainTarget
  /** The choice silent weight goes to under the 'abstain' policy (1-based). Default for basic: 3. */
  abstainChoice?: number
}

export interface SignalOutcome {
  signal: Signal
  /** The voter's pool weight (0 when not a delegator). */
  weight: bigint
  status: SignalStatus
}

export interface DelegatorOutcome {
  address: string
  weightByChain: Record<string, bigint>
  weight: bigint
  /** Whether the delegator's weight counts as signalled (a counted signal) or silent. */
  signalled: boolean
}

export interface OnchainVote extends FractionalSplit {
  /** abi.encodePacked(uint128 against, uint128 for, uint128 abstain): 48 bytes. */
  params: Hex
}

export interface TallyResult {
  status: TallyStatus
  totalWeight: bigint
  signalledWeight: bigint
  silentWeight: bigint
  quorumReached: boolean
  /** Exact per-choice scores of the counted signals (index 0 = choice 1), wei. */
  scores: bigint[]
  /** Scores with the silent delegators' weight placed by the policy. */
  effectiveScores: bigint[]
  /** snapshot.js `getScores()` on the counted signals (float, wei units), for the record. */
  snapshotScores: number[]
  /** The 1-based winning choice of the counted signals (null without signals). */
  winner: number | null
  /** The pool's Snapshot vote (null unless status is 'ok'). */
  snapshotChoice: SnapshotChoice | null
  /** The on-chain fractional vote (null unless status is 'ok' and an on-chain target was given). */
  onchain: OnchainVote | null
  signals: SignalOutcome[]
  delegators: DelegatorOutcome[]
}

interface VotingClass {
  isValidChoice(choice: unknown, choices: string[]): boolean
  new (
    proposal: { choices: string[] },
    votes: { choice: unknown; balance: number; scores: number[] }[],
    strategies: unknown[],
    selected: unknown,
  ): { getScores(): number[] }
}

/** snapshot.js's implementation of a voting type. */
export function votingClass(type: VotingType): VotingClass {
  if (!(VOTING_TYPES as readonly string[]).includes(type)) {
    throw new TallyInputError(`unsupported voting type ${JSON.stringify(type)} (supported: ${VOTING_TYPES.join(', ')})`)
  }
  return snapshot.utils.voting[type] as unknown as VotingClass
}

/** Snapshot's validity rule for a choice on a proposal of this type (snapshot.js `isValidChoice`). */
export function isValidChoice(type: VotingType, choice: unknown, choices: readonly string[]): boolean {
  if (!votingClass(type).isValidChoice(choice, [...choices])) return false
  // Stricter than snapshot.js: weights must be finite (it lets Infinity through).
  if (type === 'weighted' || type === 'quadratic') {
    return Object.values(choice as Record<string, number>).every((v) => Number.isFinite(v))
  }
  return true
}

/** snapshot.js `getScores()` for counted signals with float balances (wei as numbers). */
export function snapshotJsScores(
  type: VotingType,
  choices: readonly string[],
  votes: readonly { choice: unknown; weight: bigint }[],
): number[] {
  const Voting = votingClass(type)
  const balances = votes.map((v) => ({ choice: v.choice, balance: Number(v.weight), scores: [Number(v.weight)] }))
  return new Voting({ choices: [...choices] }, balances, [], null).getScores()
}

const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n)

/** 1-based index of the largest score, ties to the lower index; null when all are zero. */
function argmax(scores: readonly bigint[]): number | null {
  let best = -1
  scores.forEach((s, i) => {
    if (s > 0n && (best < 0 || s > scores[best]!)) best = i
  })
  return best < 0 ? null : best + 1
}

interface Counted {
  choice: unknown
  weight: bigint
}

/** Exact per-choice scores of the counted signals, by the type's rule. */
export function exactScores(type: VotingType, choices: readonly string[], counted: readonly Counted[]): bigint[] {
  const n = choices.length
  const scores: bigint[] = Array.from({ length: n }, () => 0n)
  switch (type) {
    case 'basic':
    case 'single-choice':
      for (const c of counted) scores[(c.choice as number) - 1]! += c.weight
      return scores
    case 'approval':
      for (const c of counted) for (const i of c.choice as number[]) scores[i - 1]! += c.weight
      return scores
    case 'weighted':
      for (const c of counted) {
        const { idx, ints } = choiceMap(c.choice)
        apportion(c.weight, ints).forEach((part, k) => (scores[idx[k]! - 1]! += part))
      }
      return scores
    case 'quadratic': {
      // score_i ∝ (Σ_v sqrt(p_vi · w_v))², then scaled so the scores sum to the valid weight.
      const roots: bigint[] = Array.from({ length: n }, () => 0n)
      for (const c of counted) {
        const { idx, ints } = choiceMap(c.choice)
        const total = sum(ints)
        ints.forEach((v, k) => (roots[idx[k]! - 1]! += isqrt((c.weight * v * SQRT_SCALE * SQRT_SCALE) / total)))
      }
      const squares = roots.map((r) => r * r)
      const valid = sum(counted.map((c) => c.weight))
      return sum(squares) === 0n ? scores : apportion(valid, squares)
    }
    case 'ranked-choice': {
      // snapshot.js's instant runoff decides which candidates reach the final round; each ballot's
      // weight then goes, exactly, to its highest-ranked candidate among them.
      const final = snapshotJsScores(type, choices, counted)
      const alive = new Set(final.flatMap((s, i) => (s > 0 ? [i + 1] : [])))
      for (const c of counted) {
        const top = (c.choice as number[]).find((i) => alive.has(i))
        if (top !== undefined) scores[top - 1]! += c.weight
      }
      return scores
    }
  }
}

/** A weighted/quadratic choice as parallel lists: 1-based indices and integer weights. */
function choiceMap(choice: unknown): { idx: number[]; ints: bigint[] } {
  const entries = Object.entries(choice as Record<string, number>)
    .map(([k, v]) => [Number(k), v] as const)
    .sort((a, b) => a[0] - b[0])
  return { idx: entries.map((e) => e[0]), ints: toCommonIntegers(entries.map((e) => e[1])) }
}

/** The pool's Snapshot choice from the effective scores. */
function snapshotChoiceOf(
  type: VotingType,
  effective: readonly bigint[],
  firstRound: readonly bigint[],
  scale: number,
): SnapshotChoice | null {
  const win = argmax(effective)
  if (win === null) return null
  switch (type) {
    case 'basic':
    case 'single-choice':
      return win
    case 'approval':
      return [win]
    case 'weighted':
    case 'quadratic': {
      const parts = apportion(BigInt(scale), [...effective])
      const out: Record<string, number> = {}
      parts.forEach((p, i) => {
        if (p > 0n) out[String(i + 1)] = Number(p)
      })
      return out
    }
    case 'ranked-choice': {
      // Full ranking (Snapshot requires every choice): final-round score, then first-round
      // score of the eliminated, then index.
      const order = effective.map((_, i) => i)
      order.sort((a, b) => {
        const ea = effective[a]!
        const eb = effective[b]!
        if (ea !== eb) return ea > eb ? -1 : 1
        const fa = firstRound[a]!
        const fb = firstRound[b]!
        if (fa !== fb) return fa > fb ? -1 : 1
        return a - b
      })
      return order.map((i) => i + 1)
    }
  }
}

function normaliseAddress(a: string): string {
  return a.toLowerCase()
}

/** Tally the signals. Pure and deterministic; throws TallyInputError on unusable inputs only. */
export function tally(input: TallyInput): TallyResult {
  const { proposal, policy } = input
  votingClass(proposal.type)
  if (!Number.isInteger(policy.quorumBps) || policy.quorumBps < 0 || policy.quorumBps > 10_000) {
    throw new TallyInputError(`policy.quorumBps must be an integer 0..10000, got ${policy.quorumBps}`)
  }
  const scale = policy.proportionScale ?? DEFAULT_PROPORTION_SCALE
  if (!Number.isSafeInteger(scale) || scale <= 0) throw new TallyInputError(`policy.proportionScale must be a positive integer, got ${scale}`)
  const n = proposal.choices.length
  if (n === 0) throw new TallyInputError(`proposal ${proposal.id} has no choices`)

  // ── weights ──────────────────────────────────────────────────────────────────────────────
  const weights = new Map<string, bigint>()
  const delegators: DelegatorOutcome[] = []
  for (const d of input.delegators) {
    const key = normaliseAddress(d.address)
    if (weights.has(key)) throw new TallyInputError(`delegator ${d.address} is listed twice`)
    let w = 0n
    for (const [chain, v] of Object.entries(d.weightByChain)) {
      if (v < 0n) throw new TallyInputError(`delegator ${d.address}: negative weight on ${chain}`)
      w += v
    }
    weights.set(key, w)
    delegators.push({ address: d.address, weightByChain: { ...d.weightByChain }, weight: w, signalled: false })
  }
  const totalWeight = sum([...weights.values()])

  // ── which signal counts for each voter ───────────────────────────────────────────────────
  const outcomes: SignalOutcome[] = input.signals.map((signal) => {
    const weight = weights.get(normaliseAddress(signal.voter)) ?? 0n
    let status: SignalStatus = 'counted'
    if (!signal.sigCheck.ok) status = 'invalid-signature'
    else if (signal.proposal !== undefined && signal.proposal !== proposal.id) status = 'wrong-proposal'
    else if (
      (proposal.start !== undefined && signal.timestamp < proposal.start) ||
      (proposal.end !== undefined && signal.timestamp > proposal.end)
    )
      status = 'outside-window'
    else if (!isValidChoice(proposal.type, signal.choice, proposal.choices)) status = 'invalid-choice'
    else if (weight === 0n) status = 'zero-weight'
    return { signal, weight, status }
  })
  // The latest acceptable signal of a voter counts (Snapshot: a later revote replaces an earlier
  // one); ties on timestamp go to the larger id/sig, so the result never depends on input order.
  const latest = new Map<string, SignalOutcome>()
  const tieKey = (o: SignalOutcome) => o.signal.id ?? o.signal.sig ?? ''
  for (const o of outcomes) {
    if (o.status !== 'counted') continue
    const key = normaliseAddress(o.signal.voter)
    const prev = latest.get(key)
    const later =
      !prev ||
      o.signal.timestamp > prev.signal.timestamp ||
      (o.signal.timestamp === prev.signal.timestamp && tieKey(o) > tieKey(prev))
    if (later) {
      if (prev) prev.status = 'superseded'
      latest.set(key, o)
    } else o.status = 'superseded'
  }
  const counted = [...latest.values()]
  for (const d of delegators) d.signalled = latest.has(normaliseAddress(d.address))

  const signalledWeight = sum(counted.map((o) => o.weight))
  const silentWeight = totalWeight - signalledWeight
  const cv = counted.map((o) => ({ choice: o.signal.choice, weight: o.weight }))
  const scores = exactScores(proposal.type, proposal.choices, cv)
  const snapshotScores = snapshotJsScores(proposal.type, proposal.choices, cv)
  const winner = argmax(scores)
  const quorumReached = totalWeight > 0n && signalledWeight * 10_000n >= BigInt(policy.quorumBps) * totalWeight

  // ── silent delegators ────────────────────────────────────────────────────────────────────
  const abstainChoice = input.abstainChoice ?? (proposal.type === 'basic' ? 3 : undefined)
  if (abstainChoice !== undefined && (!Number.isInteger(abstainChoice) || abstainChoice < 1 || abstainChoice > n)) {
    throw new TallyInputError(`abstainChoice ${abstainChoice} is not a choice of proposal ${proposal.id} (1..${n})`)
  }
  const effectiveScores = [...scores]
  const silentTo =
    policy.silent === 'abstain' ? abstainChoice : policy.silent === 'follow-majority' ? (winner ?? undefined) : undefined
  if (silentTo !== undefined) effectiveScores[silentTo - 1]! += silentWeight

  const support = input.onchain ? supportOf(proposal, input.onchain) : undefined
  const status: TallyStatus =
    totalWeight === 0n ? 'no-weight' : !quorumReached ? 'quorum-not-reached' : counted.length === 0 ? 'no-signals' : 'ok'

  let snapshotChoice: SnapshotChoice | null = null
  let onchain: OnchainVote | null = null
  if (status === 'ok') {
    const firstRound =
      proposal.type === 'ranked-choice'
        ? exactScores('single-choice', proposal.choices, cv.map((c) => ({ choice: (c.choice as number[])[0], weight: c.weight })))
        : scores
    snapshotChoice = snapshotChoiceOf(proposal.type, effectiveScores, firstRound, scale)
    if (input.onchain && support) {
      const split = onchainSplit({
        poolWeight: input.onchain.poolWeight,
        scores,
        support,
        totalWeight,
        signalledWeight,
        silentTo: policy.silent === 'abstain' ? 'abstain' : policy.silent === 'follow-majority' && winner ? support[winner - 1]! : null,
      })
      onchain = { ...split, params: encodeFractionalParams(split) }
    }
  }
  return {
    status,
    totalWeight,
    signalledWeight,
    silentWeight,
    quorumReached,
    scores,
    effectiveScores,
    snapshotScores,
    winner,
    snapshotChoice,
    onchain,
    signals: outcomes,
    delegators,
  }
}

function supportOf(proposal: TallyProposal, target: OnchainTarget): Support[] {
  const support = target.support ?? (proposal.type === 'basic' ? BASIC_SUPPORT : undefined)
  if (!support) throw new TallyInputError(`proposal ${proposal.id} (${proposal.type}): an on-chain target needs a support for each choice`)
  if (support.length !== proposal.choices.length || support.some((s) => !SUPPORTS.includes(s))) {
    throw new TallyInputError(
      `proposal ${proposal.id}: support must name against/for/abstain for each of its ${proposal.choices.length} choices, got ${JSON.stringify(support)}`,
    )
  }
  if (target.poolWeight < 0n || target.poolWeight > UINT128_MAX) {
    throw new TallyInputError(`poolWeight ${target.poolWeight} does not fit a uint128`)
  }
  return support
}

/**
 * Splits the pool's Governor weight exactly: the signalled share (signalled/total) goes to
 * against/for/abstain in proportion to the choices' scores by support; the silent share to
 * `silentTo`, or stays uncast. One largest-remainder apportionment over a common denominator,
 * so the four parts sum to poolWeight to the last wei.
 */
export function onchainSplit(args: {
  poolWeight: bigint
  scores: readonly bigint[]
  support: readonly Support[]
  totalWeight: bigint
  signalledWeight: bigint
  silentTo: Support | null
}): FractionalSplit {
  const { poolWeight, scores, support, totalWeight, signalledWeight, silentTo } = args
  const bySupport: Record<Support, bigint> = { against: 0n, for: 0n, abstain: 0n }
  scores.forEach((s, i) => (bySupport[support[i]!] += s))
  const scoreSum = sum(scores)
  const silent = totalWeight - signalledWeight
  // Weights over the common denominator totalWeight·scoreSum (or totalWeight when nothing scored).
  const k = scoreSum === 0n ? { against: 0n, for: 0n, abstain: 0n } : {
    against: signalledWeight * bySupport.against,
    for: signalledWeight * bySupport.for,
    abstain: signalledWeight * bySupport.abstain,
  }
  const silentPart = scoreSum === 0n ? silent : silent * scoreSum
  // Nothing scored (no signal, or quadratic roots that floor to zero): the signalled weight stays uncast.
  let uncast = scoreSum === 0n ? signalledWeight : 0n
  if (silentTo) k[silentTo] += silentPart
  else uncast += silentPart
  const [against, forVotes, abstain, rest] = apportion(poolWeight, [k.against, k.for, k.abstain, uncast])
  return { against: against!, for: forVotes!, abstain: abstain!, uncast: rest! }
}
