import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import snapshot from '@snapshot-labs/snapshot.js'
import { buildSchema, graphql, type GraphQLSchema } from 'graphql'
import { getAddress, hashTypedData } from 'viem'
import { SNAPSHOT_DOMAIN, verifyVoteEnvelope, voteKindOf, voteTypesFor } from '../../governance/verify.js'
import { openHubDb, type SqlValue } from './db.js'
import { Mutex } from '../../core/mutex'

/**
 * A local Snapshot-compatible hub for the devnet and tests.
 *
 * - `POST /graphql`: the real hub's GraphQL subset — space, proposals (where: id, id_in, space,
 *   space_in, state, author; first/skip; orderBy "created"; orderDirection), proposal, votes
 *   (where: proposal, proposal_in, space, voter, voter_in, created_gte/lt; first/skip; orderBy
 *   "created"|"vp") — in the hub's shapes and field names.
 * - `POST /`: the sequencer (what snapshot.js `Client712(url)` posts to), accepting
 *   `{ address, sig, data: { domain, types, message } }` vote messages with the sequencer's
 *   rules and error strings: timestamp window (≤ 300 s ahead, ≤ 3 days behind) → "wrong
 *   timestamp"; domain snapshot 0.1.4 → "wrong domain"; a Vote type → "wrong types"; known space
 *   → "unknown space"; address = from → "wrong from"; EOA signature (viem) → "signature
 *   validation failed"; the message id (its EIP-712 hash, as the sequencer's `getHash`) not seen
 *   before → "duplicate message" (a malleated signature of the same message is a duplicate too);
 *   known proposal → "unknown proposal"; start ≤ now and timestamp ≤ end → "not in voting
 *   window"; snapshot.js `isValidChoice` for the type → "invalid choice"; vp > 0 (pluggable
 *   function) → "no voting power"; an earlier timestamp than the voter's stored vote → "already
 *   voted at later time". A later vote replaces the earlier one. Errors are HTTP 400
 *   `{ error: 'client_error', error_description }`, success `{ id, ipfs, relayer: { address, receipt } }`.
 * - State lives in its own SQLite file. Spaces and proposals are created by the scenario through
 *   `createSpace` / `createProposal` (no signed proposal messages).
 */

export interface HubSpace {
  id: string
  name?: string
  about?: string
  network?: string
  symbol?: string
  admins?: string[]
  members?: string[]
}

export interface HubProposalInput {
  id?: string
  space: string
  author: string
  title: string
  body?: string
  discussion?: string
  choices: string[]
  type: string
  start: number
  end: number
  snapshot: string | number
  quorum?: number
  app?: string
  created?: number
}

export interface HubProposal {
  id: string
  space: string
  author: string
  title: string
  body: string
  discussion: string
  choices: string[]
  type: string
  start: number
  end: number
  snapshot: string
  network: string
  symbol: string
  quorum: number
  privacy: string
  app: string
  scores: number[]
  scores_total: number
  scores_updated: number
  votes: number
  created: number
}

export interface HubVote {
  id: string
  ipfs: string
  voter: string
  space: string
  proposal: string
  choice: unknown
  reason: string
  app: string
  metadata: unknown
  vp: number
  created: number
  sig: string
}

/** Voting power of a voter on a proposal (the hub refuses 0). */
export type VpFunction = (args: { voter: string; space: string; proposal: HubProposal }) => number | Promise<number>

/** A fault to inject before a request is handled: answer with this status and body instead. */
export type FaultHook = (req: { path: string; body: unknown }) => { status: number; body: unknown; headers?: Record<string, string> } | undefined

export interface HubOptions {
  /** SQLite file of the hub (":memory:" for a throwaway hub). */
  dbPath: string
  /** 0 (default) picks a free port. */
  port?: number
  vp?: VpFunction
  /** Clock in unix seconds (tests move it). */
  now?: () => number
  /** The sequencer's timestamp window: how far ahead / behind "now" a message may be dated. */
  maxFutureSeconds?: number
  maxPastSeconds?: number
  fault?: FaultHook
}

