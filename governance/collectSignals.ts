import { isAddress, isHex, type Address, type Hex, type PublicClient } from 'viem'
import { z } from 'zod'
import { describeError } from '../core/errors.js'
import { canonicalJson } from './receipt.js'
import { hubVoteSchema, type SnapshotClient } from './snapshotClient.js'
import type { Signal } from './types.js'
import { verifyVoteEnvelope, voteKindOf, voteTypesFor, type VerifiedVote, type VoteEnvelope } from './verify.js'

/**
 * The delegators' signals on a signalling proposal, each checked by us, never trusting the hub:
 *  - every vote of the proposal is read from the hub's GraphQL (all pages); a vote row that does
 *    not parse is kept as a refused signal (`malformed hub vote`), never a crash;
 *  - its signed envelope is fetched from the IPFS gateway by the vote's cid;
 *  - the signature is verified (EOA: `verifyEoa`, default governance/verify's viem check, batched;
 *    otherwise EIP-1271 on the space's chain through `verifyContract`);
 *  - the signal's choice, proposal and timestamp are the SIGNED ones; a hub row that differs from
 *    its signed message (tampered) is refused.
 * What remains to refuse (window, choice validity, weight, duplicates) is the tally's job.
 */

export type VerifyEoa = (envelopes: readonly unknown[]) => Promise<VerifiedVote[]>

export interface CollectSignalsArgs {
  hub: Pick<SnapshotClient, 'query'>
  /** The signalling proposal's id and space. */
  proposalId: string
  space: string
  /** Fetches the signed envelope of an IPFS cid (the hub's pinned message); throws or returns null when unavailable. */
  fetchEnvelope: (cid: string) => Promise<unknown>
  verifyEoa?: VerifyEoa
  /** EIP-1271 check for a signer whose signature does not recover (a contract): true/false, or undefined for an EOA. */
  verifyContract?: (address: Address, envelope: VoteEnvelope) => Promise<boolean | undefined>
  pageSize?: number
  /**
   * Incremental collection: only votes created at or after `created` whose ids are not in `ids`
   * (the ones collected before) are read and verified. Hub rows are signed messages and never
   * change; a revote is a new row (the earlier one stays in the caller's collection, superseded).
   */
  since?: { created: number; ids: ReadonlySet<string> }
  /** Envelope fetches in flight at once (default 16). */
  concurrency?: number
}

/** `fn` over `xs` with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, U>(xs: readonly T[], limit: number, fn: (x: T, i: number) => Promise<U>): Promise<U[]> {
  const out = new Array<U>(xs.length)
  let next = 0
  const worker = async () => {
    while (next < xs.length) {
      const i = next++
      out[i] = await fn(xs[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, xs.length)) }, worker))
  return out
}

const PAGE_FIELDS = 'id voter choice vp created reason ipfs app'

/** Every vote row of a proposal as the hub returns it (unvalidated), oldest first. */
async function rawVotes(hub: Pick<SnapshotClient, 'query'>, proposalId: string, pageSize: number, since?: { created: number; ids: ReadonlySet<string> }): Promise<unknown[]> {
  const out: unknown[] = []
  // Ids collected before are looked up in the caller's set (not copied: it holds every signal so far).
  const known = since?.ids
  const seen = new Set<string>()
  let cursor = since?.created ?? 0
  let tie = 0
  for (;;) {
    const r = await hub.query(
      `query Votes($first: Int!, $skip: Int!, $where: VoteWhere) {
        votes(first: $first, skip: $skip, where: $where, orderBy: "created", orderDirection: asc) { ${PAGE_FIELDS} } }`,
      { first: pageSize, skip: tie, where: { proposal: proposalId, created_gte: cursor } },
      z.object({ votes: z.array(z.unknown()) }),
    )
    for (const v of r.votes) {
      const id = (v as { id?: unknown } | null)?.id
      const k = typeof id === 'string' ? id : JSON.stringify(v)
      if (seen.has(k) || known?.has(k)) continue
      seen.add(k)
      out.push(v)
    }
    if (r.votes.length < pageSize) return out
    const created = r.votes.map((v) => (v as { created?: unknown } | null)?.created).filter((c): c is number => typeof c === 'number')
    const last = created.at(-1)
    if (last === undefined) return out
    if (last === cursor) tie += r.votes.length
    else {
      tie = created.filter((c) => c === last).length
      cursor = last
    }
  }
}

