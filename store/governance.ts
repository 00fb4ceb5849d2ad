import { StoreError } from './errors.js'
import { jsonFromDb, jsonToDb, num, optNum, optStr, str, timeToDb } from './convert.js'
import type { Db } from './sqlite.js'
import { checkFence, type FenceRef } from './leases.js'
import { notifyOnceIn, type NoticeInput } from './notifications.js'

/**
 * Governance rows (written by the governor agent; read by the tally CLI and the Telegram agent):
 * upstream proposals and their mirrors, collected signals, tally receipts, the pool's casts and
 * one-shot notifications. See migrations/005_governance.sql.
 *
 * Casting is exactly-once by construction: `createCast` writes the row before anything is
 * signed (an existing key is returned as is), `markCastSigned` stores the signed payload before
 * it is submitted, and only that stored payload is ever submitted again.
 */

export const GOV_PROPOSAL_STATUSES = ['seen', 'mirrored', 'cast', 'closed', 'failed'] as const
export type GovProposalStatus = (typeof GOV_PROPOSAL_STATUSES)[number]
export type GovSource = 'snapshot' | 'governor'
export const GOV_CAST_STATUSES = ['created', 'signed', 'submitted', 'accepted', 'failed'] as const
export type GovCastStatus = (typeof GOV_CAST_STATUSES)[number]

export interface GovProposal {
  key: string
  source: GovSource
  space: string | null
  chain: string | null
  governor: string | null
  upstreamId: string
  type: string
  title: string
  choices: string[]
  start: number
  end: number
  snapshot: string
  snapshotTime: number | null
  signalId: string | null
  signalStart: number | null
  signalEnd: number | null
  status: GovProposalStatus
  error: string | null
  createdAt: number
  updatedAt: number
}

export type GovProposalInput = Omit<GovProposal, 'signalId' | 'signalStart' | 'signalEnd' | 'status' | 'error' | 'createdAt' | 'updatedAt'>

export interface GovSignal {
  voteId: string
  voter: string
  choice: unknown
  timestamp: number
  sig: string | null
  sigOk: boolean
  sigMethod: 'eoa' | 'eip1271' | 'none'
  /** The tally's verdict (counted, superseded, invalid-signature, …). */
  status: string
  refusal: string | null
  /** wei, decimal. */
  weight: string
}

export interface GovTally {
  id: number
  proposalKey: string
  status: string
  receipt: unknown
  hash: string
  createdAt: number
}

export interface GovCast {
  key: string
  proposalKey: string
  target: GovSource
  tallyId: number | null
  payload: unknown
  envelope: unknown
  status: GovCastStatus
  resultId: string | null
  txHash: string | null
  error: string | null
  /** A failed cast that may be cast again with a fresh signature (a new key) before the deadline. */
  retryable: boolean
  attempts: number
  createdAt: number
  updatedAt: number
}

/** The governor's scan of a share token's Transfer recipients on a chain (governance/weights.ts). */
export interface GovShareCursor {
  block: bigint
  hash: string
  holders: string[]
}

/** A one-shot governance notice (same shape as the plain notices; its own key space). */
export type NotifyInput = NoticeInput

