import { amountFromDb, amountToDb, intFromDb, intToDb, num, optAmountFromDb, optIntFromDb, optStr, str, timeToDb } from './convert.js'
import { StoreError } from './errors.js'
import type { Db } from './sqlite.js'
import type { AttemptKind, AttemptStatus, Hex, Intent, IntentAttempt, IntentInput, IntentStatus, MinedInput, NonceRow, SignedTx } from './types.js'
import { checkFence, type FenceRef } from './leases.js'

/**
 * The exactly-once money path, written by the executor only (execution/createTxSender.ts).
 *
 * An intent is written (created) before anything is signed; its key is the idempotency key, so a
 * second `create` with the same key returns the first intent instead of a new one. Signing is
 * one transaction with the nonce: the nonce is taken from `nonces`, the signed raw tx and hash
 * are stored with it, and the next nonce advances — a crash leaves either nothing or a signed
 * tx that a restart rebroadcasts. Each signed tx is an attempt (intent_attempts); a stuck tx is
 * replaced by a new attempt with the same nonce, and whichever attempt is mined becomes the
 * intent's tx. Every status change is compare-and-set on the expected status.
 */
export interface IntentsQueries {
  /** Inserts a 'created' intent unless the key exists; returns the intent on record. */
  create(input: IntentInput): Promise<{ inserted: boolean; intent: Intent }>
  get(key: string): Promise<Intent | undefined>
  /** Intents by creation, optionally filtered; `keyPrefix` e.g. "p-1:" for a plan's intents. */
  list(filter?: { status?: IntentStatus | readonly IntentStatus[]; chain?: string; from?: Hex; keyPrefix?: string; limit?: number }): Promise<Intent[]>
  /**
   * Intents of an account on a chain that hold a signed tx not yet final (signed, broadcast,
   * mined), by nonce; with `includeCreated` also the created ones (after them, by creation).
   */
  open(chain: string, from: Hex, opts?: { includeCreated?: boolean }): Promise<Intent[]>
  /**
   * created → signed in one transaction: nonce = max(stored next nonce, `minNonce`, highest
   * nonce of this account's intents + 1); `sign(nonce)` is called inside the transaction (it
   * must be local and quick: the write lock is held) and its raw tx is stored as attempt 1; the
   * next nonce advances. When the intent is not 'created' (already signed by someone) nothing is
   * signed and `signed` is false. When the transaction cannot commit (a full disk between the
   * signature and COMMIT) the signed bytes are dropped with the rollback — never returned, so
   * never sent — and the intent stays 'created' with no nonce taken.
   */
  sign(key: string, opts: { minNonce: bigint; sign: (nonce: bigint) => Promise<SignedTx>; at?: number }): Promise<{ signed: boolean; intent: Intent }>
  /**
   * signed → broadcast, for the current attempt `txHash`. `headBlock` (the chain head when sent)
   * is kept from the attempt's first broadcast: it starts the stuck-tx clock.
   */
  markBroadcast(key: string, txHash: Hex, opts: { headBlock: bigint; at?: number }): Promise<boolean>
  /** Records the last error of an intent (and of an attempt); the status does not change. */
  recordError(key: string, error: string, opts?: { txHash?: Hex; at?: number }): Promise<void>
  /**
   * A replacement with the same nonce: while the current attempt is `expectedTxHash` and the
   * intent is signed or broadcast, that attempt becomes 'replaced', the new one is stored
   * (status signed) and becomes the intent's tx; the intent goes back to 'signed' until it is
   * broadcast. Returns false when the intent moved on meanwhile. `kind` 'cancel': the new attempt
   * is a cancellation (a 0-value self-transfer with the same nonce), not the intent's call.
   */
  replace(key: string, expectedTxHash: Hex, signed: SignedTx, at?: number, kind?: AttemptKind): Promise<boolean>
  /**
   * signed | broadcast → mined, with the receipt of any of the intent's attempts: that attempt
   * becomes the intent's tx (status 'mined'), every other one 'replaced'.
   */
  markMined(key: string, receipt: MinedInput, at?: number): Promise<boolean>
  /** mined → broadcast: the receipt disappeared (reorg); the mined attempt is sent again. */
  markUnmined(key: string, at?: number, opts?: { headBlock?: bigint }): Promise<boolean>
  /** mined (successful receipt of the intent's call, not of a cancellation) → confirmed. */
  markConfirmed(key: string, at?: number): Promise<boolean>
  /** mined, with the receipt of a 'cancel' attempt → cancelled (final: the call never happened). */
  markCancelled(key: string, at?: number): Promise<boolean>
  /**
   * → failed while the intent is in `from`. From 'created' (pre-flight revert) or 'mined' (a
   * reverted receipt, final). From signed/broadcast only when the tx can never be mined (its
   * nonce was consumed by another tx): never otherwise, since the signed tx may still land.
   */
  markFailed(key: string, error: string, opts: { from: IntentStatus | readonly IntentStatus[]; at?: number }): Promise<boolean>
  /** Every signed attempt of an intent, in order. */
  attempts(key: string): Promise<IntentAttempt[]>
  /** The next nonce the store will hand out for an account (undefined: never used). */
  nonce(chain: string, address: Hex): Promise<NonceRow | undefined>
}

