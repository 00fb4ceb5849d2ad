/**
 * Executor agent: reconciles every open transaction intent at start, then executes approved plans
 * step by step, exactly once (execution/), honouring the pause controls. Thin wiring.
 */
import { parseEther } from 'viem'
import { createChainClient, type ChainClient } from '../chains/createChainClient'
import { loadConfig } from '../config/load'
import { readPoolSigner } from '../config/secrets'
import { ConfigError, describeError } from '../core/errors'
import { createLogger } from '../core/logger'
import { createShutdown, sleep } from '../core/shutdown'
import { createTxSender, executePlan, type TxSender } from '../execution'
import type { BridgePort } from '../execution/bridge'
import { createSdkBridgePort } from '../execution/bridgeSdk'
import { custodySenders, custodyWarning } from '../execution/custody'
import { openStore } from '../store'

const AGENT = 'executor'

async function main(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger({ agent: AGENT })
  const account = readPoolSigner(config)
  const shutdown = createShutdown({ handleSignals: true })
  const store = await openStore({ path: config.store.path, logger })
  shutdown.onShutdown(() => store.close())
  const common = { config, logger }
  const chains: Record<string, ChainClient> = {}
  const eoaSenders: Record<string, TxSender> = {}
  for (const c of config.chains) {
    chains[c.name] = createChainClient({ chain: c, logger })
    eoaSenders[c.name] = createTxSender({ common, store, chain: chains[c.name]!, account, options: {
        agent: AGENT,
        signal: shutdown.signal,
        criticalGasBalance: parseEther(String(config.execution.criticalGasBalanceEth)),
        stuckAfterBlocks: config.execution.stuckAfterBlocks,
        feeBumpPercent: config.execution.feeBumpPercent,
      },
    })
  }
  // Custody "safe": every call goes through the chain's Roles modifier for the pool's Safe.
  const senders = custodySenders(config, eoaSenders)
  const warning = custodyWarning(config)
  if (warning) logger.warn({ custody: config.custody.kind }, warning)
  for (const s of Object.values(senders)) {
    const r = await s.reconcile().catch((err) => (logger.warn({ chain: s.chain, err: describeError(err) }, 'reconcile failed; retried later'), []))
    if (r.length) logger.info({ chain: s.chain, intents: r }, 'reconciled open intents')
  }
  // Cross-chain steps go through the Wormhole token bridge when the config has a wormhole section.
  const bridgePort: BridgePort | undefined = config.wormhole ? createSdkBridgePort(config) : undefined
  const bridge = bridgePort ? { port: bridgePort, options: { signal: shutdown.signal, stuckAfterSeconds: config.execution.bridgeStuckAfterSeconds, waitMs: 30_000 } } : undefined
  const pollMs = Math.max(250, Math.min(...config.chains.map((c) => c.blockTimeMs)) / 2)
  logger.info({ signer: account.address, custody: config.custody.kind, pool: config.pool.account, wormhole: !!bridgePort }, 'executor started')
  while (!shutdown.signal.aborted) {
    const paused = await store.controls.isPaused(AGENT)
    let last: string | undefined
    if (!paused) {
      const plans = await store.plans.list({ status: ['executing', 'approved'], order: 'oldest', limit: 5 })
      for (const p of plans) {
        if (shutdown.signal.aborted) break
        try {
          const r = await executePlan({
            common, store, chains, senders, agent: AGENT, plan: p, bridge,
            // Plans the committee approved are checked step by step instead: their samples age while the committee decides.
            maxPlanAgeBlocks: p.needsApproval ? undefined : config.strategy.maxSampleAgeBlocks,
          })
          last = `${p.id}: ${r.status}`
          if (r.status === 'completed' || r.status === 'failed') {
            await store.alerts.resolve(`plan:${p.id}`, { agent: AGENT, title: `Plan ${p.id} ${r.status}`, body: r.status === 'failed' ? r.error : `${r.steps.length} step(s) confirmed` })
          }
        } catch (err) {
          logger.warn({ plan: p.id, err: describeError(err) }, 'plan execution interrupted; resumes next round')
        }
      }
    }
    await store.heartbeats.beat(AGENT, { paused, last }).catch(() => undefined)
    await sleep(pollMs, shutdown.signal)
  }
  logger.info('executor stopped')
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `executor: ${describeError(err)}`)
  process.exit(1)
})
