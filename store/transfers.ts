import { amountFromDb, amountToDb, intFromDb, intToDb, num, optStr, str } from './convert.js'
import { StoreError } from './errors.js'
import type { Db } from './sqlite.js'
import { checkFence, type FenceRef } from './leases.js'

/**
 * Cross-chain transfers (execution/bridge.ts writes them; status and the strategist read them).
 * One row per bridge step, moved by compare-and-set only, so two executors racing on one transfer
 * never both advance it:
 *
 *   pending ──► initiated ──► vaa_signed ──► redeemed ──► deposited
 *      │             └───────────────────────────▲ (found already complete on the destination)
 *      └──► failed   (nothing left the source chain)
 *
 * Funds are in flight from `initiated` until `redeemed`: `inFlight()` lists them per destination.
 */

export type TransferState = 'pending' | 'initiated' | 'vaa_signed' | 'redeemed' | 'deposited' | 'failed'
export const TRANSFER_STATES: readonly TransferState[] = ['pending', 'initiated', 'vaa_signed', 'redeemed', 'deposited', 'failed']
/** Left the source chain, not yet landed on the destination. */
export const IN_FLIGHT_STATES: readonly TransferState[] = ['initiated', 'vaa_signed']
/** Not finished (the executor resumes these). */
export const OPEN_TRANSFER_STATES: readonly TransferState[] = ['pending', 'initiated', 'vaa_signed', 'redeemed']

export interface TransferInput {
  planId: string
  /** The bridge step. */
  stepIdx: number
  /** The redeem step on the destination, when the plan has one. */
  redeemIdx?: number | null
  sourceChain: string
  destChain: string
  token: string
  destToken: string
  recipient: string
  amount: bigint
  received: bigint
}

export interface Transfer {
  id: string
  planId: string
  stepIdx: number
  redeemIdx: number | null
  sourceChain: string
  destChain: string
  token: string
  destToken: string
  recipient: string
  amount: bigint
  received: bigint
  state: TransferState
  sourceTx: string | null
  sourceBlock: bigint | null
  sequence: bigint | null
  emitter: string | null
  vaa: string | null
  destTx: string | null
  destBlock: bigint | null
  attempts: number
  lastError: string | null
  /**
   * Set when the executor stopped retrying (a redeem reverted `execution.redeemMaxAttempts` times):
   * why, and what a person should do. Nothing more is sent for it until `release` clears it.
   */
  heldReason: string | null
  /** When a person last released it (ms): only redeem attempts after this count towards the cap. */
  releasedAt: number | null
  createdAt: number
  initiatedAt: number | null
  vaaAt: number | null
  redeemedAt: number | null
  depositedAt: number | null
  updatedAt: number
}

export interface TransfersQueries {
  /** Inserts the transfer (id `<plan>:<step>`); idempotent: an existing one is returned with `inserted: false`. */
  create(input: TransferInput, at?: number): Promise<{ inserted: boolean; transfer: Transfer }>
  get(id: string): Promise<Transfer | undefined>
  /** The transfer of a plan's bridge step. */
  byStep(planId: string, stepIdx: number): Promise<Transfer | undefined>
  /** Newest first; optionally by state(s) and plan. */
  list(filter?: { state?: TransferState | readonly TransferState[]; planId?: string; limit?: number }): Promise<Transfer[]>
  /** pending → initiated: the source tx is confirmed. */
  markInitiated(id: string, s: { sourceTx: string; sourceBlock: bigint; sequence: bigint; emitter: string }, at?: number): Promise<boolean>
  /** initiated → vaa_signed: the VAA (0x hex), verified. */
  markVaaSigned(id: string, vaa: string, at?: number): Promise<boolean>
  /** initiated | vaa_signed → redeemed: completeTransfer confirmed (destTx null: found already complete). */
  markRedeemed(id: string, s: { destTx: string | null; destBlock: bigint | null }, at?: number): Promise<boolean>
  /** redeemed → deposited. */
  markDeposited(id: string, at?: number): Promise<boolean>
  /** pending → failed (nothing left the source). */
  markFailed(id: string, error: string, at?: number): Promise<boolean>
  /** One more failed try (VAA not yet signed, destination unreachable…): attempts + 1, last error. The state stays. */
  recordError(id: string, error: string, at?: number): Promise<void>
  /** Clears the last error (the transfer progressed). */
  clearError(id: string, at?: number): Promise<void>
  /** Leaves the transfer for a person: no more automatic retries (`heldReason`); false when already held or landed. */
  hold(id: string, reason: string, at?: number): Promise<boolean>
  /** A person's decision to let the executor retry a held transfer: a fresh budget of redeemMaxAttempts (earlier attempts stay recorded). */
  release(id: string, at?: number): Promise<boolean>
  /** Collateral in flight per destination chain (raw destination units): initiated and vaa_signed transfers. */
  inFlightByChain(): Promise<Map<string, bigint>>
}

