/**
 * PM2 entry of the local Wormhole guardian (devnet only): watches the core bridges of
 * config.wormhole, signs VAAs with the devnet guardian set after each chain's finality and serves
 * them at config.wormhole.api (http://127.0.0.1:7071 under `npm start`).
 * Env: POOLWARDEN_CONFIG (default .devnet/config.json), POOLWARDEN_GUARDIAN_DB (default
 * .devnet/guardian.sqlite). Stops on SIGINT/SIGTERM; a restart keeps serving what it signed.
 */
import { loadConfig } from '../../config/load'
import { ConfigError, describeError } from '../../core/errors'
import { createLogger } from '../../core/logger'
import { createShutdown } from '../../core/shutdown'
import { startGuardian } from './guardian'

async function main(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger({ agent: 'guardian' })
  const shutdown = createShutdown({ handleSignals: true })
  if (!config.wormhole) throw new ConfigError(['config: no "wormhole" section: the guardian has nothing to watch (redeploy the devnet: npm start)'])
  const guardian = await startGuardian({ config, dbPath: process.env.POOLWARDEN_GUARDIAN_DB ?? '.devnet/guardian.sqlite', logger })
  shutdown.onShutdown(() => guardian.stop())
  logger.info({ url: guardian.url }, 'guardian started')
  await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }))
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `guardian: ${describeError(err)}`)
  process.exit(1)
})
