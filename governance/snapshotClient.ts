import Bottleneck from 'bottleneck'
import { createPacer, parseRetryAfter } from '../chains/pacing'
import type { RateLimits } from '../store/rateLimits'
import { z } from 'zod'
import { describeError } from '../core/errors.js'
import { HubResponseError, HubUnavailableError } from './errors.js'

/**
 * Snapshot hub GraphQL client: space, proposals (filters), proposal, votes (all pages).
 *
 * - Rate-limited with a bottleneck reservoir: `requests` per `windowMs` (the public hub allows
 *   about 60 per 20 s without an API key; an API key — sent as `x-api-key` — raises it).
 * - 429, 5xx and network failures are retried with exponential back-off (honouring
 *   `Retry-After`), then raise HubUnavailableError (retryable). Other HTTP errors, GraphQL
 *   `errors` and malformed data raise HubResponseError (not retryable) naming the bad field.
 * - Every response is validated with zod before use; numbers stay numbers (hub vp/scores are
 *   floats: the pool's weights never come from the hub).
 */

export const hubSpaceSchema = z.object({
  id: z.string(),
  name: z.string().nullish(),
  network: z.string().nullish(),
  symbol: z.string().nullish(),
  admins: z.array(z.string()).nullish(),
})

export const hubProposalSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  body: z.string().nullish(),
  choices: z.array(z.string()).min(1),
  start: z.number().int(),
  end: z.number().int(),
  snapshot: z.union([z.string(), z.number()]).nullish().transform((v) => (v === null || v === undefined ? null : String(v))),
  state: z.enum(['pending', 'active', 'closed']),
  type: z.string(),
  scores: z.array(z.number()).nullish(),
  scores_total: z.number().nullish(),
  author: z.string(),
  created: z.number().int(),
  space: z.object({ id: z.string() }),
})

export const hubVoteSchema = z.object({
  id: z.string().min(1),
  voter: z.string().regex(/^0x[0-9a-fA-F]{40}$/, { error: 'expected an EVM address' }),
  choice: z.unknown().refine((c) => c !== undefined && c !== null, { error: 'missing choice' }),
  vp: z.number().nullish(),
  created: z.number().int(),
  reason: z.string().nullish(),
  ipfs: z.string().nullish(),
  app: z.string().nullish(),
})

export type HubSpaceData = z.output<typeof hubSpaceSchema>
export type HubProposalData = z.output<typeof hubProposalSchema>
export type HubVoteData = z.output<typeof hubVoteSchema>

const PROPOSAL_FIELDS = 'id title body choices start end snapshot state type scores scores_total author created space { id }'
const VOTE_FIELDS = 'id voter choice vp created reason ipfs app'

export interface SnapshotClientOptions {
  /** e.g. https://hub.snapshot.org/graphql */
  graphqlUrl: string
  /** Hub API key (from env; never logged). */
  apiKey?: string
  /** Requests per window; defaults: 60 / 20 s without a key, 600 / 20 s with one. */
  rateLimit?: { requests: number; windowMs: number }
  maxConcurrent?: number
  /** Attempts after the first on 429/5xx/network errors (default 5). */
  maxRetries?: number
  /** Back-off before retry `attempt` (1-based), ms; default 500·2^(attempt-1) capped at 20 s. */
  backoffMs?: (attempt: number) => number
  /** Per-request timeout, ms (default 15 s). */
  timeoutMs?: number
  fetch?: typeof fetch
  /** The pacing file shared by every process (store/rateLimits.ts): the hub's rate and its Retry-After hold for all. */
  pacing?: RateLimits
}

export interface ProposalFilter {
  spaces?: string[]
  state?: 'pending' | 'active' | 'closed' | 'all'
  first?: number
  skip?: number
  orderDirection?: 'asc' | 'desc'
  createdAfter?: number
}

export interface SnapshotClient {
  space(id: string): Promise<HubSpaceData | null>
  proposal(id: string): Promise<HubProposalData | null>
  proposals(filter?: ProposalFilter): Promise<HubProposalData[]>
  /** Every vote of a proposal, oldest first, paging by `created` (no skip limit reached). */
  votes(proposalId: string, opts?: { pageSize?: number }): Promise<HubVoteData[]>
  /** A raw query validated with `schema` (for fields not covered above). */
  query<T extends z.ZodType>(query: string, variables: Record<string, unknown>, schema: T): Promise<z.output<T>>
  /** Requests sent over HTTP so far (attempts included). */
  readonly requests: number
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

function formatIssues(what: string, err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `hub: ${what}${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${i.message}`)
    .join('\n')
}