export const INTENT_STATUSES: readonly IntentStatus[] = ['created', 'signed', 'broadcast', 'mined', 'confirmed', 'failed', 'cancelled']
/** Statuses no intent leaves. */
export const FINAL_INTENT_STATUSES: readonly IntentStatus[] = ['confirmed', 'failed', 'cancelled']

interface IntentRow {
  key: string
  chain: string
  from_address: string
  to_address: string
  data: string
  value: string
  status: string
  nonce: number | null
  raw_tx: string | null
  tx_hash: string | null
  gas_limit: string | null
  max_fee_per_gas: string | null
  max_priority_fee_per_gas: string | null
  gas_used: string | null
  effective_gas_price: string | null
  block_number: number | null
  block_hash: string | null
  receipt_status: string | null
  error: string | null
  attempts: number
  created_at: number
  updated_at: number
}

interface AttemptRow {
  intent_key: string
  n: number
  tx_hash: string
  raw_tx: string
  nonce: number
  gas_limit: string
  max_fee_per_gas: string
  max_priority_fee_per_gas: string
  status: string
  kind: string
  broadcast_block: number | null
  error: string | null
  created_at: number
  updated_at: number
}

interface NonceDbRow {
  chain: string
  address: string
  next_nonce: number
  updated_at: number
}

const HEX = /^0x[0-9a-fA-F]*$/
const ADDRESS = /^0x[0-9a-fA-F]{40}$/
const HASH = /^0x[0-9a-fA-F]{64}$/

function hexIn(value: string, field: string, re = HEX): Hex {
  if (typeof value !== 'string' || !re.test(value)) throw new StoreError(`store: ${field} must be 0x-prefixed hex${re === ADDRESS ? ' (an address)' : re === HASH ? ' (32 bytes)' : ''}`)
  return value.toLowerCase() as Hex
}

function intentFromRow(r: IntentRow): Intent {
  return {
    key: str(r.key),
    chain: str(r.chain),
    from: str(r.from_address) as Hex,
    to: str(r.to_address) as Hex,
    data: str(r.data) as Hex,
    value: amountFromDb(r.value, 'intents.value'),
    status: r.status as IntentStatus,
    nonce: optIntFromDb(r.nonce, 'intents.nonce'),
    rawTx: optStr(r.raw_tx) as Hex | null,
    txHash: optStr(r.tx_hash) as Hex | null,
    gasLimit: optAmountFromDb(r.gas_limit, 'intents.gas_limit'),
    maxFeePerGas: optAmountFromDb(r.max_fee_per_gas, 'intents.max_fee_per_gas'),
    maxPriorityFeePerGas: optAmountFromDb(r.max_priority_fee_per_gas, 'intents.max_priority_fee_per_gas'),
    gasUsed: optAmountFromDb(r.gas_used, 'intents.gas_used'),
    effectiveGasPrice: optAmountFromDb(r.effective_gas_price, 'intents.effective_gas_price'),
    blockNumber: optIntFromDb(r.block_number, 'intents.block_number'),
    blockHash: optStr(r.block_hash) as Hex | null,
    receiptStatus: r.receipt_status === 'success' || r.receipt_status === 'reverted' ? r.receipt_status : null,
    error: optStr(r.error),
    attempts: num(r.attempts),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  }
}

