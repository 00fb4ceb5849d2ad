import { jsonFromDb, jsonToDb, num, optNum, optStr, str, timeToDb } from './convert.js'
import { StoreError } from './errors.js'
import type { Db } from './sqlite.js'

/**
 * The Telegram agent's tables: inline-button callbacks (a random nonce per button, looked up
 * here: callback data that is not a stored nonce is forged or stale) and per-chat delivery of
 * the alert outbox (an alert row is marked delivered in `alerts` once every target chat has a
 * final status here).
 */

export type CallbackKind = 'confirm' | 'offer'

export interface CallbackInput {
  nonce: string
  kind: CallbackKind
  action: string
  args: unknown
  /** Confirmations: the only user who may press it. */
  userId?: number | null
  chatId: number
  /** ms; null: never expires. */
  expiresAt?: number | null
  at?: number
}

export interface Callback {
  nonce: string
  kind: CallbackKind
  action: string
  args: unknown
  userId: number | null
  chatId: number
  createdAt: number
  expiresAt: number | null
  usedAt: number | null
  usedBy: number | null
}

export type ConsumeResult =
  | { status: 'ok'; callback: Callback }
  | { status: 'unknown' }
  | { status: 'expired' | 'used' | 'other-user'; callback: Callback }

export type DeliveryStatus = 'pending' | 'sent' | 'suppressed' | 'muted' | 'digested' | 'skipped' | 'failed'
const FINAL: readonly DeliveryStatus[] = ['sent', 'suppressed', 'muted', 'digested', 'skipped', 'failed']

export interface Delivery {
  alertId: number
  chatId: number
  status: DeliveryStatus
  at: number
  attempts: number
  messageId: number | null
  error: string | null
}

export interface TelegramQueries {
  createCallback(input: CallbackInput): Promise<void>
  getCallback(nonce: string): Promise<Callback | undefined>
  /**
   * Uses a confirmation exactly once: atomically checks it exists, is a confirmation, belongs to
   * `userId`, has not expired and was not used, and marks it used. Nothing changes otherwise.
   */
  consumeConfirmation(nonce: string, userId: number, at?: number): Promise<ConsumeResult>
  /** Deletes callbacks created before `before` (ms) that are used or expired; returns how many. */
  pruneCallbacks(before: number): Promise<number>

  /** The delivery rows of an alert (one per chat that has one). */
  deliveries(alertId: number): Promise<Delivery[]>
  /** Records a final status for (alert, chat); a final status already recorded is kept. Returns whether it was written. */
  settle(alertId: number, chatId: number, status: Exclude<DeliveryStatus, 'pending'>, opts?: { messageId?: number | null; error?: string | null; at?: number }): Promise<boolean>
  /** Counts a failed attempt for (alert, chat) (status stays pending); returns the attempts so far. */
  recordAttempt(alertId: number, chatId: number, error: string, at?: number): Promise<number>
  /**
   * Whether an alert with this dedup key and kind was sent to the chat at or after `since` (ms).
   */
  sentSince(chatId: number, dedupKey: string, kind: string, since: number): Promise<boolean>
  /** The kind ('open' | 'recovery') of the newest alert with this dedup key sent to the chat, if any. */
  lastSentKind(chatId: number, dedupKey: string): Promise<string | undefined>
}

interface CallbackRow {
  nonce: string
  kind: string
  action: string
  args: string
  user_id: number | null
  chat_id: number
  created_at: number
  expires_at: number | null
  used_at: number | null
  used_by: number | null
}

interface DeliveryRow {
  alert_id: number
  chat_id: number
  status: string
  at: number
  attempts: number
  message_id: number | null
  error: string | null
}

const callbackFromRow = (r: CallbackRow): Callback => ({
  nonce: str(r.nonce),
  kind: r.kind as CallbackKind,
  action: str(r.action),
  args: jsonFromDb(r.args),
  userId: optNum(r.user_id),
  chatId: num(r.chat_id),
  createdAt: num(r.created_at),
  expiresAt: optNum(r.expires_at),
  usedAt: optNum(r.used_at),
  usedBy: optNum(r.used_by),
})

const deliveryFromRow = (r: DeliveryRow): Delivery => ({
  alertId: num(r.alert_id),
  chatId: num(r.chat_id),
  status: r.status as DeliveryStatus,
  at: num(r.at),
  attempts: num(r.attempts),
  messageId: optNum(r.message_id),
  error: optStr(r.error),
})

const chatToDb = (id: number): number => {
  if (!Number.isSafeInteger(id)) throw new StoreError(`store: chat/user id ${String(id)} is not a safe integer`)
  return id
}

