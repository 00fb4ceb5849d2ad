import { type Address, type Hex, encodeFunctionData, decodeFunctionResult, multicall3Abi, numberToHex, type Abi } from 'viem'
import { aggregatorV3Abi } from '../venues/abis'
import type { VenueConfig } from '../config/schema'
import { adapterFor } from '../venues/adapters'
import type { CallResult, VenueCall, VenueReading } from '../venues/types'
import { BlockNotYetAvailableError, RetryableError } from '../core/errors'
import type { ChainClient } from './createChainClient'


export interface BlockHeader {
  number: bigint
  hash: Hex
  parentHash: Hex
  timestamp: number
}

export interface BlockRead {
  block: BlockHeader
  /** The chain's head as the node saw it when answering (for back-fill). */
  head: bigint
  readings: VenueReading[]
}

export interface Planned {
  venue: VenueConfig
  calls: VenueCall[]
  pegCalls: VenueCall[]
}

/** The calls of every venue of a chain, planned once and reused for every block. */
export function planReads(venues: readonly VenueConfig[], pool: Address): Planned[] {
  return venues.map((venue) => ({
    venue,
    calls: adapterFor(venue).calls(venue, pool),
    pegCalls: venue.pegFeed
      ? [
          { address: venue.pegFeed, abi: aggregatorV3Abi, functionName: 'latestRoundData' },
          { address: venue.pegFeed, abi: aggregatorV3Abi, functionName: 'decimals' },
        ]
      : [],
  }))
}

/** The block a read is pinned to: its number (the old way, kept for comparison) or its hash (EIP-1898). */
export type BlockPin = { blockHash: Hex } | { blockNumber: bigint }

/** The block we read was replaced on the chain (a reorg) while we read it: the read is discarded and redone. */
export class BlockReorgedError extends RetryableError {
  override name = 'BlockReorgedError'
}

/** The node answered a read at a block with no data where code must be (its state for that block is not served): read again. */
export class StateNotServedError extends RetryableError {
  override name = 'StateNotServedError'
  constructor(
    message: string,
    /** The block's header: still the chain's block at its number when the read came back empty. */
    readonly block: BlockHeader,
  ) {
    super(message)
  }
}

/**
 * The chain no longer builds on the block we hold as `number − 1` (the chain has another block
 * there): a reorg; the reader finds the common ancestor (watch/createWatcher.ts).
 */
export class ReorgDetectedError extends RetryableError {
  override name = 'ReorgDetectedError'
  constructor(
    message: string,
    readonly number: bigint,
  ) {
    super(message)
  }
}

export interface ReadBlockOptions {
  /** Read only once the head is this many blocks past `number` (config watch.readBehindHead; default 0). */
  behind?: number
  /**
   * The hash we hold for block `number − 1`: the header of that number is fetched in the same
   * batch, and a different hash there is a ReorgDetectedError, also while `number` is not mined
   * yet. Only a different hash counts: a node that does not (yet) have the block — one lagging
   * behind a load balancer, or a chain rolled back and not yet regrown — is waited for.
   */
  parent?: Hex
}

/** One aggregate3 call (every call allowed to fail) for the planned reads. */
export function encodeReads(plan: readonly Planned[]): { flat: VenueCall[]; data: Hex } {
  const flat: VenueCall[] = plan.flatMap((p) => [...p.calls, ...p.pegCalls])
  const data = encodeFunctionData({
    abi: multicall3Abi,
    functionName: 'aggregate3',
    args: [flat.map((c) => ({ target: c.address, allowFailure: true, callData: encodeFunctionData({ abi: c.abi as Abi, functionName: c.functionName, args: c.args as unknown[] }) }))],
  })
  return { flat, data }
}

/** Decodes what aggregate3 returned into one reading per venue (a reverted call makes that venue unavailable). */
export function decodeReads(chainName: string, plan: readonly Planned[], flat: readonly VenueCall[], data: Hex): VenueReading[] {
  const returned = decodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', data })
  if (returned.length !== flat.length) throw new RetryableError(`${chainName}: multicall returned ${returned.length} results for ${flat.length} calls`)
  const results: CallResult[] = returned.map((r, i) => {
    const call = flat[i]!
    if (!r.success) return { status: 'failure', error: new Error(`${call.functionName} reverted`) }
    try {
      return { status: 'success', result: decodeFunctionResult({ abi: call.abi as Abi, functionName: call.functionName, data: r.returnData }) }
    } catch (err) {
      return { status: 'failure', error: err as Error }
    }
  })

  let k = 0
  return plan.map((p) => {
    const own = results.slice(k, k + p.calls.length)
    k += p.calls.length
    const peg = results.slice(k, k + p.pegCalls.length)
    k += p.pegCalls.length
    const reading = adapterFor(p.venue).decode(p.venue, own)
    if (reading.available && peg.length === 2 && peg[0]!.status === 'success' && peg[1]!.status === 'success') {
      const round = peg[0]!.result as readonly [bigint, bigint, bigint, bigint, bigint]
      const decimals = Number(peg[1]!.result as number)
      reading.peg = Number(round[1]) / 10 ** decimals
    }
    return reading
  })
}