interface TransferRow {
  id: string
  plan_id: string
  step_idx: number
  redeem_idx: number | null
  source_chain: string
  dest_chain: string
  token: string
  dest_token: string
  recipient: string
  amount: string
  received: string
  state: string
  source_tx: string | null
  source_block: number | null
  sequence: string | null
  emitter: string | null
  vaa: string | null
  dest_tx: string | null
  dest_block: number | null
  attempts: number
  last_error: string | null
  held_reason: string | null
  released_at: number | null
  created_at: number
  initiated_at: number | null
  vaa_at: number | null
  redeemed_at: number | null
  deposited_at: number | null
  updated_at: number
}

export const transferId = (planId: string, stepIdx: number) => `${planId}:${stepIdx}`

const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : num(v))

function fromRow(r: TransferRow): Transfer {
  if (!TRANSFER_STATES.includes(r.state as TransferState)) throw new StoreError(`store: transfer ${r.id}: unknown state "${r.state}"`)
  return {
    id: str(r.id),
    planId: str(r.plan_id),
    stepIdx: num(r.step_idx),
    redeemIdx: optNum(r.redeem_idx),
    sourceChain: str(r.source_chain),
    destChain: str(r.dest_chain),
    token: str(r.token),
    destToken: str(r.dest_token),
    recipient: str(r.recipient),
    amount: amountFromDb(r.amount, 'transfers.amount'),
    received: amountFromDb(r.received, 'transfers.received'),
    state: r.state as TransferState,
    sourceTx: optStr(r.source_tx),
    sourceBlock: r.source_block === null ? null : intFromDb(r.source_block, 'transfers.source_block'),
    sequence: r.sequence === null ? null : BigInt(r.sequence),
    emitter: optStr(r.emitter),
    vaa: optStr(r.vaa),
    destTx: optStr(r.dest_tx),
    destBlock: r.dest_block === null ? null : intFromDb(r.dest_block, 'transfers.dest_block'),
    attempts: num(r.attempts),
    lastError: optStr(r.last_error),
    heldReason: optStr(r.held_reason),
    releasedAt: r.released_at == null ? null : num(r.released_at),
    createdAt: num(r.created_at),
    initiatedAt: optNum(r.initiated_at),
    vaaAt: optNum(r.vaa_at),
    redeemedAt: optNum(r.redeemed_at),
    depositedAt: optNum(r.deposited_at),
    updatedAt: num(r.updated_at),
  }
}

const lower = (s: string) => s.toLowerCase()

