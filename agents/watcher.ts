/**
 * Watcher agent (one PM2 app per chain, POOLWARDEN_CHAIN names it): on every new block, reads all
 * the chain's venues and the pool's positions at that block, stores the samples and raises or
 * resolves alerts. Thin wiring over the agent runtime: the logic is in watch/, chains/ and venues/.
 */
import { createChainClient } from '../chains/createChainClient'
import type { Config } from '../config/schema'
import { ConfigError } from '../core/errors'
import { runAgent } from '../runtime/createAgent'
import { openSharedPacing } from '../runtime/pacing'
import { createWatcher, type Watcher } from '../watch/createWatcher'

/** The chain this watcher watches, from POOLWARDEN_CHAIN. */
function watchedChain(config: Config) {
  const name = process.env.POOLWARDEN_CHAIN
  const chain = config.chains.find((c) => c.name === name)
  if (!chain) {
    throw new ConfigError([`POOLWARDEN_CHAIN: unknown chain "${name ?? ''}" (known: ${config.chains.map((c) => c.name).join(', ')}): set it to the chain this watcher watches`])
  }
  return chain
}

runAgent((config) => ({ name: `watcher-${watchedChain(config).name}`, bindings: { chain: watchedChain(config).name } }), async (agent) => {
  const { config, logger, store, common, name } = agent
  const chainConfig = watchedChain(config)
  const pacing = await openSharedPacing(config, logger)
  if (pacing) agent.shutdown.onShutdown(() => pacing.close())
  const chain = createChainClient({
    ...(pacing ? { pacing, maxPacingWaitMs: config.limits.maxWaitMs } : {}),
    chain: chainConfig,
    logger,
    failuresToAlert: config.alerts.rpcFailures,
    maxBackoffMs: config.watch.maxBackoffMs,
    // Endpoint events only happen during requests, after the watcher exists.
    onEndpointEvent: (e) => watcher.onEndpointEvent(e),
  })
  const watcher: Watcher = createWatcher({ common, store, chain, agent: name, storeWritable: agent.storeWritable })
  logger.info({ venues: config.venues.filter((v) => v.chain === chainConfig.name).length, rpc: chain.endpoints.map((e) => e.label) }, 'watcher started')
  // The watcher paces itself on the chain's blocks and beats its own heartbeat (block, head, lag).
  await watcher.run(agent.signal)
}, { singleton: true })