export function createTelegram(db: Db): TelegramQueries {
  return {
    async createCallback(input) {
      if (!/^[A-Za-z0-9_-]{16,60}$/.test(input.nonce)) throw new StoreError('store: callback nonce must be 16–60 url-safe characters')
      await db.run(
        'INSERT INTO telegram_callbacks (nonce, kind, action, args, user_id, chat_id, created_at, expires_at, used_at, used_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)',
        [
          input.nonce,
          input.kind,
          input.action,
          jsonToDb(input.args ?? {}),
          input.userId == null ? null : chatToDb(input.userId),
          chatToDb(input.chatId),
          timeToDb(input.at ?? Date.now(), 'callback at'),
          input.expiresAt == null ? null : timeToDb(input.expiresAt, 'callback expiresAt'),
        ],
      )
    },

    async getCallback(nonce) {
      const row = await db.get<CallbackRow>('SELECT * FROM telegram_callbacks WHERE nonce = ?', [nonce])
      return row ? callbackFromRow(row) : undefined
    },

    async consumeConfirmation(nonce, userId, at) {
      const now = timeToDb(at ?? Date.now(), 'consume at')
      return db.transaction(async (): Promise<ConsumeResult> => {
        const row = await db.get<CallbackRow>('SELECT * FROM telegram_callbacks WHERE nonce = ?', [nonce])
        if (!row || row.kind !== 'confirm') return { status: 'unknown' }
        const callback = callbackFromRow(row)
        if (callback.userId !== userId) return { status: 'other-user', callback }
        if (callback.usedAt !== null) return { status: 'used', callback }
        if (callback.expiresAt !== null && callback.expiresAt <= now) return { status: 'expired', callback }
        const res = await db.run('UPDATE telegram_callbacks SET used_at = ?, used_by = ? WHERE nonce = ? AND used_at IS NULL', [now, chatToDb(userId), nonce])
        if (res.changes === 0) return { status: 'used', callback }
        return { status: 'ok', callback: { ...callback, usedAt: now, usedBy: userId } }
      })
    },

    async pruneCallbacks(before) {
      const t = timeToDb(before, 'prune before')
      const res = await db.run('DELETE FROM telegram_callbacks WHERE created_at < ? AND (used_at IS NOT NULL OR (expires_at IS NOT NULL AND expires_at < ?))', [t, t])
      return res.changes
    },

    async deliveries(alertId) {
      return (await db.all<DeliveryRow>('SELECT * FROM telegram_deliveries WHERE alert_id = ? ORDER BY chat_id', [alertId])).map(deliveryFromRow)
    },

    async settle(alertId, chatId, status, opts = {}) {
      if (!FINAL.includes(status)) throw new StoreError(`store: delivery status must be one of ${FINAL.join(', ')}`)
      const at = timeToDb(opts.at ?? Date.now(), 'delivery at')
      const res = await db.run(
        `INSERT INTO telegram_deliveries (alert_id, chat_id, status, at, attempts, message_id, error) VALUES (?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT (alert_id, chat_id) DO UPDATE SET status = excluded.status, at = excluded.at, message_id = excluded.message_id, error = excluded.error
         WHERE telegram_deliveries.status = 'pending'`,
        [alertId, chatToDb(chatId), status, at, opts.messageId ?? null, opts.error ?? null],
      )
      return res.changes > 0
    },

    async recordAttempt(alertId, chatId, error, at) {
      const t = timeToDb(at ?? Date.now(), 'delivery at')
      const row = await db.get<{ attempts: number }>(
        `INSERT INTO telegram_deliveries (alert_id, chat_id, status, at, attempts, message_id, error) VALUES (?, ?, 'pending', ?, 1, NULL, ?)
         ON CONFLICT (alert_id, chat_id) DO UPDATE SET attempts = telegram_deliveries.attempts + 1, at = excluded.at, error = excluded.error
         WHERE telegram_deliveries.status = 'pending'
         RETURNING attempts`,
        [alertId, chatToDb(chatId), t, error],
      )
      return num(row?.attempts ?? 0)
    },

    async sentSince(chatId, dedupKey, kind, since) {
      const row = await db.get(
        `SELECT 1 AS one FROM telegram_deliveries d JOIN alerts a ON a.id = d.alert_id
         WHERE d.chat_id = ? AND d.status = 'sent' AND a.dedup_key = ? AND a.kind = ? AND d.at >= ? LIMIT 1`,
        [chatToDb(chatId), dedupKey, kind, timeToDb(since, 'since')],
      )
      return row !== undefined
    },

    async lastSentKind(chatId, dedupKey) {
      const row = await db.get<{ kind: string }>(
        `SELECT a.kind AS kind FROM telegram_deliveries d JOIN alerts a ON a.id = d.alert_id
         WHERE d.chat_id = ? AND d.status = 'sent' AND a.dedup_key = ? ORDER BY a.id DESC LIMIT 1`,
        [chatToDb(chatId), dedupKey],
      )
      return row ? str(row.kind) : undefined
    },
  }
}
