import { isAddress, isHex, recoverTypedDataAddress, type Hex } from 'viem'
import type { SignatureCheck, SignedEnvelope, VotingType } from './types.js'

/**
 * EOA verification of Snapshot vote messages, as snapshot.js `Client712.vote` signs them:
 * EIP-712 domain { name: 'snapshot', version: '0.1.4' } and one of three Vote types (the same
 * field lists as snapshot.js `voteTypes`, `voteArrayTypes`, `voteStringTypes`; the sequencer
 * names them vote, vote-array, vote-string). The signer is recovered with viem
 * (`recoverTypedDataAddress`) and must equal both the envelope's address and `message.from`.
 * Never throws on bad input: a forged, tampered or malformed envelope is refused with a reason.
 * Contract signers (EIP-1271) need a chain call and are checked elsewhere.
 */

export const SNAPSHOT_DOMAIN = { name: 'snapshot', version: '0.1.4' } as const

const voteFields = (choiceType: 'uint32' | 'uint32[]' | 'string') =>
  [
    { name: 'from', type: 'string' },
    { name: 'space', type: 'string' },
    { name: 'timestamp', type: 'uint64' },
    { name: 'proposal', type: 'string' },
    { name: 'choice', type: choiceType },
    { name: 'reason', type: 'string' },
    { name: 'app', type: 'string' },
    { name: 'metadata', type: 'string' },
  ] as const

export const voteTypes = { Vote: voteFields('uint32') } as const
export const voteArrayTypes = { Vote: voteFields('uint32[]') } as const
export const voteStringTypes = { Vote: voteFields('string') } as const

export type VoteKind = 'vote' | 'vote-array' | 'vote-string'
const KINDS: Record<VoteKind, { Vote: readonly { name: string; type: string }[] }> = {
  vote: voteTypes,
  'vote-array': voteArrayTypes,
  'vote-string': voteStringTypes,
}

/** The Vote types snapshot.js uses for a proposal type (Client712.vote's choice of types). */
export function voteKindFor(type: VotingType): VoteKind {
  if (type === 'approval' || type === 'ranked-choice') return 'vote-array'
  if (type === 'quadratic' || type === 'weighted') return 'vote-string'
  return 'vote'
}

export function voteTypesFor(kind: VoteKind) {
  return KINDS[kind]
}

/** The vote message fields (as signed). */
export interface VoteMessage {
  from: string
  space: string
  timestamp: number
  proposal: string
  choice: number | number[] | string
  reason: string
  app: string
  metadata: string
}

/** What the sequencer receives: `{ address, sig, data: { domain, types, message } }`. */
export type VoteEnvelope = SignedEnvelope

export type VerifiedVote =
  | {
      ok: true
      /** The recovered signer (checksummed). */
      signer: `0x${string}`
      kind: VoteKind
      message: VoteMessage
      /** The choice as a value: JSON-parsed for vote-string messages. */
      choice: unknown
    }
  | { ok: false; error: string }

/** Which Snapshot vote type these EIP-712 types are (exact field list), or null. */
export function voteKindOf(types: unknown): VoteKind | null {
  if (typeof types !== 'object' || types === null) return null
  const entries = Object.entries(types).filter(([k]) => k !== 'EIP712Domain')
  if (entries.length !== 1 || entries[0]![0] !== 'Vote') return null
  const fields = JSON.stringify(entries[0]![1])
  for (const [kind, t] of Object.entries(KINDS) as [VoteKind, (typeof KINDS)[VoteKind]][]) {
    if (JSON.stringify(t.Vote) === fields) return kind
  }
  return null
}