/** The block parameter of eth_call for a pin: `{ blockHash }` (EIP-1898) or the number as a hex tag. */
export function blockParam(pin: BlockPin): Hex | { blockHash: Hex } {
  return 'blockHash' in pin ? { blockHash: pin.blockHash } : numberToHex(pin.blockNumber)
}

type RawHeader = { number: Hex; hash: Hex; parentHash: Hex; timestamp: Hex }
const toHeader = (raw: RawHeader): BlockHeader => ({ number: BigInt(raw.number), hash: raw.hash, parentHash: raw.parentHash, timestamp: Number(BigInt(raw.timestamp)) })

function requester(chain: ChainClient) {
  return chain.client.request as unknown as (a: { method: string; params: unknown[] }) => Promise<unknown>
}

/**
 * Reads every venue and position of a chain at block `number` in ONE multicall (aggregate3,
 * every call allowed to fail), pinned to the block's HASH (EIP-1898), never its number, so one
 * read never mixes two forks: the header (with the head number, and the parent's header when
 * `opts.parent` is given) comes first, then the multicall at `{ blockHash }` in the same JSON-RPC
 * batch as a second look at the header of that number. The readings are kept only when the
 * number still names the same hash afterwards; otherwise the block was reorged under the read and
 * BlockReorgedError (retryable) says to read it again. Two HTTP requests per block.
 *
 * `opts.behind`: the block is read only once the head is that far past it. anvil can answer a
 * read of its newest block with the state of the block it is mining, by hash as by number
 * (chains/readBlock.devnet.test.ts measures it); a block behind the head is served from its
 * stored state.
 * A reverted call makes that venue's sample unavailable; it never fails the block.
 */
export async function readBlock(chain: ChainClient, plan: readonly Planned[], number: bigint, opts: ReadBlockOptions = {}): Promise<BlockRead> {
  const { flat, data } = encodeReads(plan)
  const tag = numberToHex(number)
  const request = requester(chain)
  const checkParent = opts.parent !== undefined && opts.parent !== '0x' && number > 0n
  const [headR, blockR, parentR] = await Promise.allSettled([
    request({ method: 'eth_blockNumber', params: [] }),
    request({ method: 'eth_getBlockByNumber', params: [tag, false] }),
    checkParent ? request({ method: 'eth_getBlockByNumber', params: [numberToHex(number - 1n), false] }) : Promise.resolve(null),
  ])
  if (headR.status === 'rejected') throw new RetryableError(`${chain.name}: eth_blockNumber failed`, { cause: headR.reason })
  const head = BigInt(headR.value as string)
  if (checkParent) {
    if (parentR.status === 'rejected') throw new RetryableError(`${chain.name}: block ${number - 1n} header failed`, { cause: parentR.reason })
    const parent = parentR.value as RawHeader | null
    if (parent && parent.hash !== opts.parent) throw new ReorgDetectedError(`${chain.name}: block ${number - 1n} is now ${parent.hash}, we hold ${opts.parent}`, number - 1n)
  }
  const behind = BigInt(opts.behind ?? 0)
  if (number + behind > head) throw new BlockNotYetAvailableError(`${chain.name}: block ${number} not yet readable (head ${head}, reading ${behind} behind it)`)
  if (blockR.status === 'rejected') throw new RetryableError(`${chain.name}: block ${number} header failed`, { cause: blockR.reason })
  const raw = blockR.value as RawHeader | null
  if (!raw) throw new BlockNotYetAvailableError(`${chain.name}: block ${number} not found`)
  const block = toHeader(raw)
  if (checkParent && block.parentHash !== opts.parent) throw new ReorgDetectedError(`${chain.name}: block ${number} builds on ${block.parentHash}, we hold ${opts.parent} for ${number - 1n}`, number - 1n)

  const [callR, againR] = await Promise.allSettled([
    request({ method: 'eth_call', params: [{ to: chain.config.multicall3, data }, blockParam({ blockHash: block.hash })] }),
    request({ method: 'eth_getBlockByNumber', params: [tag, false] }),
  ])
  // The hash must still be the chain's block at that number: a read of an orphaned block is discarded.
  const again = againR.status === 'fulfilled' ? (againR.value as RawHeader | null) : null
  if (againR.status === 'fulfilled' && again?.hash !== block.hash) {
    throw new BlockReorgedError(`${chain.name}: block ${number} changed from ${block.hash} to ${again?.hash ?? 'nothing'} while it was read`)
  }
  if (againR.status === 'rejected') throw new RetryableError(`${chain.name}: block ${number} header failed`, { cause: againR.reason })
  if (callR.status === 'rejected') throw new RetryableError(`${chain.name}: multicall at block ${number} (${block.hash}) failed`, { cause: callR.reason })
  // No code answered at the configured Multicall3: the node holds no state for this block (seen
  // with anvil right after an anvil_reorg: a block's state not served yet), never "no venues".
  // Not data: the block is read again.
  if (callR.value === '0x') throw new StateNotServedError(`${chain.name}: multicall at block ${number} (${block.hash}) returned no data: the node serves no state for this block yet; read again`, block)
  return { block, head, readings: decodeReads(chain.name, plan, flat, callR.value as Hex) }
}
