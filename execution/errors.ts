import { BaseError, RetryableError } from '../core/errors'

/**
 * Errors of the execution path. Non-retryable ones mean "this intent / step will not happen as
 * asked" (the plan fails); retryable ones leave every intent where it was, to resume later.
 */

/** An intent ended without its effect: the base of the final failures below. */
export class IntentFailedError extends BaseError {
  override name = 'IntentFailedError'
  constructor(
    message: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The pre-flight eth_call reverted: nothing was signed or sent. */
export class PreflightRevertError extends IntentFailedError {
  override name = 'PreflightRevertError'
  constructor(
    key: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`intent ${key}: pre-flight call reverted: ${reason}; nothing was sent`, key, options)
  }
}

/** The transaction was mined and reverted (final after the chain's finality depth). */
export class TxRevertedError extends IntentFailedError {
  override name = 'TxRevertedError'
  constructor(
    key: string,
    readonly txHash: string,
    readonly blockNumber: bigint,
  ) {
    super(`intent ${key}: transaction ${txHash} reverted in block ${blockNumber}`, key)
  }
}

/** The intent's nonce was consumed by a transaction that is not one of its own (another tool sent from the account). */
export class NonceConsumedError extends IntentFailedError {
  override name = 'NonceConsumedError'
}

/** An intent with this key exists for a different call: the caller reused a key. */
export class IntentMismatchError extends BaseError {
  override name = 'IntentMismatchError'
}

/** A plan step this executor cannot carry out (venue kind, step kind, missing venue). */
export class UnsupportedStepError extends BaseError {
  override name = 'UnsupportedStepError'
}

/** After a step's transactions, the pool's position did not change as expected. */
export class PositionMismatchError extends BaseError {
  override name = 'PositionMismatchError'
}

/** The sending account's gas balance is below the critical level: nothing new is signed. */
export class GasBalanceLowError extends RetryableError {
  override name = 'GasBalanceLowError'
  constructor(
    readonly chain: string,
    readonly balance: bigint,
    readonly required: bigint,
  ) {
    super(`${chain}: gas balance ${balance} wei is below the ${required} wei needed: intents stay queued until the account is funded`)
  }
}

/** A transaction stayed unmined through every allowed replacement: an operator should look. */
export class TxStuckError extends RetryableError {
  override name = 'TxStuckError'
}

/** A stuck transaction was cancelled (a same-nonce 0-value self-transfer was mined instead): final, the call never happened. */
export class TxCancelledError extends IntentFailedError {
  override name = 'TxCancelledError'
}

/** The signing agent is paused (`pause:<agent>` or `pause:all`): nothing new is signed; the intent stays created. */
export class SenderPausedError extends RetryableError {
  override name = 'SenderPausedError'
}
