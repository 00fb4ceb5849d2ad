import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { concat, encodeAbiParameters, getAddress, hexToBytes, keccak256, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { checksumAddress, leafHash as fastLeafHash, loadKeccak } from './merkle'
import { buildTree, compareEpoch, epochLeaves, proofFor, publishedLeaves } from './tree'

const A = '0x00000000000000000000000000000000000000a1'
const B = '0x00000000000000000000000000000000000000b2'
const FEE = '0x00000000000000000000000000000000000000fe'

/** OpenZeppelin MerkleProof.processProof written out independently (sorted pairs). */
function processProof(leaf: Hex, proof: Hex[]): Hex {
  let h = leaf
  for (const p of proof) h = BigInt(h) < BigInt(p) ? keccak256(concat([h, p])) : keccak256(concat([p, h]))
  return h
}
const leafHash = (a: string, x: bigint) => keccak256(keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [a as Hex, x])))

describe('the Merkle tree', () => {
  it('every proof leads from the Solidity leaf hash to the root', () => {
    const cum = new Map([[A, 10n], [B, 20n], [FEE, 3n]])
    const tree = buildTree(cum)
    for (const [a, x] of cum) {
      const p = proofFor(tree, a)!
      expect(p.cumulative).toBe(x)
      expect(processProof(leafHash(a, x), p.proof)).toBe(tree.root)
      expect(processProof(leafHash(a, x + 1n), p.proof)).not.toBe(tree.root)
    }
    expect(proofFor(tree, '0x00000000000000000000000000000000000000cc')).toBeNull()
  })

  it('cumulative leaves: the fee recipient gets the commission, previous epochs add up', () => {
    const l = epochLeaves({ weights: new Map([[A, 1n], [B, 3n]]), distributable: 101n, commission: 9n, feeRecipient: FEE, previous: new Map([[A, 100n]]) })
    expect(l.amounts).toEqual(new Map([[A, 25n], [B, 75n], [FEE, 9n]]))
    expect(l.cumulative).toEqual(new Map([[A, 125n], [B, 75n], [FEE, 9n]]))
    expect(l.remainder).toBe(1n)
  })

  it('compare: MATCH for the same leaves; a tampered leaf is a MISMATCH naming it; another root too', () => {
    const l = epochLeaves({ weights: new Map([[A, 1n], [B, 1n]]), distributable: 100n, commission: 0n, feeRecipient: FEE, previous: new Map() })
    const root = buildTree(l.cumulative).root as Hex
    const pub = { root, leaves: publishedLeaves(l) }
    expect(compareEpoch(pub, l.cumulative, root)).toEqual({ match: true, root })
    const tampered = { ...pub, leaves: pub.leaves.map((x, i) => (i === 1 ? { ...x, cumulative: '51' } : x)) }
    const r = compareEpoch(tampered, l.cumulative, root)
    expect(r.match).toBe(false)
    expect(r.match === false && r.leaf?.account.toLowerCase()).toBe(B)
    const other = compareEpoch(pub, l.cumulative, StandardMerkleTree.of([[A, 1n]], ['address', 'uint256']).root as Hex)
    expect(other.match === false && other.reason).toMatch(/on chain/)
  })
})

describe('the fast tree is OpenZeppelin StandardMerkleTree', () => {
  it.each([1, 2, 3, 7, 16, 33, 100])('%i random leaves: same root, and every proof verifies with the library', (n) => {
    let seed = n * 7919
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed)
    const values: [string, bigint][] = Array.from({ length: n }, (_, i) => [`0x${(rnd().toString(16) + i.toString(16)).padStart(40, '0')}`, BigInt(rnd()) * 10n ** 12n + BigInt(i)])
    const cum = new Map(values)
    const ours = buildTree(cum)
    const theirs = StandardMerkleTree.of([...cum.entries()].sort(([a], [b]) => (a < b ? -1 : 1)), ['address', 'uint256'])
    expect(ours.root).toBe(theirs.root)
    for (const [a, x] of values) {
      const p = proofFor(ours, a)!
      expect(StandardMerkleTree.verify(theirs.root, ['address', 'uint256'], [a, x], p.proof)).toBe(true)
      expect(processProof(leafHash(a, x), p.proof)).toBe(ours.root)
      expect(fastLeafHash(a, x)).toEqual(hexToBytes(leafHash(a, x)))
    }
  })
})

describe('the fast tree at scale is the library tree, byte for byte', () => {
  it('2 500 leaves (hash-wasm keccak): the same root, the same proof for every leaf, the same dump JSON; StandardMerkleTree.verify and .load accept them', async () => {
    await loadKeccak()
    let seed = 20_251_202
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed)
    const cum = new Map<string, bigint>()
    // Addresses over the whole range (mixed checksum letters), amounts from 1 wei to beyond 2^128.
    while (cum.size < 2500) {
      const a = `0x${Array.from({ length: 5 }, () => rnd().toString(16).padStart(8, '0')).join('').slice(0, 40)}`
      const x = (BigInt(rnd()) << BigInt(rnd() % 120)) + 1n
      cum.set(a, x)
    }
    const ours = buildTree(cum)
    const sorted = [...cum.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
    // The library's tree of the same values, given as it would be dumped (checksummed address, decimal string).
    const theirs = StandardMerkleTree.of(sorted.map(([a, x]) => [getAddress(a), String(x)]), ['address', 'uint256'])
    expect(ours.root).toBe(theirs.root)
    expect(JSON.stringify(ours.dump())).toBe(JSON.stringify(theirs.dump()))
    const proofs = ours.proofs()
    sorted.forEach(([a, x], i) => {
      expect(ours.values[i]).toEqual([getAddress(a), x])
      expect(proofs[i]).toEqual(theirs.getProof(i))
      expect(ours.proofAt(i)).toEqual(proofs[i])
      if (i % 50 === 0) {
        expect(StandardMerkleTree.verify(theirs.root, ['address', 'uint256'], [a, x], proofs[i]!)).toBe(true)
        expect(StandardMerkleTree.verify(theirs.root, ['address', 'uint256'], [a, x + 1n], proofs[i]!)).toBe(false)
      }
    })
    // The dump is the library's format of record: it loads (and validates every leaf) as a StandardMerkleTree.
    const loaded = StandardMerkleTree.load(JSON.parse(JSON.stringify(ours.dump())) as never)
    expect(loaded.root).toBe(ours.root)
  }, 120_000)

  it('checksummed addresses are EIP-55 (viem getAddress) for random addresses', async () => {
    await loadKeccak()
    let seed = 7
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed)
    for (let k = 0; k < 500; k++) {
      const a = `0x${Array.from({ length: 5 }, () => rnd().toString(16).padStart(8, '0')).join('').slice(0, 40)}`
      expect(checksumAddress(a)).toBe(getAddress(a))
      expect(checksumAddress(a.toUpperCase().replace('0X', '0x'))).toBe(getAddress(a))
    }
    expect(() => checksumAddress('0x1234')).toThrow(/not an address/)
  })
})
