/**
 * Executor agent: reconciles every open transaction intent at start, then executes approved plans
 * step by step, exactly once (execution/), honouring the pause controls. Thin wiring over the
 * agent runtime (runtime/createAgent.ts). A singleton: a second instance waits as the hot standby.
 */
import { createChainClient, type ChainClient } from '../chains/createChainClient'
import { readExecutorSigner } from '../config/secrets'
import { describeError } from '../core/errors'
import { createTxSender, executePlan, txSenderOptions, type TxSender } from '../execution'
import type { BridgePort } from '../execution/bridge'
import { createSdkBridgePort } from '../execution/bridgeSdk'
import { custodySenders, custodyWarning } from '../execution/custody'
import { isCommitteeSafePlan, runCommitteePlan } from '../execution/committee/runCommitteePlan'
import { rejectAbandonedSafeTxs } from '../execution/committee/rejectAbandoned'
import { runAgent } from '../runtime/createAgent'
import { openSharedPacing } from '../runtime/pacing'

runAgent('executor', async (agent) => {
  const { config, logger, store, signal, common, name } = agent
  // The executor's own key (execution.keyEnv): no other app has it.
  const account = readExecutorSigner(config)
  const chains: Record<string, ChainClient> = {}
  const eoaSenders: Record<string, TxSender> = {}
  const pacing = await openSharedPacing(config, logger)
  if (pacing) agent.shutdown.onShutdown(() => pacing.close())
  for (const c of config.chains) {
    chains[c.name] = createChainClient({ chain: c, logger, ...(pacing ? { pacing, maxPacingWaitMs: config.limits.maxWaitMs } : {}) })
    eoaSenders[c.name] = createTxSender({ common, store, chain: chains[c.name]!, account, options: txSenderOptions(config, { agent: name, signal }) })
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
  const bridgePort: BridgePort | undefined = config.wormhole ? createSdkBridgePort(config, undefined, pacing ? { pacing, maxPacingWaitMs: config.limits.maxWaitMs } : {}) : undefined
  const bridge = bridgePort ? { port: bridgePort, options: { signal, stuckAfterSeconds: config.execution.bridgeStuckAfterSeconds, waitMs: config.execution.bridgeWaitSeconds * 1000 } } : undefined
  logger.info({ signer: account.address, custody: config.custody.kind, pool: config.pool.account, wormhole: !!bridgePort }, 'executor started')
  // A committee plan waiting for signatures: its confirmations are read again at execution.signaturePollMs.
  let awaitingSignatures = false
  await agent.loop({
    nextMs: () => (awaitingSignatures ? config.execution.signaturePollMs : undefined),
    round: async () => {
      let last: string | undefined
      awaitingSignatures = false
      const plans = await store.plans.list({ status: ['executing', 'approved'], order: 'oldest', limit: 5 })
      // Custody "safe": plans above the threshold are Safe transactions the committee signs; the
      // executor stores them, reads the signatures back and executes at the threshold.
      if (config.custody.kind === 'safe') plans.push(...(await store.plans.list({ status: 'awaiting_approval', order: 'oldest', limit: 5 })).filter((p) => p.needsApproval))
      // Custody "safe": an ended committee plan's Safe tx is made unexecutable (its same-nonce rejection proposed).
      if (config.custody.kind === 'safe') {
        await rejectAbandonedSafeTxs({ common, store, chains, proposer: account, agent: name }).catch((err: unknown) => logger.warn({ err: describeError(err) }, 'ended plans\' Safe txs: rejection not proposed; retried next round'))
      }
      for (const p of plans) {
        // A full store: nothing more this round (every step records its intent before signing, and that write fails).
        if (signal.aborted || !agent.storeWritable()) break
        if (isCommitteeSafePlan(config, p)) {
          try {
            // execTransaction is sent by the executor's own key (the signatures authorise it), not through the role.
            const r = await runCommitteePlan({ common, store, chains, senders: eoaSenders, agent: name, revalidate: {}, ...(bridge ? { bridge } : {}) }, p.id)
            last = `${p.id}: ${r.status}${'reason' in r ? ` (${r.reason})` : ''}`
            if (r.status === 'awaiting-signatures') awaitingSignatures = true
            if (r.status === 'completed' || r.status === 'failed' || r.status === 'cancelled') {
              await store.alerts.resolve(`plan:${p.id}`, { agent: name, title: `Plan ${p.id} ${r.status}`, body: r.status === 'completed' ? 'Safe transaction executed' : 'error' in r ? r.error : r.reason })
            }
          } catch (err) {
            logger.warn({ plan: p.id, err: describeError(err) }, 'committee plan interrupted; resumes next round')
          }
          continue
        }
        try {
          const r = await executePlan({
            common, store, chains, senders, agent: name, plan: p, bridge,
            toleranceBps: config.execution.verifyToleranceBps,
            accrualPpm: config.execution.verifyAccrualPpm,
            // Every plan, the committee's included, is re-checked on the latest samples before each
            // step: TTL (strategy.planTtlSeconds), venues' health, gain against cost.
            revalidate: {},
          })
          last = `${p.id}: ${r.status}${r.status === 'held' ? ` (${r.reason})` : ''}`
          if (r.status === 'completed' || r.status === 'failed') {
            await store.alerts.resolve(`plan:${p.id}`, { agent: name, title: `Plan ${p.id} ${r.status}`, body: r.status === 'failed' ? r.error : `${r.steps.length} step(s) confirmed` })
          }
        } catch (err) {
          logger.warn({ plan: p.id, err: describeError(err) }, 'plan execution interrupted; resumes next round')
        }
      }
      return last
    },
  })
}, { singleton: true })