export interface GovernanceQueries {
  /** Inserts a proposal seen upstream; an existing key keeps its mirror and status (times/title refreshed). Returns the row and whether it is new. */
  upsertProposal(p: GovProposalInput, at?: number): Promise<{ proposal: GovProposal; inserted: boolean }>
  getProposal(key: string): Promise<GovProposal | undefined>
  /** By key, upstream id or mirrored signalling id (newest first when ambiguous). */
  findProposal(id: string): Promise<GovProposal | undefined>
  /** Proposals whose key, upstream id or signalling id starts with `prefix` (case-insensitive), newest first, at most `limit`. */
  findProposalsByPrefix(prefix: string, limit?: number): Promise<GovProposal[]>
  /** Newest first (by upstream end). `open`: not closed/failed. */
  listProposals(opts?: { limit?: number; open?: boolean }): Promise<GovProposal[]>
  setMirror(key: string, signalId: string, window: { start: number; end: number }, at?: number): Promise<void>
  setProposalStatus(key: string, status: GovProposalStatus, error?: string | null, at?: number): Promise<void>
  /** Replaces the stored signals of a proposal with this collection (one transaction). */
  replaceSignals(proposalKey: string, signals: readonly GovSignal[], at?: number): Promise<void>
  listSignals(proposalKey: string): Promise<GovSignal[]>
  addTally(t: { proposalKey: string; status: string; receipt: unknown; hash: string }, at?: number): Promise<GovTally>
  latestTally(proposalKey: string): Promise<GovTally | undefined>
  getTally(id: number): Promise<GovTally | undefined>
  /** Writes the cast row (status created) unless the key exists; returns the stored row either way. */
  createCast(c: { key: string; proposalKey: string; target: GovSource; tallyId?: number | null; payload: unknown }, at?: number): Promise<{ cast: GovCast; inserted: boolean }>
  getCast(key: string): Promise<GovCast | undefined>
  /** created → signed with the signed payload (refused when a different payload is already stored). */
  markCastSigned(key: string, envelope: unknown, at?: number): Promise<GovCast>
  /** Records a submission attempt of the stored payload (status submitted, attempts + 1). */
  markCastSubmitted(key: string, at?: number): Promise<void>
  markCastAccepted(key: string, r: { resultId?: string | null; txHash?: string | null }, at?: number): Promise<void>
  /** Final failure; `retryable`: the round may cast again under a new key with a fresh signature. */
  markCastFailed(key: string, error: string, at?: number, opts?: { retryable?: boolean }): Promise<void>
  /**
   * Replaces the payload of a cast nothing was signed for yet (status created, no envelope): a
   * resumed cast is signed with a fresh timestamp, never the stale one recorded before a crash.
   */
  refreshCastPayload(key: string, payload: unknown, at?: number): Promise<GovCast>
  getShareCursor(chain: string, token: string): Promise<GovShareCursor | undefined>
  setShareCursor(chain: string, token: string, cursor: GovShareCursor, at?: number): Promise<void>
  /** Casts of a proposal, oldest first (optionally one target). */
  listCasts(proposalKey: string, target?: GovSource): Promise<GovCast[]>
  /** Writes one alert outbox row for `key` unless it was written before. True when written now. */
  notifyOnce(n: NotifyInput): Promise<boolean>
  wasNotified(key: string): Promise<boolean>
}

interface ProposalRow {
  key: string
  source: string
  space: string | null
  chain: string | null
  governor: string | null
  upstream_id: string
  type: string
  title: string
  choices: string
  start: number
  end: number
  snapshot: string
  snapshot_time: number | null
  signal_id: string | null
  signal_start: number | null
  signal_end: number | null
  status: string
  error: string | null
  created_at: number
  updated_at: number
}

interface SignalRow {
  vote_id: string
  voter: string
  choice: string
  timestamp: number
  sig: string | null
  sig_ok: number
  sig_method: string
  status: string
  refusal: string | null
  weight: string
}

interface TallyRow {
  id: number
  proposal_key: string
  status: string
  receipt: string
  hash: string
  created_at: number
}

interface CastRow {
  key: string
  proposal_key: string
  target: string
  tally_id: number | null
  payload: string
  envelope: string | null
  status: string
  result_id: string | null
  tx_hash: string | null
  error: string | null
  retryable: number
  attempts: number
  created_at: number
  updated_at: number
}

const proposalFromRow = (r: ProposalRow): GovProposal => ({
  key: str(r.key),
  source: r.source as GovSource,
  space: optStr(r.space),
  chain: optStr(r.chain),
  governor: optStr(r.governor),
  upstreamId: str(r.upstream_id),
  type: str(r.type),
  title: str(r.title),
  choices: jsonFromDb(r.choices) as string[],
  start: num(r.start),
  end: num(r.end),
  snapshot: str(r.snapshot),
  snapshotTime: optNum(r.snapshot_time),
  signalId: optStr(r.signal_id),
  signalStart: optNum(r.signal_start),
  signalEnd: optNum(r.signal_end),
  status: r.status as GovProposalStatus,
  error: optStr(r.error),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
})

