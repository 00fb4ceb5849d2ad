import { num, optStr, str } from './convert.js'
import { StoreError } from './errors.js'
import type { Db } from './sqlite.js'

/**
 * Reward epochs (distributor agent only). A row is inserted before any side effect of its epoch
 * (the tree is stored, then the root and the funding are sent as intents); status changes are
 * compare-and-set on the expected status.
 */
export type RewardEpochStatus = 'built' | 'rooted' | 'funded' | 'losing'
export const FINAL_REWARD_EPOCH_STATUSES: readonly RewardEpochStatus[] = ['funded', 'losing']

export interface RewardEpoch {
  epoch: number
  startTime: number
  endTime: number
  status: RewardEpochStatus
  root: string | null
  funding: bigint
  carriedLoss: bigint
  remainder: bigint
  /** The published tree JSON (null for a losing epoch). */
  tree: string | null
  summary: Record<string, unknown>
  createdAt: number
  updatedAt: number
}

export interface RewardEpochInput {
  epoch: number
  startTime: number
  endTime: number
  status: 'built' | 'losing'
  root: string | null
  funding: bigint
  carriedLoss: bigint
  remainder: bigint
  tree: string | null
  summary: Record<string, unknown>
}

export interface RewardsQueries {
  /** Inserts the epoch; an existing epoch is returned unchanged with `inserted: false`. */
  insert(e: RewardEpochInput): Promise<{ epoch: RewardEpoch; inserted: boolean }>
  get(epoch: number): Promise<RewardEpoch | undefined>
  /** Newest first, without the tree JSON unless `withTree`. */
  list(opts?: { limit?: number; withTree?: boolean }): Promise<RewardEpoch[]>
  /** The latest epoch (highest number), any status. */
  latest(): Promise<RewardEpoch | undefined>
  /** The latest epoch with a root (built, rooted or funded): the base of the next cumulative amounts. */
  latestWithRoot(before?: number): Promise<RewardEpoch | undefined>
  /** Compare-and-set: moves `epoch` from `from` to `to`; false when it was not in `from`. */
  advance(epoch: number, from: RewardEpochStatus, to: RewardEpochStatus): Promise<boolean>
  getMeta(key: string): Promise<string | undefined>
  /** Sets `key` only when unset; returns the stored value. */
  initMeta(key: string, value: string): Promise<string>
  /** Sets `key` (insert or replace). */
  setMeta(key: string, value: string): Promise<void>
}

interface Row {
  epoch: number
  start_time: number
  end_time: number
  status: string
  root: string | null
  funding: string
  carried_loss: string
  remainder: string
  tree?: string | null
  summary: string
  created_at: number
  updated_at: number
}

function fromRow(r: Row): RewardEpoch {
  return {
    epoch: num(r.epoch),
    startTime: num(r.start_time),
    endTime: num(r.end_time),
    status: str(r.status) as RewardEpochStatus,
    root: optStr(r.root) ?? null,
    funding: BigInt(r.funding),
    carriedLoss: BigInt(r.carried_loss),
    remainder: BigInt(r.remainder),
    tree: r.tree ?? null,
    summary: JSON.parse(r.summary) as Record<string, unknown>,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  }
}

const COLS_NO_TREE = 'epoch, start_time, end_time, status, root, funding, carried_loss, remainder, summary, created_at, updated_at'

export function createRewards(db: Db): RewardsQueries {
  const q: RewardsQueries = {
    async insert(e) {
      if (!Number.isInteger(e.epoch) || e.epoch < 0) throw new StoreError(`reward epoch: ${e.epoch} is not a non-negative integer`)
      const now = Date.now()
      const r = await db.run(
        `INSERT OR IGNORE INTO reward_epochs (epoch, start_time, end_time, status, root, funding, carried_loss, remainder, tree, summary, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [e.epoch, e.startTime, e.endTime, e.status, e.root, String(e.funding), String(e.carriedLoss), String(e.remainder), e.tree, JSON.stringify(e.summary), now, now],
      )
      const epoch = (await q.get(e.epoch))!
      return { epoch, inserted: r.changes === 1 }
    },
    async get(epoch) {
      const row = await db.get<Row>('SELECT * FROM reward_epochs WHERE epoch = ?', [epoch])
      return row ? fromRow(row) : undefined
    },
    async list(opts = {}) {
      const rows = await db.all<Row>(`SELECT ${opts.withTree ? '*' : COLS_NO_TREE} FROM reward_epochs ORDER BY epoch DESC LIMIT ?`, [opts.limit ?? 100])
      return rows.map(fromRow)
    },
    async latest() {
      const row = await db.get<Row>(`SELECT ${COLS_NO_TREE} FROM reward_epochs ORDER BY epoch DESC LIMIT 1`)
      return row ? fromRow(row) : undefined
    },
    async latestWithRoot(before) {
      const row = await db.get<Row>(`SELECT * FROM reward_epochs WHERE status IN ('built', 'rooted', 'funded') AND epoch < ? ORDER BY epoch DESC LIMIT 1`, [before ?? Number.MAX_SAFE_INTEGER])
      return row ? fromRow(row) : undefined
    },
    async advance(epoch, from, to) {
      const r = await db.run('UPDATE reward_epochs SET status = ?, updated_at = ? WHERE epoch = ? AND status = ?', [to, Date.now(), epoch, from])
      return r.changes === 1
    },
    async getMeta(key) {
      const row = await db.get<{ value: string }>('SELECT value FROM reward_meta WHERE key = ?', [key])
      return row?.value
    },
    async initMeta(key, value) {
      await db.run('INSERT OR IGNORE INTO reward_meta (key, value) VALUES (?, ?)', [key, value])
      return (await q.getMeta(key))!
    },
    async setMeta(key, value) {
      await db.run('INSERT INTO reward_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, value])
    },
  }
  return q
}
