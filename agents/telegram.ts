/**
 * Telegram agent: the bot (commands, authorisation, confirmations, approvals, pauses) by long
 * polling, and alert delivery from the store's outbox. Thin wiring over the agent runtime: the
 * logic is in telegram/. Live, the token comes from the env var named by telegram.tokenEnv (or
 * its _FILE); devnet mode talks to the local Bot API server and needs none.
 */
import { ConfigError } from '../core/errors'
import { sleep } from '../core/shutdown'
import { runAgent } from '../runtime/createAgent'
import { openSharedPacing, pacedClient } from '../runtime/pacing'
import { createTelegramBot } from '../telegram/bot'
import { telegramConnection } from '../telegram/config'
import { describeBotError, registerCommands } from '../telegram/createBot'
import { createAlertDelivery } from '../telegram/delivery'
import { storeGovernanceReader } from '../telegram/governanceStore'
import { storeRewardsReader } from '../telegram/rewards'
import { createChainClient } from '../chains/createChainClient'
import { distributorAbi } from '../rewards/readChain'
import { runPolling } from '../telegram/poll'

runAgent('telegram', async (agent) => {
  const { config, logger, store, signal } = agent
  const t = config.telegram
  if (!t.enabled) {
    logger.info('telegram.enabled is false: the bot is off (set it to true and give a token to start it)')
    await agent.loop({ everyMs: 30_000, pausable: false, round: async () => ({ enabled: false }) })
    return
  }
  const { token, apiRoot } = telegramConnection(t)
  // /rewards: claimed amounts from the distributor on the claims chain.
  const r = config.rewards
  const claimsChain = r ? config.chains.find((c) => c.name === r.chain) : undefined
  const pacing = claimsChain ? await openSharedPacing(config, logger) : undefined
  if (pacing) agent.shutdown.onShutdown(() => pacing.close())
  const claimsClient = claimsChain ? createChainClient({ ...pacedClient(config, pacing), chain: claimsChain, logger }).client : undefined
  const rewards = storeRewardsReader({
    config,
    store,
    claimed: async (account) => {
      if (!r || !claimsClient) throw new Error(`rewards.chain "${r?.chain}" is not a configured chain`)
      return claimsClient.readContract({ address: r.distributor, abi: distributorAbi, functionName: 'claimed', args: [account] })
    },
  })
  const bot = createTelegramBot({ config, store, logger, token, apiRoot, governance: storeGovernanceReader(store), rewards })
  const delivery = createAlertDelivery({ config, store, api: bot.api, logger, token })

  // The command list; a failure (network) is retried in the background without blocking the bot.
  void (async () => {
    for (let i = 0; !signal.aborted; i++) {
      try {
        await registerCommands(bot)
        return
      } catch (err) {
        logger.warn({ err: describeBotError(err, token) }, 'telegram: setMyCommands failed; retrying')
        await sleep(Math.min(60_000, 2_000 * 2 ** i), signal)
      }
    }
  })()

  const polling = runPolling(bot, { logger, signal, token, onStart: () => logger.info({ apiRoot: apiRoot ?? 'https://api.telegram.org', mode: t.mode }, 'telegram bot polling') })
  // Errors are described without the token (describeBotError) before the runtime prints them.
  polling.catch((err: unknown) => agent.fail(err instanceof ConfigError ? err : new Error(String(describeBotError(err, token).message ?? 'polling failed'))))

  let lastPrune = 0
  await agent.loop({
    everyMs: t.delivery.pollMs,
    pausable: false,
    round: async () => {
      try {
        const last = await delivery.tick()
        if (Date.now() - lastPrune > 3_600_000) {
          lastPrune = Date.now()
          await store.telegram.pruneCallbacks(Date.now() - 7 * 86_400_000)
        }
        return last
      } catch (err) {
        logger.error({ err: describeBotError(err, token) }, 'telegram: delivery round failed; retried next round')
        return null
      }
    },
  })
  await polling.catch(() => undefined)
}, { singleton: true })
