/**
 * PM2 entry of the local Snapshot hub (`snapshot-hub`, devnet only): GraphQL at /graphql, the
 * sequencer at /, signed envelopes at /ipfs/<cid>, and the devnet routes (/_devnet/space,
 * /_devnet/proposal, /_devnet/vote) the scenario seeding and tests use. Voting power, the
 * current block and EIP-1271 checks come from the devnet chains (devnet/governance/hubHooks.ts).
 * Env: POOLWARDEN_HUB_PORT (default 3300), POOLWARDEN_HUB_DB (default .devnet/snapshot-hub.sqlite),
 * POOLWARDEN_DEPLOYMENT (default .devnet/deployment.json), POOLWARDEN_SCENARIO (its space names).
 */
import { describeError } from '../../core/errors'
import { createLogger } from '../../core/logger'
import { createShutdown } from '../../core/shutdown'
import { readDeployment } from '../deploymentFile'
import { DEVNET_HUB_PORT, DEVNET_SPACES } from '../governance/constants'
import { hubChainHooks } from '../governance/hubHooks'
import { loadScenario } from '../scenario'
import { startHub } from './hub'

async function main(): Promise<void> {
  const logger = createLogger({ agent: 'snapshot-hub' })
  const shutdown = createShutdown({ handleSignals: true })
  const port = Number(process.env.POOLWARDEN_HUB_PORT ?? DEVNET_HUB_PORT)
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) throw new Error(`POOLWARDEN_HUB_PORT: expected a port number, got "${process.env.POOLWARDEN_HUB_PORT}"`)
  const dbPath = process.env.POOLWARDEN_HUB_DB ?? '.devnet/snapshot-hub.sqlite'
  const deployment = await readDeployment(process.env.POOLWARDEN_DEPLOYMENT ?? '.devnet/deployment.json')
  const scenario = await loadScenario(process.env.POOLWARDEN_SCENARIO || 'calm')
  const spaces = scenario.governance?.spaces ?? DEVNET_SPACES
  const hub = await startHub({ dbPath, port, devnetApi: true, ...hubChainHooks(deployment, spaces) }).catch((err: unknown) => {
    throw new Error(`cannot listen on 127.0.0.1:${port} (${(err as Error).message}): stop what listens there or set POOLWARDEN_HUB_PORT`)
  })
  shutdown.onShutdown(() => hub.close())
  logger.info({ url: hub.url, graphql: hub.graphqlUrl, db: dbPath, spaces }, 'snapshot hub started')
  await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }))
}

main().catch((err) => {
  console.error(`snapshot-hub: ${describeError(err)}`)
  process.exit(1)
})
