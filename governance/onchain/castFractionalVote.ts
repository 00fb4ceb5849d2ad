import { decodeFunctionData, getAddress, type Address, type BlockNumber, type Hex, type PublicClient } from 'viem'
import { rolesAbi } from 'zodiac-roles-sdk'
import type { TxSender } from '../../execution/createTxSender.js'
import type { IntentsQueries } from '../../store/index.js'
import type { Intent } from '../../store/types.js'
import { encodeCastFractionalVote, topUp, UINT128_MAX, type FractionalAmounts } from '../fractional.js'
import { governorAbi } from './abi.js'
import { GovernorVoteError, ProposalNotActiveYetError } from './errors.js'
import { readCastVotes } from './readCastVotes.js'
import { readGovernorProposal, type GovernorProposal } from './readGovernorProposal.js'

export interface CastFractionalVoteArgs {
  /**
   * The exactly-once sender of the pool's vote on the Governor's chain: its `address` is the voter
   * (custody "safe": the pool's Safe, through the governor's Roles role; "eoa": the voting key).
   */
  sender: TxSender
  /** Reads on the same chain. */
  client: PublicClient
  /** The sender's store intents: a key already on record is resumed with its stored call. */
  intents: Pick<IntentsQueries, 'get'>
  governor: Address
  proposalId: bigint
  /**
   * The pool's target vote (against, for, abstain), at most its weight at the snapshot in total
   * (less than it leaves the rest for a later top-up). Extra fields (e.g. `uncast`) are ignored.
   */
  split: FractionalAmounts
  reason: string
  /** Idempotency key of this cast (one key per cast: a top-up takes a new key). */
  key: string
  /** First block of the vote-event query used when part of the weight was cast already (default 0). */
  fromBlock?: BlockNumber
}

export type CastFractionalVoteResult =
  | { status: 'sent'; intent: Intent; delta: FractionalAmounts; previous: FractionalAmounts; proposal: GovernorProposal }
  /** The key was on record: its stored call was resumed (sent at most once, whatever the chain says now). */
  | { status: 'resumed'; intent: Intent }
  /** What the pool already cast covers the target as far as votes can only be added: nothing sent. */
  | { status: 'nothing-to-cast'; previous: FractionalAmounts; excess: FractionalAmounts; proposal: GovernorProposal }

/**
 * The contract a stored intent calls: its `to`, or — for a call sent through a Zodiac Roles role
 * (custody "safe": `execTransactionWithRole(to, …)` on the Roles modifier) — the inner `to`.
 */
function callTarget(i: Pick<Intent, 'to' | 'data'>): string {
  try {
    const d = decodeFunctionData({ abi: rolesAbi, data: i.data as Hex })
    if (d.functionName === 'execTransactionWithRole' || d.functionName === 'execTransactionWithRoleReturnData') return String(d.args[0]).toLowerCase()
  } catch {
    // not a Roles call
  }
  return i.to.toLowerCase()
}

const sum = (a: FractionalAmounts) => a.against + a.for + a.abstain

/**
 * Casts the pool's fractional vote `castVoteWithReasonAndParams(proposalId, 255, reason, params)`
 * through the exactly-once tx sender under `key`.
 *
 * - `key` already on record (any status): the same stored calldata is sent again through the
 *   sender, which returns the confirmed intent without a new transaction (or resumes a crashed
 *   one, or rethrows its final failure). The chain is not re-read: a key is one vote, once.
 * - Otherwise the proposal is read at one block (must be Active; Pending is retryable). With no
 *   `usedVotes` yet, the split is cast as is. After an earlier (partial) vote, the pool's per-bucket
 *   votes are read from its vote events and only the top-up towards the split is cast
 *   (governance/fractional.ts `topUp`: buckets only grow; the delta never exceeds the unused weight).
 */
export async function castFractionalVote(args: CastFractionalVoteArgs): Promise<CastFractionalVoteResult> {
  const { sender, client, proposalId, key, reason } = args
  const governor = getAddress(args.governor)

  const existing = await args.intents.get(key)
  if (existing) {
    if (callTarget(existing) !== governor.toLowerCase()) {
      throw new GovernorVoteError(`intent ${key} exists for another contract (${existing.to}, not governor ${governor})`)
    }
    // Resent as stored: to the Governor, or (custody "safe") to the Roles modifier that the role
    // sender passes through unchanged.
    const intent = await sender.send({ key, to: existing.to, data: existing.data, value: existing.value, abi: governorAbi })
    return { status: 'resumed', intent }
  }

  const split: FractionalAmounts = { against: args.split.against, for: args.split.for, abstain: args.split.abstain }
  for (const k of ['against', 'for', 'abstain'] as const) {
    if (split[k] < 0n || split[k] > UINT128_MAX) throw new GovernorVoteError(`split.${k} ${split[k]} is not a uint128`)
  }
  const proposal = await readGovernorProposal({ client, governor, proposalId, account: sender.address })
  if (proposal.state === 'Pending') throw new ProposalNotActiveYetError(`proposal ${proposalId}: voting starts after ${proposal.snapshot} (${proposal.clockMode})`)
  if (proposal.state !== 'Active') throw new GovernorVoteError(`proposal ${proposalId} is ${proposal.state}: no vote can be cast`)
  const weight = proposal.weight ?? 0n
  if (weight === 0n) throw new GovernorVoteError(`proposal ${proposalId}: the pool ${sender.address} has no voting weight at snapshot ${proposal.snapshot}`)
  if (sum(split) > weight) throw new GovernorVoteError(`proposal ${proposalId}: split totals ${sum(split)}, above the pool's weight ${weight}`)

  let previous: FractionalAmounts = { against: 0n, for: 0n, abstain: 0n }
  let delta = split
  if (proposal.usedVotes > 0n) {
    previous = await readCastVotes({ client, governor, proposalId, voter: sender.address, fromBlock: args.fromBlock, toBlock: proposal.blockNumber })
    if (sum(previous) !== proposal.usedVotes) {
      throw new GovernorVoteError(`proposal ${proposalId}: vote events of ${sender.address} total ${sum(previous)}, usedVotes says ${proposal.usedVotes} (fromBlock too late?)`)
    }
    const t = topUp(split, previous, weight)
    delta = t.delta
    if (sum(delta) === 0n) return { status: 'nothing-to-cast', previous, excess: t.excess, proposal }
  }
  if (sum(delta) === 0n) throw new GovernorVoteError(`proposal ${proposalId}: empty split`)

  const data = encodeCastFractionalVote({ proposalId, reason, split: delta })
  const intent = await sender.send({ key, to: governor, data, abi: governorAbi })
  return { status: 'sent', intent, delta, previous, proposal }
}
