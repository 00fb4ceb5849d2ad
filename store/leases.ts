import { num, str, timeToDb } from './convert.js'
import { LeaseLostError, StoreError } from './errors.js'
import type { Db } from './sqlite.js'

/**
 * Leases: one active instance per singleton role (migration `leases`). A lease is a row per role:
 * the holder (host:pid:random), its expiry and a fencing token that grows by one on every take.
 *
 * - `acquire` takes a free or expired lease (token + 1) or renews one already held by the caller;
 *   it never takes a live lease of another holder.
 * - `renew` extends the caller's lease only while holder and token are still the caller's.
 * - `release` expires it now (clean shutdown: the standby takes over at once); the token stays.
 * - The fence: a store connection whose agent holds a lease sets it (`setFence`); the money and
 *   vote writes (intents, casts, samples and positions, plans, transfers, Safe transactions) call
 *   `checkFence` inside their own transaction, so the check and the write commit together under
 *   SQLite's write lock. A token that is no longer the role's current one throws LeaseLostError
 *   and the write does not happen: a paused-then-resumed old holder cannot act on a stale lease.
 *
 * Times are the callers' clocks (ms): every instance of a role runs on hosts with synchronised
 * clocks; the fence does not depend on clocks at all (only on the token).
 */
export interface Lease {
  role: string
  holder: string
  token: number
  /** ms since the epoch; 0 = released. */
  expiresAt: number
  takenAt: number
  renewedAt: number
}

export type AcquireResult = { acquired: true; lease: Lease } | { acquired: false; lease: Lease }

/** What a fenced connection checks: the role and the token it holds. */
export interface Fence {
  role: string
  holder: string
  token: number
}

export interface LeasesQueries {
  get(role: string): Promise<Lease | undefined>
  all(): Promise<Lease[]>
  /** Takes the role's lease when free, expired or already ours (same holder); else says who holds it. */
  acquire(role: string, holder: string, ttlMs: number, at?: number): Promise<AcquireResult>
  /** Extends our lease; false when it is no longer ours (another instance took it). */
  renew(fence: Fence, ttlMs: number, at?: number): Promise<boolean>
  /** Expires our lease now (no-op when it is no longer ours). */
  release(fence: Fence): Promise<void>
  /**
   * Fences this store connection: from now on every fenced write checks `fence` in its transaction;
   * `onLost` is called (once per failed check) before LeaseLostError is thrown. `null` removes it.
   */
  setFence(fence: Fence | null, onLost?: (err: LeaseLostError) => void): void
  /** The fence set on this connection, if any. */
  fence(): Fence | undefined
  /** Throws LeaseLostError when this connection is fenced and its token is no longer current (a transaction of its own when called outside one). */
  check(): Promise<void>
}

/** The fence state of one store connection, shared by the query modules that write money and votes. */
export interface FenceRef {
  current?: Fence
  onLost?: (err: LeaseLostError) => void
}

interface LeaseRow {
  role: string
  holder: string
  token: number
  expires_at: number
  taken_at: number
  renewed_at: number
}

function fromRow(r: LeaseRow): Lease {
  return { role: str(r.role), holder: str(r.holder), token: num(r.token), expiresAt: num(r.expires_at), takenAt: num(r.taken_at), renewedAt: num(r.renewed_at) }
}

function ttl(ms: number): number {
  if (!Number.isInteger(ms) || ms <= 0) throw new StoreError(`store: lease ttl must be a positive integer of ms, got ${ms}`)
  return ms
}

/**
 * Inside a transaction of `db`: throws LeaseLostError unless the fence (if any) is still the
 * role's current lease. Called by the fenced writes before they write.
 */
export async function checkFence(db: Db, ref: FenceRef): Promise<void> {
  const f = ref.current
  if (!f) return
  if (!db.inTransaction()) throw new StoreError('store: checkFence must run inside the write transaction it guards')
  const row = await db.get<{ holder: string; token: number }>('SELECT holder, token FROM leases WHERE role = ?', [f.role])
  if (row && num(row.token) === f.token && str(row.holder) === f.holder) return
  const err = new LeaseLostError(
    `lease ${f.role}: token ${f.token} is no longer current (${row ? `now ${num(row.token)} held by ${str(row.holder)}` : 'no lease row'}): this instance must not act`,
  )
  ref.onLost?.(err)
  throw err
}

export function createLeases(db: Db, ref: FenceRef): LeasesQueries {
  const get = async (role: string) => {
    const row = await db.get<LeaseRow>('SELECT * FROM leases WHERE role = ?', [role])
    return row ? fromRow(row) : undefined
  }
  return {
    get,

    async all() {
      return (await db.all<LeaseRow>('SELECT * FROM leases ORDER BY role')).map(fromRow)
    },

    async acquire(role, holder, ttlMs, at = Date.now()) {
      if (!role || !holder) throw new StoreError('store: lease role and holder are required')
      const now = timeToDb(at, `lease ${role} at`)
      const until = now + ttl(ttlMs)
      return db.transaction(async () => {
        const cur = await get(role)
        if (!cur) {
          await db.run('INSERT INTO leases (role, holder, token, expires_at, taken_at, renewed_at) VALUES (?, ?, 1, ?, ?, ?)', [role, holder, until, now, now])
        } else if (cur.holder === holder && cur.expiresAt > now) {
          await db.run('UPDATE leases SET expires_at = ?, renewed_at = ? WHERE role = ?', [until, now, role])
        } else if (cur.expiresAt <= now) {
          await db.run('UPDATE leases SET holder = ?, token = token + 1, expires_at = ?, taken_at = ?, renewed_at = ? WHERE role = ?', [holder, until, now, now, role])
        } else {
          return { acquired: false as const, lease: cur }
        }
        return { acquired: true as const, lease: (await get(role))! }
      })
    },

    async renew(fence, ttlMs, at = Date.now()) {
      const now = timeToDb(at, `lease ${fence.role} renew at`)
      const res = await db.run('UPDATE leases SET expires_at = ?, renewed_at = ? WHERE role = ? AND holder = ? AND token = ?', [
        now + ttl(ttlMs),
        now,
        fence.role,
        fence.holder,
        fence.token,
      ])
      return res.changes > 0
    },

    async release(fence) {
      await db.run('UPDATE leases SET expires_at = 0 WHERE role = ? AND holder = ? AND token = ?', [fence.role, fence.holder, fence.token])
    },

    setFence(fence, onLost) {
      if (fence) {
        ref.current = { ...fence }
        ref.onLost = onLost
      } else {
        ref.current = undefined
        ref.onLost = undefined
      }
    },

    fence: () => ref.current,

    async check() {
      if (!ref.current) return
      if (db.inTransaction()) return checkFence(db, ref)
      return db.transaction(() => checkFence(db, ref))
    },
  }
}
