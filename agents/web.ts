/**
 * Web agent: the read-only dashboard (web/). Serves server-rendered pages from the store on
 * `web.host:web.port` (127.0.0.1:3320 by default) and beats a heartbeat. It never writes
 * anything but its heartbeat, never signs, and gets no secret (ecosystem.config.js).
 */
import { createWebApp, startWebServer } from '../web/server'
import { runAgent } from '../runtime/createAgent'

runAgent('web', async (agent) => {
  const { config, logger, store } = agent
  const server = await startWebServer(createWebApp({ config, store, logger }), { host: config.web.host, port: config.web.port })
  agent.shutdown.onShutdown(() => server.close())
  logger.info({ url: server.url }, `dashboard at ${server.url}`)
  await agent.loop({ round: async () => ({ url: server.url }), everyMs: 10_000, pausable: false })
})