/** The signed message as the receipt keeps it (address, sig, domain, types, message), when it has that shape. */
function envelopeOf(e: VoteEnvelope): { envelope?: VoteEnvelope } {
  const d = e.data as Partial<VoteEnvelope['data']> | undefined
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)
  if (typeof e.address !== 'string' || typeof e.sig !== 'string' || !isObj(d) || !isObj(d.domain) || !isObj(d.types) || !isObj(d.message)) return {}
  return { envelope: { address: e.address, sig: e.sig, data: { domain: d.domain, types: d.types, message: d.message } } }
}

/** Deterministic JSON of a choice (object keys sorted): compares the hub's choice with the signed one, or two casts' choices. */
export const canonical = (v: unknown): string => canonicalJson(v)

export async function collectSignals(args: CollectSignalsArgs): Promise<Signal[]> {
  const raws = await rawVotes(args.hub, args.proposalId, args.pageSize ?? 1000, args.since)
  const verifyEoa: VerifyEoa = args.verifyEoa ?? ((envs) => Promise.all(envs.map((e) => verifyVoteEnvelope(e))))

  interface Pending {
    signal: Signal
    envelope?: VoteEnvelope
  }
  const pending: Pending[] = await mapLimit(
    raws,
    args.concurrency ?? 16,
    async (raw, i): Promise<Pending> => {
      const parsed = hubVoteSchema.safeParse(raw)
      if (!parsed.success) {
        const r = (raw ?? {}) as { id?: unknown; voter?: unknown }
        const issue = parsed.error.issues[0]
        return {
          signal: {
            id: typeof r.id === 'string' && r.id ? r.id : `malformed-${i}`,
            voter: (typeof r.voter === 'string' && isAddress(r.voter, { strict: false }) ? r.voter : '0x') as Address,
            choice: null,
            timestamp: 0,
            sigCheck: { ok: false, method: 'none', error: `malformed hub vote: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unparseable'}` },
          },
        }
      }
      const v = parsed.data
      const base: Signal = { id: v.id, voter: v.voter as Address, choice: v.choice, timestamp: v.created, sigCheck: { ok: false, method: 'none' } }
      if (!v.ipfs) return { signal: { ...base, sigCheck: { ok: false, method: 'none', error: 'no signed message (the hub gave no ipfs cid)' } } }
      let env: unknown
      try {
        env = await args.fetchEnvelope(v.ipfs)
      } catch (err) {
        env = null
        base.sigCheck = { ok: false, method: 'none', error: `signed message ${v.ipfs} unavailable: ${describeError(err)}` }
      }
      if (!env || typeof env !== 'object') {
        return { signal: { ...base, sigCheck: base.sigCheck.error ? base.sigCheck : { ok: false, method: 'none', error: `signed message ${v.ipfs} unavailable` } } }
      }
      const e = env as VoteEnvelope
      const m = (e.data?.message ?? {}) as Record<string, unknown>
      const sig = typeof e.sig === 'string' && isHex(e.sig) ? (e.sig as Hex) : undefined
      const signal: Signal = {
        ...base,
        ...(sig ? { sig } : {}),
        ...(typeof m.proposal === 'string' ? { proposal: m.proposal } : {}),
        ...envelopeOf(e),
      }
      // The hub's row must be what was signed.
      const mismatch =
        typeof m.from !== 'string' || m.from.toLowerCase() !== v.voter.toLowerCase()
          ? 'voter'
          : m.space !== args.space
            ? 'space'
            : m.timestamp !== v.created
              ? 'timestamp'
              : null
      if (mismatch) return { signal: { ...signal, sigCheck: { ok: false, method: 'none', error: `the hub's vote differs from its signed message (${mismatch})` } } }
      return { signal, envelope: e }
    },
  )

  const toVerify = pending.filter((p) => p.envelope)
  const results = await verifyEoa(toVerify.map((p) => p.envelope))
  await Promise.all(
    toVerify.map(async (p, i) => {
      const r = results[i]!
      const s = p.signal
      if (r.ok) {
        if (canonical(r.choice) !== canonical(s.choice)) {
          s.sigCheck = { ok: false, method: 'eoa', error: "the hub's choice differs from the signed choice" }
          return
        }
        s.choice = r.choice
        s.sigCheck = { ok: true, method: 'eoa' }
        return
      }
      // Not an EOA signature of this address: maybe a contract signer (EIP-1271).
      const contract = args.verifyContract && s.sig ? await args.verifyContract(s.voter, p.envelope!).catch(() => undefined) : undefined
      if (contract === undefined) {
        s.sigCheck = { ok: false, method: 'eoa', error: r.error }
        return
      }
      if (!contract) {
        s.sigCheck = { ok: false, method: 'eip1271', error: 'isValidSignature refused the signature' }
        return
      }
      let choice: unknown = (p.envelope!.data.message as Record<string, unknown>).choice
      if (typeof choice === 'string') {
        try {
          choice = JSON.parse(choice)
        } catch {
          s.sigCheck = { ok: false, method: 'eip1271', error: 'message.choice is not JSON' }
          return
        }
      }
      if (canonical(choice) !== canonical(s.choice)) {
        s.sigCheck = { ok: false, method: 'eip1271', error: "the hub's choice differs from the signed choice" }
        return
      }
      s.choice = choice
      s.sigCheck = { ok: true, method: 'eip1271' }
    }),
  )
  return pending.map((p) => p.signal)
}

