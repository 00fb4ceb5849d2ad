import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import snapshot from '@snapshot-labs/snapshot.js'
import { buildSchema, graphql, type GraphQLSchema } from 'graphql'
import { getAddress, hashTypedData, isAddress, keccak256, recoverTypedDataAddress, toHex, type Address, type Hex } from 'viem'
import { SNAPSHOT_DOMAIN, verifyVoteEnvelope, voteKindFor, voteKindOf, voteTypesFor, type VoteKind } from '../../governance/verify.js'
import type { VotingType } from '../../governance/types.js'
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
 *   The same endpoint takes signed `Proposal` messages (snapshot.js `Client712.proposal`, the
 *   EIP-712 Proposal type of snapshot.js 0.17) with the sequencer's proposal rules, in its order
 *   and with its error strings after the common checks above: "wrong proposal format" (title
 *   1..256 chars, body ≤ 10 000, discussion empty or an http(s) URL ≤ 256, choices ≥ 1 of 1..256
 *   chars, labels ≤ 10 unique alphanumerics ≤ 8, a voting type the hub can score, start/end in
 *   [1e9, 2e9], app ≤ 24, privacy ""), "proposal end date must be in the future", "wrong
 *   choices for basic type voting" (2 or 3), "wrong proposal period" (end ≤ start: stricter than
 *   the sequencer, which leaves it to the UI), the space's voting settings ("invalid voting
 *   delay" / "invalid voting period" / "invalid voting type"), "only space authors can propose"
 *   (a space with `onlyMembers`: the author must be an admin or member), "proposal snapshot must
 *   be in past" (when a `blockNumber` function is given for the space's network). The answer's
 *   id is the message's EIP-712 hash, the proposal's id as on the real hub.
 * - Contract signers (EIP-1271): when `contractSignature` is given, a signature that does not
 *   recover to the address is asked of it (it calls `isValidSignature(hash, sig)` on the space's
 *   network); without it only EOA signatures are valid.
 * - `GET /ipfs/<cid>`: the signed envelope `{ address, sig, data }` of an accepted message, as an
 *   IPFS gateway serves the real hub's pinned messages (for re-verifying signatures).
 * - State lives in its own SQLite file. Spaces are created with `createSpace`; proposals with
 *   `createProposal` (unsigned, for seeding) or signed messages.
 * - Test/devnet hooks, never part of a real hub: `injectVote` stores a vote row as given, with no
 *   checks at all (forged or tampered signatures, votes outside the window…), so tests can feed
 *   a reader what the sequencer would refuse; with `devnetApi: true` the same hooks answer over
 *   HTTP: `POST /_devnet/space` (HubSpace), `/_devnet/proposal` (HubProposalInput),
 *   `/_devnet/vote` (InjectVoteInput).
 */

export interface HubSpace {
  id: string
  name?: string
  about?: string
  network?: string
  symbol?: string
  admins?: string[]
  members?: string[]
  /** Only admins and members may propose (the sequencer's `filters.onlyMembers`). */
  onlyMembers?: boolean
  /**
   * The space's voting settings: delay / period / type are enforced on proposals (seconds; type),
   * quorum is copied onto each new proposal (as the real hub does); the rest is served as set.
   */
  voting?: { delay?: number; period?: number; type?: string; quorum?: number; quorumType?: string; hideAbstain?: boolean; privacy?: string; aliased?: boolean }
  /** Voting strategies (name, network, params), as the real hub lists them; vp_by_strategy follows their order. */
  strategies?: HubStrategy[]
  /** Proposal validation (default `basic`, as the real hub) and vote validation (default `any`). */
  validation?: { name: string; params?: Record<string, unknown> }
  voteValidation?: { name: string; params?: Record<string, unknown> }
  /** `filters.minScore` (served; the local hub does not check it). */
  minScore?: number
  plugins?: Record<string, unknown>
  moderators?: string[]
  private?: boolean
  website?: string
  twitter?: string
  github?: string
  terms?: string
  categories?: string[]
}

