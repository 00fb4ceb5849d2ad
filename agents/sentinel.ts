/**
 * The sentinel (PM2 app `sentinel`): watches the other agents and what they depend on — stale
 * heartbeats, PM2 restart loops, stalled chain heads and lagging watchers, sending keys low on gas,
 * the store's file and WAL size, alerts Telegram has not delivered — one alert per condition and
 * one recovery (sentinel/rules.ts) — and writes the committee's plan notifications (notify/committee.ts).
 * Holds no key: it reads balances by address only.
 * Thin wiring over the agent runtime: the logic is in sentinel/.
 */
import { createChainClient } from '../chains/createChainClient'
import { describeError } from '../core/errors'
import { createCommitteeNotifier } from '../notify/committee'
import { runAgent } from '../runtime/createAgent'
import { openSharedPacing, pacedClient } from '../runtime/pacing'
import { createPm2Reader } from '../sentinel/observe'
import { createSentinelRound } from '../sentinel/round'
import { createStuckStore, operatorChats, telegramDirectSend, type DirectSend } from '../sentinel/directPage'
import { telegramConnection } from '../telegram/config'

runAgent('sentinel', async (agent) => {
  const { config, logger, store, name } = agent
  // The sentinel reads every chain's head and balances each round: over the shared pacing, like the
  // watchers, so a URL's rate and a Retry-After one process was given hold for it too.
  const pacing = await openSharedPacing(config, logger)
  if (pacing) agent.shutdown.onShutdown(() => pacing.close())
  const chains = config.chains.map((c) => createChainClient({ ...pacedClient(config, pacing), chain: c, logger, failuresToAlert: config.alerts.rpcFailures, maxBackoffMs: config.watch.maxBackoffMs }))
  const pm2 = createPm2Reader(logger)
  agent.shutdown.onShutdown(() => pm2.close())
  // Direct paging when the store is stuck: the bot token (live: from the environment, the only
  // secret the sentinel holds) and the operator chats; without them the sentinel still watches.
  let send: DirectSend | null = null
  if (config.telegram.enabled) {
    try {
      const { token, apiRoot } = telegramConnection(config.telegram)
      const chats = operatorChats(config)
      if (chats.length) send = telegramDirectSend(token, apiRoot, chats)
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'sentinel: no bot token: it cannot page directly when the store is stuck')
    }
  }
  const stuck = createStuckStore({ store, agent: name, boundMs: config.sentinel.storeStuckSeconds * 1000, send })
  const sentinel = createSentinelRound({ config, store, chains, pm2: () => pm2.list(), agent: name, logger, stuck })
  const committee = createCommitteeNotifier({ store, config, agent: name, logger })
  logger.info({ everyMs: config.sentinel.everyMs, chains: chains.map((c) => c.name) }, 'sentinel started')
  // Not pausable: pausing the agents is exactly when someone should still watch them.
  await agent.loop({
    round: async () => {
      const watched = await sentinel()
      // The committee's plan notifications ride on the same round; their failure never stops the watching.
      let notified: number | string = 0
      try {
        notified = (await committee.round()).length
      } catch (err) {
        notified = describeError(err)
        logger.warn({ err: notified }, 'committee notifications: round failed; retried next round')
      }
      return { ...watched, notified }
    },
    everyMs: config.sentinel.everyMs,
    pausable: false,
  })
}, { singleton: true })