const signalFromRow = (r: SignalRow): GovSignal => ({
  voteId: str(r.vote_id),
  voter: str(r.voter),
  choice: jsonFromDb(r.choice),
  timestamp: num(r.timestamp),
  sig: optStr(r.sig),
  sigOk: num(r.sig_ok) === 1,
  sigMethod: r.sig_method as GovSignal['sigMethod'],
  status: str(r.status),
  refusal: optStr(r.refusal),
  weight: str(r.weight),
})

const tallyFromRow = (r: TallyRow): GovTally => ({
  id: num(r.id),
  proposalKey: str(r.proposal_key),
  status: str(r.status),
  receipt: jsonFromDb(r.receipt),
  hash: str(r.hash),
  createdAt: num(r.created_at),
})

const castFromRow = (r: CastRow): GovCast => ({
  key: str(r.key),
  proposalKey: str(r.proposal_key),
  target: r.target as GovSource,
  tallyId: optNum(r.tally_id),
  payload: jsonFromDb(r.payload),
  envelope: r.envelope === null ? null : jsonFromDb(r.envelope),
  status: r.status as GovCastStatus,
  resultId: optStr(r.result_id),
  txHash: optStr(r.tx_hash),
  error: optStr(r.error),
  retryable: num(r.retryable) === 1,
  attempts: num(r.attempts),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
})

/** Rows per multi-row INSERT of signals (12 parameters each; SQLite allows 32766 per statement). */
const SIGNAL_ROWS = 500

const limitOf = (limit: number | undefined, dflt: number) => Math.max(0, Math.floor(limit ?? dflt))
const intOf = (v: number, field: string) => {
  if (!Number.isSafeInteger(v)) throw new StoreError(`store: ${field} must be an integer, got ${v}`)
  return v
}

