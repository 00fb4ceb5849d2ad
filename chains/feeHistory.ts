import type { PublicClient } from 'viem'
import type { GasPricingPolicy } from '../strategies/policy'
import type { FeeHistoryReading } from '../strategies/gasPrice'

/**
 * One chain's `eth_feeHistory` for strategies/gasPrice.ts: the last `blocks` blocks' base fees
 * (and the next block's) and their rewards at `priorityPercentile`, stamped with when it was read.
 * Throws what the RPC throws: the caller records a missing reading (null), and the strategist
 * holds on it.
 */
export async function readFeeHistory(client: Pick<PublicClient, 'getFeeHistory'>, gas: Pick<GasPricingPolicy, 'blocks' | 'priorityPercentile'>, now: () => number = Date.now): Promise<FeeHistoryReading> {
  const h = await client.getFeeHistory({ blockCount: gas.blocks, rewardPercentiles: [gas.priorityPercentile], blockTag: 'latest' })
  return { oldestBlock: h.oldestBlock, baseFeePerGas: h.baseFeePerGas, ...(h.reward ? { reward: h.reward } : {}), readAtMs: now() }
}
