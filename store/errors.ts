import { BaseError, RetryableError } from '../core/errors.js'

/** A database error that retrying will not fix (constraint, bad SQL, bad value, closed store). */
export class StoreError extends BaseError {
  override name = 'StoreError'
  /** SQLite result code name when the error came from SQLite (e.g. "SQLITE_CONSTRAINT"). */
  readonly code: string | undefined
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options)
    this.code = options?.code
  }
}

/**
 * The database stayed locked by another writer beyond busy_timeout and our own retries.
 * Retryable: the caller's loop tries again later.
 */
export class StoreBusyError extends RetryableError {
  override name = 'StoreBusyError'
}

/** SQLite error code of a node-sqlite3 error, if any. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined
}

/** SQLITE_BUSY (another connection holds the lock) or SQLITE_LOCKED (same-connection conflict). */
export function isBusy(err: unknown): boolean {
  const code = sqliteCode(err)
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED'
}

/**
 * This instance's lease on its role (store/leases.ts) is no longer current: another instance took
 * it while this one was paused or cut off. Not retryable: the instance stops acting (the agent
 * runtime logs it and exits, so a restart comes back as the standby).
 */
export class LeaseLostError extends BaseError {
  override name = 'LeaseLostError'
}

/** SQLite result codes (and the OS's) that mean the store cannot take writes: the disk (or the store's size ceiling) is full, or the file cannot be written. */
const UNWRITABLE = new Set(['SQLITE_FULL', 'SQLITE_IOERR', 'ENOSPC', 'EDQUOT'])

/**
 * The code when `err` (or an error in its cause chain) says the store cannot take writes —
 * SQLITE_FULL (a full disk, or `store.maxSizeMb` reached), SQLITE_IOERR (a WAL or shared-memory
 * write that failed), ENOSPC/EDQUOT — else undefined. Nothing written by the failed statement
 * or transaction stays (SQLite rolls it back): the caller may retry once space returns.
 */
export function unwritableCode(err: unknown): string | undefined {
  let e: unknown = err
  for (let i = 0; i < 10 && e; i++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && UNWRITABLE.has(code)) return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}
