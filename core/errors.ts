/**
 * One error hierarchy for the whole project (viem/ponder style): every error we throw is a
 * BaseError with a `cause` chain, and is either retryable (the scheduler may try again) or not.
 * Retry decisions look at the class, never at message text.
 */
export class BaseError extends Error {
  override name = 'BaseError'
  readonly retryable: boolean = false
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** Something outside us failed in a way that may pass (network, RPC node, busy database). */
export class RetryableError extends BaseError {
  override name = 'RetryableError'
  override readonly retryable: boolean = true
}

/** Invalid configuration: each problem is one line naming the field path and the fix. */
export class ConfigError extends BaseError {
  override name = 'ConfigError'
  constructor(readonly problems: string[]) {
    super(problems.map((p) => `config: ${p}`).join('\n'))
  }
}

/**
 * A command line used wrongly (unknown command, missing argument, bad flag value): the message is
 * the problem and the usage, shown as is — not a config problem, so no `config:` prefix.
 */
export class UsageError extends BaseError {
  override name = 'UsageError'
}

/** Every RPC URL of a chain failed for a request. */
export class RpcUnavailableError extends RetryableError {
  override name = 'RpcUnavailableError'
}

/** A block that should exist is not there yet (head behind the block we want). */
export class BlockNotYetAvailableError extends RetryableError {
  override name = 'BlockNotYetAvailableError'
}

export function isRetryable(err: unknown): boolean {
  let e: unknown = err
  for (let i = 0; i < 10 && e; i++) {
    if (e instanceof BaseError) return e.retryable
    e = (e as { cause?: unknown }).cause
  }
  return false
}

/** Message of an error with its cause chain, for logs (never includes secrets we hold). */
export function describeError(err: unknown): string {
  const parts: string[] = []
  let e: unknown = err
  for (let i = 0; i < 5 && e; i++) {
    parts.push(e instanceof Error ? (e as Error & { shortMessage?: string }).shortMessage ?? e.message : String(e))
    e = (e as { cause?: unknown }).cause
  }
  return parts.join(' <- ')
}
