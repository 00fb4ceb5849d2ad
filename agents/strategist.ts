/**
 * Strategist agent: whenever a chain's watcher has stored a new block, recomputes that chain's
 * target allocation and writes a plan (approved below the approval threshold, else awaiting the
 * committee), superseding stale ones. Thin wiring over the agent runtime: the logic is
 * plans/proposePlan.ts and strategies/.
 */
import { describeError } from '../core/errors'
import { holdOf, proposePlan } from '../plans/proposePlan'
import { runAgent } from '../runtime/createAgent'
import type { HoldReason } from '../strategies/hold'

runAgent('strategist', async (agent) => {
  const { config, logger, store } = agent
  const seen = new Map<string, bigint>()
  logger.info({ chains: config.chains.map((c) => c.name) }, 'strategist started')
  /** Per chain, why the last round made no plan (strategies/hold.ts; empty when it made one): beaten with the heartbeat. */
  const hold: Record<string, HoldReason[]> = {}
  await agent.loop({
    round: async () => {
      const last: Record<string, string> = {}
      for (const c of config.chains) {
        try {
          const cursor = await store.cursors.get(c.name)
          if (!cursor || seen.get(c.name) === cursor.blockNumber) continue
          seen.set(c.name, cursor.blockNumber)
          const r = await proposePlan({ config, store, logger }, c.name)
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
