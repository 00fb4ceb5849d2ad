import { AsyncLocalStorage } from 'node:async_hooks'
import sqlite3 from 'sqlite3'
import type { Logger } from '../core/logger.js'
import { StoreBusyError, StoreError, isBusy, sqliteCode, unwritableCode } from './errors.js'
import { Mutex } from '../core/mutex.js'

/**
 * A small typed promise layer over one node-sqlite3 connection. Internal to store/: query
 * modules use it; nothing outside store/ writes SQL.
 *
 * Concurrency model
 * - Across processes (or several connections in one process), SQLite serialises writers:
 *   `transaction()` starts with BEGIN IMMEDIATE, so a second writer waits in SQLite's busy
 *   handler (busy_timeout) at BEGIN instead of failing later on lock upgrade.
 * - Within this connection, a JS mutex makes each top-level statement or transaction run
 *   alone, so a statement from unrelated async code never lands inside someone's transaction.
 * - Calls made inside a transaction's callback (found through AsyncLocalStorage) join that
 *   transaction; a nested `transaction()` becomes a SAVEPOINT.
 * - Waiting for the lock is split: SQLite's busy_timeout is a short slice (≤ 100 ms) and the
 *   rest of the budget (`busyTimeoutMs`, default 5000) is spent in JS back-off between
 *   attempts. node-sqlite3 runs statements on libuv's thread pool (4 threads by default) and
 *   SQLite's busy handler sleeps on that thread: with one long busy_timeout, four waiting
 *   connections in one process starve the thread the lock holder needs for its COMMIT and
 *   everyone waits the full timeout (observed: 6 stores opening at once took 5 s). Past the
 *   budget, SQLITE_BUSY is thrown as StoreBusyError (a RetryableError). A statement that got
 *   SQLITE_BUSY had no effect, so retrying it is safe.
 */

export type SqlValue = string | number | null
export type Params = readonly SqlValue[]

export interface RunResult {
  /** Rows changed by an INSERT/UPDATE/DELETE. */
  changes: number
  /** rowid of the last inserted row (meaningful after an INSERT only). */
  lastId: number
}

export interface Db {
  readonly path: string
  run(sql: string, params?: Params): Promise<RunResult>
  get<T>(sql: string, params?: Params): Promise<T | undefined>
  all<T>(sql: string, params?: Params): Promise<T[]>
  /** Several statements, no parameters (migrations). Not retried on BUSY. */
  exec(sql: string): Promise<void>
  /** BEGIN IMMEDIATE … COMMIT (ROLLBACK on throw); nested calls are savepoints. */
  transaction<T>(fn: () => Promise<T>): Promise<T>
  /** True when called from inside a transaction of this connection. */
  inTransaction(): boolean
  close(): Promise<void>
}

export interface OpenDbOptions {
  path: string
  logger?: Logger
  /** How long a statement may wait for another connection's lock before StoreBusyError, ms. */
  busyTimeoutMs?: number
  /**
   * A ceiling on the file's size, bytes (`PRAGMA max_page_count` on this connection): a write that
   * needs a page past it fails with SQLITE_FULL, as on a full disk. Unset: SQLite's own limit.
   */
  maxBytes?: number
  /** Called with every error that says the store cannot take writes (errors.ts `unwritableCode`: a full disk…), before it is thrown. */
  onUnwritable?: (err: StoreError) => void
}

/** A statement that writes and returns rows (see `get`). */
const RETURNING = /\bRETURNING\b/i

/** Longest time one attempt blocks a libuv thread in SQLite's busy handler. */
const BUSY_SLICE_MS = 100


interface TxContext {
  db: SqliteDb
  active: boolean
  /** Serialises nested transactions started in parallel inside this one. */
  nested: Mutex
  depth: number
}

const txStorage = new AsyncLocalStorage<TxContext>()

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

function snippet(sql: string): string {
  const s = sql.replace(/\s+/g, ' ').trim()
  return s.length > 120 ? `${s.slice(0, 117)}...` : s
}

class SqliteDb implements Db {
  private readonly lock = new Mutex()
  private closed = false
  private savepointSeq = 0