export interface SnapshotHub {
  /** http://127.0.0.1:<port> — the sequencer (Client712's url). */
  readonly url: string
  /** http://127.0.0.1:<port>/graphql */
  readonly graphqlUrl: string
  readonly port: number
  createSpace(space: HubSpace): Promise<void>
  createProposal(p: HubProposalInput): Promise<HubProposal>
  getProposal(id: string): Promise<HubProposal | undefined>
  listVotes(proposal: string): Promise<HubVote[]>
  /** Replace the fault hook (undefined removes it). */
  setFault(hook: FaultHook | undefined): void
  close(): Promise<void>
}

const SDL = /* GraphQL */ `
  scalar Any
  enum OrderDirection { asc desc }
  input ProposalWhere {
    id: String
    id_in: [String]
    space: String
    space_in: [String]
    author: String
    author_in: [String]
    state: String
    type: String
    created: Int
    created_gt: Int
    created_gte: Int
    created_lt: Int
    created_lte: Int
  }
  input VoteWhere {
    id: String
    id_in: [String]
    space: String
    space_in: [String]
    proposal: String
    proposal_in: [String]
    voter: String
    voter_in: [String]
    created: Int
    created_gt: Int
    created_gte: Int
    created_lt: Int
    created_lte: Int
  }
  type Space {
    id: String!
    name: String
    about: String
    network: String
    symbol: String
    admins: [String]
    members: [String]
    proposalsCount: Int
    votesCount: Int
  }
  type Proposal {
    id: String!
    ipfs: String
    author: String!
    created: Int!
    space: Space
    network: String!
    symbol: String!
    type: String
    title: String!
    body: String
    discussion: String!
    choices: [String]!
    start: Int!
    end: Int!
    quorum: Float!
    privacy: String
    snapshot: String
    state: String
    link: String
    app: String
    scores: [Float]
    scores_state: String
    scores_total: Float
    scores_updated: Int
    votes: Int
  }
  type Vote {
    id: String!
    ipfs: String
    voter: String!
    created: Int!
    space: Space!
    proposal: Proposal
    choice: Any!
    metadata: Any
    reason: String
    app: String
    vp: Float
    vp_by_strategy: [Float]
    vp_state: String
    sig: String
  }
  type Query {
    space(id: String!): Space
    proposal(id: String!): Proposal
    proposals(first: Int = 20, skip: Int = 0, where: ProposalWhere, orderBy: String = "created", orderDirection: OrderDirection = desc): [Proposal]
    votes(first: Int = 20, skip: Int = 0, where: VoteWhere, orderBy: String = "created", orderDirection: OrderDirection = desc): [Vote]
  }
`

/** The hub's paging limits (the real hub caps `first` at 1000 and `skip` at 5000 for votes/proposals lists). */
const MAX_FIRST = 1000
const MAX_SKIP = 5000

class ClientError extends Error {}

interface ProposalRow {
  id: string
  space: string
  author: string
  title: string
  body: string
  discussion: string
  choices: string
  type: string
  start: number
  end: number
  snapshot: string
  network: string
  symbol: string
  quorum: number
  privacy: string
  app: string
  scores: string
  scores_total: number
  scores_updated: number
  votes: number
  created: number
}

interface VoteRow {
  id: string
  ipfs: string
  voter: string
  space: string
  proposal: string
  choice: string
  reason: string
  app: string
  metadata: string
  vp: number
  created: number
  sig: string
}

interface SpaceRow {
  id: string
  name: string
  about: string
  network: string
  symbol: string
  admins: string
  members: string
  created: number
}

const proposalOf = (r: ProposalRow): HubProposal => ({
  ...r,
  choices: JSON.parse(r.choices) as string[],
  scores: JSON.parse(r.scores) as number[],
})
const voteOf = (r: VoteRow): HubVote => ({ ...r, choice: JSON.parse(r.choice), metadata: JSON.parse(r.metadata) })

