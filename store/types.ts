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
  /** What the pool could withdraw now (its own maxWithdraw / min(available, balance)), raw units. */
  withdrawable?: bigint | null
  /** What all holders together could withdraw now (venue-wide, the pool included), raw units; null = the venue does not tell. */
  liquidity?: bigint | null
  /** LST price in its backing asset (1 = at peg). */
  peg?: number | null
  paused?: boolean | null
  /** Seconds the readings behind `apy` reach back (derived: its annualisation span; published: the unbroken run of readings). */
  apySpanSeconds?: number | null
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
  /** See SampleInput.liquidity; null = not read (the store always sets it). */
  liquidity?: bigint | null
  peg: number | null
  paused: boolean | null
  /** ms */
  createdAt: number
  /** See SampleInput.apySpanSeconds; null = unknown (the store always sets it). */
  apySpanSeconds?: number | null
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
  /** The block's parent hash: kept with its hash (watch_blocks) so a reorg finds its common ancestor. */
  parentHash?: Hex
  /** Block hashes older than this many blocks below this one are pruned (default 256). */
  keepBlocks?: number
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
  /** Set when a reorg removed the alert's block: withdrawn (never sent if it was not yet delivered; else a correction followed). */
  retractedAt?: number | null
}

export interface RetractInput {
  /** The agent whose alerts are withdrawn (a chain's watcher). */
  agent: string
  chain: string
  /** Alerts raised on blocks above this one (the common ancestor) are withdrawn. */
  afterBlock: bigint
  /** Why, for the correction notices (e.g. "a 3-block reorg of ethereum replaced blocks 10..12"). */
  reason: string
  at?: number
}

