/**
 * Public row and input types of the store. Block numbers and amounts are bigint; timestamps are
 * ms integers (block_time: unix seconds); JSON columns are `unknown` (validate on read).
 */

export type Hex = `0x${string}`

// ── samples ─────────────────────────────────────────────────────────────────────────────────

export interface SampleInput {
  venueId: string
  chain: string
  blockNumber: bigint
  blockHash: Hex
  /** Block timestamp, unix seconds. */
  blockTime: number
  /** False when the venue call reverted; then `error` says why and the readings are null. */
  available: boolean
  error?: string | null
  /** 1e18-scaled exchange rate (assets per share / per LST). */
  exchangeRate?: bigint | null
  /** Annual yield as a fraction (0.035 = 3.5 %). */
  apy?: number | null
  /** Total value locked, raw units of the venue's asset. */
  tvl?: bigint | null
  /** 0..1. */
  utilisation?: number | null
  /** Liquidity that can be withdrawn now, raw units. */
  withdrawable?: bigint | null
  /** LST price in its backing asset (1 = at peg). */
  peg?: number | null
  paused?: boolean | null
}

export interface Sample {
  venueId: string
  chain: string
  blockNumber: bigint
  blockHash: Hex
  blockTime: number
  available: boolean
  error: string | null
  exchangeRate: bigint | null
  apy: number | null
  tvl: bigint | null
  utilisation: number | null
  withdrawable: bigint | null
  peg: number | null
  paused: boolean | null
  /** ms */
  createdAt: number
}

export interface VenueSampleCount {
  venueId: string
  chain: string
  count: number
}

// ── positions ───────────────────────────────────────────────────────────────────────────────

export interface PositionInput {
  chain: string
  venueId: string
  blockNumber: bigint
  /** Assets held in the venue, raw units. */
  amount: bigint
  /** Venue shares held, raw units (null where the venue has no shares). */
  shares?: bigint | null
}

export interface Position {
  chain: string
  venueId: string
  blockNumber: bigint
  amount: bigint
  shares: bigint | null
  createdAt: number
}

// ── watch cursor ────────────────────────────────────────────────────────────────────────────

export interface WatchCursor {
  chain: string
  /** Last fully processed block. */
  blockNumber: bigint
  blockHash: Hex
  updatedAt: number
}

export interface CommitBlockInput {
  chain: string
  blockNumber: bigint
  blockHash: Hex
  /** All samples of this block (every one must have this chain and block number). */
  samples: readonly SampleInput[]
  /** Positions read at this block, if any. */
  positions?: readonly PositionInput[]
}

export interface CommitBlockResult {
  /** Samples newly inserted (0 when the block had already been committed). */
  inserted: number
  /** False when the cursor was already at or past this block (it never moves back here). */
  cursorAdvanced: boolean
}

// ── alerts ──────────────────────────────────────────────────────────────────────────────────

export type AlertSeverity = 'info' | 'warning' | 'critical'
export type AlertKind = 'open' | 'recovery'

export interface Alert {
  id: number
  createdAt: number
  agent: string
  chain: string | null
  rule: string
  subject: string
  dedupKey: string
  severity: AlertSeverity
  kind: AlertKind
  title: string
  body: string
  blockNumber: bigint | null
  deliveredAt: number | null
  deliveryAttempts: number
  /** Last delivery failure, if any. */
  lastError: string | null
}

export interface RaiseInput {
  /** Identifies the condition (e.g. "apy-drop:ethereum:steakhouse-usdc"): one open alert per key. */
  dedupKey: string
  agent: string
  chain?: string | null
  rule: string
  subject: string
  severity: AlertSeverity
  title: string
  body?: string
  blockNumber?: bigint | null
  /** ms; defaults to now. */
  at?: number
}

export interface RaiseResult {
  /** True when this call opened the condition and wrote an outbox row. */
  inserted: boolean
  /** The outbox row that opened the condition (this call's, or the earlier one still open). */
  alertId: number
}

export interface ResolveInput {
  agent: string
  /** Defaults to "Recovered: <title of the open alert>". */
  title?: string
  body?: string
  blockNumber?: bigint | null
  at?: number
}

export interface ResolveResult {
  /** True when the condition was open: a recovery row was written and the condition closed. */
  inserted: boolean
  /** The recovery row, when inserted. */
  alertId: number | null
}

export interface OpenCondition {
  dedupKey: string
  /** The outbox row that opened it. */
  alertId: number
  agent: string
  chain: string | null
  rule: string
  subject: string
  severity: AlertSeverity
  title: string
  openedAt: number
  openedBlock: bigint | null
}

// ── heartbeats, controls, audit ─────────────────────────────────────────────────────────────

export interface Heartbeat {
  agent: string
  pid: number
  /** ms */
  beatAt: number
  info: unknown
}

export interface Control {
  key: string
  value: unknown
  setBy: string
  setAt: number
}

export interface AuditInput {
  actor: string
  action: string
  detail?: unknown
  at?: number
}

export interface AuditEntry {
  id: number
  at: number
  actor: string
  action: string
  detail: unknown
}
