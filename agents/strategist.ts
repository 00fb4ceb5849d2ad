/**
 * Strategist agent: whenever a chain's watcher has stored a new block, recomputes that chain's
 * target allocation and writes a plan (approved below the approval threshold, else awaiting the
 * committee), superseding an open plan only when the new one is materially different or the open
 * one became invalid (strategy.replan, plans/replan.ts; the heartbeat says when it kept one). With
 * strategy.costs.gas.source "fee-history" it first reads every chain's eth_feeHistory (a failed
 * read is passed on as missing: that round holds). Thin
 * wiring over the agent runtime: the logic is plans/proposePlan.ts and strategies/.
 */
import { createChainClient } from '../chains/createChainClient'
import { readFeeHistory } from '../chains/feeHistory'
import { describeError } from '../core/errors'
import { holdOf, proposePlan } from '../plans/proposePlan'
import { runAgent } from '../runtime/createAgent'
import { openSharedPacing, pacedClient } from '../runtime/pacing'
import { newestBlockOf, type FeeHistoryReading } from '../strategies/gasPrice'
import type { HoldReason } from '../strategies/hold'

runAgent('strategist', async (agent) => {
  const { config, logger, store } = agent
  const seen = new Map<string, bigint>()
  logger.info({ chains: config.chains.map((c) => c.name) }, 'strategist started')
  /** Per chain, why the last round made no plan (strategies/hold.ts; empty when it made one): beaten with the heartbeat. */
  const hold: Record<string, HoldReason[]> = {}
  const gas = config.strategy.costs.gas
  const pacing = gas.source === 'fee-history' ? await openSharedPacing(config, logger) : undefined
  if (pacing) agent.shutdown.onShutdown(() => pacing.close())
  const clients = gas.source === 'fee-history' ? config.chains.map((c) => createChainClient({ ...pacedClient(config, pacing), chain: c, logger })) : []
  /**
   * Every chain's fee history for a round that plans (null where the read failed). A reading is
   * reused for up to a quarter of costs.gas.maxAgeSeconds (at most 15 s) while the chain's cursor
   * is at most half of maxLagBlocks past it: a 250 ms chain makes a round several times a second,
   * and the RPC budget is the watchers'.
   */
  const cache = new Map<string, FeeHistoryReading>()
  const reuseMs = Math.min((gas.maxAgeSeconds * 1000) / 4, 15_000)
  const readFees = async (): Promise<Record<string, FeeHistoryReading | null>> =>
    Object.fromEntries(
      await Promise.all(
        clients.map(async (c) => {
          const kept = cache.get(c.name)
          const cursor = kept && (await store.cursors.get(c.name))
          const lagLimit = BigInt(Math.floor((gas.maxLagBlocksByChain[c.name] ?? gas.maxLagBlocks) / 2))
          if (kept && Date.now() - kept.readAtMs < reuseMs && (!cursor || cursor.blockNumber - newestBlockOf(kept) <= lagLimit)) return [c.name, kept] as const
          try {
            const r = await readFeeHistory(c.client, gas)
            cache.set(c.name, r)
            return [c.name, r] as const
          } catch (err) {
            logger.warn({ chain: c.name, err: describeError(err) }, 'fee history read failed: no plan this round')
            return [c.name, null] as const
          }
        }),
      ),
    )
  await agent.loop({
    round: async () => {
      const last: Record<string, string> = {}
      let feeHistory: Record<string, FeeHistoryReading | null> | undefined
      for (const c of config.chains) {
        try {
          const cursor = await store.cursors.get(c.name)
          if (!cursor || seen.get(c.name) === cursor.blockNumber) continue
          seen.set(c.name, cursor.blockNumber)
          if (clients.length && !feeHistory) feeHistory = await readFees()
          const r = await proposePlan({ config, store, logger }, c.name, feeHistory ? { feeHistory } : {})
          last[c.name] = r.status
          hold[c.name] = await holdOf(store, r)
        } catch (err) {
          logger.error({ chain: c.name, err: describeError(err) }, 'strategy round failed')
        }
      }
      return last
    },
    info: () => ({ hold }),
  })
}, { singleton: true })
