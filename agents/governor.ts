/**
 * Governor agent: watches upstream Snapshot spaces and on-chain Governors, mirrors each proposal
 * into the pool's signalling space, tallies the delegators' signals (weights from chain reads)
 * and casts the pool's vote before the deadline, exactly once, re-casting when signals move.
 * Thin wiring over the agent runtime: the logic is governance/governorRound.ts.
 */
import type { PublicClient } from 'viem'
import { createChainClient } from '../chains/createChainClient'
import { readOptionalSecret, readVoterSigner } from '../config/secrets'
import { createTxSender, txSenderOptions, type TxSender } from '../execution/createTxSender'
import { governorSenders } from '../execution/custody'
import { checkSnapshotDelegation } from '../governance/delegationCheck'
import { verifyVotes } from '../governance/fastVerify'
import { AGENT, createGovernorRound } from '../governance/governorRound'
import { createSnapshotClient } from '../governance/snapshotClient'
import { runAgent } from '../runtime/createAgent'
import { openSharedPacing } from '../runtime/pacing'

runAgent(AGENT, async (agent) => {
  const { config, logger, store, signal, common, name } = agent
  const gov = config.governance
  // The governor's own voting key (governance.voter.keyEnv), never the executor's: own nonces.
  const account = readVoterSigner(config)
  const clients: Record<string, PublicClient> = {}
  const senders: Record<string, TxSender> = {}
  const pacing = await openSharedPacing(config, logger)
  if (pacing) agent.shutdown.onShutdown(() => pacing.close())
  for (const c of config.chains) {
    const chain = createChainClient({ chain: c, logger, ...(pacing ? { pacing, maxPacingWaitMs: config.limits.maxWaitMs } : {}) })
    clients[c.name] = chain.client
    if (gov.upstream.governors.some((g) => g.chain === c.name)) {
      senders[c.name] = createTxSender({ common, store, chain, account, options: {
        ...txSenderOptions(config, { agent: name, signal }),
        // pause:governor / pause:all: nothing new is signed (the round checks too).
        paused: () => agent.isPaused(),
      } })
    }
  }
  const apiKey = readOptionalSecret(gov.snapshot.apiKeyEnv)
  const rate = gov.snapshot.rateLimit
  const hub = createSnapshotClient({
    graphqlUrl: gov.snapshot.graphqlUrl,
    ...(apiKey ? { apiKey } : {}),
    rateLimit: { requests: apiKey ? rate.requestsWithKey : rate.requests, windowMs: rate.windowMs },
    ...(pacing ? { pacing } : {}),
  })
  // Custody "safe": on-chain votes go through the governor's own Roles role (scoped to the
  // configured Governors), so they are the Safe's votes; custody "eoa": from the voting key's account.
  const voteSenders = governorSenders(config, senders)
  const round = createGovernorRound({ config, store, logger, hub, account, clients, senders: voteSenders, verifyEoa: (envs) => verifyVotes(envs) })
  logger.info({ spaces: gov.upstream.spaces, governors: gov.upstream.governors.length, signalling: gov.signalling.space, votesFrom: config.custody.kind === 'safe' ? `the Safe ${config.pool.account} (role ${gov.voter.roleKey})` : account.address }, 'governor started')
  let paused = false
  await agent.loop({
    everyMs: gov.pollSeconds * 1000,
    // Paused: the round still reads and tallies, but signs and sends nothing (see r.held).
    pausable: false,
    round: async () => {
      paused = await agent.isPaused().catch(() => true)
      const r = await round()
      // The Safe's Snapshot delegation (custody "safe"): alerts while it is off the voting key.
      const delegation = await checkSnapshotDelegation({ config, clients, store, logger, agent: name }).catch((err: unknown) => {
        logger.warn({ err: String(err) }, 'Snapshot delegation not checked')
        return undefined
      })
      if (r.discovered.length || r.mirrored.length || r.cast.length) logger.info({ discovered: r.discovered, mirrored: r.mirrored, cast: r.cast }, 'governance round')
      for (const e of r.errors) logger.warn({ proposal: e.key, err: e.error }, 'governance round: skipped')
      return { discovered: r.discovered.length, mirrored: r.mirrored.length, cast: r.cast.length, held: r.held.length, errors: r.errors.length, verified: r.verified, restored: r.restored, ...(delegation ? { delegationsOff: delegation.length } : {}) }
    },
    info: () => ({ paused }),
  })
}, { singleton: true })
