/**
 * Watcher agent (one PM2 app per chain, POOLWARDEN_CHAIN names it): on every new block, reads all
 * the chain's venues and the pool's positions at that block, stores the samples and raises or
 * resolves alerts. Thin wiring only: the logic is in watch/, chains/ and venues/.
 */
import { createChainClient } from '../chains/createChainClient'
import { loadConfig } from '../config/load'
import { ConfigError, describeError } from '../core/errors'
import { createLogger } from '../core/logger'
import { createShutdown } from '../core/shutdown'
import { openStore } from '../store'
import { createWatcher, type Watcher } from '../watch/createWatcher'

async function main(): Promise<void> {
  const chainName = process.env.POOLWARDEN_CHAIN
  const config = loadConfig()
  const chainConfig = config.chains.find((c) => c.name === chainName)
  if (!chainConfig) {
    throw new ConfigError([`POOLWARDEN_CHAIN: unknown chain "${chainName ?? ''}" (known: ${config.chains.map((c) => c.name).join(', ')}): set it to the chain this watcher watches`])
  }
  const agent = `watcher-${chainConfig.name}`
  const logger = createLogger({ agent, chain: chainConfig.name })
  const shutdown = createShutdown({ handleSignals: true })
  const store = await openStore({ path: config.store.path, logger })
  shutdown.onShutdown(() => store.close())

  const chain = createChainClient({
    chain: chainConfig,
    logger,
    failuresToAlert: config.alerts.rpcFailures,
    maxBackoffMs: config.watch.maxBackoffMs,
    // Endpoint events only happen during requests, after the watcher exists.
    onEndpointEvent: (e) => watcher.onEndpointEvent(e),
  })
  const watcher: Watcher = createWatcher({ common: { config, logger }, store, chain, agent })
  logger.info({ venues: config.venues.filter((v) => v.chain === chainConfig.name).length, rpc: chain.endpoints.map((e) => e.label) }, 'watcher started')
  await watcher.run(shutdown.signal)
  logger.info('watcher stopped')
}

main().catch((err) => {
  // Config errors are one line per problem; everything else with its cause chain.
  console.error(err instanceof ConfigError ? err.message : `watcher: ${describeError(err)}`)
  process.exit(1)
})
