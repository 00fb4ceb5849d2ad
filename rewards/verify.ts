import type { Address, Hex, PublicClient } from 'viem'
import { timeWeights } from './entitlements'
import { loadKeccak } from './merkle'
import { blockAtTimestamp, distributorAbi, readShareHistory } from './readChain'
import { buildTree, compareEpoch, epochLeaves, leavesOf, type Comparison, type PublishedEpoch } from './tree'

/**
 * `npm run rewards -- verify`: recomputes an epoch from chain data alone and compares it with the
 * published tree and the root on chain. Trusts nothing of the operator's but the epoch's pot
 * (distributable, commission, fee recipient — published with the earnings' inputs) and the
 * previous epoch's published leaves, whose root is itself checked against the chain.
 *
 *   1. per chain: the boundary blocks found again by timestamp (last block ≤ start / end) — a
 *      different block than the published one is a MISMATCH;
 *   2. per chain: Transfer logs and balances at those blocks → time-weighted shares → the split;
 *   3. cumulative = previous epoch's leaves + this epoch's amounts → tree → root;
 *   4. compared leaf by leaf with the published tree (the first differing leaf is named), and the
 *      root with the distributor's `rootOf(epoch)`.
 */
export interface VerifyInput {
  published: PublishedEpoch
  /** The previous epoch's published tree (required when `published.previousEpoch` is set). */
  previous?: PublishedEpoch | null
  clients: Readonly<Record<string, PublicClient>>
  multicall3: Readonly<Record<string, Address>>
}

export type VerifyResult = Comparison & { onchainRoot: Hex | null; checks: string[] }

export async function verifyEpoch(v: VerifyInput): Promise<VerifyResult> {
  const p = v.published
  await loadKeccak()
  const checks: string[] = []
  const claimsClient = v.clients[p.claims.chain]
  if (!claimsClient) throw new Error(`no RPC for the claims chain "${p.claims.chain}": pass --rpc ${p.claims.chain}=<url>`)
  const onchainRoot = (await claimsClient.readContract({ address: p.claims.distributor, abi: distributorAbi, functionName: 'rootOf', args: [BigInt(p.epoch)] })) as Hex
  const zero = /^0x0{64}$/i.test(onchainRoot)
  const histories = []
  for (const input of p.inputs) {
    const client = v.clients[input.chain]
    if (!client) throw new Error(`no RPC for chain "${input.chain}": pass --rpc ${input.chain}=<url>`)
    const startBlock = await blockAtTimestamp(client, p.startTime)
    const endBlock = await blockAtTimestamp(client, p.endTime)
    if (startBlock === null || endBlock === null) throw new Error(`${input.chain}: no block at the epoch's start`)
    if (String(startBlock) !== input.startBlock || String(endBlock) !== input.endBlock) {
      return { match: false, root: '0x' as Hex, reason: `${input.chain}: boundary blocks are ${startBlock}..${endBlock} on chain, published ${input.startBlock}..${input.endBlock}`, onchainRoot: zero ? null : onchainRoot, checks }
    }
    checks.push(`${input.chain}: blocks ${startBlock}..${endBlock} found again by timestamp`)
    histories.push(await readShareHistory({ client, chain: input.chain, token: input.shareToken, multicall3: v.multicall3[input.chain]!, startBlock, endBlock }))
  }
  const weights = timeWeights(p, histories)
  checks.push(`${weights.size} delegator(s) with time-weighted shares, ${histories.reduce((n, h) => n + h.transfers.length, 0)} transfer(s) in the epoch`)
  let previous = new Map<string, bigint>()
  if (p.previousEpoch !== null) {
    if (!v.previous || v.previous.epoch !== p.previousEpoch) throw new Error(`epoch ${p.epoch} builds on epoch ${p.previousEpoch}: its tree file is needed`)
    const prevRoot = (await claimsClient.readContract({ address: p.claims.distributor, abi: distributorAbi, functionName: 'rootOf', args: [BigInt(p.previousEpoch)] })) as Hex
    const rebuilt = buildTree(leavesOf(v.previous)).root
    if (rebuilt.toLowerCase() !== prevRoot.toLowerCase()) {
      return { match: false, root: '0x' as Hex, reason: `previous epoch ${p.previousEpoch}: its tree's root ${rebuilt} is not the one on chain ${prevRoot}`, onchainRoot: zero ? null : onchainRoot, checks }
    }
    checks.push(`previous epoch ${p.previousEpoch}: its leaves match its root on chain`)
    previous = leavesOf(v.previous)
  }
  const leaves = epochLeaves({ weights, distributable: BigInt(p.distributable), commission: BigInt(p.commission), feeRecipient: p.feeRecipient, previous })
  if (leaves.paid > BigInt(p.distributable)) throw new Error('recomputed amounts exceed the distributable')
  const cmp = compareEpoch(p, leaves.cumulative, zero ? null : onchainRoot)
  if (zero && cmp.match) return { match: false, root: cmp.root, reason: `no root on chain for epoch ${p.epoch} yet`, onchainRoot: null, checks }
  return { ...cmp, onchainRoot: zero ? null : onchainRoot, checks }
}
