import { parseEther } from 'viem'
import type { ChainClient } from '../chains/createChainClient'
import type { Config } from '../config/schema'
import type { Logger } from '../core/logger'
import type { Store } from '../store'
import { applyConditions, type ApplyResult } from './apply'
import { observeBalances, observeChains, observeStoreSizes } from './observe'
import { gasConditions, HeadTracker, heartbeatConditions, RestartTracker, storeConditions, undeliveredCondition, type Condition, type Pm2App } from './rules'

export interface SentinelDeps {
  config: Config
  store: Store
  /** One client per configured chain (heads and balances are read by the sentinel itself). */
  chains: readonly ChainClient[]
  /** PM2's process list, or null when no daemon runs. */
  pm2: () => Promise<Pm2App[] | null>
  /** The sentinel's own agent name (its heartbeat is not watched by itself). */
  agent: string
  logger?: Logger
  now?: () => number
}

export interface SentinelRound extends ApplyResult {
  /** Conditions evaluated (known this round). */
  checked: number
  /** The sentinel's conditions open after the round. */
  open: string[]
}

/**
 * One sentinel round: observe, evaluate every rule, and write what changed (one alert per
 * condition, one recovery when it clears). The trackers live as long as the returned function.
 */
export function createSentinelRound(deps: SentinelDeps): () => Promise<SentinelRound> {
  const { config, store, agent, logger } = deps
  const cfg = config.sentinel
  const now = deps.now ?? Date.now
  const restarts = new RestartTracker(cfg.restartLoop)
  const heads = new HeadTracker(cfg.chains)
  const critical = parseEther(String(config.execution.criticalGasBalanceEth))
  return async () => {
    const [beats, chains, balances, apps, undelivered] = await Promise.all([
      store.heartbeats.all(),
      observeChains(store, deps.chains, logger),
      observeBalances(config, deps.chains, logger),
      deps.pm2(),
      store.metrics.undelivered(),
    ])
    const t = now()
    const conditions: Condition[] = [
      ...heartbeatConditions(beats, t, cfg.heartbeat, agent),
      ...restarts.observe(apps, t),
      ...heads.observe(chains, t),
      ...gasConditions(balances, critical, cfg.gas.warnFactor),
      ...storeConditions(observeStoreSizes(store.path), cfg.store),
      undeliveredCondition(undelivered.oldestAt, undelivered.count, t, cfg.undeliveredAfterSeconds, config.telegram.enabled),
    ]
    const open = new Set((await store.alerts.open({ agent })).map((c) => c.dedupKey))
    const r = await applyConditions(store, agent, conditions, open, t)
    for (const k of r.raised) open.add(k)
    for (const k of r.resolved) open.delete(k)
    if (r.raised.length || r.resolved.length) logger?.info({ raised: r.raised, resolved: r.resolved }, 'sentinel: conditions changed')
    return { ...r, checked: conditions.filter((c) => c.active !== null).length, open: [...open].sort() }
  }
}
