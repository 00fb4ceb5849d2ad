/**
 * PM2 entry of the market simulator: drives the devnet chains block by block from a scenario.
 * Env: POOLWARDEN_SCENARIO (bundled name like "calm" / "stress", or a .json path; default calm),
 * POOLWARDEN_DEPLOYMENT (default .devnet/deployment.json), POOLWARDEN_SCENARIO_START (scenario
 * index at the deployment's origin block; default 0). Stops on SIGINT/SIGTERM.
 */
import { createPublicClient, http } from 'viem'
import { describeError } from '../core/errors'
import { createLogger } from '../core/logger'
import { createShutdown } from '../core/shutdown'
import { readDeployment } from './deploymentFile'
import { loadScenario } from './scenario'
import { createSimulator } from './simulator'

async function main(): Promise<void> {
  const logger = createLogger({ agent: 'simulator' })
  const shutdown = createShutdown({ handleSignals: true })
  const deploymentPath = process.env.POOLWARDEN_DEPLOYMENT ?? '.devnet/deployment.json'
  const deployment = await readDeployment(deploymentPath)
  const scenario = await loadScenario(process.env.POOLWARDEN_SCENARIO || 'calm')
  const startBlock = Number(process.env.POOLWARDEN_SCENARIO_START ?? 0)
  if (!Number.isInteger(startBlock) || startBlock < 0) throw new Error(`POOLWARDEN_SCENARIO_START: expected an integer ≥ 0, got "${process.env.POOLWARDEN_SCENARIO_START}"`)

  // A deployment file from an earlier devnet (chains restarted empty) is useless: say so.
  for (const c of Object.values(deployment.chains)) {
    const code = await createPublicClient({ transport: http(c.url) }).getCode({ address: c.controller })
    if (!code || code === '0x') throw new Error(`${deploymentPath} is stale: no SimController at ${c.controller} on ${c.name} (${c.url}); redeploy the devnet`)
  }

  const sim = createSimulator({ deployment, scenario, startBlock, logger })
  logger.info({ scenario: scenario.name, deployment: deploymentPath }, 'simulator started')
  await sim.run(shutdown.signal)
}

main().catch((err) => {
  console.error(`simulator: ${describeError(err)}`)
  process.exit(1)
})