export interface HubStrategy {
  name: string
  /** Chain id as a decimal string (default: the space's network). */
  network?: string
  params: Record<string, unknown>
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
  /** Per space strategy (default [vp]). */
  vp_by_strategy?: number[]
  created: number
  sig: string
}

/**
 * Voting power of a voter on a proposal (the hub refuses 0): a number, or one number per space
 * strategy (in the strategies' order; the vote's `vp_by_strategy`, its `vp` their sum).
 */
export type VpFunction = (args: { voter: string; space: string; proposal: HubProposal }) => number | number[] | Promise<number | number[]>

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
  /** Current block number of a network (space.network): "proposal snapshot must be in past". */
  blockNumber?: (network: string) => Promise<number>
  /**
   * EIP-1271 check of a signature that does not recover to its address: undefined when the
   * address holds no code on the network (an EOA: the signature is simply invalid).
   */
  contractSignature?: ContractSignatureFn
  /** Serve the test hooks over HTTP (`POST /_devnet/space|proposal|vote`). */
  devnetApi?: boolean
}

export type ContractSignatureFn = (args: { network: string; address: Address; hash: Hex; sig: Hex }) => Promise<boolean | undefined>

/** A vote stored by `injectVote` exactly as given (no signature, window, choice or vp checks). */
export interface InjectVoteInput {
  voter: string
  proposal: string
  choice: unknown
  /** The message timestamp (default: now). */
  created?: number
  sig?: string
  reason?: string
  app?: string
  /** The signed metadata string (default "{}"). */
  metadata?: string
  /** Default 1. */
  vp?: number
  /** Default: a hash of the other fields. */
  id?: string
  /**
   * The envelope served at /ipfs/<cid>. Default: the Vote message these fields make for the
   * proposal's type, with `sig` — i.e. what a signer would have sent, so a forged `sig` fails
   * a re-verification exactly as it would on a real hub.
   */
  envelope?: unknown
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
  /** TEST/DEVNET HOOK: stores a vote raw (see InjectVoteInput); replaces the voter's vote on that proposal. */
  injectVote(v: InjectVoteInput): Promise<HubVote>
  /** The signed envelope of an accepted (or injected) message by its IPFS cid. */
  getEnvelope(ipfs: string): Promise<unknown>
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
    private: Boolean
    about: String
    avatar: String
    terms: String
    location: String
    website: String
    twitter: String
    github: String
    coingecko: String
    email: String
    network: String
    symbol: String
    skin: String
    domain: String
    strategies: [Strategy]
    admins: [String]
    members: [String]
    moderators: [String]
    filters: SpaceFilters
    plugins: Any
    voting: SpaceVoting
    categories: [String]
    validation: Validation
    voteValidation: Validation
    treasuries: [Treasury]
    activeProposals: Int
    proposalsCount: Int
    proposalsCount7d: Int
    votesCount: Int
    votesCount7d: Int
    followersCount: Int
    parent: Space
    children: [Space]
    guidelines: String
    template: String
    verified: Boolean
    flagged: Boolean
    hibernated: Boolean
    turbo: Boolean
    created: Int!
  }
  type Strategy {
    name: String!
    network: String
    params: Any
  }
  type Validation {
    name: String!
    params: Any
  }
  type Treasury {
    name: String
    address: String
    network: String
  }
  type SpaceFilters {
    minScore: Float
    onlyMembers: Boolean
  }
  type SpaceVoting {
    delay: Int
    period: Int
    type: String
    quorum: Float
    quorumType: String
    blind: Boolean
    hideAbstain: Boolean
    privacy: String
    aliased: Boolean
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
    strategies: [Strategy]!
    validation: Validation
    plugins: Any!
    title: String!
    body: String
    discussion: String!
    choices: [String]!
    labels: [String]
    start: Int!
    end: Int!
    quorum: Float!
    quorumType: String
    privacy: String
    snapshot: String
    state: String
    link: String
    app: String
    scores: [Float]
    scores_by_strategy: Any
    scores_state: String
    scores_total: Float
    scores_updated: Int
    votes: Int
    updated: Int
    flagged: Boolean
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

/** snapshot.js 0.17 `proposalTypes` (what `Client712.proposal` signs). */
export const PROPOSAL_TYPES = {
  Proposal: [
    { name: 'from', type: 'string' },
    { name: 'space', type: 'string' },
    { name: 'timestamp', type: 'uint64' },
    { name: 'type', type: 'string' },
    { name: 'title', type: 'string' },
    { name: 'body', type: 'string' },
    { name: 'discussion', type: 'string' },
    { name: 'choices', type: 'string[]' },
    { name: 'labels', type: 'string[]' },
    { name: 'start', type: 'uint64' },
    { name: 'end', type: 'uint64' },
    { name: 'snapshot', type: 'uint64' },
    { name: 'plugins', type: 'string' },
    { name: 'privacy', type: 'string' },
    { name: 'app', type: 'string' },
  ],
} as const

const isProposalTypes = (types: Record<string, unknown>) =>
  Object.keys(types).length === 1 && JSON.stringify(types.Proposal) === JSON.stringify(PROPOSAL_TYPES.Proposal)

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
  ipfs: string
  plugins: string
  labels: string
  scores_by_strategy: string
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
  vp_by_strategy: string
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
  settings: string
}

