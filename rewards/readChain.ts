import { getAddress, parseAbi, parseAbiItem, type Address, type Hex, type PublicClient } from 'viem'
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
 * Where a chain's share scan stands: every recipient of the share token's Transfers up to `block`
 * (inclusive), and that block's hash (checked before use: a reorged cursor means a scan from the
 * start). The distributor stores one per chain after each epoch, at the epoch's end block, so the
 * next epoch (whose start block is that end block) reads only its own blocks' logs.
 */
export interface ShareCursor {
  block: bigint
  hash: Hex
  /** Lower-case addresses. */
  holders: string[]
}

export type ShareHistoryRead = ChainShareHistory & {
  /** The Transfer logs read: blocks [fromBlock, toBlock], and whether a stored cursor was used. */
  scan: { fromBlock: bigint; toBlock: bigint; logs: number; fromCursor: boolean }
  /** The cursor after this read (at the end block): the next epoch's. */
  next: ShareCursor
}

/**
 * One chain's share history over the epoch's blocks: Transfer logs of the share token (from the
 * cursor's next block when a cursor at or before the start block is given and still on the chain,
 * else from `fromBlock`, default 0, to find every holder), balances at the start boundary block
 * (opening) and at the end boundary block (closing: the replay must arrive there exactly), and the
 * transfers in (startBlock, endBlock] with their blocks' timestamps. Logs are read in ranges of
 * `logSpan` blocks (default 10 000).
 */
export async function readShareHistory(a: { client: PublicClient; chain: string; token: Address; multicall3: Address; startBlock: bigint; endBlock: bigint; fromBlock?: bigint; cursor?: ShareCursor | null; logSpan?: number }): Promise<ShareHistoryRead> {
  const ZERO = '0x0000000000000000000000000000000000000000'
  const before = new Set<string>()
  let from = a.fromBlock ?? 0n
  let fromCursor = false
  if (a.cursor && a.cursor.block <= a.startBlock && a.cursor.block >= from) {
    const at = await a.client.getBlock({ blockNumber: a.cursor.block })
    if (at.hash === a.cursor.hash) {
      for (const h of a.cursor.holders) before.add(h.toLowerCase())
      from = a.cursor.block + 1n
      fromCursor = true
    }
  }
  const span = BigInt(a.logSpan ?? 10_000)
  const logs = []
  for (let lo = from; lo <= a.endBlock; lo += span) {
    const hi = lo + span - 1n < a.endBlock ? lo + span - 1n : a.endBlock
    logs.push(...(await a.client.getLogs({ address: a.token, event: transferEvent, fromBlock: lo, toBlock: hi })))
  }
  const all = new Set(before)
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
  const holders = [...all].sort()
  const closing = await balancesAt(a.client, a.token, a.multicall3, holders, a.endBlock)
  const end = await a.client.getBlock({ blockNumber: a.endBlock })
  return {
    chain: a.chain,
    startBlock: a.startBlock,
    endBlock: a.endBlock,
    opening,
    transfers,
    closing,
    scan: { fromBlock: from, toBlock: a.endBlock, logs: logs.length, fromCursor },
    next: { block: a.endBlock, hash: end.hash!, holders },
  }
}

/** A cursor as stored (JSON, block as a decimal string). */
export function encodeShareCursor(c: ShareCursor): string {
  return JSON.stringify({ block: String(c.block), hash: c.hash, holders: c.holders })
}

/** A stored cursor, or null when absent or unreadable (then the scan starts over: never wrong, only slower). */
export function decodeShareCursor(s: string | undefined | null): ShareCursor | null {
  if (!s) return null
  try {
    const o = JSON.parse(s) as { block?: unknown; hash?: unknown; holders?: unknown }
    if (typeof o.block !== 'string' || !/^\d+$/.test(o.block) || typeof o.hash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(o.hash) || !Array.isArray(o.holders)) return null
    if (!o.holders.every((h) => typeof h === 'string' && /^0x[0-9a-fA-F]{40}$/.test(h))) return null
    return { block: BigInt(o.block), hash: o.hash as Hex, holders: o.holders as string[] }
  } catch {
    return null
  }
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
