import { BaseError, RetryableError } from '../core/errors'

/** A share history that does not add up (a missing log, a wrong boundary balance): nothing is decided on it. */
export class ShareHistoryError extends BaseError {
  override name = 'ShareHistoryError'
}

/** Chain data for an epoch is not there yet or a chain did not answer: the epoch waits. */
export class EpochNotReadyError extends RetryableError {
  override name = 'EpochNotReadyError'
}
