import { getAddress, parseAbi, parseAbiItem, type Address, type PublicClient } from 'viem'
import type { ChainShareHistory, ShareTransfer } from './entitlements'
import { EpochNotReadyError } from './errors'

/**
 * Chain reads for an epoch (viem only; a client is given). Used by the distributor and, with
 * nothing but RPC URLs, by `npm run rewards -- verify`.
 */
export const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)')
const erc20 = parseAbi(['function balanceOf(address) view returns (uint256)'])
export const distributorAbi = parseAbi([
  'function setRoot(uint256 epoch, bytes32 root)',
  'function claim(address account, uint256 cumulativeAmount, bytes32[] proof)',
  'function merkleRoot() view returns (bytes32)',
  'function epoch() view returns (uint256)',
  'function rootOf(uint256) view returns (bytes32)',
  'function claimed(address) view returns (uint256)',
  'function token() view returns (address)',
  'function owner() view returns (address)',
  'error EpochNotAfter(uint256 current, uint256 given)',
  'error InvalidProof()',
  'error NothingToClaim()',
  'event RootSet(uint256 indexed epoch, bytes32 root)',
  'event Claimed(address indexed account, uint256 amount, uint256 cumulativeAmount)',
])

/**
 * The last block with timestamp ≤ `time` (null when even block 0 is later): binary search on
 * block headers, O(log n) reads — the rule the governor uses for snapshot blocks (governance/weights.ts).
 */
export async function blockAtTimestamp(client: PublicClient, time: number | bigint): Promise<bigint | null> {
  const t = BigInt(time)
  const head = await client.getBlock({ blockTag: 'latest' })
  if (head.timestamp <= t) return head.number
  let lo = 0n
  let hi = head.number
  const ts = async (n: bigint) => (await client.getBlock({ blockNumber: n })).timestamp
  if ((await ts(lo)) > t) return null
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n
    if ((await ts(mid)) <= t) lo = mid
    else hi = mid
  }
  return lo
}

/**
 * The epoch's boundary blocks on one chain, only once the end is settled: the chain has a block
 * stamped after `endTime` and `finalityDepth` blocks on top of the end block. Otherwise
 * EpochNotReadyError (the epoch waits).
 */
export async function boundaryBlocks(client: PublicClient, chain: string, w: { startTime: number; endTime: number }, finalityDepth = 0): Promise<{ startBlock: bigint; endBlock: bigint }> {
  const head = await client.getBlock({ blockTag: 'latest' })
  if (head.timestamp <= BigInt(w.endTime)) throw new EpochNotReadyError(`${chain}: no block after the epoch's end yet (head ${head.number} at ${head.timestamp}, end ${w.endTime})`)
  const startBlock = await blockAtTimestamp(client, w.startTime)
  const endBlock = await blockAtTimestamp(client, w.endTime)
  if (startBlock === null || endBlock === null) throw new EpochNotReadyError(`${chain}: the chain has no block at the epoch's start ${w.startTime}`)
  if (head.number - endBlock < BigInt(finalityDepth)) throw new EpochNotReadyError(`${chain}: end block ${endBlock} is not final yet (head ${head.number}, finality ${finalityDepth})`)
  return { startBlock, endBlock }
}

async function balancesAt(client: PublicClient, token: Address, multicall3: Address, holders: readonly string[], block: bigint): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>()
  const CHUNK = 500
  for (let i = 0; i < holders.length; i += CHUNK) {
    const part = holders.slice(i, i + CHUNK)
    const r = await client.multicall({
      contracts: part.map((h) => ({ address: token, abi: erc20, functionName: 'balanceOf' as const, args: [h as Address] })),
      allowFailure: false,
      blockNumber: block,
      multicallAddress: multicall3,
    })
    part.forEach((h, k) => {
      const b = r[k] as bigint
      if (b > 0n) out.set(h, b)
    })
  }
  return out
}

/**
 * One chain's share history over the epoch's blocks: Transfer logs of the share token (from
 * `fromBlock`, to find every holder), balances at the start boundary block (opening) and at the
 * end boundary block (closing: the replay must arrive there exactly), and the transfers in
 * (startBlock, endBlock] with their blocks' timestamps.
 */
export async function readShareHistory(a: { client: PublicClient; chain: string; token: Address; multicall3: Address; startBlock: bigint; endBlock: bigint; fromBlock?: bigint }): Promise<ChainShareHistory> {
  const logs = await a.client.getLogs({ address: a.token, event: transferEvent, fromBlock: a.fromBlock ?? 0n, toBlock: a.endBlock })
  const ZERO = '0x0000000000000000000000000000000000000000'
  const before = new Set<string>()
  const all = new Set<string>()
  for (const l of logs) {
    const to = (l.args.to ?? ZERO).toLowerCase()
    if (to === ZERO) continue
    all.add(to)
    if (l.blockNumber! <= a.startBlock) before.add(to)
  }
  const inEpoch = logs.filter((l) => l.blockNumber! > a.startBlock)
  const times = new Map<bigint, number>()
  for (const b of new Set(inEpoch.map((l) => l.blockNumber!))) times.set(b, Number((await a.client.getBlock({ blockNumber: b })).timestamp))
  const transfers: ShareTransfer[] = inEpoch.map((l) => ({
    block: l.blockNumber!,
    logIndex: l.logIndex!,
    time: times.get(l.blockNumber!)!,
    from: (l.args.from ?? ZERO).toLowerCase(),
    to: (l.args.to ?? ZERO).toLowerCase(),
    value: l.args.value ?? 0n,
  }))
  transfers.sort((x, y) => (x.block === y.block ? x.logIndex - y.logIndex : x.block < y.block ? -1 : 1))
  const opening = await balancesAt(a.client, a.token, a.multicall3, [...before].sort(), a.startBlock)
  const closing = await balancesAt(a.client, a.token, a.multicall3, [...all].sort(), a.endBlock)
  return { chain: a.chain, startBlock: a.startBlock, endBlock: a.endBlock, opening, transfers, closing }
}

/** The distributor's current and per-epoch roots. */
export async function readDistributor(client: PublicClient, distributor: Address, epoch?: number): Promise<{ epoch: bigint; root: `0x${string}`; rootOfEpoch: `0x${string}` | null }> {
  const [e, root] = await Promise.all([
    client.readContract({ address: distributor, abi: distributorAbi, functionName: 'epoch' }),
    client.readContract({ address: distributor, abi: distributorAbi, functionName: 'merkleRoot' }),
  ])
  const rootOfEpoch = epoch === undefined ? null : await client.readContract({ address: distributor, abi: distributorAbi, functionName: 'rootOf', args: [BigInt(epoch)] })
  return { epoch: e, root, rootOfEpoch }
}

export const checksum = (a: string): Address => getAddress(a)