type SpaceSettings = Omit<HubSpace, 'id' | 'name' | 'about' | 'network' | 'symbol' | 'admins' | 'members'>

const proposalOf = ({ ipfs: _ipfs, plugins: _plugins, labels: _labels, scores_by_strategy: _sbs, ...r }: ProposalRow): HubProposal => ({
  ...r,
  choices: JSON.parse(r.choices) as string[],
  scores: JSON.parse(r.scores) as number[],
})
const voteOf = ({ vp_by_strategy, ...r }: VoteRow): HubVote => {
  const byStrategy = safeJson(vp_by_strategy) as unknown
  return { ...r, choice: JSON.parse(r.choice), metadata: JSON.parse(r.metadata), vp_by_strategy: Array.isArray(byStrategy) && byStrategy.length > 0 ? (byStrategy as number[]) : [r.vp] }
}

/** What a space keeps beside its columns (its settings JSON). */
function settingsFromSpace({ id: _i, name: _n, about: _a, network: _net, symbol: _s, admins: _ad, members: _m, ...settings }: HubSpace): SpaceSettings {
  return { ...settings, onlyMembers: settings.onlyMembers ?? false }
}

/** A space's strategies (the hub's default when none are set: one `ticket`, as a space cannot have none). */
const strategiesOf = (s: SpaceRow, settings: SpaceSettings): Required<HubStrategy>[] =>
  settings.strategies && settings.strategies.length > 0
    ? settings.strategies.map((x) => ({ name: x.name, network: x.network ?? s.network, params: x.params }))
    : [{ name: 'ticket', network: s.network, params: { symbol: s.symbol } }]

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
  /** Runs `fn` in one BEGIN IMMEDIATE transaction: committed, or rolled back and rethrown. */
  const inTransaction = async (fn: () => Promise<void>): Promise<void> => {
    await db.exec('BEGIN IMMEDIATE')
    try {
      await fn()
      await db.exec('COMMIT')
    } catch (err) {
      await db.exec('ROLLBACK')
      throw err
    }
  }
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

  const settingsOf = (s: SpaceRow): SpaceSettings => safeJson(s.settings) as SpaceSettings

  async function spaceGql(id: string) {
    const s = await getSpaceRow(id)
    if (!s) return null
    const settings = settingsOf(s)
    const v = settings.voting ?? {}
    const count = async (sql: string, params: SqlValue[]) => (await db.get<{ n: number }>(sql, params))!.n
    const week = () => now() - 7 * 86_400
    // Unset settings answer as the real hub's formatSpace does (null, false, '', [] or its defaults).
    return {
      ...s,
      private: settings.private ?? false,
      avatar: '',
      terms: settings.terms ?? '',
      location: '',
      website: settings.website ?? '',
      twitter: settings.twitter ?? '',
      github: settings.github ?? '',
      coingecko: '',
      email: '',
      skin: null,
      domain: null,
      strategies: strategiesOf(s, settings),
      admins: JSON.parse(s.admins) as string[],
      members: JSON.parse(s.members) as string[],
      moderators: settings.moderators ?? [],
      filters: { minScore: settings.minScore ?? 0, onlyMembers: settings.onlyMembers ?? false },
      plugins: settings.plugins ?? {},
      voting: {
        delay: v.delay ?? null,
        period: v.period ?? null,
        type: v.type ?? null,
        quorum: v.quorum ?? null,
        quorumType: v.quorumType ?? 'default',
        blind: (v.privacy ?? '') === 'shutter',
        hideAbstain: v.hideAbstain ?? false,
        privacy: v.privacy ?? '',
        aliased: v.aliased ?? false,
      },
      categories: settings.categories ?? [],
      validation: { name: settings.validation?.name ?? 'basic', params: settings.validation?.params ?? {} },
      voteValidation: { name: settings.voteValidation?.name ?? 'any', params: settings.voteValidation?.params ?? {} },
      treasuries: [],
      activeProposals: async () => count('SELECT COUNT(*) AS n FROM proposals WHERE space = ? AND start <= ? AND "end" >= ?', [id, now(), now()]),
      proposalsCount: async () => count('SELECT COUNT(*) AS n FROM proposals WHERE space = ?', [id]),
      proposalsCount7d: async () => count('SELECT COUNT(*) AS n FROM proposals WHERE space = ? AND created >= ?', [id, week()]),
      votesCount: async () => count('SELECT COUNT(*) AS n FROM votes WHERE space = ?', [id]),
      votesCount7d: async () => count('SELECT COUNT(*) AS n FROM votes WHERE space = ? AND created >= ?', [id, week()]),
      followersCount: 0,
      parent: null,
      children: [],
      guidelines: '',
      template: '',
      verified: false,
      flagged: false,
      hibernated: false,
      turbo: false,
    }
  }
  const proposalGql = (r: ProposalRow) => {
    const p = proposalOf(r)
    /** The space's strategies and validation (the real hub copies them onto the proposal when it is created; here they are the space's current ones). */
    const spaceSettings = async () => {
      const s = await getSpaceRow(p.space)
      return s ? { row: s, settings: settingsOf(s) } : undefined
    }
    return {
      ...p,
      strategies: async () => {
        const s = await spaceSettings()
        return s ? strategiesOf(s.row, s.settings) : []
      },
      validation: async () => {
        const s = await spaceSettings()
        return { name: s?.settings.validation?.name ?? 'basic', params: s?.settings.validation?.params ?? {} }
      },
      plugins: safeJson(r.plugins ?? '{}') ?? {},
      labels: (safeJson(r.labels ?? '[]') as string[] | undefined) ?? [],
      quorumType: 'default',
      scores_by_strategy: (safeJson(r.scores_by_strategy ?? '[]') as unknown) ?? [],
      updated: null,
      flagged: false,
      ipfs: r.ipfs || ipfsOf(`0x${Buffer.from(p.id).toString('hex').padEnd(64, '0')}`),
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
    const spaceRow = await getSpaceRow(proposal.space)
    const strategies = spaceRow ? strategiesOf(spaceRow, settingsOf(spaceRow)) : [{ name: 'ticket', network: proposal.network, params: {} }]
    // Each vote's vp per strategy (a vote stored before strategies existed counts all its vp in the first).
    const votes = rows.map((r) => {
      const v = voteOf(r)
      const scores = strategies.map((_, i) => (v.vp_by_strategy!.length === strategies.length ? v.vp_by_strategy![i]! : i === 0 ? v.vp : 0))
      return { choice: v.choice, balance: v.vp, scores }
    })
    const Voting = snapshot.utils.voting[proposal.type as 'basic'] as unknown as new (
      p: { choices: string[] },
      v: typeof votes,
      s: unknown[],
      sel: unknown,
    ) => { getScores(): number[]; getScoresByStrategy(): number[][]; getScoresTotal(): number }
    const voting = new Voting({ choices: proposal.choices }, votes, strategies, null)
    await db.run('UPDATE proposals SET scores = ?, scores_by_strategy = ?, scores_total = ?, scores_updated = ?, votes = ? WHERE id = ?', [
      JSON.stringify(voting.getScores()),
      JSON.stringify(voting.getScoresByStrategy()),
      voting.getScoresTotal(),
      now(),
      rows.length,
      proposal.id,
    ])
  }

  /** EIP-1271 fallback for a signature that did not recover to its address. */
  async function contractSigned(network: string, address: string, hash: Hex, sig: string): Promise<boolean> {
    if (!opts.contractSignature || !isAddress(address, { strict: false }) || !/^0x[0-9a-fA-F]*$/.test(sig)) return false
    try {
      return (await opts.contractSignature({ network, address: getAddress(address), hash, sig: sig as Hex })) === true
    } catch {
      return false
    }
  }

  async function storeMessage(m: { id: string; ipfs: string; address: string; ts: number; space: string; type: string; sig: string; envelope: unknown }): Promise<void> {
    await db.run('INSERT INTO messages (id, ipfs, address, timestamp, space, type, sig, received, envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      m.id, m.ipfs, m.address, m.ts, m.space, m.type, m.sig, now(), JSON.stringify(m.envelope),
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
    const isProposal = !kind && isProposalTypes(types)
    if (!kind && !isProposal) throw new ClientError('wrong types')
    const spaceRow = typeof message.space === 'string' ? await getSpaceRow(message.space) : undefined
    if (!spaceRow) throw new ClientError('unknown space')
    if (env.address !== message.from) throw new ClientError('wrong from')
    const envelope = { address: env.address, sig: env.sig, data: { domain, types, message } }
    if (isProposal) return ingestProposal(envelope, spaceRow, ts, t)

    let choice: unknown
    const verified = await verifyVoteEnvelope(envelope)
    let id: Hex
    try {
      id = hashTypedData({ domain: domain as { name: string; version: string; chainId?: number }, types: voteTypesFor(kind!), primaryType: 'Vote', message: message as never })
    } catch {
      throw new ClientError('signature validation failed')
    }
    if (verified.ok) choice = verified.choice
    else if (await contractSigned(spaceRow.network, env.address, id, env.sig)) {
      choice = message.choice
      if (kind === 'vote-string') choice = typeof message.choice === 'string' ? safeJson(message.choice, undefined) : undefined
    } else throw new ClientError('signature validation failed')
    if (typeof message.metadata === 'string' && message.metadata.length > 2000) throw new ClientError('too large metadata')
    if (await db.get('SELECT id FROM messages WHERE id = ?', [id])) throw new ClientError('duplicate message')
    const row = await getProposalRow(String(message.proposal))
    if (!row || row.space !== message.space) throw new ClientError('unknown proposal')
    const proposal = proposalOf(row)
    if (ts > proposal.end || proposal.start > ts || t > proposal.end || proposal.start > t) throw new ClientError('not in voting window')
    const Voting = snapshot.utils.voting[proposal.type as 'basic'] as unknown as { isValidChoice(c: unknown, choices: string[]): boolean } | undefined
    if (!Voting || !Voting.isValidChoice(choice, proposal.choices)) throw new ClientError('invalid choice')
    const voter = getAddress(env.address)
    const power = await vpOf({ voter, space: proposal.space, proposal })
    const byStrategy = Array.isArray(power) ? power : [power]
    const vp = byStrategy.reduce((a, b) => a + b, 0)
    if (!(byStrategy.every((x) => typeof x === 'number' && Number.isFinite(x)) && vp > 0)) throw new ClientError('no voting power')

    const previous = await db.get<{ id: string; created: number }>(
      'SELECT id, created FROM votes WHERE voter = ? AND proposal = ? AND space = ?',
      [voter, proposal.id, proposal.space],
    )
    if (previous) {
      if (previous.created > ts) throw new ClientError('already voted at later time')
      if (previous.created === ts && id.localeCompare(previous.id) <= 0) throw new ClientError('already voted same time with lower index')
    }
    const ipfs = ipfsOf(id)
    const sig = env.sig
    await inTransaction(async () => {
      await putVote({
        id, ipfs, voter, space: proposal.space, proposal: proposal.id, choice,
        reason: typeof message.reason === 'string' ? message.reason : '',
        app: typeof message.app === 'string' ? message.app : '',
        metadata: typeof message.metadata === 'string' ? safeJson(message.metadata) : {},
        vp, vp_by_strategy: byStrategy, created: ts, sig,
      })
      await storeMessage({ id, ipfs, address: voter, ts, space: proposal.space, type: 'vote', sig, envelope })
      await updateScores(proposal)
    })
    return { id, ipfs, relayer: { address: '0x0000000000000000000000000000000000000000', receipt: `local:${id.slice(2, 18)}` } }
  }

  /** Replaces the voter's vote on the proposal (inside the caller's transaction). */
  async function putVote(v: HubVote): Promise<void> {
    await db.run('DELETE FROM votes WHERE voter = ? AND proposal = ? AND space = ?', [v.voter, v.proposal, v.space])
    await db.run('INSERT INTO votes (id, ipfs, voter, space, proposal, choice, reason, app, metadata, vp, vp_by_strategy, created, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      v.id, v.ipfs, v.voter, v.space, v.proposal, JSON.stringify(v.choice), v.reason, v.app, JSON.stringify(v.metadata ?? {}), v.vp, JSON.stringify(v.vp_by_strategy ?? [v.vp]), v.created, v.sig,
    ])
  }

  /** A signed Proposal message: the sequencer's proposal rules (see the header). */
  async function ingestProposal(envelope: { address: string; sig: string; data: { domain: Record<string, unknown>; message: Record<string, unknown> } }, spaceRow: SpaceRow, ts: number, t: number): Promise<unknown> {
    const { domain, message: m } = envelope.data
    let id: Hex
    try {
      id = hashTypedData({ domain: domain as { name: string; version: string; chainId?: number }, types: PROPOSAL_TYPES, primaryType: 'Proposal', message: m as never })
    } catch {
      throw new ClientError('signature validation failed')
    }
    let signer: string | undefined
    try {
      signer = await recoverTypedDataAddress({ domain: domain as { name: string }, types: PROPOSAL_TYPES, primaryType: 'Proposal', message: m as never, signature: envelope.sig as Hex })
    } catch {
      signer = undefined
    }
    const eoaOk = signer !== undefined && signer.toLowerCase() === envelope.address.toLowerCase()
    if (!eoaOk && !(await contractSigned(spaceRow.network, envelope.address, id, envelope.sig))) throw new ClientError('signature validation failed')
    if (await db.get('SELECT id FROM messages WHERE id = ?', [id])) throw new ClientError('duplicate message')

    const str = (v: unknown, min: number, max: number) => typeof v === 'string' && v.length >= min && v.length <= max
    const inRange = (v: unknown) => typeof v === 'number' && v >= 1e9 && v <= 2e9
    const labels = m.labels as unknown
    const formatOk =
      str(m.title, 1, 256) &&
      str(m.body, 0, 10_000) &&
      str(m.discussion, 0, 256) &&
      (m.discussion === '' || /^https?:\/\/\S+$/.test(m.discussion as string)) &&
      Array.isArray(m.choices) && m.choices.length >= 1 && m.choices.every((c) => str(c, 1, 256)) &&
      Array.isArray(labels) && labels.length <= 10 && new Set(labels).size === labels.length && labels.every((l) => typeof l === 'string' && /^[a-zA-Z0-9]{1,8}$/.test(l)) &&
      typeof m.type === 'string' && VOTING_TYPES_SCORED.includes(m.type) &&
      inRange(m.start) && inRange(m.end) && typeof m.snapshot === 'number' &&
      str(m.app, 0, 24) && m.privacy === ''
    if (!formatOk) throw new ClientError('wrong proposal format')
    const start = m.start as number
    const end = m.end as number
    const type = m.type as string
    const choices = m.choices as string[]
    if (end <= t) throw new ClientError('proposal end date must be in the future')
    if (type === 'basic' && choices.length !== 2 && choices.length !== 3) throw new ClientError('wrong choices for basic type voting')
    if (end <= start) throw new ClientError('wrong proposal period')
    const settings = settingsOf(spaceRow)
    if (settings.voting?.delay && start !== ts + settings.voting.delay) throw new ClientError('invalid voting delay')
    if (settings.voting?.period && end - start !== settings.voting.period) throw new ClientError('invalid voting period')
    if (settings.voting?.type && type !== settings.voting.type) throw new ClientError('invalid voting type')
    const authors = [...(JSON.parse(spaceRow.admins) as string[]), ...(JSON.parse(spaceRow.members) as string[])].map((a) => a.toLowerCase())
    if (settings.onlyMembers && !authors.includes(envelope.address.toLowerCase())) throw new ClientError('only space authors can propose')
    if (opts.blockNumber) {
      let current: number
      try {
        current = await opts.blockNumber(spaceRow.network)
      } catch {
        throw new ClientError('unable to fetch current block number')
      }
      if ((m.snapshot as number) > current) throw new ClientError('proposal snapshot must be in past')
    }
    const ipfs = ipfsOf(id)
    const author = getAddress(envelope.address)
    await inTransaction(async () => {
      await db.run(
        `INSERT INTO proposals (id, space, author, title, body, discussion, choices, type, start, "end", snapshot, network, symbol, quorum, app, scores, created, ipfs, plugins, labels)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, spaceRow.id, author, m.title as string, m.body as string, m.discussion as string, JSON.stringify(choices), type, start, end,
          String(m.snapshot), spaceRow.network, spaceRow.symbol, settings.voting?.quorum ?? 0, kebab(m.app as string), JSON.stringify(choices.map(() => 0)), ts, ipfs,
          JSON.stringify(typeof m.plugins === 'string' ? safeJson(m.plugins) : {}), JSON.stringify(labels)],
      )
      await storeMessage({ id, ipfs, address: author, ts, space: spaceRow.id, type: 'proposal', sig: envelope.sig, envelope })
    })
    return { id, ipfs, relayer: { address: '0x0000000000000000000000000000000000000000', receipt: `local:${id.slice(2, 18)}` } }
  }

  /** TEST/DEVNET HOOK: a vote row exactly as given. */
  async function injectVote(input: InjectVoteInput): Promise<HubVote> {
    const row = await getProposalRow(input.proposal)
    if (!row) throw new ClientError(`unknown proposal ${input.proposal}`)
    const created = input.created ?? now()
    const kind: VoteKind = voteKindFor(row.type as VotingType)
    const message = {
      from: input.voter,
      space: row.space,
      timestamp: created,
      proposal: row.id,
      choice: kind === 'vote-string' ? JSON.stringify(input.choice) : input.choice,
      reason: input.reason ?? '',
      app: input.app ?? '',
      metadata: input.metadata ?? '{}',
    }
    const sig = input.sig ?? '0x'
    const envelope = input.envelope ?? { address: input.voter, sig, data: { domain: SNAPSHOT_DOMAIN, types: voteTypesFor(kind), message } }
    const id = input.id ?? keccak256(toHex(JSON.stringify({ injected: envelope })))
    const ipfs = ipfsOf(id)
    const vote: HubVote = {
      id, ipfs, voter: input.voter, space: row.space, proposal: row.id, choice: input.choice, reason: message.reason, app: message.app,
      metadata: safeJson(message.metadata), vp: input.vp ?? 1, created, sig,
    }
    await writes.lock(async () => {
      await inTransaction(async () => {
        await putVote(vote)
        await db.run('DELETE FROM messages WHERE id = ?', [id])
        await storeMessage({ id, ipfs, address: input.voter, ts: created, space: row.space, type: 'vote', sig, envelope })
        await updateScores(proposalOf(row)).catch(() => undefined)
      })
    })
    return vote
  }

  async function getEnvelope(ipfs: string): Promise<unknown> {
    const r = await db.get<{ envelope: string }>('SELECT envelope FROM messages WHERE ipfs = ?', [ipfs])
    return r ? (JSON.parse(r.envelope) as unknown) : undefined
  }

  const devnetRoutes: Record<string, (body: unknown) => Promise<unknown>> = {
    '/_devnet/space': async (b) => {
      await api.createSpace(b as HubSpace)
      return { ok: true }
    },
    '/_devnet/proposal': (b) => api.createProposal(b as HubProposalInput),
    '/_devnet/vote': (b) => injectVote(b as InjectVoteInput),
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!
    if (req.method === 'GET' && path.startsWith('/ipfs/')) {
      const envelope = await getEnvelope(decodeURIComponent(path.slice('/ipfs/'.length)))
      if (envelope === undefined) send(res, 404, { error: 'not_found', error_description: 'unknown cid' })
      else send(res, 200, envelope)
      return
    }
    const devnetRoute = opts.devnetApi ? devnetRoutes[path] : undefined
    if (req.method !== 'POST' || (path !== '/' && path !== '/graphql' && !devnetRoute)) {
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
    if (devnetRoute) {
      try {
        send(res, 200, await devnetRoute(body))
      } catch (err) {
        send(res, 400, { error: 'client_error', error_description: (err as Error).message })
      }
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

  const api: SnapshotHub = {
    url,
    graphqlUrl: `${url}/graphql`,
    port,
    async createSpace(s) {
      await db.run(
        'INSERT INTO spaces (id, name, about, network, symbol, admins, members, created, settings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        [s.id, s.name ?? s.id, s.about ?? '', s.network ?? '1', s.symbol ?? 'VOTE', JSON.stringify(s.admins ?? []), JSON.stringify(s.members ?? []), now(),
          JSON.stringify(settingsFromSpace(s))],
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
          String(p.snapshot), space.network, space.symbol, p.quorum ?? settingsOf(space).voting?.quorum ?? 0, p.app ?? '', JSON.stringify(p.choices.map(() => 0)), created],
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
    injectVote,
    getEnvelope,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await db.close()
    },
  }
  return api
}

function safeJson(s: string, fallback: unknown = {}): unknown {
  try {
    return JSON.parse(s)
  } catch {
    return fallback
  }
}

/** The voting types the hub scores (snapshot.js utils.voting; the sequencer also knows "custom"). */
const VOTING_TYPES_SCORED: unknown[] = Object.keys(snapshot.utils.voting)

/** The sequencer stores `app` in kebab-case (lodash kebabCase, for the plain names apps use). */
function kebab(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .join('-')
    .toLowerCase()
}
