/**
 * The Prometheus exporter (PM2 app `metrics`): serves GET /metrics on metrics.host:metrics.port,
 * read from the store at each scrape — the agents' own counters arrive in their heartbeats.
 * Thin wiring over the agent runtime: the logic is in metrics/.
 */
import { runAgent } from '../runtime/createAgent'
import { startMetricsServer } from '../metrics/server'

runAgent('metrics', async (agent) => {
  const { config, logger, store } = agent
  if (!config.metrics.enabled) {
    logger.info('metrics.enabled is false: the exporter serves nothing')
    await agent.loop({ round: async () => ({ enabled: false }), everyMs: 60_000, pausable: false })
    return
  }
  const server = await startMetricsServer({ store, chains: config.chains.map((c) => c.name), host: config.metrics.host, port: config.metrics.port, logger })
  agent.shutdown.onShutdown(() => server.close())
  logger.info({ url: `${server.url}/metrics` }, 'metrics exporter listening')
  await agent.loop({ round: async () => ({ url: `${server.url}/metrics`, scrapes: server.scrapes() }), everyMs: 10_000, pausable: false })
})
