/**
 * Strategist agent: whenever a chain's watcher has stored a new block, recomputes that chain's
 * target allocation and writes a plan (approved below the approval threshold, else awaiting the
 * committee), superseding stale ones. Thin wiring: the logic is plans/proposePlan.ts and strategies/.
 */
import { loadConfig } from '../config/load'
import { ConfigError, describeError } from '../core/errors'
import { createLogger } from '../core/logger'
import { createShutdown, sleep } from '../core/shutdown'
import { holdOf, proposePlan } from '../plans/proposePlan'
import type { HoldReason } from '../strategies/hold'
import { openStore } from '../store'

const AGENT = 'strategist'

async function main(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger({ agent: AGENT })
  const shutdown = createShutdown({ handleSignals: true })
  const store = await openStore({ path: config.store.path, logger })
  shutdown.onShutdown(() => store.close())
  const seen = new Map<string, bigint>()
  const pollMs = Math.max(250, Math.min(...config.chains.map((c) => c.blockTimeMs)) / 2)
  logger.info({ chains: config.chains.map((c) => c.name) }, 'strategist started')
  /** Per chain, why the last round made no plan (strategies/hold.ts; empty when it made one): beaten with the heartbeat. */
  const hold: Record<string, HoldReason[]> = {}
  while (!shutdown.signal.aborted) {
    const last: Record<string, string> = {}
    for (const c of config.chains) {
      try {
        const cursor = await store.cursors.get(c.name)
        if (!cursor || seen.get(c.name) === cursor.blockNumber) continue
        seen.set(c.name, cursor.blockNumber)
        if (await store.controls.isPaused(AGENT)) continue
        const r = await proposePlan({ config, store, logger }, c.name)
        last[c.name] = r.status
        hold[c.name] = await holdOf(store, r)
      } catch (err) {
        logger.error({ chain: c.name, err: describeError(err) }, 'strategy round failed')
      }
    }
    await store.heartbeats.beat(AGENT, { paused: await store.controls.isPaused(AGENT), last, hold }).catch(() => undefined)
    await sleep(pollMs, shutdown.signal)
  }
  logger.info('strategist stopped')
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `strategist: ${describeError(err)}`)
  process.exit(1)
})
