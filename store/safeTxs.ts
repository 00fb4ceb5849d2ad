import { jsonFromDb, jsonToDb, num, optNum, optStr, str } from './convert.js'
import { StoreError } from './errors.js'
import type { Db } from './sqlite.js'

/**
 * Committee plans' Safe transactions (custody "safe"), written by the executor only: one per plan
 * and chain, stored before anyone signs it (migration 012). The stored SafeTx is what gets
 * executed; a transaction service only ever supplies signatures. Status changes are
 * compare-and-set on the expected status.
 */

export type SafeTxStatus = 'proposed' | 'executing' | 'executed' | 'cancelled' | 'failed'
export const SAFE_TX_STATUSES: readonly SafeTxStatus[] = ['proposed', 'executing', 'executed', 'cancelled', 'failed']
export const OPEN_SAFE_TX_STATUSES: readonly SafeTxStatus[] = ['proposed', 'executing']

/** The SafeTx fields (EIP-712 SafeTx), numbers as decimal strings. */
export interface SafeTxData {
  to: string
  value: string
  data: string
  operation: number
  safeTxGas: string
  baseGas: string
  gasPrice: string
  gasToken: string
  refundReceiver: string
  nonce: string
}

/**
 * The Safe tx executed on an anvil fork of its chain before anyone signed it (execution/committee/
 * forkSimulate.ts): amounts as decimal strings in the venue asset's raw units, values in the chain's
 * collateral (null: the rates to value it were unknown).
 */
export interface SafeTxForkSimulation {
  /** The real chain's block the fork was taken at. */
  block: string
  /** Gas of the fork's execTransaction. */
  gasUsed: string
  positions: Array<{ venueId: string; idle: boolean; before: string; after: string; valueBefore: string | null; valueAfter: string | null }>
}

export interface SafeTxRecord {
  planId: string
  chain: string
  safe: string
  safeTxHash: string
  nonce: number
  createdBlock: bigint
  tx: SafeTxData
  status: SafeTxStatus
  /** Owners whose signatures were last verified on chain. */
  confirmations: string[]
  threshold: number | null
  execIntentKey: string | null
  executedTx: string | null
  error: string | null
  /** Positions before/after on a fork (null: not simulated on a fork). */
  forkSimulation: SafeTxForkSimulation | null
  createdAt: number
  updatedAt: number
}

export interface SafeTxInput {
  planId: string
  chain: string
  safe: string
  safeTxHash: string
  tx: SafeTxData
  /** The chain head when stored. */
  createdBlock: bigint
  /** The fork simulation, stored with the tx (the approval request shows it). */
  forkSimulation?: SafeTxForkSimulation
  at?: number
}

export interface SafeTxsQueries {
  /** Inserts a 'proposed' Safe tx unless the plan has one on that chain; returns the one on record. */
  create(input: SafeTxInput): Promise<{ inserted: boolean; safeTx: SafeTxRecord }>
  get(planId: string, chain: string): Promise<SafeTxRecord | undefined>
  byHash(chain: string, safeTxHash: string): Promise<SafeTxRecord | undefined>
  ofPlan(planId: string): Promise<SafeTxRecord[]>
  list(filter?: { status?: SafeTxStatus | readonly SafeTxStatus[]; limit?: number }): Promise<SafeTxRecord[]>
  /** The verified confirmations and threshold last read (no status change). */
  setConfirmations(planId: string, chain: string, owners: readonly string[], threshold: number, at?: number): Promise<void>
  /** Compare-and-set status change. */
  transition(planId: string, chain: string, from: SafeTxStatus | readonly SafeTxStatus[], to: SafeTxStatus, extra?: { execIntentKey?: string; executedTx?: string; error?: string; at?: number }): Promise<boolean>
}

interface Row {
  plan_id: string
  chain: string
  safe: string
  safe_tx_hash: string
  nonce: number
  created_block: number
  tx: string
  status: string
  confirmations: string
  threshold: number | null
  exec_intent_key: string | null
  executed_tx: string | null
  error: string | null
  fork_simulation: string | null
  created_at: number
  updated_at: number
}