const isUint = (v: unknown, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max

function checkMessage(kind: VoteKind, m: Record<string, unknown>): string | null {
  for (const f of ['from', 'space', 'proposal', 'reason', 'app', 'metadata'] as const) {
    if (typeof m[f] !== 'string') return `message.${f} must be a string`
  }
  if (!isUint(m.timestamp, Number.MAX_SAFE_INTEGER)) return 'message.timestamp must be a non-negative integer'
  const c = m.choice
  if (kind === 'vote' && !isUint(c, 2 ** 32 - 1)) return 'message.choice must be a uint32'
  if (kind === 'vote-array' && !(Array.isArray(c) && c.every((x) => isUint(x, 2 ** 32 - 1)))) return 'message.choice must be a uint32[]'
  if (kind === 'vote-string' && typeof c !== 'string') return 'message.choice must be a string'
  const extra = Object.keys(m).filter((k) => !voteTypes.Vote.some((f) => f.name === k))
  if (extra.length > 0) return `message has fields the Vote type does not sign: ${extra.join(', ')}`
  return null
}

/**
 * Verifies a vote envelope's EOA signature and shape. Accepts the domain { name: 'snapshot',
 * version: '0.1.4' } (a chainId, which snapshot.js adds for some wallets, is allowed; nothing
 * else), one of the three Vote types, and a signature by `address` === `message.from`.
 */
export async function verifyVoteEnvelope(envelope: unknown): Promise<VerifiedVote> {
  const refuse = (error: string): VerifiedVote => ({ ok: false, error })
  if (typeof envelope !== 'object' || envelope === null) return refuse('envelope must be an object')
  const { address, sig, data } = envelope as Partial<VoteEnvelope>
  if (typeof address !== 'string' || !isAddress(address, { strict: false })) return refuse('address must be an EVM address')
  if (typeof sig !== 'string' || !isHex(sig)) return refuse('sig must be 0x-prefixed hex')
  if (typeof data !== 'object' || data === null) return refuse('data must be { domain, types, message }')
  const { domain, types, message } = data
  if (typeof domain !== 'object' || domain === null) return refuse('data.domain missing')
  const d = domain as Record<string, unknown>
  const domainKeys = Object.keys(d).filter((k) => k !== 'chainId')
  if (d.name !== SNAPSHOT_DOMAIN.name || d.version !== SNAPSHOT_DOMAIN.version || domainKeys.length !== 2) {
    return refuse(`wrong domain: expected ${JSON.stringify(SNAPSHOT_DOMAIN)}, got ${JSON.stringify(domain)}`)
  }
  if (d.chainId !== undefined && !isUint(d.chainId, Number.MAX_SAFE_INTEGER)) return refuse('domain.chainId must be an integer')
  const kind = voteKindOf(types)
  if (!kind) return refuse('data.types are not a Snapshot Vote type (vote, vote-array, vote-string)')
  if (typeof message !== 'object' || message === null) return refuse('data.message missing')
  const m = message as Record<string, unknown>
  const bad = checkMessage(kind, m)
  if (bad) return refuse(bad)
  if (!isAddress(m.from as string, { strict: false }) || (m.from as string).toLowerCase() !== address.toLowerCase()) {
    return refuse(`message.from ${String(m.from)} is not the envelope address ${address}`)
  }
  let signer: `0x${string}`
  try {
    signer = await recoverTypedDataAddress({
      domain: d as { name: string; version: string; chainId?: number },
      types: KINDS[kind],
      primaryType: 'Vote',
      message: m,
      signature: sig as Hex,
    })
  } catch (err) {
    return refuse(`signature does not recover: ${(err as Error).message.split('\n')[0]}`)
  }
  if (signer.toLowerCase() !== address.toLowerCase()) return refuse(`signature is not by ${address}`)
  let choice: unknown = m.choice
  if (kind === 'vote-string') {
    try {
      choice = JSON.parse(m.choice as string)
    } catch {
      return refuse('message.choice is not JSON')
    }
  }
  return { ok: true, signer, kind, message: m as unknown as VoteMessage, choice }
}

/** The tally's signature check of an envelope (EOA). */
export async function signatureCheckOf(envelope: unknown): Promise<SignatureCheck> {
  const v = await verifyVoteEnvelope(envelope)
  return v.ok ? { ok: true, method: 'eoa' } : { ok: false, method: 'eoa', error: v.error }
}
