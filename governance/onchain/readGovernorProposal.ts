import { getAddress, type Address, type PublicClient } from 'viem'
import { governorAbi, PROPOSAL_STATES, type ProposalState } from './abi.js'
import { GovernorVoteError } from './errors.js'

export interface GovernorProposal {
  governor: Address
  proposalId: bigint
  /** The block all reads were made at. */
  blockNumber: bigint
  state: ProposalState
  /** The governor's clock mode (ERC-6372), e.g. "mode=timestamp" or "mode=blocknumber&from=default". */
  clockMode: string
  /** Timepoints in the governor's clock (seconds or blocks, per clockMode). */
  snapshot: bigint
  deadline: bigint
  /** The account's voting weight at the snapshot; null while the snapshot is not in the past (Pending). */
  weight: bigint | null
  /** Weight the account has already cast on the proposal (GovernorCountingFractional `usedVotes`). */
  usedVotes: bigint
  /** The proposal's totals so far, all voters. */
  votes: { against: bigint; for: bigint; abstain: bigint }
}

/**
 * Reads an on-chain Governor proposal as the `account` (the pool) sees it, every read at one block:
 * state, snapshot, deadline, the account's weight at the snapshot (`getVotes(account, snapshot)`)
 * and what it has used already (`usedVotes`). Throws GovernorVoteError for an unknown proposal.
 */
export async function readGovernorProposal(args: {
  client: PublicClient
  governor: Address
  proposalId: bigint
  account: Address
  blockNumber?: bigint
}): Promise<GovernorProposal> {
  const { client, proposalId } = args
  const governor = getAddress(args.governor)
  const account = getAddress(args.account)
  const blockNumber = args.blockNumber ?? (await client.getBlockNumber({ cacheTime: 0 }))
  const read = <T>(functionName: string, fnArgs: readonly unknown[] = []) =>
    client.readContract({ address: governor, abi: governorAbi, functionName, args: fnArgs, blockNumber } as never) as Promise<T>

  const snapshot = await read<bigint>('proposalSnapshot', [proposalId])
  if (snapshot === 0n) throw new GovernorVoteError(`governor ${governor}: no proposal ${proposalId}`)
  const [stateIndex, deadline, clockMode, clock, usedVotes, totals] = await Promise.all([
    read<number>('state', [proposalId]),
    read<bigint>('proposalDeadline', [proposalId]),
    read<string>('CLOCK_MODE'),
    read<number>('clock'),
    read<bigint>('usedVotes', [proposalId, account]),
    read<readonly [bigint, bigint, bigint]>('proposalVotes', [proposalId]),
  ])
  // getVotes(…, t) reverts (ERC5805FutureLookup) unless t < clock().
  const weight = snapshot < BigInt(clock) ? await read<bigint>('getVotes', [account, snapshot]) : null
  const state = PROPOSAL_STATES[stateIndex]
  if (!state) throw new GovernorVoteError(`governor ${governor}: proposal ${proposalId} has unknown state ${stateIndex}`)
  return {
    governor,
    proposalId,
    blockNumber,
    state,
    clockMode,
    snapshot,
    deadline,
    weight,
    usedVotes,
    votes: { against: totals[0], for: totals[1], abstain: totals[2] },
  }
}