function fromRow(r: Row): SafeTxRecord {
  return {
    planId: str(r.plan_id), chain: str(r.chain), safe: str(r.safe), safeTxHash: str(r.safe_tx_hash), nonce: num(r.nonce), createdBlock: BigInt(r.created_block),
    tx: jsonFromDb(r.tx) as SafeTxData, status: r.status as SafeTxStatus, confirmations: jsonFromDb(r.confirmations) as string[],
    threshold: optNum(r.threshold), execIntentKey: optStr(r.exec_intent_key), executedTx: optStr(r.executed_tx), error: optStr(r.error),
    forkSimulation: r.fork_simulation === null || r.fork_simulation === undefined ? null : (jsonFromDb(r.fork_simulation) as SafeTxForkSimulation),
    createdAt: num(r.created_at), updatedAt: num(r.updated_at),
  }
}

export function createSafeTxs(db: Db): SafeTxsQueries {
  const get = async (planId: string, chain: string) => {
    const r = await db.get<Row>('SELECT * FROM safe_txs WHERE plan_id = ? AND chain = ?', [planId, chain])
    return r ? fromRow(r) : undefined
  }
  return {
    async create(input) {
      if (!/^0x[0-9a-fA-F]{64}$/.test(input.safeTxHash)) throw new StoreError(`safe tx of plan ${input.planId}: safeTxHash "${input.safeTxHash}" is not a 32-byte hex hash`)
      if (!/^\d+$/.test(input.tx.nonce)) throw new StoreError(`safe tx of plan ${input.planId}: nonce "${input.tx.nonce}" is not a non-negative integer`)
      const at = input.at ?? Date.now()
      const res = await db.run(
        `INSERT INTO safe_txs (plan_id, chain, safe, safe_tx_hash, nonce, created_block, tx, status, fork_simulation, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?)
         ON CONFLICT (plan_id, chain) DO NOTHING`,
        [input.planId, input.chain, input.safe.toLowerCase(), input.safeTxHash.toLowerCase(), Number(input.tx.nonce), Number(input.createdBlock), jsonToDb(input.tx), input.forkSimulation ? jsonToDb(input.forkSimulation) : null, at, at],
      )
      const safeTx = await get(input.planId, input.chain)
      if (!safeTx) throw new StoreError(`safe tx of plan ${input.planId} on ${input.chain}: not found after insert`)
      return { inserted: res.changes > 0, safeTx }
    },
    get,
    async byHash(chain, safeTxHash) {
      const r = await db.get<Row>('SELECT * FROM safe_txs WHERE chain = ? AND safe_tx_hash = ?', [chain, safeTxHash.toLowerCase()])
      return r ? fromRow(r) : undefined
    },
    async ofPlan(planId) {
      return (await db.all<Row>('SELECT * FROM safe_txs WHERE plan_id = ? ORDER BY chain', [planId])).map(fromRow)
    },
    async list(filter = {}) {
      const where: string[] = []
      const params: (string | number)[] = []
      if (filter.status !== undefined) {
        const s = typeof filter.status === 'string' ? [filter.status] : [...filter.status]
        where.push(`status IN (${s.map(() => '?').join(', ')})`)
        params.push(...s)
      }
      const sql = `SELECT * FROM safe_txs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, plan_id, chain LIMIT ?`
      return (await db.all<Row>(sql, [...params, filter.limit ?? 100])).map(fromRow)
    },
    async setConfirmations(planId, chain, owners, threshold, at) {
      await db.run('UPDATE safe_txs SET confirmations = ?, threshold = ?, updated_at = ? WHERE plan_id = ? AND chain = ?', [jsonToDb([...owners]), threshold, at ?? Date.now(), planId, chain])
    },
    async transition(planId, chain, from, to, extra = {}) {
      const f = typeof from === 'string' ? [from] : [...from]
      const res = await db.run(
        `UPDATE safe_txs SET status = ?, exec_intent_key = COALESCE(?, exec_intent_key), executed_tx = COALESCE(?, executed_tx), error = COALESCE(?, error), updated_at = ?
         WHERE plan_id = ? AND chain = ? AND status IN (${f.map(() => '?').join(', ')})`,
        [to, extra.execIntentKey ?? null, extra.executedTx ?? null, extra.error ?? null, extra.at ?? Date.now(), planId, chain, ...f],
      )
      return res.changes > 0
    },
  }
}