function attemptFromRow(r: AttemptRow): IntentAttempt {
  return {
    intentKey: str(r.intent_key),
    n: num(r.n),
    txHash: str(r.tx_hash) as Hex,
    rawTx: str(r.raw_tx) as Hex,
    nonce: intFromDb(r.nonce, 'intent_attempts.nonce'),
    gasLimit: amountFromDb(r.gas_limit, 'intent_attempts.gas_limit'),
    maxFeePerGas: amountFromDb(r.max_fee_per_gas, 'intent_attempts.max_fee_per_gas'),
    maxPriorityFeePerGas: amountFromDb(r.max_priority_fee_per_gas, 'intent_attempts.max_priority_fee_per_gas'),
    status: r.status as AttemptStatus,
    kind: r.kind === 'cancel' ? 'cancel' : 'tx',
    broadcastBlock: optIntFromDb(r.broadcast_block, 'intent_attempts.broadcast_block'),
    error: optStr(r.error),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  }
}

function signedToDb(key: string, s: SignedTx): { rawTx: Hex; txHash: Hex; gas: string; maxFee: string; tip: string } {
  const where = `intent ${key}`
  if (s.gasLimit <= 0n || s.maxFeePerGas < 0n || s.maxPriorityFeePerGas < 0n) throw new StoreError(`store: ${where}: gas and fees must be positive`)
  return {
    rawTx: hexIn(s.rawTx, `${where} rawTx`),
    txHash: hexIn(s.txHash, `${where} txHash`, HASH),
    gas: amountToDb(s.gasLimit, `${where} gasLimit`),
    maxFee: amountToDb(s.maxFeePerGas, `${where} maxFeePerGas`),
    tip: amountToDb(s.maxPriorityFeePerGas, `${where} maxPriorityFeePerGas`),
  }
}

const asList = <T>(v: T | readonly T[]): readonly T[] => (Array.isArray(v) ? (v as readonly T[]) : [v as T])
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ')

