import { z } from 'zod'
import { ReceiptError } from './errors.js'
import { encodeCastFractionalVote } from './fractional.js'
import { tally, type TallyInput, type TallyResult } from './tally.js'
import { VOTING_TYPES, type Address, type Hex, type SnapshotChoice } from './types.js'

/**
 * A tally receipt: everything needed to recompute the pool's vote — the proposal, the policy,
 * every delegator's weight per chain, every signal with its signature check and what became of
 * it, and the resulting Snapshot vote and on-chain calldata. JSON-safe (bigints as decimal
 * strings). `recomputeFromReceipt` re-derives the vote from the receipt alone (pure).
 */

export const RECEIPT_VERSION = 1

/** Where the pool's vote goes: the upstream Snapshot proposal and/or the Governor proposal. */
export interface VoteTargets {
  snapshot?: { space: string; proposal: string }
  governor?: { chainId: number; address: Address; proposalId: bigint; reason?: string }
}

const wei = z.string().regex(/^\d+$/, { error: 'expected a non-negative integer as a decimal string (wei)' })
const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, { error: 'expected 0x-prefixed hex' })
const support = z.enum(['against', 'for', 'abstain'])
const split = z.object({ against: wei, for: wei, abstain: wei, uncast: wei, params: hex })
const snapshotChoice = z.union([z.number(), z.array(z.number()), z.record(z.string(), z.number())])

export const receiptSchema = z.object({
  version: z.literal(RECEIPT_VERSION),
  kind: z.literal('poolwarden.tally-receipt'),
  proposal: z.object({
    id: z.string().min(1),
    type: z.enum(VOTING_TYPES),
    choices: z.array(z.string()).min(1),
    start: z.number().int().optional(),
    end: z.number().int().optional(),
  }),
  policy: z.object({
    silent: z.enum(['not-cast', 'abstain', 'follow-majority']),
    quorumBps: z.number().int().min(0).max(10_000),
    proportionScale: z.number().int().positive().optional(),
  }),
  abstainChoice: z.number().int().positive().optional(),
  onchain: z.object({ poolWeight: wei, support: z.array(support).optional() }).optional(),
  targets: z
    .object({
      snapshot: z.object({ space: z.string(), proposal: z.string() }).optional(),
      governor: z
        .object({ chainId: z.number().int().positive(), address: hex, proposalId: wei, reason: z.string().optional() })
        .optional(),
    })
    .default({}),
  delegators: z.array(z.object({ address: hex, weightByChain: z.record(z.string(), wei), weight: wei, signalled: z.boolean() })),
  signals: z.array(
    z.object({
      id: z.string().optional(),
      voter: hex,
      choice: z.unknown(),
      timestamp: z.number(),
      proposal: z.string().optional(),
      sig: hex.optional(),
      sigCheck: z.object({ ok: z.boolean(), method: z.enum(['eoa', 'eip1271', 'none']), error: z.string().optional() }),
      reason: z.string().optional(),
      weight: wei,
      status: z.enum(['counted', 'superseded', 'invalid-signature', 'invalid-choice', 'zero-weight', 'outside-window', 'wrong-proposal']),
    }),
  ),
  result: z.object({
    status: z.enum(['ok', 'quorum-not-reached', 'no-signals', 'no-weight']),
    totalWeight: wei,
    signalledWeight: wei,
    silentWeight: wei,
    quorumReached: z.boolean(),
    scores: z.array(wei),
    effectiveScores: z.array(wei),
    snapshotScores: z.array(z.number()),
    winner: z.number().int().nullable(),
    snapshotChoice: snapshotChoice.nullable(),
    onchain: split.nullable(),
    /** The Snapshot vote message the pool signs (without from/timestamp), when a Snapshot target is set. */
    snapshotVote: z
      .object({ space: z.string(), proposal: z.string(), type: z.enum(VOTING_TYPES), choice: snapshotChoice })
      .nullable(),
    /** castVoteWithReasonAndParams calldata, when a Governor target is set. */
    calldata: hex.nullable(),
  }),
})

export type Receipt = z.infer<typeof receiptSchema>

const str = (v: bigint) => v.toString()
const mapValues = <T, U>(o: Record<string, T>, f: (v: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]))

/** The vote messages of a result for its targets. */
function votesOf(input: TallyInput, result: TallyResult, targets: VoteTargets) {
  const snapshotVote =
    targets.snapshot && result.snapshotChoice !== null
      ? { ...targets.snapshot, type: input.proposal.type, choice: result.snapshotChoice }
      : null
  const calldata =
    targets.governor && result.onchain
      ? encodeCastFractionalVote({ proposalId: targets.governor.proposalId, reason: targets.governor.reason ?? '', split: result.onchain })
      : null
  return { snapshotVote, calldata }
}