export function createSnapshotClient(opts: SnapshotClientOptions): SnapshotClient {
  const doFetch = opts.fetch ?? fetch
  const rate = opts.rateLimit ?? { requests: opts.apiKey ? 600 : 60, windowMs: 20_000 }
  const limiter = new Bottleneck({
    reservoir: rate.requests,
    reservoirRefreshAmount: rate.requests,
    reservoirRefreshInterval: rate.windowMs,
    maxConcurrent: opts.maxConcurrent ?? 4,
  })
  const maxRetries = opts.maxRetries ?? 5
  const backoff = opts.backoffMs ?? ((n: number) => Math.min(20_000, 500 * 2 ** (n - 1)))
  const host = new URL(opts.graphqlUrl).host
  const u = new URL(opts.graphqlUrl)
  // Shared across processes: the window's budget spread evenly (GCRA), and the hub's Retry-After.
  const pacer = createPacer(opts.pacing, { url: opts.graphqlUrl, label: `${u.protocol}//${u.host}`, intervalMs: rate.windowMs / rate.requests, maxWaitMs: opts.timeoutMs ?? 15_000 })
  let requests = 0

  async function once(query: string, variables: Record<string, unknown>): Promise<{ retryAfterMs?: number; data?: unknown; retry?: string }> {
    try {
      await pacer.wait()
    } catch (err) {
      return { retry: `hub ${host}: ${describeError(err)}`, retryAfterMs: Math.max(0, pacer.blockedUntil() - Date.now()) }
    }
    requests++
    let res: Response
    try {
      res = await doFetch(opts.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(opts.apiKey ? { 'x-api-key': opts.apiKey } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
      })
    } catch (err) {
      return { retry: `hub ${host} unreachable: ${describeError(err)}` }
    }
    if (res.status === 429 || res.status >= 500) {
      const ra = parseRetryAfter(res.headers.get('retry-after'), Date.now())
      await res.body?.cancel()
      if (ra !== null && ra > 0) await pacer.retryAfter(ra).catch(() => undefined)
      return { retry: `hub ${host} answered HTTP ${res.status}`, ...(ra !== null && ra > 0 ? { retryAfterMs: ra } : {}) }
    }
    let json: unknown
    try {
      json = await res.json()
    } catch (err) {
      throw new HubResponseError(`hub ${host}: HTTP ${res.status} with a body that is not JSON`, { cause: err })
    }
    const errors = (json as { errors?: { message?: unknown }[] } | null)?.errors
    if (Array.isArray(errors) && errors.length > 0) {
      throw new HubResponseError(`hub ${host}: GraphQL error: ${errors.map((e) => String(e?.message)).join('; ')}`)
    }
    if (!res.ok) throw new HubResponseError(`hub ${host}: HTTP ${res.status}`)
    const data = (json as { data?: unknown } | null)?.data
    if (typeof data !== 'object' || data === null) throw new HubResponseError(`hub ${host}: response without data`)
    return { data }
  }

  async function request(query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const r = await limiter.schedule(() => once(query, variables))
      if (r.data) return r.data as Record<string, unknown>
      if (attempt >= maxRetries) throw new HubUnavailableError(`${r.retry} (gave up after ${attempt + 1} attempts)`)
      await sleep(Math.max(r.retryAfterMs ?? 0, backoff(attempt + 1)))
    }
  }

  async function query<T extends z.ZodType>(q: string, variables: Record<string, unknown>, schema: T): Promise<z.output<T>> {
    const data = await request(q, variables)
    const parsed = schema.safeParse(data)
    if (!parsed.success) throw new HubResponseError(formatIssues('data', parsed.error))
    return parsed.data
  }

  return {
    get requests() {
      return requests
    },
    query,
    async space(id) {
      const r = await query(`query Space($id: String!) { space(id: $id) { id name network symbol admins } }`, { id }, z.object({ space: hubSpaceSchema.nullable() }))
      return r.space
    },
    async proposal(id) {
      const r = await query(`query Proposal($id: String!) { proposal(id: $id) { ${PROPOSAL_FIELDS} } }`, { id }, z.object({ proposal: hubProposalSchema.nullable() }))
      return r.proposal
    },
    async proposals(filter = {}) {
      const where: Record<string, unknown> = {}
      if (filter.spaces) where.space_in = filter.spaces
      if (filter.state && filter.state !== 'all') where.state = filter.state
      if (filter.createdAfter !== undefined) where.created_gt = filter.createdAfter
      const r = await query(
        `query Proposals($first: Int!, $skip: Int!, $where: ProposalWhere, $dir: OrderDirection) {
          proposals(first: $first, skip: $skip, where: $where, orderBy: "created", orderDirection: $dir) { ${PROPOSAL_FIELDS} } }`,
        { first: filter.first ?? 20, skip: filter.skip ?? 0, where, dir: filter.orderDirection ?? 'desc' },
        z.object({ proposals: z.array(hubProposalSchema) }),
      )
      return r.proposals
    },
    async votes(proposalId, { pageSize = 1000 } = {}) {
      const out: HubVoteData[] = []
      const seen = new Set<string>()
      let cursor = 0
      let tie = 0 // votes already read whose created == cursor (skipped within the timestamp)
      for (;;) {
        const r = await query(
          `query Votes($first: Int!, $skip: Int!, $where: VoteWhere) {
            votes(first: $first, skip: $skip, where: $where, orderBy: "created", orderDirection: asc) { ${VOTE_FIELDS} } }`,
          { first: pageSize, skip: tie, where: { proposal: proposalId, created_gte: cursor } },
          z.object({ votes: z.array(hubVoteSchema) }),
        )
        for (const v of r.votes) {
          if (seen.has(v.id)) continue
          seen.add(v.id)
          out.push(v)
        }
        if (r.votes.length < pageSize) return out
        const last = r.votes.at(-1)!.created
        if (last === cursor) tie += r.votes.length
        else {
          tie = r.votes.filter((v) => v.created === last).length
          cursor = last
        }
      }
    },
  }
}
