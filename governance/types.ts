/** Domain types of governance/: pure data shared by the tally, receipts, verification and clients. */

export type Address = `0x${string}`
export type Hex = `0x${string}`

/** Snapshot voting types the pool tallies (Snapshot's copeland is not supported). */
export const VOTING_TYPES = ['basic', 'single-choice', 'approval', 'weighted', 'quadratic', 'ranked-choice'] as const
export type VotingType = (typeof VOTING_TYPES)[number]

/** A Snapshot choice as the hub returns it: 1-based index, list of indices, or index → weight. */
export type SnapshotChoice = number | number[] | Record<string, number>

/** On-chain Governor Bravo supports (GovernorCountingSimple.VoteType order: Against=0, For=1, Abstain=2). */
export type Support = 'against' | 'for' | 'abstain'

/** What silent delegators (no valid signal) do with their weight. */
export type SilentPolicy = 'not-cast' | 'abstain' | 'follow-majority'

/** How a delegator's signal signature was checked (by governance/verify or an EIP-1271 call). */
export interface SignatureCheck {
  ok: boolean
  method: 'eoa' | 'eip1271' | 'none'
  /** Why it failed, when it did. */
  error?: string
}

/**
 * A signed Snapshot message as the sequencer received it (snapshot.js Client712):
 * `{ address, sig, data: { domain, types, message } }`. Kept with each signal so anyone can
 * re-verify the signature from the receipt alone.
 */
export interface SignedEnvelope {
  address: string
  sig: string
  data: { domain: Record<string, unknown>; types: Record<string, unknown>; message: Record<string, unknown> }
}

/** One delegator's signal: a vote on the pool's signalling proposal. */
export interface Signal {
  /** The hub's vote id (or the signature), for the receipt. */
  id?: string
  voter: Address
  choice: unknown
  /** The signed message's timestamp, unix seconds. */
  timestamp: number
  /** The proposal id the signed message names; checked against the tallied proposal when present. */
  proposal?: string
  sig?: Hex
  sigCheck: SignatureCheck
  reason?: string
  /** The signed message this signal was read from (absent when the hub gave none). */
  envelope?: SignedEnvelope
}

/** A pool shareholder and its pool shares (wei) at the proposal's snapshot, per chain. */
export interface Delegator {
  address: Address
  weightByChain: Record<string, bigint>
}

/** The signalling proposal being tallied. */
export interface TallyProposal {
  id: string
  type: VotingType
  choices: string[]
  /** Voting window, unix seconds: signals outside it are refused when given. */
  start?: number
  end?: number
}

export interface TallyPolicy {
  silent: SilentPolicy
  /** Signal quorum: share of the total weight that must have signalled validly, in basis points. */
  quorumBps: number
  /** Weighted/quadratic Snapshot choices are integer proportions summing to this (default 1 000 000). */
  proportionScale?: number
}

export interface OnchainTarget {
  /** The pool's voting weight on the Governor for this proposal (wei); the split sums to it. */
  poolWeight: bigint
  /**
   * The on-chain support of each choice (index 0 = choice 1). Default for `basic`:
   * For, Against, Abstain (Snapshot's basic choices).
   */
  support?: Support[]
}

export type SignalStatus =
  | 'counted'
  | 'superseded'
  | 'invalid-signature'
  | 'invalid-choice'
  | 'zero-weight'
  | 'outside-window'
  | 'wrong-proposal'

export type TallyStatus = 'ok' | 'quorum-not-reached' | 'no-signals' | 'no-weight'

/** The on-chain fractional split: uint128 amounts; against + for + abstain + uncast = poolWeight. */
export interface FractionalSplit {
  against: bigint
  for: bigint
  abstain: bigint
  /** Weight of silent delegators not cast under the 'not-cast' policy (left for a later top-up). */
  uncast: bigint
}
