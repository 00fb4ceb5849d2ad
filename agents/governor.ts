/**
 * Governor agent: watches upstream Snapshot spaces and on-chain Governors, mirrors each proposal
 * into the pool's signalling space, tallies the delegators' signals (weights from chain reads)
 * and casts the pool's vote before the deadline, exactly once, re-casting when signals move.
 * Thin wiring: the logic is governance/governorRound.ts.
 */
import { parseEther, type PublicClient } from 'viem'
import { createChainClient } from '../chains/createChainClient'
import { loadConfig } from '../config/load'
import { readOptionalSecret, readVoterSigner } from '../config/secrets'
import { ConfigError, describeError } from '../core/errors'
import { createLogger } from '../core/logger'
import { createShutdown, sleep } from '../core/shutdown'
import { createTxSender, type TxSender } from '../execution'
import { verifyVotes } from '../governance/fastVerify'
import { AGENT, createGovernorRound } from '../governance/governorRound'
import { createSnapshotClient } from '../governance/snapshotClient'
import { openStore } from '../store'

async function main(): Promise<void> {
  const config = loadConfig()
  const logger = createLogger({ agent: AGENT })
  const gov = config.governance
  // The governor's own voting key (governance.voter.keyEnv), never the executor's: own nonces.
  const account = readVoterSigner(config)
  const shutdown = createShutdown({ handleSignals: true })
  const store = await openStore({ path: config.store.path, logger })
  shutdown.onShutdown(() => store.close())
  const common = { config, logger }
  const clients: Record<string, PublicClient> = {}
  const senders: Record<string, TxSender> = {}
  for (const c of config.chains) {
    const chain = createChainClient({ chain: c, logger })
    clients[c.name] = chain.client
    if (gov.upstream.governors.some((g) => g.chain === c.name)) {
      senders[c.name] = createTxSender({ common, store, chain, account, options: {
          agent: AGENT,
          signal: shutdown.signal,
          criticalGasBalance: parseEther(String(config.execution.criticalGasBalanceEth)),
          stuckAfterBlocks: config.execution.stuckAfterBlocks,
          cancelAfterBlocks: config.execution.cancelAfterBlocks,
          feeBumpPercent: config.execution.feeBumpPercent,
          // pause:governor / pause:all: nothing new is signed (the round checks too).
          paused: () => store.controls.isPaused(AGENT),
        },
      })
    }
  }
  const apiKey = readOptionalSecret(gov.snapshot.apiKeyEnv)
  const rate = gov.snapshot.rateLimit
  const hub = createSnapshotClient({
    graphqlUrl: gov.snapshot.graphqlUrl,
    ...(apiKey ? { apiKey } : {}),
    rateLimit: { requests: apiKey ? rate.requestsWithKey : rate.requests, windowMs: rate.windowMs },
  })
  const round = createGovernorRound({ config, store, logger, hub, account, clients, senders, verifyEoa: (envs) => verifyVotes(envs) })
  logger.info({ spaces: gov.upstream.spaces, governors: gov.upstream.governors.length, signalling: gov.signalling.space }, 'governor started')
  while (!shutdown.signal.aborted) {
    let last: unknown
    const paused = await store.controls.isPaused(AGENT).catch(() => true)
    try {
      // Paused: the round still reads and tallies, but signs and sends nothing (see r.held).
      const r = await round()
      last = { discovered: r.discovered.length, mirrored: r.mirrored.length, cast: r.cast.length, held: r.held.length, errors: r.errors.length }
      if (r.discovered.length || r.mirrored.length || r.cast.length) logger.info({ discovered: r.discovered, mirrored: r.mirrored, cast: r.cast }, 'governance round')
      for (const e of r.errors) logger.warn({ proposal: e.key, err: e.error }, 'governance round: skipped')
    } catch (err) {
      last = { error: describeError(err) }
      logger.error({ err: describeError(err) }, 'governance round failed')
    }
    await store.heartbeats.beat(AGENT, { paused, last }).catch(() => undefined)
    await sleep(gov.pollSeconds * 1000, shutdown.signal)
  }
  logger.info('governor stopped')
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `governor: ${describeError(err)}`)
  process.exit(1)
})
