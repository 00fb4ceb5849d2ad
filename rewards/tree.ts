import { getAddress, type Address, type Hex } from 'viem'
import { accumulate, apportion } from './entitlements'
import { checksumAddress, makeRewardsTree, type RewardsTree } from './merkle'

/**
 * The epoch's Merkle tree and its published form (pure). The tree is OpenZeppelin's
 * StandardMerkleTree (rewards/merkle.ts builds the identical tree fast; tree.test.ts checks it
 * against @openzeppelin/merkle-tree).
 *
 * Leaves are `(address account, uint256 cumulativeAmount)` in OpenZeppelin's StandardMerkleTree
 * encoding — leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulative)))), sorted
 * pairs — which is what contracts/CumulativeMerkleDistributor.sol checks with MerkleProof.
 * Amounts are cumulative over every epoch so far: one claim collects everything unclaimed.
 */
export const LEAF_ENCODING = ['address', 'uint256'] as const

export type Leaf = [Address, bigint]

/** The tree of the cumulative amounts (accounts with an amount > 0, by address). */
export function buildTree(cumulative: ReadonlyMap<string, bigint>): RewardsTree {
  const values: [string, bigint][] = []
  for (const [a, x] of [...cumulative.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (x > 0n) values.push([a, x])
  if (values.length === 0) throw new RangeError('tree: no leaf with an amount (a tree needs at least one)')
  return makeRewardsTree(values)
}

export interface EpochLeavesInput {
  weights: ReadonlyMap<string, bigint>
  /** The delegators' pot (earnings' distributable). */
  distributable: bigint
  /** The pool's commission, a leaf of its own for the fee recipient. */
  commission: bigint
  feeRecipient: string
  /** Cumulative amounts after the previous epoch with a root (lower-case keys). */
  previous: ReadonlyMap<string, bigint>
}

export interface EpochLeaves {
  /** This epoch's amount per account (delegators, and the fee recipient's commission). */
  amounts: Map<string, bigint>
  cumulative: Map<string, bigint>
  paid: bigint
  remainder: bigint
}

/** This epoch's amounts (entitlements + the commission leaf) and the cumulative amounts after it. */
export function epochLeaves(i: EpochLeavesInput): EpochLeaves {
  const a = apportion(i.weights, i.distributable)
  const amounts = new Map(a.amounts)
  if (i.commission > 0n) {
    const fee = i.feeRecipient.toLowerCase()
    amounts.set(fee, (amounts.get(fee) ?? 0n) + i.commission)
  }
  return { amounts, cumulative: accumulate(i.previous, amounts), paid: a.paid, remainder: a.remainder }
}

/** The published epoch (JSON: bigints as decimal strings). Everything `verify` needs besides chain reads. */
export interface PublishedEpoch {
  format: 'poolwarden-rewards-v1'
  epoch: number
  root: Hex
  /** Where claims are paid. */
  claims: { chain: string; distributor: Address; token: Address; decimals: number; symbol: string }
  startTime: number
  endTime: number
  /** Per chain: the share token and the boundary blocks read (last block with timestamp ≤ start / end). */
  inputs: { chain: string; shareToken: Address; startBlock: string; endBlock: string }[]
  /** The previous epoch with a root (its cumulative amounts are the base of this one's), or null. */
  previousEpoch: number | null
  earnings: Record<string, string | number | boolean>
  feeRecipient: Address
  commission: string
  distributable: string
  paid: string
  remainder: string
  /** Every account of the tree, by address: its amount this epoch and its cumulative amount. */
  leaves: { account: Address; amount: string; cumulative: string }[]
}

export function leavesOf(p: Pick<PublishedEpoch, 'leaves'>): Map<string, bigint> {
  return new Map(p.leaves.map((l) => [l.account.toLowerCase(), BigInt(l.cumulative)]))
}

export function publishedLeaves(l: EpochLeaves): PublishedEpoch['leaves'] {
  return [...l.cumulative.entries()]
    .filter(([, x]) => x > 0n)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([a, x]) => ({ account: checksumAddress(a), amount: String(l.amounts.get(a) ?? 0n), cumulative: String(x) }))
}

/** The proof of `account`'s leaf, or null when the account has no leaf. */
export function proofFor(tree: RewardsTree, account: string): { cumulative: bigint; proof: Hex[] } | null {
  const i = tree.indexOf(account)
  if (i < 0) return null
  return { cumulative: tree.values[i]![1], proof: tree.proofAt(i) }
}

export type Comparison =
  | { match: true; root: Hex }
  | { match: false; root: Hex; reason: string; leaf?: { account: string; expected: string | null; published: string | null } }

/**
 * Compares recomputed cumulative amounts with a published epoch: the first differing leaf (by
 * address) or a root that differs from `onchainRoot`.
 */
export function compareEpoch(published: Pick<PublishedEpoch, 'leaves' | 'root'>, recomputed: ReadonlyMap<string, bigint>, onchainRoot: Hex | null): Comparison {
  const pub = leavesOf(published)
  const accounts = [...new Set([...pub.keys(), ...[...recomputed.entries()].filter(([, x]) => x > 0n).map(([a]) => a)])].sort()
  const root = buildTree(recomputed).root as Hex
  for (const a of accounts) {
    const e = recomputed.get(a) ?? 0n
    const p = pub.get(a)
    if (p === undefined || p !== e) {
      return { match: false, root, reason: `leaf ${getAddress(a)}: recomputed ${e}, published ${p ?? 'none'}`, leaf: { account: getAddress(a), expected: e > 0n ? String(e) : null, published: p === undefined ? null : String(p) } }
    }
  }
  if (root.toLowerCase() !== published.root.toLowerCase()) return { match: false, root, reason: `root: recomputed ${root}, published ${published.root}` }
  if (onchainRoot !== null && root.toLowerCase() !== onchainRoot.toLowerCase()) return { match: false, root, reason: `root: recomputed ${root}, on chain ${onchainRoot}` }
  return { match: true, root }
}