export function createGovernance(db: Db, fence: FenceRef = {}): GovernanceQueries {
  const getProposal = async (key: string) => {
    const r = await db.get<ProposalRow>('SELECT * FROM gov_proposals WHERE key = ?', [key])
    return r ? proposalFromRow(r) : undefined
  }
  const getCast = async (key: string) => {
    const r = await db.get<CastRow>('SELECT * FROM gov_casts WHERE key = ?', [key])
    return r ? castFromRow(r) : undefined
  }
  const requireCast = async (key: string) => {
    const c = await getCast(key)
    if (!c) throw new StoreError(`store: no governance cast ${key}`)
    return c
  }
  return {
    async upsertProposal(p, at = Date.now()) {
      const t = timeToDb(at, 'upsertProposal at')
      return db.transaction(async () => {
        const before = await getProposal(p.key)
        if (!before) {
          await db.run(
            `INSERT INTO gov_proposals (key, source, space, chain, governor, upstream_id, type, title, choices, start, "end", snapshot, snapshot_time, status, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'seen', ?, ?)`,
            [p.key, p.source, p.space, p.chain, p.governor?.toLowerCase() ?? null, p.upstreamId, p.type, p.title, jsonToDb(p.choices),
              intOf(p.start, 'start'), intOf(p.end, 'end'), p.snapshot, p.snapshotTime, t, t],
          )
        } else {
          await db.run(
            'UPDATE gov_proposals SET title = ?, start = ?, "end" = ?, snapshot = ?, snapshot_time = ?, updated_at = ? WHERE key = ?',
            [p.title, intOf(p.start, 'start'), intOf(p.end, 'end'), p.snapshot, p.snapshotTime, t, p.key],
          )
        }
        return { proposal: (await getProposal(p.key))!, inserted: !before }
      })
    },

    getProposal,

    async findProposal(id) {
      const r = await db.get<ProposalRow>(
        'SELECT * FROM gov_proposals WHERE key = ? OR upstream_id = ? OR signal_id = ? ORDER BY "end" DESC, key LIMIT 1',
        [id, id, id],
      )
      return r ? proposalFromRow(r) : undefined
    },

    async findProposalsByPrefix(prefix, limit = 5) {
      const like = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      const rows = await db.all<ProposalRow>(
        "SELECT * FROM gov_proposals WHERE upstream_id LIKE ? ESCAPE '\\' OR signal_id LIKE ? ESCAPE '\\' OR key LIKE ? ESCAPE '\\' ORDER BY \"end\" DESC, key LIMIT ?",
        [like, like, like, limitOf(limit, 50)],
      )
      return rows.map(proposalFromRow)
    },

    async listProposals(opts = {}) {
      const where = opts.open ? "WHERE status NOT IN ('closed', 'failed')" : ''
      const rows = await db.all<ProposalRow>(`SELECT * FROM gov_proposals ${where} ORDER BY "end" DESC, key LIMIT ?`, [limitOf(opts.limit, 50)])
      return rows.map(proposalFromRow)
    },

    async setMirror(key, signalId, window, at = Date.now()) {
      const res = await db.run(
        "UPDATE gov_proposals SET signal_id = ?, signal_start = ?, signal_end = ?, status = CASE WHEN status = 'seen' THEN 'mirrored' ELSE status END, updated_at = ? WHERE key = ?",
        [signalId, intOf(window.start, 'signal start'), intOf(window.end, 'signal end'), timeToDb(at, 'setMirror at'), key],
      )
      if (res.changes === 0) throw new StoreError(`store: setMirror: no governance proposal ${key}`)
    },

    async setProposalStatus(key, status, error = null, at = Date.now()) {
      if (!GOV_PROPOSAL_STATUSES.includes(status)) throw new StoreError(`store: proposal status must be one of ${GOV_PROPOSAL_STATUSES.join(', ')}`)
      await db.run('UPDATE gov_proposals SET status = ?, error = ?, updated_at = ? WHERE key = ?', [status, error, timeToDb(at, 'status at'), key])
    },

    async replaceSignals(proposalKey, signals, at = Date.now()) {
      const t = timeToDb(at, 'replaceSignals at')
      // Rows go in multi-row INSERTs (one statement per SIGNAL_ROWS rows): 100k signals are ~250
      // statements, not 100k round trips to the sqlite3 thread.
      const values = signals.map((s) => [proposalKey, s.voteId, s.voter, jsonToDb(s.choice ?? null), intOf(s.timestamp, 'signal timestamp'), s.sig, s.sigOk ? 1 : 0, s.sigMethod, s.status, s.refusal, s.weight, t])
      await db.transaction(async () => {
        await db.run('DELETE FROM gov_signals WHERE proposal_key = ?', [proposalKey])
        for (let i = 0; i < values.length; i += SIGNAL_ROWS) {
          const part = values.slice(i, i + SIGNAL_ROWS)
          await db.run(
            `INSERT INTO gov_signals (proposal_key, vote_id, voter, choice, timestamp, sig, sig_ok, sig_method, status, refusal, weight, collected_at)
             VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
             ON CONFLICT (proposal_key, vote_id) DO NOTHING`,
            part.flat(),
          )
        }
      })
    },

    async listSignals(proposalKey) {
      const rows = await db.all<SignalRow>('SELECT * FROM gov_signals WHERE proposal_key = ? ORDER BY timestamp, vote_id', [proposalKey])
      return rows.map(signalFromRow)
    },

    async addTally(t, at = Date.now()) {
      const row = await db.get<TallyRow>(
        'INSERT INTO gov_tallies (proposal_key, status, receipt, hash, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *',
        [t.proposalKey, t.status, jsonToDb(t.receipt), t.hash, timeToDb(at, 'addTally at')],
      )
      if (!row) throw new StoreError('store: INSERT INTO gov_tallies returned nothing')
      return tallyFromRow(row)
    },

    async latestTally(proposalKey) {
      const r = await db.get<TallyRow>('SELECT * FROM gov_tallies WHERE proposal_key = ? ORDER BY id DESC LIMIT 1', [proposalKey])
      return r ? tallyFromRow(r) : undefined
    },

    async getTally(id) {
      const r = await db.get<TallyRow>('SELECT * FROM gov_tallies WHERE id = ?', [intOf(id, 'tally id')])
      return r ? tallyFromRow(r) : undefined
    },

    async createCast(c, at = Date.now()) {
      const t = timeToDb(at, 'createCast at')
      return db.transaction(async () => {
        const existing = await getCast(c.key)
        if (existing) return { cast: existing, inserted: false }
        await checkFence(db, fence)
        await db.run(
          `INSERT INTO gov_casts (key, proposal_key, target, tally_id, payload, status, attempts, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'created', 0, ?, ?)`,
          [c.key, c.proposalKey, c.target, c.tallyId ?? null, jsonToDb(c.payload), t, t],
        )
        return { cast: (await getCast(c.key))!, inserted: true }
      })
    },

    getCast,

    async markCastSigned(key, envelope, at = Date.now()) {
      return db.transaction(async () => {
        const c = await requireCast(key)
        const text = jsonToDb(envelope)
        if (c.envelope !== null) {
          if (jsonToDb(c.envelope) !== text) throw new StoreError(`store: cast ${key} already holds a different signed payload: only the stored one may be submitted`)
          return c
        }
        if (c.status !== 'created') throw new StoreError(`store: cast ${key} is ${c.status}, not created`)
        await checkFence(db, fence)
        await db.run("UPDATE gov_casts SET envelope = ?, status = 'signed', updated_at = ? WHERE key = ?", [text, timeToDb(at, 'signed at'), key])
        return (await getCast(key))!
      })
    },

    async markCastSubmitted(key, at = Date.now()) {
      const res = await db.run(
        "UPDATE gov_casts SET status = CASE WHEN status IN ('created', 'signed', 'submitted') THEN 'submitted' ELSE status END, attempts = attempts + 1, updated_at = ? WHERE key = ?",
        [timeToDb(at, 'submitted at'), key],
      )
      if (res.changes === 0) throw new StoreError(`store: no governance cast ${key}`)
    },

    async markCastAccepted(key, r, at = Date.now()) {
      const res = await db.run("UPDATE gov_casts SET status = 'accepted', result_id = ?, tx_hash = ?, error = NULL, updated_at = ? WHERE key = ?", [
        r.resultId ?? null,
        r.txHash ?? null,
        timeToDb(at, 'accepted at'),
        key,
      ])
      if (res.changes === 0) throw new StoreError(`store: no governance cast ${key}`)
    },

    async markCastFailed(key, error, at = Date.now(), opts = {}) {
      const res = await db.run("UPDATE gov_casts SET status = 'failed', error = ?, retryable = ?, updated_at = ? WHERE key = ?", [
        error,
        opts.retryable ? 1 : 0,
        timeToDb(at, 'failed at'),
        key,
      ])
      if (res.changes === 0) throw new StoreError(`store: no governance cast ${key}`)
    },

    async refreshCastPayload(key, payload, at = Date.now()) {
      return db.transaction(async () => {
        const c = await requireCast(key)
        if (c.status !== 'created' || c.envelope !== null) throw new StoreError(`store: cast ${key} is ${c.status}${c.envelope !== null ? ' and signed' : ''}: only an unsigned created cast may change its payload`)
        await db.run('UPDATE gov_casts SET payload = ?, updated_at = ? WHERE key = ?', [jsonToDb(payload), timeToDb(at, 'refreshed at'), key])
        return (await getCast(key))!
      })
    },

    async getShareCursor(chain, token) {
      const r = await db.get<{ block_number: number; block_hash: string; holders: string }>('SELECT * FROM gov_share_cursors WHERE chain = ? AND token = ?', [chain, token.toLowerCase()])
      return r ? { block: BigInt(num(r.block_number)), hash: str(r.block_hash), holders: jsonFromDb(r.holders) as string[] } : undefined
    },

    async setShareCursor(chain, token, cursor, at = Date.now()) {
      await db.run(
        `INSERT INTO gov_share_cursors (chain, token, block_number, block_hash, holders, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (chain, token) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash, holders = excluded.holders, updated_at = excluded.updated_at`,
        [chain, token.toLowerCase(), intOf(Number(cursor.block), 'share cursor block'), cursor.hash, jsonToDb(cursor.holders), timeToDb(at, 'share cursor at')],
      )
    },

    async listCasts(proposalKey, target) {
      const rows = await db.all<CastRow>(
        `SELECT * FROM gov_casts WHERE proposal_key = ? ${target ? 'AND target = ?' : ''} ORDER BY created_at, key`,
        target ? [proposalKey, target] : [proposalKey],
      )
      return rows.map(castFromRow)
    },

    notifyOnce: (n) => notifyOnceIn(db, 'gov_notifications', n),

    async wasNotified(key) {
      return (await db.get('SELECT 1 AS one FROM gov_notifications WHERE key = ?', [key])) !== undefined
    },
  }
}

