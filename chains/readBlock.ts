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

interface Planned {
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

/**
 * Reads every venue and position of a chain at block `number` in ONE multicall (aggregate3,
 * every call allowed to fail), sent in the same JSON-RPC batch as the block header and the head
 * number: one HTTP request per block. A reverted call makes that venue's sample unavailable; it
 * never fails the block.
 */
export async function readBlock(chain: ChainClient, plan: readonly Planned[], number: bigint): Promise<BlockRead> {
  const flat: VenueCall[] = plan.flatMap((p) => [...p.calls, ...p.pegCalls])
  const data = encodeFunctionData({
    abi: multicall3Abi,
    functionName: 'aggregate3',
    args: [flat.map((c) => ({ target: c.address, allowFailure: true, callData: encodeFunctionData({ abi: c.abi as Abi, functionName: c.functionName, args: c.args as unknown[] }) }))],
  })
  const tag = numberToHex(number)
  const request = chain.client.request as unknown as (a: { method: string; params: unknown[] }) => Promise<unknown>
  const [headR, blockR, callR] = await Promise.allSettled([
    request({ method: 'eth_blockNumber', params: [] }),
    request({ method: 'eth_getBlockByNumber', params: [tag, false] }),
    request({ method: 'eth_call', params: [{ to: chain.config.multicall3, data }, tag] }),
  ])
  if (headR.status === 'rejected') throw new RetryableError(`${chain.name}: eth_blockNumber failed`, { cause: headR.reason })
  const head = BigInt(headR.value as string)
  if (number > head) throw new BlockNotYetAvailableError(`${chain.name}: block ${number} not yet mined (head ${head})`)
  if (blockR.status === 'rejected') throw new RetryableError(`${chain.name}: block ${number} header failed`, { cause: blockR.reason })
  const raw = blockR.value as { number: Hex; hash: Hex; parentHash: Hex; timestamp: Hex } | null
  if (!raw) throw new BlockNotYetAvailableError(`${chain.name}: block ${number} not found`)
  if (callR.status === 'rejected') throw new RetryableError(`${chain.name}: multicall at block ${number} failed`, { cause: callR.reason })
  const block: BlockHeader = { number: BigInt(raw.number), hash: raw.hash, parentHash: raw.parentHash, timestamp: Number(BigInt(raw.timestamp)) }

  const returned = decodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', data: callR.value as Hex })
  if (returned.length !== flat.length) throw new RetryableError(`${chain.name}: multicall returned ${returned.length} results for ${flat.length} calls`)
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
  const readings = plan.map((p) => {
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
  return { block, head, readings }
}