export function createIntents(db: Db, fence: FenceRef = {}): IntentsQueries {
  const get = async (key: string) => {
    const row = await db.get<IntentRow>('SELECT * FROM intents WHERE key = ?', [key])
    return row ? intentFromRow(row) : undefined
  }
  const mustGet = async (key: string) => {
    const intent = await get(key)
    if (!intent) throw new StoreError(`store: intent ${key} vanished`)
    return intent
  }
  const now = (at: number | undefined, field: string) => timeToDb(at ?? Date.now(), field)

  const q: IntentsQueries = {
    async create(input) {
      const where = `intent ${input.key}`
      if (!input.key || !input.chain) throw new StoreError(`store: ${where}: key and chain are required`)
      if ((input.value ?? 0n) < 0n) throw new StoreError(`store: ${where}: value cannot be negative`)
      const at = now(input.at, `${where} at`)
      const row = [
        input.key,
        input.chain,
        hexIn(input.from, `${where} from`, ADDRESS),
        hexIn(input.to, `${where} to`, ADDRESS),
        hexIn(input.data, `${where} data`),
        amountToDb(input.value ?? 0n, `${where} value`),
        at,
        at,
      ]
      return db.transaction(async () => {
        await checkFence(db, fence)
        const res = await db.run(
          `INSERT INTO intents (key, chain, from_address, to_address, data, value, status, attempts, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'created', 0, ?, ?) ON CONFLICT (key) DO NOTHING`,
          row,
        )
        return { inserted: res.changes > 0, intent: await mustGet(input.key) }
      })
    },

    get,

    async list(filter = {}) {
      const where: string[] = []
      const params: (string | number)[] = []
      if (filter.status !== undefined) {
        const statuses = asList(filter.status)
        if (statuses.length === 0) return []
        where.push(`status IN (${marks(statuses.length)})`)
        params.push(...statuses)
      }
      if (filter.chain !== undefined) {
        where.push('chain = ?')
        params.push(filter.chain)
      }
      if (filter.from !== undefined) {
        where.push('from_address = ?')
        params.push(filter.from.toLowerCase())
      }
      if (filter.keyPrefix !== undefined) {
        // substr instead of LIKE: no wildcard escaping, same in PostgreSQL.
        where.push('substr(key, 1, ?) = ?')
        params.push(filter.keyPrefix.length, filter.keyPrefix)
      }
      params.push(Math.max(0, Math.floor(filter.limit ?? 1000)))
      const rows = await db.all<IntentRow>(`SELECT * FROM intents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, key LIMIT ?`, params)
      return rows.map(intentFromRow)
    },

    async open(chain, from, opts = {}) {
      const signed = await db.all<IntentRow>(
        "SELECT * FROM intents WHERE chain = ? AND from_address = ? AND status IN ('signed', 'broadcast', 'mined') ORDER BY nonce, key",
        [chain, from.toLowerCase()],
      )
      const created = opts.includeCreated
        ? await db.all<IntentRow>("SELECT * FROM intents WHERE chain = ? AND from_address = ? AND status = 'created' ORDER BY created_at, key", [chain, from.toLowerCase()])
        : []
      return [...signed, ...created].map(intentFromRow)
    },

    async sign(key, opts) {
      if (typeof opts.minNonce !== 'bigint' || opts.minNonce < 0n) throw new StoreError(`store: intent ${key}: minNonce must be a non-negative bigint`)
      const at = now(opts.at, `intent ${key} sign at`)
      return db.transaction(async () => {
        const intent = await get(key)
        if (!intent) throw new StoreError(`store: intent ${key}: no such intent`)
        if (intent.status !== 'created') return { signed: false, intent }
        await checkFence(db, fence)
        const stored = await db.get<{ next_nonce: number }>('SELECT next_nonce FROM nonces WHERE chain = ? AND address = ?', [intent.chain, intent.from])
        const used = await db.get<{ n: number | null }>('SELECT MAX(nonce) AS n FROM intents WHERE chain = ? AND from_address = ?', [intent.chain, intent.from])
        let nonce = opts.minNonce
        if (stored && BigInt(stored.next_nonce) > nonce) nonce = BigInt(stored.next_nonce)
        if (used?.n !== null && used?.n !== undefined && BigInt(used.n) + 1n > nonce) nonce = BigInt(used.n) + 1n
        const s = signedToDb(key, await opts.sign(nonce))
        const n = intToDb(nonce, `intent ${key} nonce`)
        await db.run(
          `UPDATE intents SET status = 'signed', nonce = ?, raw_tx = ?, tx_hash = ?, gas_limit = ?, max_fee_per_gas = ?, max_priority_fee_per_gas = ?,
             attempts = 1, error = NULL, updated_at = ? WHERE key = ? AND status = 'created'`,
          [n, s.rawTx, s.txHash, s.gas, s.maxFee, s.tip, at, key],
        )
        await db.run(
          `INSERT INTO intent_attempts (intent_key, n, tx_hash, raw_tx, nonce, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, status, broadcast_block, error, created_at, updated_at)
           VALUES (?, 1, ?, ?, ?, ?, ?, ?, 'signed', NULL, NULL, ?, ?)`,
          [key, s.txHash, s.rawTx, n, s.gas, s.maxFee, s.tip, at, at],
        )
        await db.run(
          `INSERT INTO nonces (chain, address, next_nonce, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (chain, address) DO UPDATE SET next_nonce = excluded.next_nonce, updated_at = excluded.updated_at`,
          [intent.chain, intent.from, n + 1, at],
        )
        return { signed: true, intent: await mustGet(key) }
      })
    },

    async markBroadcast(key, txHash, opts) {
      const at = now(opts.at, `intent ${key} broadcast at`)
      const head = intToDb(opts.headBlock, `intent ${key} headBlock`)
      const hash = hexIn(txHash, `intent ${key} txHash`, HASH)
      return db.transaction(async () => {
        const res = await db.run("UPDATE intents SET status = 'broadcast', updated_at = ? WHERE key = ? AND status = 'signed' AND tx_hash = ?", [at, key, hash])
        if (res.changes === 0) return false
        await db.run(
          `UPDATE intent_attempts SET status = 'broadcast', broadcast_block = COALESCE(broadcast_block, ?), error = NULL, updated_at = ?
           WHERE intent_key = ? AND tx_hash = ? AND status IN ('signed', 'broadcast')`,
          [head, at, key, hash],
        )
        return true
      })
    },

    async recordError(key, error, opts = {}) {
      const at = now(opts.at, `intent ${key} error at`)
      await db.transaction(async () => {
        await db.run('UPDATE intents SET error = ?, updated_at = ? WHERE key = ?', [error, at, key])
        if (opts.txHash) await db.run('UPDATE intent_attempts SET error = ?, updated_at = ? WHERE intent_key = ? AND tx_hash = ?', [error, at, key, opts.txHash.toLowerCase()])
      })
    },

    async replace(key, expectedTxHash, signed, at, kind = 'tx') {
      const when = now(at, `intent ${key} replace at`)
      if (kind !== 'tx' && kind !== 'cancel') throw new StoreError(`store: intent ${key}: attempt kind must be "tx" or "cancel"`)
      const s = signedToDb(key, signed)
      const expected = hexIn(expectedTxHash, `intent ${key} expectedTxHash`, HASH)
      return db.transaction(async () => {
        const intent = await get(key)
        if (!intent || intent.txHash !== expected || (intent.status !== 'signed' && intent.status !== 'broadcast') || intent.nonce === null) return false
        await checkFence(db, fence)
        const n = intent.attempts + 1
        await db.run("UPDATE intent_attempts SET status = 'replaced', updated_at = ? WHERE intent_key = ? AND tx_hash = ?", [when, key, expected])
        await db.run(
          `INSERT INTO intent_attempts (intent_key, n, tx_hash, raw_tx, nonce, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, status, broadcast_block, error, created_at, updated_at, kind)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'signed', NULL, NULL, ?, ?, ?)`,
          [key, n, s.txHash, s.rawTx, intToDb(intent.nonce, `intent ${key} nonce`), s.gas, s.maxFee, s.tip, when, when, kind],
        )
        await db.run(
          `UPDATE intents SET status = 'signed', raw_tx = ?, tx_hash = ?, gas_limit = ?, max_fee_per_gas = ?, max_priority_fee_per_gas = ?, attempts = ?, updated_at = ?
           WHERE key = ?`,
          [s.rawTx, s.txHash, s.gas, s.maxFee, s.tip, n, when, key],
        )
        return true
      })
    },

    async markMined(key, r, at) {
      const when = now(at, `intent ${key} mined at`)
      const hash = hexIn(r.txHash, `intent ${key} txHash`, HASH)
      return db.transaction(async () => {
        const attempt = await db.get<AttemptRow>('SELECT * FROM intent_attempts WHERE intent_key = ? AND tx_hash = ?', [key, hash])
        if (!attempt) throw new StoreError(`store: intent ${key}: ${hash} is not one of its transactions`)
        const res = await db.run(
          `UPDATE intents SET status = 'mined', raw_tx = ?, tx_hash = ?, gas_limit = ?, max_fee_per_gas = ?, max_priority_fee_per_gas = ?,
             block_number = ?, block_hash = ?, receipt_status = ?, gas_used = ?, effective_gas_price = ?, error = NULL, updated_at = ?
           WHERE key = ? AND status IN ('signed', 'broadcast')`,
          [
            attempt.raw_tx,
            hash,
            attempt.gas_limit,
            attempt.max_fee_per_gas,
            attempt.max_priority_fee_per_gas,
            intToDb(r.blockNumber, `intent ${key} blockNumber`),
            hexIn(r.blockHash, `intent ${key} blockHash`, HASH),
            r.receiptStatus,
            amountToDb(r.gasUsed, `intent ${key} gasUsed`),
            amountToDb(r.effectiveGasPrice, `intent ${key} effectiveGasPrice`),
            when,
            key,
          ],
        )
        if (res.changes === 0) return false
        await db.run("UPDATE intent_attempts SET status = CASE WHEN tx_hash = ? THEN 'mined' ELSE 'replaced' END, updated_at = ? WHERE intent_key = ?", [hash, when, key])
        return true
      })
    },

    async markUnmined(key, at, opts) {
      const when = now(at, `intent ${key} unmined at`)
      const head = opts?.headBlock === undefined ? null : intToDb(opts.headBlock, `intent ${key} headBlock`)
      return db.transaction(async () => {
        const res = await db.run(
          `UPDATE intents SET status = 'broadcast', block_number = NULL, block_hash = NULL, receipt_status = NULL, gas_used = NULL, effective_gas_price = NULL, updated_at = ?
           WHERE key = ? AND status = 'mined'`,
          [when, key],
        )
        if (res.changes === 0) return false
        // headBlock: the re-send after a reorg restarts the stuck-tx clock of that attempt.
        await db.run("UPDATE intent_attempts SET status = 'broadcast', broadcast_block = COALESCE(?, broadcast_block), updated_at = ? WHERE intent_key = ? AND status = 'mined'", [head, when, key])
        return true
      })
    },

    async markConfirmed(key, at) {
      const res = await db.run(
        `UPDATE intents SET status = 'confirmed', updated_at = ? WHERE key = ? AND status = 'mined' AND receipt_status = 'success'
           AND tx_hash IN (SELECT tx_hash FROM intent_attempts WHERE intent_key = ? AND kind = 'tx')`,
        [now(at, `intent ${key} confirmed at`), key, key],
      )
      return res.changes > 0
    },

    async markCancelled(key, at) {
      const res = await db.run(
        `UPDATE intents SET status = 'cancelled', updated_at = ? WHERE key = ? AND status = 'mined'
           AND tx_hash IN (SELECT tx_hash FROM intent_attempts WHERE intent_key = ? AND kind = 'cancel')`,
        [now(at, `intent ${key} cancelled at`), key, key],
      )
      return res.changes > 0
    },

    async markFailed(key, error, opts) {
      const from = asList(opts.from).filter((s) => !FINAL_INTENT_STATUSES.includes(s))
      if (from.length === 0) throw new StoreError(`store: intent ${key}: markFailed needs a non-final expected status`)
      const res = await db.run(`UPDATE intents SET status = 'failed', error = ?, updated_at = ? WHERE key = ? AND status IN (${marks(from.length)})`, [
        error,
        now(opts.at, `intent ${key} failed at`),
        key,
        ...from,
      ])
      return res.changes > 0
    },

    async attempts(key) {
      return (await db.all<AttemptRow>('SELECT * FROM intent_attempts WHERE intent_key = ? ORDER BY n', [key])).map(attemptFromRow)
    },

    async nonce(chain, address) {
      const row = await db.get<NonceDbRow>('SELECT * FROM nonces WHERE chain = ? AND address = ?', [chain, address.toLowerCase()])
      return row ? { chain: str(row.chain), address: str(row.address) as Hex, nextNonce: intFromDb(row.next_nonce, 'nonces.next_nonce'), updatedAt: num(row.updated_at) } : undefined
    },
  }
  return q
}