export function createTransfers(db: Db, fence: FenceRef = {}): TransfersQueries {
  const get = async (id: string) => {
    const r = await db.get<TransferRow>('SELECT * FROM transfers WHERE id = ?', [id])
    return r ? fromRow(r) : undefined
  }
  const cas = async (id: string, from: readonly TransferState[], sets: string, args: (string | number | null)[]): Promise<boolean> => {
    const r = await db.run(`UPDATE transfers SET ${sets} WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`, [...args, id, ...from])
    return r.changes > 0
  }
  return {
    async create(input, at = Date.now()) {
      const id = transferId(input.planId, input.stepIdx)
      const where = `transfer ${id}`
      if (input.amount <= 0n || input.received <= 0n) throw new StoreError(`store: ${where}: amounts must be positive`)
      if (input.sourceChain === input.destChain) throw new StoreError(`store: ${where}: source and destination are the same chain`)
      return db.transaction(async () => {
        const existing = await get(id)
        if (existing) return { inserted: false, transfer: existing }
        await checkFence(db, fence)
        await db.run(
          `INSERT INTO transfers (id, plan_id, step_idx, redeem_idx, source_chain, dest_chain, token, dest_token, recipient, amount, received, state, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
          [
            id,
            input.planId,
            input.stepIdx,
            input.redeemIdx ?? null,
            input.sourceChain,
            input.destChain,
            lower(input.token),
            lower(input.destToken),
            lower(input.recipient),
            amountToDb(input.amount, `${where} amount`),
            amountToDb(input.received, `${where} received`),
            at,
            at,
          ],
        )
        return { inserted: true, transfer: (await get(id))! }
      })
    },

    get,

    async byStep(planId, stepIdx) {
      return get(transferId(planId, stepIdx))
    },

    async list(filter = {}) {
      const where: string[] = []
      const args: (string | number)[] = []
      if (filter.state !== undefined) {
        const states = typeof filter.state === 'string' ? [filter.state] : [...filter.state]
        where.push(`state IN (${states.map(() => '?').join(', ')})`)
        args.push(...states)
      }
      if (filter.planId !== undefined) {
        where.push('plan_id = ?')
        args.push(filter.planId)
      }
      const rows = await db.all<TransferRow>(
        `SELECT * FROM transfers ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`,
        [...args, filter.limit ?? 100],
      )
      return rows.map(fromRow)
    },

    async markInitiated(id, s, at = Date.now()) {
      return cas(id, ['pending'], "state = 'initiated', source_tx = ?, source_block = ?, sequence = ?, emitter = ?, initiated_at = ?, updated_at = ?", [
        lower(s.sourceTx),
        intToDb(s.sourceBlock, `transfer ${id} source_block`),
        s.sequence.toString(),
        lower(s.emitter),
        at,
        at,
      ])
    },

    async markVaaSigned(id, vaa, at = Date.now()) {
      if (!/^0x[0-9a-fA-F]+$/.test(vaa)) throw new StoreError(`store: transfer ${id}: the VAA must be 0x hex`)
      return cas(id, ['initiated'], "state = 'vaa_signed', vaa = ?, vaa_at = ?, last_error = NULL, updated_at = ?", [lower(vaa), at, at])
    },

    async markRedeemed(id, s, at = Date.now()) {
      return cas(id, ['initiated', 'vaa_signed'], "state = 'redeemed', dest_tx = ?, dest_block = ?, redeemed_at = ?, last_error = NULL, updated_at = ?", [
        s.destTx === null ? null : lower(s.destTx),
        s.destBlock === null ? null : intToDb(s.destBlock, `transfer ${id} dest_block`),
        at,
        at,
      ])
    },

    async markDeposited(id, at = Date.now()) {
      return cas(id, ['redeemed'], "state = 'deposited', deposited_at = ?, updated_at = ?", [at, at])
    },

    async markFailed(id, error, at = Date.now()) {
      return cas(id, ['pending'], "state = 'failed', last_error = ?, updated_at = ?", [error, at])
    },

    async recordError(id, error, at = Date.now()) {
      await db.run('UPDATE transfers SET attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?', [error, at, id])
    },

    async clearError(id, at = Date.now()) {
      await db.run('UPDATE transfers SET last_error = NULL, updated_at = ? WHERE id = ? AND last_error IS NOT NULL', [at, id])
    },

    async hold(id, reason, at = Date.now()) {
      const r = await db.run("UPDATE transfers SET held_reason = ?, updated_at = ? WHERE id = ? AND held_reason IS NULL AND state IN ('initiated', 'vaa_signed')", [reason, at, id])
      return r.changes > 0
    },

    async release(id, at = Date.now()) {
      const r = await db.run('UPDATE transfers SET held_reason = NULL, released_at = ?, updated_at = ? WHERE id = ? AND held_reason IS NOT NULL', [at, at, id])
      return r.changes > 0
    },

    async inFlightByChain() {
      const rows = await db.all<{ dest_chain: string; received: string }>(`SELECT dest_chain, received FROM transfers WHERE state IN ('initiated', 'vaa_signed')`)
      const out = new Map<string, bigint>()
      for (const r of rows) out.set(r.dest_chain, (out.get(r.dest_chain) ?? 0n) + amountFromDb(r.received, 'transfers.received'))
      return out
    },
  }
}
