import { getAddress, type Address, type BlockNumber, type PublicClient } from 'viem'
import { decodeFractionalParams, VOTE_TYPE_FRACTIONAL, type FractionalAmounts } from '../fractional.js'
import { governorAbi } from './abi.js'
import { GovernorVoteError } from './errors.js'

/**
 * What `voter` has cast on a proposal, per bucket, from the Governor's VoteCast /
 * VoteCastWithParams events (GovernorCountingFractional keeps only the total, `usedVotes`).
 * Support 0/1/2 puts the event's weight in against/for/abstain; support 255 adds the 48-byte params.
 * `fromBlock` bounds the log query (default 0: fine on a devnet, narrow it on a live chain, e.g.
 * to the proposal's creation block).
 */
export async function readCastVotes(args: {
  client: PublicClient
  governor: Address
  proposalId: bigint
  voter: Address
  fromBlock?: BlockNumber
  toBlock?: BlockNumber
}): Promise<FractionalAmounts> {
  const { client, proposalId } = args
  const address = getAddress(args.governor)
  const voter = getAddress(args.voter)
  const range = { fromBlock: args.fromBlock ?? 0n, toBlock: args.toBlock ?? ('latest' as const) }
  const [plain, withParams] = await Promise.all([
    client.getContractEvents({ address, abi: governorAbi, eventName: 'VoteCast', args: { voter }, ...range }),
    client.getContractEvents({ address, abi: governorAbi, eventName: 'VoteCastWithParams', args: { voter }, ...range }),
  ])
  const out: FractionalAmounts = { against: 0n, for: 0n, abstain: 0n }
  const bucket = ['against', 'for', 'abstain'] as const
  for (const log of [...plain, ...withParams]) {
    const a = log.args
    if (a.proposalId !== proposalId || a.support === undefined || a.weight === undefined) continue
    if (a.support === VOTE_TYPE_FRACTIONAL && 'params' in a && a.params) {
      const p = decodeFractionalParams(a.params)
      out.against += p.against
      out.for += p.for
      out.abstain += p.abstain
    } else if (a.support <= 2) {
      out[bucket[a.support]!] += a.weight
    } else {
      throw new GovernorVoteError(`governor ${address}: vote of ${voter} on ${proposalId} with unknown support ${a.support} (tx ${log.transactionHash})`)
    }
  }
  return out
}
