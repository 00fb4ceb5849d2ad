import { decodeFunctionData, encodeFunctionData, encodePacked, size, sliceHex, hexToBigInt, type Hex } from 'viem'
import { apportion } from './apportion.js'
import type { FractionalSplit } from './types.js'

/**
 * OpenZeppelin GovernorCountingFractional (v5.4): support 255 (`VOTE_TYPE_FRACTIONAL`) with
 * `params = abi.encodePacked(uint128 against, uint128 for, uint128 abstain)` — exactly 48 bytes,
 * read by `_countVote` as three big-endian uint128 words at offsets 0, 16 and 32.
 */
export const VOTE_TYPE_FRACTIONAL = 255
export const UINT128_MAX = (1n << 128n) - 1n

export const castVoteWithReasonAndParamsAbi = [
  {
    type: 'function',
    name: 'castVoteWithReasonAndParams',
    stateMutability: 'nonpayable',
    inputs: [
      { name: 'proposalId', type: 'uint256' },
      { name: 'support', type: 'uint8' },
      { name: 'reason', type: 'string' },
      { name: 'params', type: 'bytes' },
    ],
    outputs: [{ name: '', type: 'uint256' }],
  },
] as const

export type FractionalAmounts = Pick<FractionalSplit, 'against' | 'for' | 'abstain'>

/** The 48-byte params of a fractional vote. Throws RangeError when an amount is not a uint128. */
export function encodeFractionalParams(split: FractionalAmounts): Hex {
  for (const k of ['against', 'for', 'abstain'] as const) {
    const v = split[k]
    if (v < 0n || v > UINT128_MAX) throw new RangeError(`fractional ${k} amount ${v} is not a uint128`)
  }
  return encodePacked(['uint128', 'uint128', 'uint128'], [split.against, split.for, split.abstain])
}

/** Inverse of encodeFractionalParams (as the contract reads it). */
export function decodeFractionalParams(params: Hex): FractionalAmounts {
  if (size(params) !== 48) throw new RangeError(`fractional params must be 48 bytes, got ${size(params)}`)
  return {
    against: hexToBigInt(sliceHex(params, 0, 16)),
    for: hexToBigInt(sliceHex(params, 16, 32)),
    abstain: hexToBigInt(sliceHex(params, 32, 48)),
  }
}

/** Calldata of `castVoteWithReasonAndParams(proposalId, 255, reason, params)`. */
export function encodeCastFractionalVote(args: { proposalId: bigint; reason: string; split: FractionalAmounts }): Hex {
  return encodeFunctionData({
    abi: castVoteWithReasonAndParamsAbi,
    functionName: 'castVoteWithReasonAndParams',
    args: [args.proposalId, VOTE_TYPE_FRACTIONAL, args.reason, encodeFractionalParams(args.split)],
  })
}

export function decodeCastFractionalVote(data: Hex): { proposalId: bigint; support: number; reason: string; params: Hex } {
  const { args } = decodeFunctionData({ abi: castVoteWithReasonAndParamsAbi, data })
  return { proposalId: args[0], support: args[1], reason: args[2], params: args[3] }
}

/**
 * What to cast now when part of the pool's weight was cast before (GovernorCountingFractional
 * keeps `usedVotes`; a later fractional vote adds to each bucket, never subtracts). The delta
 * moves each bucket towards the target; a bucket already above its target (`excess`) cannot
 * shrink, so when the deltas would exceed the weight still unused they are scaled down to it by
 * largest remainder. Exact integers.
 */
export function topUp(
  target: FractionalAmounts,
  cast: FractionalAmounts,
  poolWeight: bigint,
): { delta: FractionalAmounts; excess: FractionalAmounts } {
  const keys = ['against', 'for', 'abstain'] as const
  const d = keys.map((k) => (target[k] > cast[k] ? target[k] - cast[k] : 0n))
  const e = keys.map((k) => (cast[k] > target[k] ? cast[k] - target[k] : 0n))
  const remaining = poolWeight - cast.against - cast.for - cast.abstain
  if (remaining < 0n) throw new RangeError(`more votes cast (${poolWeight - remaining}) than the pool's weight ${poolWeight}`)
  const dSum = d.reduce((a, b) => a + b, 0n)
  const delta = dSum > remaining ? apportion(remaining, d) : d
  return {
    delta: { against: delta[0]!, for: delta[1]!, abstain: delta[2]! },
    excess: { against: e[0]!, for: e[1]!, abstain: e[2]! },
  }
}
