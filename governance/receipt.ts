import { keccak256, stringToBytes } from 'viem'
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

/**
 * 2: each signal carries its signed message (`envelope`), the receipt records the snapshot time
 * and, per chain, the block read there (number and hash), the share token and its total supply,
 * and the signalling space and chain (where EIP-1271 signatures are checked).
 */
export const RECEIPT_VERSION = 2

/** Where the weights were read: per chain, the last block at or before the snapshot time. */
export interface SnapshotRecord {
  /** Unix seconds: the upstream proposal's snapshot. */
  time: number
  chains: Record<string, { chainId: number; token: Address; multicall3?: Address; block: bigint | null; hash: Hex | null; totalSupply: bigint }>
}

/** The pool's signalling space and the chain its EIP-1271 signatures are checked on. */
export interface SignallingRecord {
  space: string
  chain: string
  chainId: number
}

export interface ReceiptExtras {
  snapshot?: SnapshotRecord
  signalling?: SignallingRecord
}

/** Where the pool's vote goes: the upstream Snapshot proposal and/or the Governor proposal. */
export interface VoteTargets {
  snapshot?: { space: string; proposal: string }
  governor?: { chainId: number; address: Address; proposalId: bigint; reason?: string }
}

const wei = z.string().regex(/^\d+$/, { error: 'expected a non-negative integer as a decimal string (wei)' })
const hex = z.string().regex(/^0x[0-9a-fA-F]*$/, { error: 'expected 0x-prefixed hex' })
const support = z.enum(['against', 'for', 'abstain'])
const split = z.object({ against: wei, for: wei, abstain: wei, uncast: wei, params: hex })
const envelope = z.object({
  address: z.string(),
  sig: z.string(),
  data: z.object({ domain: z.record(z.string(), z.unknown()), types: z.record(z.string(), z.unknown()), message: z.record(z.string(), z.unknown()) }),
})
const snapshotChoice = z.union([z.number(), z.array(z.number()), z.record(z.string(), z.number())])

export const receiptSchema = z.object({
  version: z.union([z.literal(1), z.literal(RECEIPT_VERSION)]),
  kind: z.literal('poolwarden.tally-receipt'),
  /** keccak256 of the receipt's canonical JSON without this field (`receiptHash`); the export adds it. */
  hash: hex.optional(),
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
  snapshot: z
    .object({
      time: z.number().int(),
      chains: z.record(
        z.string(),
        z.object({ chainId: z.number().int().positive(), token: hex, multicall3: hex.optional(), block: wei.nullable(), hash: hex.nullable(), totalSupply: wei }),
      ),
    })
    .optional(),
  signalling: z.object({ space: z.string(), chain: z.string(), chainId: z.number().int().positive() }).optional(),
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
      envelope: envelope.optional(),
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
export function buildReceipt(input: TallyInput, targets: VoteTargets = {}, result: TallyResult = tally(input), extras: ReceiptExtras = {}): Receipt {
  const { snapshotVote, calldata } = votesOf(input, result, targets)
  const snap = extras.snapshot
  return {
    version: RECEIPT_VERSION,
    kind: 'poolwarden.tally-receipt',
    proposal: { ...input.proposal, choices: [...input.proposal.choices] },
    policy: { ...input.policy },
    ...(input.abstainChoice !== undefined ? { abstainChoice: input.abstainChoice } : {}),
    ...(snap
      ? {
          snapshot: {
            time: snap.time,
            chains: mapValues(snap.chains, (c) => ({
              chainId: c.chainId,
              token: c.token,
              ...(c.multicall3 ? { multicall3: c.multicall3 } : {}),
              block: c.block === null ? null : str(c.block),
              hash: c.hash,
              totalSupply: str(c.totalSupply),
            })),
          },
        }
      : {}),
    ...(extras.signalling ? { signalling: { ...extras.signalling } } : {}),
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

/** JSON with object keys sorted at every level and undefined members left out: one text per value. */
export function canonicalJson(v: unknown): string {
  // Built into one array of parts and joined once: a receipt of 100k signals is tens of MB, and
  // nested template strings copied it once per level.
  const out: string[] = []
  writeCanonical(v, out)
  return out.join('')
}

function writeCanonical(v: unknown, out: string[]): void {
  if (Array.isArray(v)) {
    out.push('[')
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',')
      const x: unknown = v[i]
      if (x === undefined) out.push('null')
      else writeCanonical(x, out)
    }
    out.push(']')
    return
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort()
    out.push('{')
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) out.push(',')
      out.push(JSON.stringify(keys[i]), ':')
      writeCanonical(o[keys[i]!], out)
    }
    out.push('}')
    return
  }
  out.push(JSON.stringify(v))
}

/**
 * The receipt's hash: keccak256 of its canonical JSON (sorted keys) without the `hash` field. The
 * governor stores it with every tally (`npm run tally` and Telegram's /tally print it); the export
 * carries it; `npm run recompute` recomputes it, so any edit of the file shows.
 */
export function receiptHash(receipt: Receipt | Record<string, unknown>): Hex {
  // keccak256 of the text's UTF-8 bytes (as keccak256(toHex(text)), without the hex round trip).
  return keccak256(receiptBytes(receipt))
}

/** What `receiptHash` hashes: the receipt's canonical JSON without `hash`, as UTF-8 bytes (for a faster keccak). */
export function receiptBytes(receipt: Receipt | Record<string, unknown>): Uint8Array {
  const { hash: _h, ...rest } = receipt as Record<string, unknown>
  return stringToBytes(canonicalJson(rest))
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
  // What the arithmetic cannot re-derive (the version, the hash, where the weights were read) is
  // carried over: the hash is checked below, the reads by verifyReceipt against the chains.
  const recomputed: Receipt = {
    ...buildReceipt(input, targets),
    version: receipt.version,
    ...(receipt.hash !== undefined ? { hash: receipt.hash } : {}),
    ...(receipt.snapshot ? { snapshot: receipt.snapshot } : {}),
    ...(receipt.signalling ? { signalling: receipt.signalling } : {}),
  }
  const mismatches: string[] = []
  if (receipt.hash !== undefined) {
    const h = receiptHash(raw as Record<string, unknown>)
    if (h.toLowerCase() !== receipt.hash.toLowerCase()) mismatches.push(`hash: receipt says ${receipt.hash}, its content hashes to ${h} (the receipt was edited after it was hashed)`)
  }
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