/**
 * EIP-1271 check of a vote envelope on a chain (viem's verifyTypedData: a contract's
 * isValidSignature, ERC-6492 too). Undefined when the address has no code (an EOA).
 */
export function contractVerifier(client: PublicClient): (address: Address, envelope: VoteEnvelope) => Promise<boolean | undefined> {
  return async (address, envelope) => {
    const code = await client.getCode({ address })
    if (!code || code === '0x') return undefined
    const kind = voteKindOf(envelope.data.types)
    if (!kind) return false
    return client.verifyTypedData({
      address,
      domain: envelope.data.domain as { name: string; version: string },
      types: voteTypesFor(kind),
      primaryType: 'Vote',
      message: envelope.data.message as never,
      signature: envelope.sig as Hex,
    })
  }
}

/**
 * Fetches `<gateway><cid>` as JSON (the hub's pinned signed message). Content under a cid never
 * changes, so answers are kept (up to `cacheSize` cids) and each message is fetched once.
 */
export function ipfsFetcher(gateway: string, opts: { timeoutMs?: number; fetch?: typeof fetch; cacheSize?: number } = {}): (cid: string) => Promise<unknown> {
  const f = opts.fetch ?? fetch
  const base = gateway.endsWith('/') ? gateway : `${gateway}/`
  const cache = new Map<string, unknown>()
  const max = opts.cacheSize ?? 200_000
  return async (cid) => {
    if (!/^[A-Za-z0-9]+$/.test(cid)) throw new Error(`not an IPFS cid: ${cid.slice(0, 80)}`)
    if (cache.has(cid)) return cache.get(cid)
    const res = await f(`${base}${cid}`, { signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    const body: unknown = await res.json()
    if (cache.size >= max) cache.delete(cache.keys().next().value!)
    cache.set(cid, body)
    return body
  }
}