  constructor(
    readonly path: string,
    private readonly raw: sqlite3.Database,
    private readonly logger: Logger | undefined,
    private readonly busyTimeoutMs: number,
    private readonly onUnwritable?: (err: StoreError) => void,
  ) {}

  // ── raw statements (callback API → promises), each retried on BUSY ──────────────────────

  private rawRun(sql: string, params: Params): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      this.raw.run(sql, params as SqlValue[], function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err)
        else resolve({ changes: this.changes, lastId: this.lastID })
      })
    })
  }

  private rawGet<T>(sql: string, params: Params): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.raw.get<T>(sql, params as SqlValue[], (err: Error | null, row: T | undefined) => (err ? reject(err) : resolve(row)))
    })
  }

  private rawAll<T>(sql: string, params: Params): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.raw.all<T>(sql, params as SqlValue[], (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)))
    })
  }

  private rawExec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.raw.exec(sql, (err: Error | null) => (err ? reject(err) : resolve()))
    })
  }

  private wrap(err: unknown, sql: string): Error {
    if (err instanceof StoreError || err instanceof StoreBusyError) return err
    const code = sqliteCode(err)
    const msg = err instanceof Error ? err.message : String(err)
    if (isBusy(err)) return new StoreBusyError(`store: database busy (${msg}) in: ${snippet(sql)}`, { cause: err })
    const wrapped = new StoreError(`store: ${msg} in: ${snippet(sql)}`, { cause: err, code })
    if (unwritableCode(err)) this.onUnwritable?.(wrapped)
    return wrapped
  }

  /** Runs one statement, retrying SQLITE_BUSY with back-off within the budget, mapping errors. */
  private async retrying<T>(sql: string, op: () => Promise<T>, retry = true): Promise<T> {
    const started = Date.now()
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new StoreError(`store: ${this.path} is closed`)
      try {
        return await op()
      } catch (err) {
        const elapsed = Date.now() - started
        if (retry && isBusy(err) && elapsed < this.busyTimeoutMs) {
          const wait = Math.min(100, 5 * 2 ** Math.min(attempt, 5), this.busyTimeoutMs - elapsed) + Math.floor(Math.random() * 10)
          if (attempt > 0 && attempt % 20 === 0) this.logger?.debug({ sql: snippet(sql), attempt, elapsedMs: elapsed }, 'store: database busy, still waiting')
          await sleep(wait)
          continue
        }
        throw this.wrap(err, sql)
      }
    }
  }

  private current(): TxContext | undefined {
    const ctx = txStorage.getStore()
    return ctx && ctx.db === this && ctx.active ? ctx : undefined
  }

  inTransaction(): boolean {
    return this.current() !== undefined
  }

  /** Inside a transaction: run now. Outside: wait for the connection. */
  private schedule<T>(fn: () => Promise<T>): Promise<T> {
    if (this.current()) return fn()
    return this.lock.lock(fn)
  }

  // ── public API ─────────────────────────────────────────────────────────────────────────

  run(sql: string, params: Params = []): Promise<RunResult> {
    return this.schedule(() => this.retrying(sql, () => this.rawRun(sql, params)))
  }

  get<T>(sql: string, params: Params = []): Promise<T | undefined> {
    // A write with RETURNING read by get(): node-sqlite3 steps it once and resets it, and in
    // autocommit mode the COMMIT happens in that reset, whose error it drops — on a full disk the
    // row came back while nothing was stored. In a transaction of its own, COMMIT reports it.
    if (RETURNING.test(sql) && !this.current()) return this.transaction(() => this.get<T>(sql, params))
    return this.schedule(() => this.retrying(sql, () => this.rawGet<T>(sql, params)))
  }

  all<T>(sql: string, params: Params = []): Promise<T[]> {
    if (RETURNING.test(sql) && !this.current()) return this.transaction(() => this.all<T>(sql, params))
    return this.schedule(() => this.retrying(sql, () => this.rawAll<T>(sql, params)))
  }

  exec(sql: string): Promise<void> {
    // A multi-statement script may have partly run when BUSY arrives: never retried.
    return this.schedule(() => this.retrying(sql, () => this.rawExec(sql), false))
  }

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    const outer = this.current()
    if (outer) return outer.nested.lock(() => this.savepoint(outer, fn))
    return this.lock.lock(async () => {
      await this.retrying('BEGIN IMMEDIATE', () => this.rawRun('BEGIN IMMEDIATE', []))
      const ctx: TxContext = { db: this, active: true, nested: new Mutex(), depth: 0 }
      try {
        const result = await txStorage.run(ctx, fn)
        await this.retrying('COMMIT', () => this.rawRun('COMMIT', []))
        return result
      } catch (err) {
        try {
          await this.rawRun('ROLLBACK', [])
        } catch {
          /* SQLite may already have rolled back (e.g. after SQLITE_FULL); nothing to undo */
        }
        throw err
      } finally {
        ctx.active = false
      }
    })
  }

  private async savepoint<T>(outer: TxContext, fn: () => Promise<T>): Promise<T> {
    const name = `sp_${++this.savepointSeq}`
    await this.retrying(name, () => this.rawRun(`SAVEPOINT ${name}`, []))
    const ctx: TxContext = { db: this, active: true, nested: new Mutex(), depth: outer.depth + 1 }
    try {
      const result = await txStorage.run(ctx, fn)
      await this.retrying(name, () => this.rawRun(`RELEASE ${name}`, []))
      return result
    } catch (err) {
      try {
        await this.rawRun(`ROLLBACK TO ${name}`, [])
        await this.rawRun(`RELEASE ${name}`, [])
      } catch {
        /* the outer transaction will roll back */
      }
      throw err
    } finally {
      ctx.active = false
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    if (this.current()) return Promise.reject(new StoreError('store: close() called inside a transaction (it would wait for itself)'))
    return this.lock.lock(async () => {
      if (this.closed) return
      this.closed = true
      await new Promise<void>((resolve, reject) => this.raw.close((err) => (err ? reject(this.wrap(err, 'close')) : resolve())))
    })
  }
}

