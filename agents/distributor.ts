/**
 * Distributor agent: closes reward epochs (rewards/ decides; execution/distributor/ does the
 * reads, stores each step before its side effect, and publishes the root and the funding as
 * exactly-once intents). Thin wiring over the agent runtime.
 *
 * Its key is its own (`rewards.signer.keyEnv`, devnet POOLWARDEN_DISTRIBUTOR_KEY = anvil #7), not
 * the executor's: its own nonce stream (an epoch's setRoot never queues behind a stuck rebalance
 * and vice versa) and, in custody "safe", the only member of its own Roles role (rewards.roleKey),
 * which allows setRoot and the capped funding transfer to the distributor contract and nothing
 * else. In custody "eoa" the pool's own key owns the distributor and the funds, so there it is the
 * pool's key (readDistributorSigner).
 */
import { writeFileSync } from 'node:fs'
import type { PublicClient } from 'viem'
import { createChainClient } from '../chains/createChainClient'
import { readDistributorSigner } from '../config/secrets'
import { describeError } from '../core/errors'
import { createTxSender, txSenderOptions } from '../execution'
import { distributorSender } from '../execution/custody'
import { createDistributor, DISTRIBUTOR_AGENT, type DistributorPoint } from '../execution/distributor/closeEpoch'
import { runAgent } from '../runtime/createAgent'
import { openSharedPacing, pacedClient } from '../runtime/pacing'

runAgent(DISTRIBUTOR_AGENT, async (agent) => {
  const { config, logger, store, signal, common, name } = agent
  const r = config.rewards
  if (!r) {
    logger.warn('no rewards section in the config: no reward epoch is closed (see README "Rewards")')
    await agent.loop({ everyMs: 60_000, round: async () => 'no rewards section' })
    return
  }
  const account = readDistributorSigner(config)
  const clients: Record<string, PublicClient> = {}
  let claimsChain
  const pacing = await openSharedPacing(config, logger)
  if (pacing) agent.shutdown.onShutdown(() => pacing.close())
  for (const c of config.chains) {
    const chain = createChainClient({ ...pacedClient(config, pacing), chain: c, logger })
    clients[c.name] = chain.client
    if (c.name === r.chain) claimsChain = chain
  }
  if (!claimsChain) return agent.fail(new Error(`config: rewards.chain "${r.chain}" is not a configured chain`))
  const eoa = createTxSender({ common, store, chain: claimsChain, account, options: { ...txSenderOptions(config, { agent: name, signal }), paused: () => agent.isPaused() } })
  // Custody "safe": setRoot and the funding go through the distributor's own Roles role (the Safe acts).
  const sender = distributorSender(config, r.chain, eoa)
  const rec = await sender.reconcile().catch((err) => (logger.warn({ err: describeError(err) }, 'reconcile failed; retried later'), []))
  if (rec.length) logger.info({ intents: rec }, 'reconciled open intents')
  // Fault tests only, right after a stored state change (built|rooted|funded):
  //   POOLWARDEN_DISTRIBUTOR_DIE_AT=<point>   the process SIGKILLs itself there;
  //   POOLWARDEN_DISTRIBUTOR_PAUSE_AT=<point> with POOLWARDEN_DISTRIBUTOR_MARKER=<file>: writes the
  //     file ("<point> <epoch>") and waits there for the test's kill -9;
  //   POOLWARDEN_DISTRIBUTOR_NOW=<unix seconds>: a fixed clock (the devnet chains' time, not the wall's).
  const dieAt = process.env.POOLWARDEN_DISTRIBUTOR_DIE_AT as DistributorPoint | undefined
  const pauseAt = process.env.POOLWARDEN_DISTRIBUTOR_PAUSE_AT as DistributorPoint | undefined
  const marker = process.env.POOLWARDEN_DISTRIBUTOR_MARKER
  const fixedNow = process.env.POOLWARDEN_DISTRIBUTOR_NOW ? Number(process.env.POOLWARDEN_DISTRIBUTOR_NOW) : undefined
  const hooks =
    dieAt || (pauseAt && marker)
      ? {
          at: async (p: DistributorPoint, epoch: number) => {
            if (p === dieAt) process.kill(process.pid, 'SIGKILL')
            if (p === pauseAt && marker) {
              writeFileSync(marker, `${p} ${epoch}\n`)
              await new Promise<never>(() => undefined)
            }
          },
        }
      : undefined
  const round = createDistributor({ common, store, clients, sender, ...(hooks ? { hooks } : {}), ...(fixedNow !== undefined && Number.isFinite(fixedNow) ? { now: () => fixedNow } : {}) })
  logger.info({ signer: account.address, chain: r.chain, distributor: r.distributor, epochSeconds: r.epochSeconds, commissionBps: r.commissionBps, custody: config.custody.kind }, 'distributor started')
  await agent.loop({
    everyMs: Math.max(1_000, agent.pollMs * 2),
    round: async () => {
      const res = await round()
      if (res.status !== 'idle') logger.info(res, 'distributor round')
      return res
    },
  })
}, { singleton: true })
