import { createKeccak } from 'hash-wasm'
import { keccak256, type Address, type Hex } from 'viem'

/**
 * OpenZeppelin's StandardMerkleTree for `(address, uint256)` leaves, built the same way
 * (@openzeppelin/merkle-tree 1.x: leaf = keccak256(keccak256(abi.encode(account, amount))), leaves
 * sorted by hash, the tree as an array with leaf i at index length−1−i, nodes = keccak256 of the
 * sorted pair), but on bytes, with every node's hex computed once, and without re-proving every
 * proof it hands out (the library validates each leaf with an ABI encoder and re-verifies each
 * proof: minutes for 100 000 leaves). Its root, proofs and `dump()` (the library's
 * `StandardMerkleTree.dump()` JSON, byte for byte) are checked against the library's in
 * rewards/tree.test.ts, and its proofs verify with `StandardMerkleTree.verify` and Solidity's
 * `MerkleProof`.
 *
 * keccak: hash-wasm's WebAssembly keccak-256 once `loadKeccak()` has resolved (~10× faster than
 * the pure-JS one), viem's until then — the same bytes either way; only the speed differs.
 */
export interface RewardsTree {
  readonly root: Hex
  /** Leaves in input order (checksummed addresses). */
  readonly values: ReadonlyArray<readonly [Address, bigint]>
  /** The proof of the value at `index` (input order). */
  proofAt(index: number): Hex[]
  /** Every value's proof, in input order (one pass over the tree). */
  proofs(): Hex[][]
  /** The index of `account`'s leaf, or -1. */
  indexOf(account: string): number
  /** The library's `StandardMerkleTree.dump()` of the same tree (amounts as decimal strings, so it is JSON). */
  dump(): StandardTreeDump
}

/** `StandardMerkleTreeData<[string, string]>` of @openzeppelin/merkle-tree: `StandardMerkleTree.load` reads it. */
export interface StandardTreeDump {
  format: 'standard-v1'
  leafEncoding: ['address', 'uint256']
  tree: Hex[]
  values: { value: [Address, string]; treeIndex: number }[]
}

export type Keccak = (data: Uint8Array) => Uint8Array

const jsKeccak: Keccak = (data) => keccak256(data, 'bytes')
let current: Keccak = jsKeccak
let loading: Promise<Keccak> | undefined

/** Switches this module's hashing to hash-wasm's keccak (idempotent; the JS one stays on failure). */
export function loadKeccak(): Promise<Keccak> {
  loading ??= createKeccak(256).then(
    (h) => {
      current = (data) => h.init().update(data).digest('binary')
      return current
    },
    () => jsKeccak,
  )
  return loading
}

/** keccak-256 of `data` with the fastest hasher loaded so far. */
export const keccak: Keccak = (data) => current(data)

const hex32 = (b: Uint8Array, o = 0): string => `0x${Buffer.from(b.buffer, b.byteOffset + o, 32).toString('hex')}`
const ADDRESS = /^0x[0-9a-fA-F]{40}$/

/** EIP-55 checksum of an address (the same as viem's getAddress, with this module's keccak). */
export function checksumAddress(a: string): Address {
  if (!ADDRESS.test(a)) throw new RangeError(`"${a}" is not an address (0x + 40 hex digits)`)
  const chars = Buffer.from(a.toLowerCase(), 'latin1')
  const h = keccak(chars.subarray(2))
  for (let i = 0; i < 40; i++) {
    const c = chars[i + 2]!
    if (c >= 97 && ((h[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf) >= 8) chars[i + 2] = c - 32
  }
  return chars.toString('latin1') as Address
}

const leafBuf = Buffer.alloc(64)
/** keccak256(keccak256(abi.encode(address account, uint256 amount))) — OpenZeppelin's standardLeafHash. */
export function leafHash(account: string, amount: bigint): Uint8Array {
  if (!ADDRESS.test(account)) throw new RangeError(`tree: "${account}" is not an address (0x + 40 hex digits)`)
  if (amount < 0n || amount >= 1n << 256n) throw new RangeError(`tree: amount ${amount} of ${account} is not a uint256`)
  leafBuf.fill(0, 0, 12)
  leafBuf.write(account.slice(2), 12, 20, 'hex')
  leafBuf.write(amount.toString(16).padStart(64, '0'), 32, 32, 'hex')
  return keccak(keccak(leafBuf))
}

export function makeRewardsTree(values: ReadonlyArray<readonly [string, bigint]>): RewardsTree {
  const n = values.length
  if (n === 0) throw new RangeError('tree: no leaf (a tree needs at least one)')
  const vals = values.map(([a, x]) => [checksumAddress(a), x] as const)
  const size = 2 * n - 1
  // Every node's 32 bytes in one buffer, and its hex once.
  const nodes = Buffer.alloc(size * 32)
  const hexes: Hex[] = new Array(size)
  const leafHex: string[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const h = leafHash(vals[i]![0], vals[i]![1])
    leafHex[i] = hex32(h)
  }
  // Lower-case hex of equal length sorts like the bytes (the library's `compare`).
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => (leafHex[p]! < leafHex[q]! ? -1 : leafHex[p]! > leafHex[q]! ? 1 : 0))
  const treeIndex = new Int32Array(n)
  for (let leafIdx = 0; leafIdx < n; leafIdx++) {
    const v = order[leafIdx]!
    const j = size - 1 - leafIdx
    nodes.write(leafHex[v]!.slice(2), j * 32, 32, 'hex')
    hexes[j] = leafHex[v] as Hex
    treeIndex[v] = j
  }
  const pair = Buffer.alloc(64)
  for (let i = size - 1 - n; i >= 0; i--) {
    const l = (2 * i + 1) * 32
    const r = l + 32
    // The sorted pair (the library's standardNodeHash): the smaller hash first.
    const lFirst = nodes.compare(nodes, r, r + 32, l, l + 32) <= 0
    nodes.copy(pair, lFirst ? 0 : 32, l, l + 32)
    nodes.copy(pair, lFirst ? 32 : 0, r, r + 32)
    nodes.set(keccak(pair), i * 32)
    hexes[i] = hex32(nodes, i * 32) as Hex
  }
  const byAccount = new Map(vals.map(([a], i) => [a.toLowerCase(), i]))
  const proofAt = (index: number): Hex[] => {
    let j = treeIndex[index]
    if (j === undefined) throw new RangeError(`tree: no value at index ${index}`)
    const proof: Hex[] = []
    while (j > 0) {
      proof.push(hexes[j % 2 === 1 ? j + 1 : j - 1]!)
      j = (j - 1) >> 1
    }
    return proof
  }
  return {
    root: hexes[0]!,
    values: vals,
    proofAt,
    proofs: () => vals.map((_, i) => proofAt(i)),
    indexOf: (account) => byAccount.get(account.toLowerCase()) ?? -1,
    dump: () => ({ format: 'standard-v1', leafEncoding: ['address', 'uint256'], tree: hexes.slice(), values: vals.map(([a, x], i) => ({ value: [a, String(x)], treeIndex: treeIndex[i]! })) }),
  }
}
