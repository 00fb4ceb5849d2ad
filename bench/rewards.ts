import { timeWeights } from '../rewards/entitlements'
import { randomHistories } from '../rewards/testing'
import { buildTree, epochLeaves } from '../rewards/tree'

/**
 * One reward epoch at scale: 100 000 delegators over 3 chains and 1 000 000 share transfers
 * (transfers, mints, burns, cross-chain moves) — time-weighted entitlements, the cumulative tree
 * (OpenZeppelin StandardMerkleTree) and a proof for every leaf. Target: under 20 s.
 */
export function benchRewards(o: { delegators?: number; transfers?: number } = {}): string[] {
  const delegators = o.delegators ?? 100_000
  const transfers = o.transfers ?? 1_000_000
  const window = { startTime: 1_700_000_000, endTime: 1_700_000_000 + 7 * 86_400 }
  const histories = randomHistories({ seed: 42, chains: ['ethereum', 'arbitrum', 'base'], delegators, transfers, ...window })
  const moved = histories.reduce((n, h) => n + h.transfers.length, 0)
  const t0 = performance.now()
  const weights = timeWeights(window, histories)
  const t1 = performance.now()
  const leaves = epochLeaves({ weights, distributable: 1234n * 10n ** 18n + 77n, commission: 137n * 10n ** 17n, feeRecipient: '0x00000000000000000000000000000000000fee00', previous: new Map() })
  const t2 = performance.now()
  const tree = buildTree(leaves.cumulative)
  const t3 = performance.now()
  let proofNodes = 0
  for (let i = 0; i < leaves.cumulative.size; i++) proofNodes += tree.proofAt(i).length
  const t4 = performance.now()
  const total = (t4 - t0) / 1000
  return [
    `\n## Rewards: one epoch, ${delegators.toLocaleString('en')} delegators × 3 chains, ${moved.toLocaleString('en')} share transfer logs (target: under 20 s)`,
    `entitlements (time-weighted shares) : ${((t1 - t0) / 1000).toFixed(2)} s  (${weights.size.toLocaleString('en')} delegators with weight)`,
    `apportion + cumulative leaves      : ${((t2 - t1) / 1000).toFixed(2)} s  (paid ${leaves.paid}, remainder ${leaves.remainder} wei)`,
    `Merkle tree (StandardMerkleTree)   : ${((t3 - t2) / 1000).toFixed(2)} s  (${leaves.cumulative.size.toLocaleString('en')} leaves, root ${tree.root})`,
    `proofs for every leaf              : ${((t4 - t3) / 1000).toFixed(2)} s  (${proofNodes.toLocaleString('en')} proof nodes)`,
    `total                              : ${total.toFixed(2)} s   target < 20 s   ${total < 20 ? 'OK' : 'OVER TARGET'}`,
  ]
}
