import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Logger } from '../core/logger.js'
import { createAlerts, type AlertsQueries } from './alerts.js'
import { createApprovals, type ApprovalsQueries } from './approvals.js'
import { createAudit, type AuditQueries } from './audit.js'
import { createControls, type ControlsQueries } from './controls.js'
import { createCursors, type CursorsQueries } from './cursors.js'
import { createGovernance, type GovernanceQueries } from './governance.js'
import { createHeartbeats, type HeartbeatsQueries } from './heartbeats.js'
import { createHistory, type HistoryQueries } from './history.js'
import { createIntents, type IntentsQueries } from './intents.js'
import { createLeases, type FenceRef, type LeasesQueries } from './leases.js'
import { createSafeTxs, type SafeTxsQueries } from './safeTxs.js'
import { createRewards, type RewardsQueries } from './rewards.js'
import { migrate } from './migrate.js'
import { createMetrics, type MetricsQueries } from './metrics.js'
import { createNotifications, type NotificationsQueries } from './notifications.js'
import { createPlans, type PlansQueries } from './plans.js'
import { createPositions, type PositionsQueries } from './positions.js'
import { createSamples, type SamplesQueries } from './samples.js'
import { createTransfers, type TransfersQueries } from './transfers.js'
import { openDb } from './sqlite.js'
import { storeSize, type StoreSize } from './size.js'
import { probeWritable } from './probe.js'
import type { StoreError } from './errors.js'
import { createTelegram, type TelegramQueries } from './telegram.js'

export interface OpenStoreOptions {
  /** SQLite file; created with its parent directory if missing. */
  path: string
  logger?: Logger
  /**
   * How long a statement may wait for another process's write lock before StoreBusyError, ms
   * (default 5000). SQLite's own busy_timeout is set to a ≤100 ms slice of it; see sqlite.ts.
   */
  busyTimeoutMs?: number
  /** Migrations directory (default store/migrations); for tests. */
  migrationsDir?: string
  /** A ceiling on the file's size, bytes (config `store.maxSizeMb`): past it writes fail as on a full disk (sqlite.ts). */
  maxBytes?: number
  /** Called with every error that says the store cannot take writes (a full disk…), before it is thrown (the agent runtime stops acting on it). */
  onUnwritable?: (err: StoreError) => void
  /** Fields added to every heartbeat this process writes (the agent runtime: process and RPC counters). */
  heartbeatExtras?: () => Record<string, unknown>
}

/**
 * The poolwarden store: one SQLite file in WAL mode shared by every agent process. Each query
 * module is typed; no SQL leaves store/. Errors are StoreError (not retryable) or
 * StoreBusyError (a RetryableError).
 */
export interface Store {
  /** Absolute path of the database file. */
  readonly path: string
  readonly samples: SamplesQueries
  readonly positions: PositionsQueries
  /** The one query layer over samples, positions and their hourly aggregates (store/history.ts): every reader uses it. */
  readonly history: HistoryQueries
  readonly cursors: CursorsQueries
  readonly alerts: AlertsQueries
  readonly heartbeats: HeartbeatsQueries
  readonly controls: ControlsQueries
  readonly audit: AuditQueries
  /** Plans and their steps (strategist; executor for execution states). */
  readonly plans: PlansQueries
  /** Committee decisions on plans (plan CLI, Telegram agent). */
  readonly approvals: ApprovalsQueries
  /** Transaction intents, their attempts and nonces (executor). */
  readonly intents: IntentsQueries
  /** Committee plans' Safe transactions, stored before signing (executor). */
  readonly safeTxs: SafeTxsQueries
  /** Reward epochs and their published trees (distributor agent). */
  readonly rewards: RewardsQueries
  /** Inline-button callbacks and per-chat alert delivery (Telegram agent). */
  readonly telegram: TelegramQueries
  /** Governance: proposals, signals, tallies, casts, notifications (governor agent). */
  readonly governance: GovernanceQueries
  /** Cross-chain transfers and their states (executor). */
  readonly transfers: TransfersQueries
  /** Read-only aggregates for the Prometheus exporter (metrics/). */
  readonly metrics: MetricsQueries
  /** One-shot notices through the alert outbox, exactly once per key (the sentinel's committee notifications). */
  readonly notifications: NotificationsQueries
  /**
   * One active instance per singleton role (each agent its own row), and this connection's fence:
   * once set, intents, casts, samples, positions, plans and transfers check the lease's token in
   * their own write transaction (store/leases.ts).
   */
  readonly leases: LeasesQueries
  /**
   * Runs `fn` in one BEGIN IMMEDIATE transaction: every store call made inside it (through the
   * `tx` argument or `store` itself, found by async context) commits or rolls back together.
   * Throwing rolls back and rethrows. Nested calls become savepoints. Keep `fn` short and free
   * of network I/O: it holds the database's write lock.
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>
  /**
   * Whether the store takes a write that needs new space: a row of 1 MiB is written and
   * committed, then deleted (store_probe). Resolves true, or false on an error that says the
   * store cannot take writes (a full disk); throws other errors.
   */
  probeWritable(agent: string): Promise<boolean>
  /** Bytes in use by table and index (SQLite's dbstat), and free pages. */
  size(): Promise<StoreSize>
  /** Waits for running statements, then closes the connection. Idempotent. */
  close(): Promise<void>
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const memory = opts.path === ':memory:'
  const path = memory ? opts.path : resolve(opts.path)
  if (!memory) mkdirSync(dirname(path), { recursive: true })
  const db = await openDb({ path, logger: opts.logger, busyTimeoutMs: opts.busyTimeoutMs, maxBytes: opts.maxBytes, onUnwritable: opts.onUnwritable })
  try {
    await migrate(db, { dir: opts.migrationsDir, logger: opts.logger })
  } catch (err) {
    await db.close().catch(() => undefined)
    throw err
  }
  // This connection's fence (set by the agent runtime once it holds its role's lease).
  const fence: FenceRef = {}
  const samples = createSamples(db, fence)
  const positions = createPositions(db, fence)
  const store: Store = {
    path,
    samples,
    positions,
    history: createHistory(db, samples, positions),
    cursors: createCursors(db, samples, positions, fence),
    alerts: createAlerts(db),
    heartbeats: createHeartbeats(db, opts.heartbeatExtras),
    controls: createControls(db),
    audit: createAudit(db),
    plans: createPlans(db, fence),
    approvals: createApprovals(db),
    intents: createIntents(db, fence),
    safeTxs: createSafeTxs(db),
    rewards: createRewards(db),
    telegram: createTelegram(db),
    governance: createGovernance(db, fence),
    transfers: createTransfers(db, fence),
    leases: createLeases(db, fence),
    metrics: createMetrics(db),
    notifications: createNotifications(db),
    transaction: (fn) => db.transaction(() => fn(store)),
    probeWritable: (agent) => probeWritable(db, agent),
    size: () => storeSize(db),
    close: () => db.close(),
  }
  return Object.freeze(store)
}