export interface RetractResult {
  /** Undelivered alerts marked retracted (never sent). */
  retracted: number
  /** Delivered alerts answered by a correction notice. */
  corrected: number
  /** Conditions reopened because their recovery was on a removed block. */
  reopened: number
  /** Conditions closed because they were opened on a removed block. */
  closed: number
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

/** A watcher condition's streak towards opening or closing, not yet persisted long enough. */
export interface PendingCondition {
  dedupKey: string
  /** The watcher that counts it (the only writer of the row). */
  agent: string
  rule: string
  toward: 'open' | 'close'
  /** Consecutive evaluated blocks so far. */
  blocks: number
  sinceBlock: bigint
  /** Block timestamp of sinceBlock, seconds. */
  sinceTime: number
}

export interface GlitchInput {
  agent: string
  rule: string
  dedupKey: string
  blockNumber?: bigint | null
  /** How many glitches to add (default 1). */
  count?: number
  /** ms; defaults to now. */
  at?: number
}

/** Glitches (streaks that ended before they persisted: nothing pushed) of one agent and rule. */
export interface GlitchCount {
  agent: string
  rule: string
  count: number
  lastKey: string
  lastBlock: bigint | null
  lastAt: number
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

// ── plans, steps, approvals ─────────────────────────────────────────────────────────────────

/**
 * `expired`: older than `strategy.planTtlSeconds` before it (or one of its steps) ran: never executed further.
 * `stopped`: re-validation before a step found it would now lose money or a venue unhealthy: remaining steps stay pending.
 */
export type PlanStatus = 'proposed' | 'awaiting_approval' | 'approved' | 'executing' | 'completed' | 'failed' | 'rejected' | 'superseded' | 'expired' | 'stopped'
export type PlanStepKind = 'withdraw' | 'deposit' | 'bridge' | 'redeem'
export type PlanStepStatus = 'pending' | 'sent' | 'confirmed' | 'failed' | 'skipped'

export interface PlanStepInput {
  kind: PlanStepKind
  chain: string
  venueId: string
  /** Raw units of the venue's asset. */
  amount: bigint
  /** JSON (bigints become decimal strings). */
  detail?: unknown
}

export interface PlanInput {
  /** e.g. `p-<chain>-<block>-<n>`. */
  id: string
  /** The chain every step is on; null for a multi-chain plan. */
  chain: string | null
  /** Initial status (default 'proposed'). */
  status?: Extract<PlanStatus, 'proposed' | 'awaiting_approval' | 'approved'>
  /** The block each chain's samples were read at. */
  basedOnBlock: Readonly<Record<string, bigint>>
  /** Raw units of the collateral moved. */
  totalAmount: bigint
  /** Raw units gained over the strategy's horizon (may be negative). */
  expectedGain: bigint
  /** Raw units (gas, slippage, queues) of executing the plan. */
  cost: bigint
  needsApproval: boolean
  /** M of the committee's M-of-N (0 when no approval is needed). */
  approvalsRequired: number
  /** Scores, constraints, costs behind the plan: opaque to the store (JSON). */
  explanation?: unknown
  /** In execution order; `idx` is the position in this array. */
  steps: readonly PlanStepInput[]
  /** ms; defaults to now. */
  at?: number
}

export interface Plan {
  id: string
  createdAt: number
  updatedAt: number
  chain: string | null
  status: PlanStatus
  basedOnBlock: Record<string, bigint>
  totalAmount: bigint
  expectedGain: bigint
  cost: bigint
  needsApproval: boolean
  approvalsRequired: number
  explanation: unknown
  error: string | null
}

export interface PlanStep {
  planId: string
  idx: number
  kind: PlanStepKind
  chain: string
  venueId: string
  amount: bigint
  status: PlanStepStatus
  detail: unknown
  error: string | null
  updatedAt: number
}

export interface PlanWithSteps {
  plan: Plan
  steps: PlanStep[]
}

export type ApprovalDecision = 'approve' | 'reject'
export type ApprovalVia = 'cli' | 'telegram'

export interface ApprovalInput {
  planId: string
  /** Committee member (e.g. a Telegram username or the CLI's --as). */
  member: string
  decision: ApprovalDecision
  via: ApprovalVia
  /** ms; defaults to now. */
  at?: number
}

export interface Approval {
  planId: string
  member: string
  decision: ApprovalDecision
  at: number
  via: ApprovalVia
}

export interface ApprovalCount {
  approve: number
  reject: number
}

// ── intents (exactly-once transactions) ─────────────────────────────────────────────────────

/**
 * created → signed (nonce + raw tx stored) → broadcast → mined → confirmed (after the chain's
 * finality depth), or failed (pre-flight revert, or a reverted receipt once final). A stuck tx is
 * replaced inside its intent: the intent keeps its status and nonce, the old attempt becomes
 * 'replaced' in intent_attempts. A tx stuck too long is cancelled: an attempt of kind 'cancel' (a
 * 0-value self-transfer with the same nonce); once it is mined and final the intent is 'cancelled'
 * (final: the call never happened).
 */
export type IntentStatus = 'created' | 'signed' | 'broadcast' | 'mined' | 'confirmed' | 'failed' | 'cancelled'
export type AttemptStatus = 'signed' | 'broadcast' | 'replaced' | 'mined'
/** 'tx': the intent's call; 'cancel': a 0-value transfer to the sender itself with the intent's nonce. */
export type AttemptKind = 'tx' | 'cancel'

export interface IntentInput {
  /** Idempotency key: `<plan id>:<step idx>:<n>`. */
  key: string
  chain: string
  from: Hex
  to: Hex
  data: Hex
  /** wei; default 0. */
  value?: bigint
  at?: number
}

export interface Intent {
  key: string
  chain: string
  /** Lower-case. */
  from: Hex
  /** Lower-case. */
  to: Hex
  data: Hex
  value: bigint
  status: IntentStatus
  nonce: bigint | null
  /** The current attempt's signed transaction (the mined one once mined). */
  rawTx: Hex | null
  txHash: Hex | null
  gasLimit: bigint | null
  maxFeePerGas: bigint | null
  maxPriorityFeePerGas: bigint | null
  gasUsed: bigint | null
  effectiveGasPrice: bigint | null
  blockNumber: bigint | null
  blockHash: Hex | null
  receiptStatus: 'success' | 'reverted' | null
  error: string | null
  /** Signed attempts so far (1 + replacements). */
  attempts: number
  createdAt: number
  updatedAt: number
}

export interface IntentAttempt {
  intentKey: string
  /** 1 for the first signed tx, 2… for replacements. */
  n: number
  txHash: Hex
  rawTx: Hex
  nonce: bigint
  gasLimit: bigint
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
  status: AttemptStatus
  kind: AttemptKind
  broadcastBlock: bigint | null
  error: string | null
  createdAt: number
  updatedAt: number
}

/** A transaction signed by the caller for a nonce the store chose. */
export interface SignedTx {
  rawTx: Hex
  txHash: Hex
  gasLimit: bigint
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
}

export interface MinedInput {
  /** The attempt that was mined (any attempt of the intent). */
  txHash: Hex
  blockNumber: bigint
  blockHash: Hex
  receiptStatus: 'success' | 'reverted'
  gasUsed: bigint
  effectiveGasPrice: bigint
}

export interface NonceRow {
  chain: string
  address: Hex
  nextNonce: bigint
  updatedAt: number
}
