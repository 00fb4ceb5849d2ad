import { BaseError, RetryableError } from '../../core/errors.js'

/** The proposal cannot take the pool's vote (not active, unknown, the split exceeds the pool's weight…): not worth retrying as is. */
export class GovernorVoteError extends BaseError {
  override name = 'GovernorVoteError'
}

/** The proposal is still Pending (before its snapshot): try again once voting has started. */
export class ProposalNotActiveYetError extends RetryableError {
  override name = 'ProposalNotActiveYetError'
}
