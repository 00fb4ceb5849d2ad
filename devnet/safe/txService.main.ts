/**
 * PM2 entry of the local Safe Transaction Service (`safe-tx-service`, devnet only): api-kit's REST
 * paths for every devnet chain, `http://127.0.0.1:3310/<chainId>/api` (custody.chains[].txServiceUrl
 * in the devnet config). Signatures are checked with the Safes on the devnet chains.
 * Env: POOLWARDEN_SAFE_TX_SERVICE_PORT (default 3310), POOLWARDEN_SAFE_TX_SERVICE_DB (default
 * .devnet/safe-tx-service.sqlite), POOLWARDEN_DEPLOYMENT (default .devnet/deployment.json).
 */
import { describeError } from '../../core/errors'
import { createLogger } from '../../core/logger'
import { createShutdown } from '../../core/shutdown'
import { readDeployment } from '../deploymentFile'
import { DEVNET_SAFE_TX_SERVICE_PORT, startSafeTxService } from './txService'

async function main(): Promise<void> {
  const logger = createLogger({ agent: 'safe-tx-service' })
  const shutdown = createShutdown({ handleSignals: true })
  const raw = process.env.POOLWARDEN_SAFE_TX_SERVICE_PORT
  const port = Number(raw ?? DEVNET_SAFE_TX_SERVICE_PORT)
  if (!Number.isInteger(port) || port <= 0 || port > 65_535) throw new Error(`POOLWARDEN_SAFE_TX_SERVICE_PORT: expected a port number, got "${raw}"`)
  const dbPath = process.env.POOLWARDEN_SAFE_TX_SERVICE_DB ?? '.devnet/safe-tx-service.sqlite'
  const deployment = await readDeployment(process.env.POOLWARDEN_DEPLOYMENT ?? '.devnet/deployment.json')
  const chains = Object.values(deployment.chains).map((c) => ({ chainId: c.chainId, rpcUrl: c.url }))
  const safes = deployment.custody ? [deployment.custody.safe] : []
  const svc = await startSafeTxService({ dbPath, port, chains, safes }).catch((err: unknown) => {
    const e = err as NodeJS.ErrnoException
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') throw new Error(`cannot listen on 127.0.0.1:${port} (${e.message}): stop what listens there or set POOLWARDEN_SAFE_TX_SERVICE_PORT`)
    throw err
  })
  shutdown.onShutdown(() => svc.close())
  logger.info({ url: svc.url, chains: chains.map((c) => svc.urlFor(c.chainId)), safes, db: dbPath }, 'safe transaction service started: every chain and Safe checked')
  await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }))
}

main().catch((err) => {
  console.error(`safe-tx-service: ${describeError(err)}`)
  process.exit(1)
})
