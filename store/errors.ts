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
