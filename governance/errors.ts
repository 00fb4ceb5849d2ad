import { BaseError, RetryableError } from '../core/errors.js'

/** The tally was given inputs it cannot use (unknown voting type, bad support mapping, weight too large). */
export class TallyInputError extends BaseError {
  override name = 'TallyInputError'
}

/** A receipt that does not parse, or whose stored vote differs from the recomputed one. */
export class ReceiptError extends BaseError {
  override name = 'ReceiptError'
}

/** The Snapshot hub answered something we refuse to use (malformed GraphQL data, GraphQL errors). */
export class HubResponseError extends BaseError {
  override name = 'HubResponseError'
}

/** The hub could not be reached, or said 429 / 5xx: worth trying again later. */
export class HubUnavailableError extends RetryableError {
  override name = 'HubUnavailableError'
}
