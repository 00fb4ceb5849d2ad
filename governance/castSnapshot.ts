import snapshot from '@snapshot-labs/snapshot.js'
import { hashTypedData, type LocalAccount } from 'viem'
import { BaseError, describeError, RetryableError } from '../core/errors.js'
import type { GovCast, GovernanceQueries } from '../store/governance.js'
import type { SnapshotChoice, VotingType } from './types.js'
import { voteKindOf, voteTypesFor, type VoteEnvelope } from './verify.js'
import { ethersSignerFromViem } from './viemSigner.js'

/**
 * Casts the pool's Snapshot vote exactly once per cast key:
 *
 *   cast row 'created' (store, before anything is signed; an existing key is resumed)
 *   → snapshot.js `Client712.vote` signs with the pool's key (viem account as an ethers-v5 signer)
 *   → its `send` is intercepted: the signed envelope is stored ('signed') BEFORE it is posted
 *   → posted to the sequencer ('submitted') → the hub's answer: 'accepted' with its vote id.
 *
 * A key whose row holds a signed envelope is only ever resubmitted with that same envelope —
 * never signed again — so a crash between signing and the hub's answer cannot produce a second,
 * different vote. The hub answering "duplicate message" to a resubmission means it took the first
 * one: success, with the id the hub gives a message (its EIP-712 hash). Network failures, 429 and
 * 5xx are retryable (the row stays signed/submitted); any other refusal fails the cast.
 */

export interface SnapshotVoteRequest {
  space: string
  /** The upstream Snapshot proposal id. */
  proposal: string
  type: VotingType
  choice: SnapshotChoice
  reason?: string
  app?: string
  /** Unix seconds; default now. A re-cast must be later than the previous vote. */
  timestamp?: number
}

export interface CastSnapshotArgs {
  governance: Pick<GovernanceQueries, 'createCast' | 'getCast' | 'markCastSigned' | 'markCastSubmitted' | 'markCastAccepted' | 'markCastFailed' | 'refreshCastPayload'>
  /** The sequencer URL (Client712 posts to it). */
  sequencerUrl: string
  account: LocalAccount
  key: string
  proposalKey: string
  tallyId?: number | null
  vote: SnapshotVoteRequest
  /** Test hook: called right after the signed envelope is stored, before it is posted. */
  afterSign?: (cast: GovCast) => void | Promise<void>
  /** Wall clock, unix seconds (default Date.now): a resumed unsigned cast is dated with it. */
  now?: () => number
  /** The earliest timestamp the vote may carry (a revote must be later than the vote it replaces). */
  notBefore?: number
}

export interface CastSnapshotResult {
  /** The hub's id of the vote (the message's EIP-712 hash). */
  id: string
  /** True when this call found the key already signed/submitted and resubmitted the stored payload. */
  resumed: boolean
  /** True when the hub said "duplicate message" (it had the vote already). */
  duplicate: boolean
  envelope: VoteEnvelope
}

/**
 * The hub refused this signed vote (not a duplicate, not a transient failure). `fresh`: the
 * refusal is about the signed message's date ("wrong timestamp": outside the hub's window, e.g. a
 * signature stored through a long outage; "already voted at later time"), so the same vote signed
 * anew under a new cast key can succeed; otherwise the refusal is final for that vote.
 */
export class SnapshotVoteRefusedError extends BaseError {
  override name = 'SnapshotVoteRefusedError'
  readonly fresh: boolean
  constructor(message: string, opts: { cause?: unknown; fresh?: boolean } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : {})
    this.fresh = opts.fresh ?? false
  }
}

/** Refusals that a fresh signature (a new timestamp) can overcome. */
const FRESH_SIGNATURE_FIXES = /^(wrong timestamp|already voted at later time)$/i

/** The sequencer could not be reached or answered 429/5xx: resubmit the same payload later. */
export class SequencerUnavailableError extends RetryableError {
  override name = 'SequencerUnavailableError'
}

/** The id the hub gives a signed message: the EIP-712 hash of its Vote (as the sequencer's getHash). */
export function envelopeId(env: VoteEnvelope): string {
  const kind = voteKindOf(env.data.types)
  if (!kind) throw new SnapshotVoteRefusedError('stored envelope is not a Snapshot Vote')
  return hashTypedData({
    domain: env.data.domain as { name: string; version: string },
    types: voteTypesFor(kind),
    primaryType: 'Vote',
    message: env.data.message as never,
  })
}

type Answer = { ok: true; id: string; duplicate: boolean } | { ok: false; retry: boolean; error: string }