/** Builds the receipt of a tally (pure). `result` defaults to tally(input). */
export function buildReceipt(input: TallyInput, targets: VoteTargets = {}, result: TallyResult = tally(input)): Receipt {
  const { snapshotVote, calldata } = votesOf(input, result, targets)
  return {
    version: RECEIPT_VERSION,
    kind: 'poolwarden.tally-receipt',
    proposal: { ...input.proposal, choices: [...input.proposal.choices] },
    policy: { ...input.policy },
    ...(input.abstainChoice !== undefined ? { abstainChoice: input.abstainChoice } : {}),
    ...(input.onchain
      ? { onchain: { poolWeight: str(input.onchain.poolWeight), ...(input.onchain.support ? { support: [...input.onchain.support] } : {}) } }
      : {}),
    targets: {
      ...(targets.snapshot ? { snapshot: { ...targets.snapshot } } : {}),
      ...(targets.governor ? { governor: { ...targets.governor, proposalId: str(targets.governor.proposalId) } } : {}),
    },
    delegators: result.delegators.map((d) => ({
      address: d.address,
      weightByChain: mapValues(d.weightByChain, str),
      weight: str(d.weight),
      signalled: d.signalled,
    })),
    signals: result.signals.map((o) => ({ ...o.signal, weight: str(o.weight), status: o.status })),
    result: {
      status: result.status,
      totalWeight: str(result.totalWeight),
      signalledWeight: str(result.signalledWeight),
      silentWeight: str(result.silentWeight),
      quorumReached: result.quorumReached,
      scores: result.scores.map(str),
      effectiveScores: result.effectiveScores.map(str),
      snapshotScores: result.snapshotScores,
      winner: result.winner,
      snapshotChoice: result.snapshotChoice,
      onchain: result.onchain
        ? {
            against: str(result.onchain.against),
            for: str(result.onchain.for),
            abstain: str(result.onchain.abstain),
            uncast: str(result.onchain.uncast),
            params: result.onchain.params,
          }
        : null,
      snapshotVote,
      calldata,
    },
  }
}

/** The receipt as JSON text (stable key order as built). */
export function receiptToJson(receipt: Receipt): string {
  return JSON.stringify(receipt, null, 2)
}

/** The tally input and targets a receipt was made from. */
export function inputFromReceipt(receipt: Receipt): { input: TallyInput; targets: VoteTargets } {
  const input: TallyInput = {
    proposal: receipt.proposal,
    policy: receipt.policy,
    ...(receipt.abstainChoice !== undefined ? { abstainChoice: receipt.abstainChoice } : {}),
    ...(receipt.onchain
      ? { onchain: { poolWeight: BigInt(receipt.onchain.poolWeight), ...(receipt.onchain.support ? { support: receipt.onchain.support } : {}) } }
      : {}),
    delegators: receipt.delegators.map((d) => ({ address: d.address as Address, weightByChain: mapValues(d.weightByChain, BigInt) })),
    signals: receipt.signals.map(({ weight: _w, status: _s, sig, ...s }) => ({
      ...s,
      voter: s.voter as Address,
      ...(sig !== undefined ? { sig: sig as Hex } : {}),
    })),
  }
  const g = receipt.targets.governor
  const targets: VoteTargets = {
    ...(receipt.targets.snapshot ? { snapshot: receipt.targets.snapshot } : {}),
    ...(g ? { governor: { ...g, address: g.address as Address, proposalId: BigInt(g.proposalId) } } : {}),
  }
  return { input, targets }
}

export interface Recomputation {
  /** True when the recomputed receipt equals the given one in every derived field. */
  ok: boolean
  /** One line per difference: `path: receipt says X, recomputed Y`. */
  mismatches: string[]
  receipt: Receipt
  recomputed: Receipt
  /** The pool's vote as recomputed. */
  vote: { snapshotChoice: SnapshotChoice | null; onchain: Receipt['result']['onchain']; snapshotVote: Receipt['result']['snapshotVote']; calldata: string | null }
}

function diff(a: unknown, b: unknown, path: string, out: string[]): void {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const k of keys) diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out)
    return
  }
  if (!Object.is(a, b)) out.push(`${path}: receipt says ${JSON.stringify(a)}, recomputed ${JSON.stringify(b)}`)
}

/**
 * Re-derives the pool's vote from a receipt alone (JSON text or parsed object): recomputes
 * every weight, every signal's status, the scores, the Snapshot choice, the fractional split and
 * the calldata, and lists every field where the receipt disagrees. Signature checks are taken
 * from the receipt as recorded (re-checking them needs the signed messages, which receipts do
 * not carry yet).
 * Throws ReceiptError when the receipt does not parse.
 */
export function recomputeFromReceipt(json: string | unknown): Recomputation {
  let raw: unknown = json
  if (typeof json === 'string') {
    try {
      raw = JSON.parse(json)
    } catch (err) {
      throw new ReceiptError(`receipt: not JSON (${(err as Error).message})`, { cause: err })
    }
  }
  const parsed = receiptSchema.safeParse(raw)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `receipt: ${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new ReceiptError(lines.join('\n'))
  }
  const receipt = parsed.data
  const { input, targets } = inputFromReceipt(receipt)
  const recomputed = buildReceipt(input, targets)
  const mismatches: string[] = []
  // Compare through JSON so optional/undefined fields compare as the text does.
  diff(JSON.parse(JSON.stringify(receipt)), JSON.parse(JSON.stringify(recomputed)), '', mismatches)
  const r = recomputed.result
  return {
    ok: mismatches.length === 0,
    mismatches,
    receipt,
    recomputed,
    vote: { snapshotChoice: r.snapshotChoice, onchain: r.onchain, snapshotVote: r.snapshotVote, calldata: r.calldata },
  }
}
