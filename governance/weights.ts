import { getAddress, parseAbi, parseAbiItem, type Address, type PublicClient } from 'viem'
import type { Delegator } from './types.js'

/**
 * Delegator weights from chain reads (never from the hub's vp): each delegator's pool shares at
 * the proposal's snapshot time, summed over every chain. On each chain the block at the snapshot
 * time is the last block whose timestamp is ≤ it (binary search on block timestamps), and every
 * holder's `balanceOf` is read at that block in one multicall. Holders are the recipients of the
 * share token's Transfer events up to that block (plus any extra addresses, e.g. the signal voters).
 */

export const shareTokenAbi = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function totalSupply() view returns (uint256)',
])
const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)')

/**
 * The last block with timestamp ≤ `time` (null when even block 0 is later). Binary search on
 * block headers: O(log n) reads.
 */
export async function blockAtTimestamp(client: PublicClient, time: number | bigint): Promise<bigint | null> {
  const t = BigInt(time)
  const head = await client.getBlock({ blockTag: 'latest' })
  if (head.timestamp <= t) return head.number
  let lo = 0n
  let hi = head.number
  const ts = async (n: bigint) => (await client.getBlock({ blockNumber: n })).timestamp
  if ((await ts(lo)) > t) return null
  // invariant: ts(lo) ≤ t < ts(hi)
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n
    if ((await ts(mid)) <= t) lo = mid
    else hi = mid
  }
  return lo
}

export interface ShareChain {
  chain: string
  client: PublicClient
  token: Address
  /** Multicall3 on the chain. */
  multicall3: Address
  /** First block of the Transfer-event scan (default 0). */
  fromBlock?: bigint
}

export interface ShareWeights {
  delegators: Delegator[]
  /** The block read on each chain (null: the chain has no block at that time; weight 0 there). */
  blocks: Record<string, bigint | null>
  /** The token's total supply at that block, per chain. */
  totalSupply: Record<string, bigint>
}

/** Holders of a share token up to `block`: every Transfer recipient. */
async function holdersOf(c: ShareChain, block: bigint): Promise<Address[]> {
  const logs = await c.client.getLogs({ address: c.token, event: transferEvent, fromBlock: c.fromBlock ?? 0n, toBlock: block })
  return [...new Set(logs.map((l) => l.args.to).filter((a): a is Address => !!a && !/^0x0{40}$/i.test(a)).map((a) => getAddress(a)))]
}

/**
 * Pool shares per delegator and chain at `time` (unix seconds). Every delegator with shares on
 * any chain is listed (weight per chain, zero entries omitted); `extra` addresses are read too
 * and listed even at zero weight (so a zero-weight voter is visible in the receipt).
 */
export async function readShareWeights(args: { chains: readonly ShareChain[]; time: number; extra?: readonly string[] }): Promise<ShareWeights> {
  const byAddress = new Map<string, Delegator>()
  const extra = (args.extra ?? []).filter((a) => /^0x[0-9a-fA-F]{40}$/.test(a)).map((a) => getAddress(a))
  for (const a of extra) byAddress.set(a.toLowerCase(), { address: a, weightByChain: {} })
  const blocks: Record<string, bigint | null> = {}
  const totalSupply: Record<string, bigint> = {}
  await Promise.all(
    args.chains.map(async (c) => {
      const block = await blockAtTimestamp(c.client, args.time)
      blocks[c.chain] = block
      totalSupply[c.chain] = 0n
      if (block === null) return
      const holders = [...new Set([...(await holdersOf(c, block)), ...extra])]
      const contracts = [
        { address: c.token, abi: shareTokenAbi, functionName: 'totalSupply', args: [] },
        ...holders.map((h) => ({ address: c.token, abi: shareTokenAbi, functionName: 'balanceOf', args: [h] })),
      ] as const
      const results = await c.client.multicall({
        contracts: contracts as never,
        allowFailure: false,
        blockNumber: block,
        multicallAddress: c.multicall3,
      })
      totalSupply[c.chain] = results[0] as bigint
      holders.forEach((h, i) => {
        const bal = results[i + 1] as bigint
        const key = h.toLowerCase()
        if (bal === 0n && !byAddress.has(key)) return
        const d = byAddress.get(key) ?? { address: h, weightByChain: {} }
        if (bal > 0n) d.weightByChain[c.chain] = bal
        byAddress.set(key, d)
      })
    }),
  )
  // Chains in the given order, whatever order the reads finished in (stable receipts).
  for (const d of byAddress.values()) {
    d.weightByChain = Object.fromEntries(args.chains.flatMap((c) => (d.weightByChain[c.chain] !== undefined ? [[c.chain, d.weightByChain[c.chain]!]] : [])))
  }
  const delegators = [...byAddress.values()].sort((a, b) => (a.address.toLowerCase() < b.address.toLowerCase() ? -1 : 1))
  return { delegators, blocks, totalSupply }
}