/** Posts an envelope through Client712's own `send` and classifies the answer. */
async function submit(client: InstanceType<typeof snapshot.Client712>, env: VoteEnvelope): Promise<Answer> {
  try {
    const r = (await client.send(env)) as { id?: unknown }
    return { ok: true, id: typeof r?.id === 'string' ? r.id : envelopeId(env), duplicate: false }
  } catch (err) {
    // Client712 rejects with the JSON body of an error answer, the Response of a non-JSON one, or a fetch error.
    const e = err as { error?: unknown; error_description?: unknown; status?: unknown }
    if (typeof e?.error_description === 'string' || typeof e?.error === 'string') {
      const desc = String(e.error_description ?? e.error)
      if (desc === 'duplicate message') return { ok: true, id: envelopeId(env), duplicate: true }
      const transient = e.error === 'server_error' || /too many requests|rate limit/i.test(desc)
      return { ok: false, retry: transient, error: desc }
    }
    if (typeof e?.status === 'number') return { ok: false, retry: e.status === 429 || e.status >= 500, error: `HTTP ${e.status}` }
    return { ok: false, retry: true, error: describeError(err) }
  }
}

export async function castSnapshotVote(args: CastSnapshotArgs): Promise<CastSnapshotResult> {
  const g = args.governance
  const { vote } = args
  const payload = {
    space: vote.space,
    proposal: vote.proposal,
    type: vote.type,
    choice: vote.choice,
    reason: vote.reason ?? '',
    app: vote.app ?? 'poolwarden',
    timestamp: vote.timestamp ?? Math.floor(Date.now() / 1000),
  }
  const created = await g.createCast({ key: args.key, proposalKey: args.proposalKey, target: 'snapshot', tallyId: args.tallyId ?? null, payload })
  let cast = created.cast
  // A cast recorded before a crash but never signed is signed now with a fresh timestamp (the
  // recorded one may be outside the hub's window by now): nothing was signed, so nothing can
  // have reached the hub with the old one.
  if (!created.inserted && cast.status === 'created' && cast.envelope === null) {
    const stored = cast.payload as typeof payload
    const fresh = Math.max(args.now?.() ?? Math.floor(Date.now() / 1000), args.notBefore ?? 0)
    if (stored.timestamp !== fresh) cast = await g.refreshCastPayload(args.key, { ...stored, timestamp: fresh })
  }
  if (cast.status === 'accepted') {
    const env = cast.envelope as VoteEnvelope
    return { id: cast.resultId ?? envelopeId(env), resumed: true, duplicate: false, envelope: env }
  }
  if (cast.status === 'failed') throw new SnapshotVoteRefusedError(`cast ${args.key} failed before: ${cast.error ?? 'unknown'}`)

  const client = new snapshot.Client712(args.sequencerUrl)
  let envelope = cast.envelope as VoteEnvelope | null
  const resumed = envelope !== null
  if (!envelope) {
    // Sign through Client712 with the STORED payload (a resumed 'created' row signs what it recorded),
    // catching the envelope in `send` to store it before anything leaves the process.
    const p = cast.payload as typeof payload
    let captured: VoteEnvelope | null = null
    const capturing = new snapshot.Client712(args.sequencerUrl)
    capturing.send = async (env: unknown) => {
      captured = env as VoteEnvelope
      return { captured: true }
    }
    await capturing.vote(ethersSignerFromViem(args.account) as never, args.account.address, {
      space: p.space,
      proposal: p.proposal,
      type: p.type,
      choice: p.choice,
      reason: p.reason,
      app: p.app,
      timestamp: p.timestamp,
    } as never)
    if (!captured) throw new SnapshotVoteRefusedError('Client712 produced no envelope')
    envelope = JSON.parse(JSON.stringify(captured)) as VoteEnvelope
    const signed = await g.markCastSigned(args.key, envelope)
    await args.afterSign?.(signed)
  }
  await g.markCastSubmitted(args.key)
  const answer = await submit(client, envelope)
  if (answer.ok) {
    await g.markCastAccepted(args.key, { resultId: answer.id })
    return { id: answer.id, resumed, duplicate: answer.duplicate, envelope }
  }
  if (answer.retry) throw new SequencerUnavailableError(`sequencer: ${answer.error} (cast ${args.key} will be resubmitted as signed)`)
  const fresh = FRESH_SIGNATURE_FIXES.test(answer.error)
  await g.markCastFailed(args.key, answer.error, undefined, { retryable: fresh })
  throw new SnapshotVoteRefusedError(`sequencer refused cast ${args.key}: ${answer.error}${fresh ? ' (the vote will be signed anew)' : ''}`, { fresh })
}
