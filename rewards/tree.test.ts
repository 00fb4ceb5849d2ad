import { StandardMerkleTree } from '@openzeppelin/merkle-tree'
import { concat, encodeAbiParameters, keccak256, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
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
