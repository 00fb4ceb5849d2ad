import { configSchema, type ConfigInput } from '../config/schema'
import { createLogger } from '../core/logger'
import { PER_BLOCK_WATCH } from '../devnet/deploy'
import type { LocalDevnet } from '../devnet/local'
import { shockWindows } from '../devnet/market'
import { loadScenario } from '../devnet/scenario'
import { createSimulator } from '../devnet/simulator'
import { createChainClient } from '../chains/createChainClient'
import { createTxSender, executePlan } from '../execution'
import { proposePlan } from '../plans/proposePlan'
import { openTempStore } from '../store/testing'
import { createWatcher } from '../watch/createWatcher'
import { privateKeyToAccount } from 'viem/accounts'
import { devKey, ROLES } from '../devnet/accounts'

export interface ShockPlanFigure {
  shock: string
  shockBlock: bigint
  /** Blocks from the shock's block to the samples of the first plan that moves the shocked venue. */
  toPlan: number | null
  /** Blocks from the shock's block to that plan's first transaction mined. */
  toFirstTx: number | null
}

/**
 * The stress scenario's APY collapse on one chain, with the whole decide-and-act loop in process:
 * the watcher samples each block, the strategist proposes (approval threshold high: plans execute
 * at once), the executor executes. Measures how many blocks the pool takes to react.
 */
export async function benchShockToPlan(devnet: LocalDevnet): Promise<ShockPlanFigure[]> {
  const input = structuredClone(devnet.config) as ConfigInput
  // Plans execute at once (no committee), and the move budget does not hold the reaction back:
  // the figure is the loop's latency, not the policy's patience.
  input.strategy = { ...(input.strategy ?? {}), approvalThreshold: 1e12, allocation: { maxMovePerPeriodBps: 10_000 } }
  for (const c of input.chains) c.finalityDepth = 0
  input.watch = { ...input.watch, ...PER_BLOCK_WATCH }
  const config = configSchema.parse(input)
  const logger = createLogger({ bench: 'shock-plan' }, 'silent')
  const { store, cleanup } = await openTempStore()
  try {
    const scenario = await loadScenario('stress')
    const shock = shockWindows(scenario).find((w) => w.kind === 'apyCollapse')!
    const chainName = Object.values(devnet.deployment.chains).find((c) => c.venues.some((v) => v.id === shock.venue))!.name
    const chainCfg = config.chains.find((c) => c.name === chainName)!
    const chain = createChainClient({ chain: chainCfg })
    const watcher = createWatcher({ common: { config, logger }, store, chain })
    const sender = createTxSender({ common: { config, logger }, store, chain, account: privateKeyToAccount(devKey(ROLES.pool)), options: { pollIntervalMs: 20 } })
    const sim = createSimulator({ deployment: devnet.deployment, scenario })
    const round = async () => {
      while ((await watcher.tick()).status === 'processed');
      await proposePlan({ config, store, logger }, chainName)
      for (const p of await store.plans.list({ status: ['approved', 'executing'], chain: chainName, order: 'oldest' })) {
        await executePlan({ common: { config, logger }, store, chains: { [chainName]: chain }, senders: { [chainName]: sender }, plan: p })
      }
    }
    await watcher.tick()
    let shockBlock = -1n
    for (let i = 0; i < shock.end; i++) {
      const steps = await sim.step(i)
      if (i === shock.start) shockBlock = steps.find((s) => s.chain === chainName)!.blockNumber
      await round()
      if (shockBlock >= 0n) {
        const plans = (await store.plans.list({ chain: chainName, order: 'oldest' })).filter((p) => (p.basedOnBlock[chainName] ?? 0n) >= shockBlock)
        for (const p of plans) {
          const steps = await store.plans.steps(p.id)
          if (!steps.some((s) => s.venueId === shock.venue && s.kind === 'withdraw')) continue
          const txs = (await store.intents.list({ keyPrefix: `${p.id}:` })).filter((t) => t.blockNumber !== null).map((t) => t.blockNumber!)
          const first = txs.length ? txs.reduce((a, b) => (a < b ? a : b)) : null
          return [{ shock: `${shock.kind}@${shock.venue}`, shockBlock, toPlan: Number(p.basedOnBlock[chainName]! - shockBlock), toFirstTx: first === null ? null : Number(first - shockBlock) }]
        }
      }
    }
    return [{ shock: `${shock.kind}@${shock.venue}`, shockBlock, toPlan: null, toFirstTx: null }]
  } finally {
    await cleanup()
  }
}