// ── read helpers for other agents (Telegram /proposals and /tally) ────────────────────────────

/** The newest proposals (by upstream end), with their latest tally status when there is one. */
export async function listProposals(
  store: { governance: GovernanceQueries },
  opts: { limit?: number; open?: boolean } = {},
): Promise<(GovProposal & { tallyStatus: string | null; tallyAt: number | null })[]> {
  const proposals = await store.governance.listProposals(opts)
  return Promise.all(
    proposals.map(async (p) => {
      const t = await store.governance.latestTally(p.key)
      return { ...p, tallyStatus: t?.status ?? null, tallyAt: t?.createdAt ?? null }
    }),
  )
}

/** What an id typed by a user names: one proposal, several (a prefix too short), or none. */
export type ProposalMatch = { kind: 'one'; proposal: GovProposal } | { kind: 'ambiguous'; candidates: GovProposal[] } | { kind: 'none' }

/** Shortest prefix accepted as an id (shorter ones are too likely to match by accident). */
export const MIN_PREFIX = 4

/**
 * The proposal an id names: exact key, upstream id or signalling id first; else a unique prefix of
 * one of them (the short id `/proposals` and `npm run tally` show is such a prefix; a trailing
 * "…" or "..." is ignored).
 */
export async function matchProposal(store: { governance: GovernanceQueries }, id: string): Promise<ProposalMatch> {
  const exact = await store.governance.findProposal(id)
  if (exact) return { kind: 'one', proposal: exact }
  const prefix = id.replace(/(…|\.\.\.)$/, '')
  if (prefix.length < MIN_PREFIX) return { kind: 'none' }
  const found = await store.governance.findProposalsByPrefix(prefix, 6)
  if (found.length === 0) return { kind: 'none' }
  if (found.length === 1) return { kind: 'one', proposal: found[0]! }
  return { kind: 'ambiguous', candidates: found }
}

/**
 * The latest receipt of a proposal — `id` is a proposal key, an upstream proposal id, a mirrored
 * signalling id (or a unique prefix of one, see matchProposal), or `#<tally id>` for one stored
 * tally — or undefined.
 */
export async function getReceipt(
  store: { governance: GovernanceQueries },
  id: string,
): Promise<{ proposal: GovProposal; tally: GovTally } | undefined> {
  const g = store.governance
  const m = /^#(\d+)$/.exec(id)
  if (m) {
    const tally = await g.getTally(Number(m[1]))
    if (!tally) return undefined
    const proposal = await g.getProposal(tally.proposalKey)
    return proposal ? { proposal, tally } : undefined
  }
  const match = await matchProposal(store, id)
  if (match.kind !== 'one') return undefined
  const proposal = match.proposal
  const tally = await g.latestTally(proposal.key)
  return tally ? { proposal, tally } : undefined
}
