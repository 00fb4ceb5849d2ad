import { z } from 'zod'
import { address } from './address'

/**
 * `config.metrics` (the Prometheus exporter, PM2 app `metrics`) and `config.sentinel` (the agent
 * that watches the other agents, PM2 app `sentinel`). Both sections are optional with defaults.
 */

export const metricsConfig = z.object({
  /** The exporter runs (PM2 app `metrics`); false: the app idles and serves nothing. */
  enabled: z.boolean().default(true),
  /** Address the exporter listens on: 127.0.0.1 by default (put a proxy or a firewall rule in front to scrape from elsewhere). */
  host: z.string().min(1).default('127.0.0.1'),
  /** Port of `GET /metrics`. */
  port: z.number({ error: 'expected a TCP port number, e.g. 9464' }).int().min(1).max(65_535, { error: 'a TCP port is at most 65535' }).default(9464),
})

const seconds = (dflt: number) => z.number().positive({ error: 'expected a positive number of seconds' }).default(dflt)

export const sentinelConfig = z.object({
  /** The sentinel's round, ms. */
  everyMs: z.number().int().min(100, { error: 'at least 100 ms' }).default(5_000),
  heartbeat: z
    .object({
      /** An agent's heartbeat older than this many of its own periods raises an alert … */
      stalePeriods: z.number().positive().default(5),
      /** … and never sooner than this (a GC pause or a slow RPC round is not a dead agent). */
      minStaleSeconds: z.number().nonnegative().default(30),
      /** Period of an agent whose heartbeat names none (neither `periodMs` nor `blockTimeMs`), ms. */
      defaultPeriodMs: z.number().int().positive().default(10_000),
      /** Heartbeats of these agents are not watched (e.g. an app retired on purpose). */
      ignore: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  restartLoop: z
    .object({
      /** PM2 restarts of one app within `windowSeconds` that count as a restart loop. */
      restarts: z.number().int().min(1).default(3),
      windowSeconds: seconds(600),
    })
    .prefault({}),
  chains: z
    .object({
      /** A chain head unchanged for this many of its block times is stalled … */
      stallBlocks: z.number().positive().default(10),
      /** … and never sooner than this. */
      minStallSeconds: z.number().nonnegative().default(60),
      /** The watcher lags when the head is more than this many seconds of blocks past its stored block. */
      maxLagSeconds: seconds(120),
    })
    .prefault({}),
  gas: z
    .object({
      /** Warn when a sending key's native balance falls below this multiple of execution.criticalGasBalanceEth. */
      warnFactor: z.number().min(1, { error: 'at least 1 (1 = warn only at the critical level itself)' }).default(2),
      /** More sending accounts to watch (addresses only), besides the executor's and the voter's from config. */
      accounts: z.array(z.object({ name: z.string().min(1), address })).default([]),
    })
    .prefault({}),
  store: z
    .object({
      /** The store's file larger than this raises an alert, MB. */
      maxFileMb: z.number().positive().default(2_048),
      /** The WAL larger than this raises an alert (a reader holding a snapshot blocks checkpoints), MB. */
      maxWalMb: z.number().positive().default(256),
    })
    .prefault({}),
  committee: z
    .object({
      /** Committee plans updated within this many seconds are checked for new events (approval, execution, steps, end). */
      lookbackSeconds: z.number().int().positive().default(7 * 86_400),
    })
    .prefault({}),
  /** An alert not delivered to Telegram this long after it was raised raises an alert (only while telegram.enabled). */
  undeliveredAfterSeconds: seconds(300),
  /**
   * When the sentinel cannot write the store this long (SQLITE_BUSY: a process frozen inside a
   * write transaction holds SQLite's write lock), it sends what it could not write straight to the
   * operator chats through the Bot API (once per condition, and the recovery), and records it in
   * the store when writes succeed again. Only while telegram.enabled (live: the bot token is in the
   * sentinel's environment too).
   */
  storeStuckSeconds: seconds(30),
})

export type MetricsConfig = z.output<typeof metricsConfig>
export type SentinelConfig = z.output<typeof sentinelConfig>