function openRaw(path: string): Promise<sqlite3.Database> {
  return new Promise((resolve, reject) => {
    const raw: sqlite3.Database = new sqlite3.Database(path, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE, (err) => {
      if (err) reject(new StoreError(`store: cannot open ${path}: ${err.message}`, { cause: err, code: sqliteCode(err) }))
      else resolve(raw)
    })
  })
}

/**
 * Opens one connection with the pragmas every poolwarden connection uses: WAL journal,
 * busy_timeout (a slice of the wait budget, see above), foreign keys on, synchronous=FULL (a committed intent survives power loss).
 */
export async function openDb(opts: OpenDbOptions): Promise<Db> {
  const busyTimeoutMs = Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))
  const slice = Math.min(busyTimeoutMs, BUSY_SLICE_MS)
  const raw = await openRaw(opts.path)
  // Every statement on this connection runs in issue order.
  raw.serialize()
  raw.configure('busyTimeout', slice)
  const db = new SqliteDb(opts.path, raw, opts.logger, busyTimeoutMs, opts.onUnwritable)
  try {
    await db.run(`PRAGMA busy_timeout = ${slice}`)
    const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL')
    const memory = opts.path === ':memory:' || opts.path === ''
    if (!memory && mode?.journal_mode.toLowerCase() !== 'wal') {
      throw new StoreError(`store: ${opts.path} could not switch to WAL (journal_mode=${mode?.journal_mode}); is it on a network filesystem?`)
    }
    await db.run('PRAGMA foreign_keys = ON')
    await db.run('PRAGMA synchronous = FULL')
    if (opts.maxBytes !== undefined) {
      const page = (await db.get<{ page_size: number }>('PRAGMA page_size'))?.page_size ?? 4096
      await db.get(`PRAGMA max_page_count = ${Math.max(1, Math.floor(opts.maxBytes / page))}`)
    }
  } catch (err) {
    await db.close().catch(() => undefined)
    throw err
  }
  return db
}