/** A fake but stable IPFS CID for a message id. */
const ipfsOf = (id: string) => `bafkrei${id.slice(2, 54)}`

function readBody(req: IncomingMessage, limit = 1e6): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        reject(new ClientError('too large message'))
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}


export async function startHub(opts: HubOptions): Promise<SnapshotHub> {
  const db = await openHubDb(opts.dbPath)
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000))
  const vpOf: VpFunction = opts.vp ?? (() => 1)
  const maxFuture = opts.maxFutureSeconds ?? 300
  const maxPast = opts.maxPastSeconds ?? 3 * 24 * 3600
  let fault = opts.fault
  const writes = new Mutex()

  const stateOf = (p: { start: number; end: number }) => {
    const t = now()
    return t < p.start ? 'pending' : t > p.end ? 'closed' : 'active'
  }

  const getSpaceRow = (id: string) => db.get<SpaceRow>('SELECT * FROM spaces WHERE id = ?', [id])
  const getProposalRow = (id: string) => db.get<ProposalRow>('SELECT * FROM proposals WHERE id = ?', [id])

  async function spaceGql(id: string) {
    const s = await getSpaceRow(id)
    if (!s) return null
    return {
      ...s,
      admins: JSON.parse(s.admins) as string[],
      members: JSON.parse(s.members) as string[],
      proposalsCount: async () => (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM proposals WHERE space = ?', [id]))!.n,
      votesCount: async () => (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM votes WHERE space = ?', [id]))!.n,
    }
  }
  const proposalGql = (r: ProposalRow) => {
    const p = proposalOf(r)
    return {
      ...p,
      ipfs: ipfsOf(`0x${Buffer.from(p.id).toString('hex').padEnd(64, '0')}`),
      state: stateOf(p),
      scores_state: stateOf(p) === 'closed' ? 'final' : 'pending',
      link: `https://snapshot.box/#/s:${p.space}/proposal/${p.id}`,
      space: () => spaceGql(p.space),
    }
  }
  const voteGql = (r: VoteRow) => {
    const v = voteOf(r)
    return {
      ...v,
      vp_by_strategy: [v.vp],
      vp_state: 'final',
      space: () => spaceGql(v.space),
      proposal: async () => {
        const p = await getProposalRow(v.proposal)
        return p ? proposalGql(p) : null
      },
    }
  }

  const paging = (args: { first?: number; skip?: number }) => {
    const first = args.first ?? 20
    const skip = args.skip ?? 0
    if (first < 0 || first > MAX_FIRST) throw new Error(`The \`first\` argument must not be greater than ${MAX_FIRST}`)
    if (skip < 0 || skip > MAX_SKIP) throw new Error(`The \`skip\` argument must not be greater than ${MAX_SKIP}`)
    return [first, skip] as const
  }
  type Where = Record<string, unknown> | undefined
  const filters = (where: Where, columns: Record<string, string>) => {
    const sql: string[] = []
    const params: SqlValue[] = []
    for (const [key, value] of Object.entries(where ?? {})) {
      if (value === null || value === undefined) continue
      const m = /^(.*?)(_in|_gt|_gte|_lt|_lte)?$/.exec(key)!
      const col = columns[m[1]!]
      if (!col) continue
      const op = m[2]
      if (op === '_in') {
        const list = value as string[]
        if (list.length === 0) sql.push('0')
        else {
          sql.push(`${col} IN (${list.map(() => '?').join(', ')})`)
          params.push(...list)
        }
      } else {
        sql.push(`${col} ${{ _gt: '>', _gte: '>=', _lt: '<', _lte: '<=' }[op as '_gt'] ?? '='} ?`)
        params.push(value as SqlValue)
      }
    }
    return { sql, params }
  }

  const rootValue = {
    space: ({ id }: { id: string }) => spaceGql(id),
    proposal: async ({ id }: { id: string }) => {
      const r = await getProposalRow(id)
      return r ? proposalGql(r) : null
    },
    proposals: async (args: { first?: number; skip?: number; where?: Where; orderBy?: string; orderDirection?: 'asc' | 'desc' }) => {
      const [first, skip] = paging(args)
      const { state, ...rest } = args.where ?? {}
      const f = filters(rest, { id: 'id', space: 'space', author: 'author', type: 'type', created: 'created' })
      const t = now()
      if (state === 'pending') f.sql.push(`start > ${t}`)
      else if (state === 'active') f.sql.push(`start <= ${t} AND "end" >= ${t}`)
      else if (state === 'closed') f.sql.push(`"end" < ${t}`)
      else if (state !== undefined && state !== null && state !== 'all') throw new Error(`invalid state ${JSON.stringify(state)}`)
      const order = { created: 'created', start: 'start', end: '"end"' }[args.orderBy ?? 'created']
      if (!order) throw new Error(`invalid orderBy ${JSON.stringify(args.orderBy)}`)
      const dir = args.orderDirection === 'asc' ? 'ASC' : 'DESC'
      const rows = await db.all<ProposalRow>(
        `SELECT * FROM proposals ${f.sql.length ? `WHERE ${f.sql.join(' AND ')}` : ''} ORDER BY ${order} ${dir}, id ${dir} LIMIT ? OFFSET ?`,
        [...f.params, first, skip],
      )
      return rows.map(proposalGql)
    },
    votes: async (args: { first?: number; skip?: number; where?: Where; orderBy?: string; orderDirection?: 'asc' | 'desc' }) => {
      const [first, skip] = paging(args)
      const f = filters(args.where, { id: 'id', space: 'space', proposal: 'proposal', voter: 'voter', created: 'created' })
      const order = { created: 'created', vp: 'vp' }[args.orderBy ?? 'created']
      if (!order) throw new Error(`invalid orderBy ${JSON.stringify(args.orderBy)}`)
      const dir = args.orderDirection === 'asc' ? 'ASC' : 'DESC'
      const rows = await db.all<VoteRow>(
        `SELECT * FROM votes ${f.sql.length ? `WHERE ${f.sql.join(' AND ')}` : ''} ORDER BY ${order} ${dir}, id ${dir} LIMIT ? OFFSET ?`,
        [...f.params, first, skip],
      )
      return rows.map(voteGql)
    },
  }
  const schema: GraphQLSchema = buildSchema(SDL)

  async function updateScores(proposal: HubProposal): Promise<void> {
    const rows = await db.all<VoteRow>('SELECT * FROM votes WHERE proposal = ?', [proposal.id])
    const votes = rows.map((r) => ({ choice: JSON.parse(r.choice) as unknown, balance: r.vp, scores: [r.vp] }))
    const Voting = snapshot.utils.voting[proposal.type as 'basic'] as unknown as new (
      p: { choices: string[] },
      v: typeof votes,
      s: unknown[],
      sel: unknown,
    ) => { getScores(): number[]; getScoresTotal(): number }
    const voting = new Voting({ choices: proposal.choices }, votes, [], null)
    await db.run('UPDATE proposals SET scores = ?, scores_total = ?, scores_updated = ?, votes = ? WHERE id = ?', [
      JSON.stringify(voting.getScores()),
      voting.getScoresTotal(),
      now(),
      rows.length,
      proposal.id,
    ])
  }

  /** The sequencer: one message, the sequencer's checks in its order. */
  async function ingest(body: unknown): Promise<unknown> {
    const env = body as { address?: unknown; sig?: unknown; data?: { domain?: unknown; types?: unknown; message?: unknown } }
    if (
      typeof env !== 'object' || env === null || typeof env.address !== 'string' || typeof env.sig !== 'string' ||
      typeof env.data !== 'object' || env.data === null || typeof env.data.domain !== 'object' || env.data.domain === null ||
      typeof env.data.types !== 'object' || env.data.types === null || typeof env.data.message !== 'object' || env.data.message === null
    ) {
      throw new ClientError('wrong envelope format')
    }
    const domain = env.data.domain as Record<string, unknown>
    const message = env.data.message as Record<string, unknown>
    const types = { ...(env.data.types as Record<string, unknown>) }
    delete types.EIP712Domain
    const t = now()
    const ts = message.timestamp
    if (typeof ts !== 'number' || ts > t + maxFuture || ts < t - maxPast) throw new ClientError('wrong timestamp')
    if (domain.name !== SNAPSHOT_DOMAIN.name || domain.version !== SNAPSHOT_DOMAIN.version) throw new ClientError('wrong domain')
    const kind = voteKindOf(types)
    if (!kind) throw new ClientError('wrong types')
    if (typeof message.space !== 'string' || !(await getSpaceRow(message.space))) throw new ClientError('unknown space')
    if (env.address !== message.from) throw new ClientError('wrong from')
    const verified = await verifyVoteEnvelope({ address: env.address, sig: env.sig, data: { domain, types, message } })
    if (!verified.ok) throw new ClientError('signature validation failed')
    if (typeof message.metadata === 'string' && message.metadata.length > 2000) throw new ClientError('too large metadata')
    const id = hashTypedData({
      domain: domain as { name: string; version: string; chainId?: number },
      types: voteTypesFor(kind),
      primaryType: 'Vote',
      message: message as never,
    })
    if (await db.get('SELECT id FROM messages WHERE id = ?', [id])) throw new ClientError('duplicate message')
    const row = await getProposalRow(String(message.proposal))
    if (!row || row.space !== message.space) throw new ClientError('unknown proposal')
    const proposal = proposalOf(row)
    if (ts > proposal.end || proposal.start > ts || t > proposal.end || proposal.start > t) throw new ClientError('not in voting window')
    const choice = verified.choice
    const Voting = snapshot.utils.voting[proposal.type as 'basic'] as unknown as { isValidChoice(c: unknown, choices: string[]): boolean } | undefined
    if (!Voting || !Voting.isValidChoice(choice, proposal.choices)) throw new ClientError('invalid choice')
    const voter = getAddress(env.address)
    const vp = await vpOf({ voter, space: proposal.space, proposal })
    if (!(typeof vp === 'number' && Number.isFinite(vp) && vp > 0)) throw new ClientError('no voting power')

    const previous = await db.get<{ id: string; created: number }>(
      'SELECT id, created FROM votes WHERE voter = ? AND proposal = ? AND space = ?',
      [voter, proposal.id, proposal.space],
    )
    if (previous) {
      if (previous.created > ts) throw new ClientError('already voted at later time')
      if (previous.created === ts && id.localeCompare(previous.id) <= 0) throw new ClientError('already voted same time with lower index')
    }
    const ipfs = ipfsOf(id)
    const values: SqlValue[] = [
      id,
      ipfs,
      voter,
      proposal.space,
      proposal.id,
      JSON.stringify(choice),
      typeof message.reason === 'string' ? message.reason : '',
      typeof message.app === 'string' ? message.app : '',
      JSON.stringify(typeof message.metadata === 'string' ? safeJson(message.metadata) : {}),
      vp,
      ts,
      env.sig,
    ]
    await db.exec('BEGIN IMMEDIATE')
    try {
      if (previous) await db.run('DELETE FROM votes WHERE voter = ? AND proposal = ? AND space = ?', [voter, proposal.id, proposal.space])
      await db.run('INSERT INTO votes (id, ipfs, voter, space, proposal, choice, reason, app, metadata, vp, created, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', values)
      await db.run('INSERT INTO messages (id, ipfs, address, timestamp, space, type, sig, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        id,
        ipfs,
        voter,
        ts,
        proposal.space,
        'vote',
        env.sig,
        t,
      ])
      await updateScores(proposal)
      await db.exec('COMMIT')
    } catch (err) {
      await db.exec('ROLLBACK')
      throw err
    }
    return { id, ipfs, relayer: { address: '0x0000000000000000000000000000000000000000', receipt: `local:${id.slice(2, 18)}` } }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!
    if (req.method !== 'POST' || (path !== '/' && path !== '/graphql')) {
      send(res, 404, { error: 'not_found', error_description: `${req.method} ${path} is not served` })
      return
    }
    let body: unknown
    try {
      body = JSON.parse(await readBody(req))
    } catch (err) {
      send(res, 400, { error: 'client_error', error_description: err instanceof ClientError ? err.message : 'wrong envelope format' })
      return
    }
    const injected = fault?.({ path, body })
    if (injected) {
      send(res, injected.status, injected.body, injected.headers)
      return
    }
    if (path === '/graphql') {
      const { query, variables, operationName } = (body ?? {}) as { query?: unknown; variables?: Record<string, unknown>; operationName?: string }
      if (typeof query !== 'string') {
        send(res, 400, { errors: [{ message: 'Must provide query string.' }] })
        return
      }
      const result = await graphql({ schema, source: query, rootValue, variableValues: variables ?? null, operationName: operationName ?? null })
      send(res, result.data === undefined && result.errors ? 400 : 200, result)
      return
    }
    try {
      const ok = await writes.lock(() => ingest(body))
      send(res, 200, ok)
    } catch (err) {
      if (err instanceof ClientError) send(res, 400, { error: 'client_error', error_description: err.message })
      else send(res, 500, { error: 'server_error', error_description: (err as Error).message })
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: (err as Error).message })
      else res.destroy()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}`

  return {
    url,
    graphqlUrl: `${url}/graphql`,
    port,
    async createSpace(s) {
      await db.run(
        'INSERT INTO spaces (id, name, about, network, symbol, admins, members, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        [s.id, s.name ?? s.id, s.about ?? '', s.network ?? '1', s.symbol ?? 'VOTE', JSON.stringify(s.admins ?? []), JSON.stringify(s.members ?? []), now()],
      )
    },
    async createProposal(p) {
      const space = await getSpaceRow(p.space)
      if (!space) throw new Error(`hub: unknown space ${p.space}`)
      if (!snapshot.utils.voting[p.type as 'basic']) throw new Error(`hub: unknown voting type ${p.type}`)
      if (p.type === 'basic' && p.choices.length !== 2 && p.choices.length !== 3) throw new Error('hub: basic proposals have 2 or 3 choices')
      const created = p.created ?? now()
      const id = p.id ?? hashTypedData({ domain: SNAPSHOT_DOMAIN, types: { P: [{ name: 'j', type: 'string' }] }, primaryType: 'P', message: { j: JSON.stringify({ ...p, created }) } })
      await db.run(
        `INSERT INTO proposals (id, space, author, title, body, discussion, choices, type, start, "end", snapshot, network, symbol, quorum, app, scores, created)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, p.space, getAddress(p.author), p.title, p.body ?? '', p.discussion ?? '', JSON.stringify(p.choices), p.type, p.start, p.end,
          String(p.snapshot), space.network, space.symbol, p.quorum ?? 0, p.app ?? '', JSON.stringify(p.choices.map(() => 0)), created],
      )
      return proposalOf((await getProposalRow(id))!)
    },
    async getProposal(id) {
      const r = await getProposalRow(id)
      return r ? proposalOf(r) : undefined
    },
    async listVotes(proposal) {
      return (await db.all<VoteRow>('SELECT * FROM votes WHERE proposal = ? ORDER BY created, id', [proposal])).map(voteOf)
    },
    setFault(hook) {
      fault = hook
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await db.close()
    },
  }
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s)
  } catch {
    return {}
  }
}
