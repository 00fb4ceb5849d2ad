import { parseEther } from 'viem'
import type { ChainClient } from '../chains/createChainClient'
import type { Config } from '../config/schema'
import type { Logger } from '../core/logger'
import type { Store } from '../store'
import { applyConditions, type ApplyResult } from './apply'
import type { StuckStore } from './directPage'
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
  /** Probes a write each round and pages straight through Telegram while the store is stuck (sentinel/directPage.ts). */
  stuck?: StuckStore
}

export interface SentinelRound extends ApplyResult {
  /** Conditions evaluated (known this round). */
  checked: number
  /** The sentinel's conditions open after the round. */
  open: string[]
  /** Set while the store takes no write: since when (ms), and what was paged directly this round. */
  storeStuck?: { since: number | null; paged: string[] }
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
    if (deps.stuck) {
      // Reads work while another process holds the write lock (WAL); writes do not. While they fail,
      // nothing is written this round: what would have been raised is paged directly once stuck long enough.
      const before = new Set((await store.alerts.open({ agent })).map((c) => c.dedupKey))
      const s = await deps.stuck.round(conditions, before, t)
      if (!s.writable) {
        if (s.paged.length) logger?.error({ paged: s.paged, since: deps.stuck.stuckSince() }, 'sentinel: the store takes no write; paged the operators directly')
        return { raised: [], resolved: [], checked: conditions.filter((c) => c.active !== null).length, open: [...before].sort(), storeStuck: { since: deps.stuck.stuckSince(), paged: s.paged } }
      }
    }
    const open = new Set((await store.alerts.open({ agent })).map((c) => c.dedupKey))
    const r = await applyConditions(store, agent, conditions, open, t)
    for (const k of r.raised) open.add(k)
    for (const k of r.resolved) open.delete(k)
    if (r.raised.length || r.resolved.length) logger?.info({ raised: r.raised, resolved: r.resolved }, 'sentinel: conditions changed')
    return { ...r, checked: conditions.filter((c) => c.active !== null).length, open: [...open].sort() }
  }
}
