import { bytesToHex, getAddress, hexToBytes, keccak256, type Address, type Hex } from 'viem'

/**
 * OpenZeppelin's StandardMerkleTree for `(address, uint256)` leaves, built the same way
 * (@openzeppelin/merkle-tree: leaf = keccak256(keccak256(abi.encode(account, amount))), leaves
 * sorted by hash, the tree as an array with leaf i at index length−1−i, nodes = keccak256 of the
 * sorted pair), on bytes instead of hex strings and without re-proving every proof it hands out:
 * the library takes minutes for 100 000 leaves and their proofs, this a few seconds. Its roots and
 * proofs are checked against the library's in rewards/tree.test.ts, and a proof from here verifies
 * with `StandardMerkleTree.verify` and Solidity's `MerkleProof`.
 */
export interface RewardsTree {
  readonly root: Hex
  /** Leaves in input order. */
  readonly values: ReadonlyArray<readonly [Address, bigint]>
  /** The proof of the value at `index` (input order). */
  proofAt(index: number): Hex[]
  /** The index of `account`'s leaf, or -1. */
  indexOf(account: string): number
}

function cmp(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return 0
}

export function leafHash(account: string, amount: bigint): Uint8Array {
  const buf = new Uint8Array(64)
  buf.set(hexToBytes(account as Hex), 12)
  let x = amount
  for (let i = 63; i >= 32 && x > 0n; i--) {
    buf[i] = Number(x & 0xffn)
    x >>= 8n
  }
  return keccak256(keccak256(buf, 'bytes'), 'bytes')
}

function nodeHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64)
  if (cmp(a, b) <= 0) {
    buf.set(a, 0)
    buf.set(b, 32)
  } else {
    buf.set(b, 0)
    buf.set(a, 32)
  }
  return keccak256(buf, 'bytes')
}

export function makeRewardsTree(values: ReadonlyArray<readonly [string, bigint]>): RewardsTree {
  if (values.length === 0) throw new RangeError('tree: no leaf (a tree needs at least one)')
  const vals = values.map(([a, x]) => [getAddress(a), x] as const)
  const hashed = vals.map(([a, x], i) => ({ i, h: leafHash(a, x) }))
  hashed.sort((p, q) => cmp(p.h, q.h))
  const n = hashed.length
  const tree: Uint8Array[] = new Array(2 * n - 1)
  const treeIndex = new Int32Array(n)
  hashed.forEach((v, leafIdx) => {
    tree[tree.length - 1 - leafIdx] = v.h
    treeIndex[v.i] = tree.length - 1 - leafIdx
  })
  for (let i = tree.length - 1 - n; i >= 0; i--) tree[i] = nodeHash(tree[2 * i + 1]!, tree[2 * i + 2]!)
  const byAccount = new Map(vals.map(([a], i) => [a.toLowerCase(), i]))
  return {
    root: bytesToHex(tree[0]!),
    values: vals,
    proofAt(index) {
      let j = treeIndex[index]!
      const proof: Hex[] = []
      while (j > 0) {
        proof.push(bytesToHex(tree[j % 2 === 1 ? j + 1 : j - 1]!))
        j = Math.floor((j - 1) / 2)
      }
      return proof
    },
    indexOf: (account) => byAccount.get(account.toLowerCase()) ?? -1,
  }
}
