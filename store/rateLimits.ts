import { createHash } from 'node:crypto'
import type { Logger } from '../core/logger.js'
import { num, str } from './convert.js'
import { openDb, type Db } from './sqlite.js'

/**
 * Request pacing shared by every process that talks to one endpoint (an RPC URL, the Snapshot
 * hub, the Wormhole API): the configured rate of a URL holds across the watcher, executor,
 * governor and the rest, and a `Retry-After` one process receives holds for all of them.
 *
 * Why a SQLite file and not bottleneck's Redis clustering: every poolwarden process already
 * shares one machine and one SQLite store, and a Redis server would be one more service for a
 * fresh `npm start` to install and supervise. The pacing lives in its OWN small file (beside the
 * store, never inside it): a process that holds the store's write lock while it waits for an RPC
 * answer must not wait for that same lock to pace the request (a deadlock until the busy budget).
 *
 * The algorithm is GCRA's virtual scheduling, one row per endpoint: `next_at` is the earliest
 * moment the next request may leave. Taking a slot is ONE statement — an upsert with RETURNING —
 * so two processes can never take the same slot:
 *   slot    = max(now, next_at, blocked_until)
 *   next_at = slot + interval
 * The caller then sleeps until its slot. `blocked_until` is raised by a 429/503 with Retry-After.
 *
 * Endpoints are keyed by a hash of their URL: URLs may carry API keys in their path or query, and
 * nothing here stores them; the label kept beside it is the host only.
 */
export interface RateLimits {
  readonly path: string
  /**
   * Reserves the endpoint's next slot for one request: the epoch ms at which it may leave, and the
   * endpoint's shared Retry-After block (0 when none was ever set).
   */
  reserve(key: string, label: string, intervalMs: number, now?: number): Promise<{ slot: number; blockedUntil: number }>
  /** Every process waits until `untilMs` before its next request to the endpoint (a Retry-After). */
  block(key: string, label: string, untilMs: number): Promise<void>
  /** The endpoint's pacing state, or undefined before its first request. */
  state(key: string): Promise<{ label: string; nextAt: number; blockedUntil: number; retryAfters: number } | undefined>
  /**
   * Copies the WAL back into the file and truncates it to zero bytes (waits for the other
   * processes' statements, which are single upserts). Runs by itself every CHECKPOINT_EVERY_MS
   * while this process writes; false when another connection kept it from completing.
   */
  checkpoint(): Promise<boolean>
  close(): Promise<void>
}

/**
 * Why pacing checkpoints by itself: ~15 processes upsert these few rows many times a second, so at
 * almost every moment some connection reads the WAL and SQLite's automatic (PASSIVE) checkpoint
 * can never restart it — the WAL grew without bound (135 MB after 25 minutes of the stress
 * soak, for a table of a dozen rows). A TRUNCATE checkpoint waits (busy handler) for the readers
 * of the moment, then starts the WAL over.
 */
export const CHECKPOINT_EVERY_MS = 10_000

/** The key of an endpoint URL in the pacing file: a hash (a URL may carry an API key). */
export function rateKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 32)
}

/** The pacing file that goes with a store file (`x.sqlite` → `x.ratelimits.sqlite`). */
export function rateLimitsPathFor(storePath: string): string {
  return storePath.endsWith('.sqlite') ? `${storePath.slice(0, -'.sqlite'.length)}.ratelimits.sqlite` : `${storePath}.ratelimits.sqlite`
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rate_slots (
  key            TEXT    PRIMARY KEY,           -- rateKey(url): a hash, never the URL
  label          TEXT    NOT NULL,              -- protocol and host only
  next_at        INTEGER NOT NULL,              -- epoch ms: the next request may leave from here
  blocked_until  INTEGER NOT NULL DEFAULT 0,    -- epoch ms: a Retry-After seen by any process
  retry_afters   INTEGER NOT NULL DEFAULT 0     -- how many Retry-After answers were shared
) STRICT;
`

export async function openRateLimits(opts: { path: string; logger?: Logger }): Promise<RateLimits> {
  const db: Db = await openDb({ path: opts.path, ...(opts.logger ? { logger: opts.logger } : {}) })
  await db.exec(SCHEMA)
  // Pacing rows are rewritten many times a second: durability of a slot does not matter.
  await db.run('PRAGMA synchronous = NORMAL')
  const checkpoint = async (): Promise<boolean> => {
    const r = await db.get<{ busy: number }>('PRAGMA wal_checkpoint(TRUNCATE)')
    return r?.busy === 0
  }
  let wrote = false
  const timer = setInterval(() => {
    if (!wrote) return
    wrote = false
    checkpoint().then(
      (done) => {
        if (!done) opts.logger?.debug('rate limits: checkpoint kept from completing; next time')
      },
      (err: unknown) => opts.logger?.debug({ err: String(err) }, 'rate limits: checkpoint failed; next time'),
    )
  }, CHECKPOINT_EVERY_MS)
  timer.unref()
  return {
    path: opts.path,
    async reserve(key, label, intervalMs, now = Date.now()) {
      const iv = Math.max(0, Math.ceil(intervalMs))
      wrote = true
      const row = await db.get<{ slot: number; blocked_until: number }>(
        `INSERT INTO rate_slots (key, label, next_at, blocked_until) VALUES (?1, ?2, ?3 + ?4, 0)
         ON CONFLICT (key) DO UPDATE SET next_at = max(?3, rate_slots.next_at, rate_slots.blocked_until) + ?4, label = ?2
         RETURNING next_at - ?4 AS slot, blocked_until`,
        [key, label, Math.floor(now), iv],
      )
      return row ? { slot: num(row.slot), blockedUntil: num(row.blocked_until) } : { slot: now, blockedUntil: 0 }
    },
    async block(key, label, untilMs) {
      wrote = true
      await db.run(
        `INSERT INTO rate_slots (key, label, next_at, blocked_until, retry_afters) VALUES (?1, ?2, ?3, ?3, 1)
         ON CONFLICT (key) DO UPDATE SET blocked_until = max(rate_slots.blocked_until, ?3), retry_afters = rate_slots.retry_afters + 1, label = ?2`,
        [key, label, Math.floor(untilMs)],
      )
    },
    async state(key) {
      const r = await db.get<{ label: string; next_at: number; blocked_until: number; retry_afters: number }>('SELECT * FROM rate_slots WHERE key = ?', [key])
      return r ? { label: str(r.label), nextAt: num(r.next_at), blockedUntil: num(r.blocked_until), retryAfters: num(r.retry_afters) } : undefined
    },
    checkpoint,
    close: () => {
      clearInterval(timer)
      return db.close()
    },
  }
}
