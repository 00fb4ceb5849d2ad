import { GrammyError, HttpError, type Api } from 'grammy'
import type { InlineKeyboardMarkup } from 'grammy/types'
import type { Config } from '../config/schema.js'
import type { Logger } from '../core/logger.js'
import type { Store } from '../store/index.js'
import type { Alert } from '../store/types.js'
import { newNonce } from './bot.js'
import type { TelegramChat } from './config.js'
import { describeBotError } from './createBot.js'
import { activeMutes } from './views.js'

/**
 * Alert delivery from the store's outbox. Each (alert, chat) gets one final fate, recorded in
 * telegram_deliveries: sent (only after Telegram confirmed the message), suppressed (a repeat
 * within the dedup window), muted (/mute), digested (info alerts, gathered into one message per
 * chat and interval), skipped (the chat does not take that severity) or failed (Telegram refused
 * it for good `maxAttempts` times). An alert row is marked delivered in the outbox once every
 * chat has a fate and none failed. Network errors, 5xx and 429s that outlast auto-retry are
 * transient: the row stays pending, that chat waits for the next round (order is kept per
 * chat), and nothing is lost. Rate limits come from grammY's throttler and auto-retry plugins on
 * the `api` passed in.
 */

export interface AlertDeliveryDeps {
  config: Config
  store: Store
  /** The bot's api (throttler and auto-retry installed). */
  api: Api
  logger: Logger
  /** To keep it out of error descriptions. */
  token: string
  now?: () => number
}

export interface DeliveryTick {
  sent: number
  suppressed: number
  muted: number
  digested: number
  skipped: number
  failed: number
  /** Sends that failed transiently this round (retried next round). */
  retrying: number
  /** Outbox rows marked delivered this round. */
  delivered: number
}

/** How long the approve/reject buttons on a plan's alert work. */
export const OFFER_TTL_MS = 3 * 86_400_000

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

const HEADS: Record<Alert['severity'], string> = {
  critical: '🚨 <b>CRITICAL</b>',
  warning: '⚠️ <b>WARNING</b>',
  info: 'ℹ️ <b>info</b>',
}

/** A committee notification (notify/committee.ts writes rules "committee-*"). */
export const isCommitteeNotice = (a: Pick<Alert, 'rule'>): boolean => a.rule.startsWith('committee-')

/** One alert as a Telegram HTML message: the severity is distinct at a glance; recoveries say so. */
export function formatAlert(a: Alert): string {
  const head = a.kind === 'recovery' ? `✅ <b>RECOVERED</b> (${a.severity})` : HEADS[a.severity]
  const where = [a.chain, a.rule, a.blockNumber !== null ? `block ${a.blockNumber}` : null].filter(Boolean).join(' · ')
  const lines = [`${head} · ${escapeHtml(cut(a.title, 300))}`]
  if (a.body) lines.push(escapeHtml(cut(a.body, 1500)))
  lines.push(`<i>${escapeHtml(where)}</i>`)
  return lines.join('\n')
}

/** Many low-severity alerts as one message. */
export function formatDigest(alerts: readonly Alert[], maxLines = 30): string {
  const lines = [`📋 <b>Digest</b> · ${alerts.length} info alert${alerts.length === 1 ? '' : 's'}`]
  for (const a of alerts.slice(0, maxLines)) lines.push(`${a.kind === 'recovery' ? '✅' : '•'} ${escapeHtml(cut(a.title, 120))}${a.chain ? ` <i>(${escapeHtml(a.chain)})</i>` : ''}`)
  if (alerts.length > maxLines) lines.push(`… and ${alerts.length - maxLines} more (/alerts)`)
  return lines.join('\n')
}

/** Transient: worth retrying later without counting towards giving up. */
export function isTransient(err: unknown): boolean {
  if (err instanceof HttpError) return true
  if (err instanceof GrammyError) return err.error_code === 429 || err.error_code >= 500
  return false
}

export function createAlertDelivery(deps: AlertDeliveryDeps): { tick(): Promise<DeliveryTick> } {
  const { config, store, api, logger } = deps
  const t = config.telegram
  const now = deps.now ?? Date.now

  /** Per chat: consecutive failed rounds and when to try again (exponential, up to a minute). */
  const backoff = new Map<number, { failures: number; until: number }>()
  const MAX_BACKOFF_MS = 60_000

  async function planButtons(a: Alert, chatId: number): Promise<InlineKeyboardMarkup | undefined> {
    if (a.rule !== 'plan' || a.kind !== 'open') return undefined
    const plan = await store.plans.get(a.subject)
    if (!plan || plan.status !== 'awaiting_approval') return undefined
    const approve = newNonce()
    const reject = newNonce()
    // Offers only lead to a confirmation (the plan's state is checked then); they lapse after a while so the table can be pruned.
    const expiresAt = now() + OFFER_TTL_MS
    await store.telegram.createCallback({ nonce: approve, kind: 'offer', action: 'approve', args: { planId: plan.id }, chatId, expiresAt, at: now() })
    await store.telegram.createCallback({ nonce: reject, kind: 'offer', action: 'reject', args: { planId: plan.id }, chatId, expiresAt, at: now() })
    return { inline_keyboard: [[{ text: '✅ Approve', callback_data: `o:${approve}` }, { text: '✖ Reject', callback_data: `o:${reject}` }]] }
  }

  async function isDuplicate(chatId: number, a: Alert): Promise<boolean> {
    const window = t.delivery.dedupWindowSeconds * 1000
    if (window === 0) return false
    const since = now() - window
    if (a.kind === 'open') {
      // A re-opening within the window is folded only when it has already recovered again: the chat never shows a wrong state.
      return (await store.telegram.sentSince(chatId, a.dedupKey, 'open', since)) && !(await store.alerts.isOpen(a.dedupKey))
    }
    return (await store.telegram.lastSentKind(chatId, a.dedupKey)) === 'recovery' && (await store.telegram.sentSince(chatId, a.dedupKey, 'recovery', since))
  }

  /** Sends; on failure records the attempt (the chat then waits for the next round). */
  async function trySend(chat: TelegramChat, text: string, markup: InlineKeyboardMarkup | undefined, alertIds: readonly number[], r: DeliveryTick): Promise<{ ok: true; messageId: number } | { ok: false }> {
    try {
      const m = await api.sendMessage(chat.id, text, { parse_mode: 'HTML', ...(markup ? { reply_markup: markup } : {}) })
      return { ok: true, messageId: m.message_id }
    } catch (err) {
      const desc = describeBotError(err, deps.token)
      const line = `chat ${chat.id}: ${String(desc.description ?? desc.message ?? 'send failed')}`.slice(0, 300)
      const transient = isTransient(err)
      logger.warn({ chat: chat.id, alerts: alertIds, err: desc, transient }, 'telegram: alert send failed; the alert stays undelivered')
      for (const id of alertIds) {
        await store.alerts.markFailed(id, line)
        const attempts = await store.telegram.recordAttempt(id, chat.id, line, now())
        if (!transient && attempts >= t.delivery.maxAttempts) {
          await store.telegram.settle(id, chat.id, 'failed', { error: line, at: now() })
          r.failed++
        }
      }
      r.retrying++
      return { ok: false }
    }
  }

  async function tick(): Promise<DeliveryTick> {
    const r: DeliveryTick = { sent: 0, suppressed: 0, muted: 0, digested: 0, skipped: 0, failed: 0, retrying: 0, delivered: 0 }
    if (t.chats.length === 0) return r
    const rows = await store.alerts.undelivered(500)
    if (rows.length === 0) return r
    const muted = new Set((await activeMutes(store, now())).map((m) => m.rule))
    const settle = async (a: Alert, chat: TelegramChat, status: 'sent' | 'suppressed' | 'muted' | 'digested' | 'skipped', messageId?: number) => {
      if (await store.telegram.settle(a.id, chat.id, status, { messageId: messageId ?? null, at: now() })) r[status]++
    }
    const fates = new Map<number, Map<number, string>>()
    for (const a of rows) fates.set(a.id, new Map((await store.telegram.deliveries(a.id)).map((d) => [d.chatId, d.status])))

    /** One chat's rows in id order; a transient failure stops that chat until the next round (order kept). Chats run side by side, so a throttled chat holds up no other. */
    async function deliverTo(chat: TelegramChat): Promise<void> {
      const wait = backoff.get(chat.id)
      if (wait && now() < wait.until) return
      if (!(await deliverRows(chat))) {
        const failures = (wait?.failures ?? 0) + 1
        backoff.set(chat.id, { failures, until: now() + Math.min(MAX_BACKOFF_MS, t.delivery.pollMs * 2 ** (failures - 1)) })
      } else backoff.delete(chat.id)
    }

    /** False when a send failed (the chat then waits). */
    async function deliverRows(chat: TelegramChat): Promise<boolean> {
      const digest: Alert[] = []
      for (const a of rows) {
        const fate = fates.get(a.id)?.get(chat.id)
        if (fate && fate !== 'pending') continue
        // The committee's plan notifications go to committee chats only, whatever their filters.
        const committee = isCommitteeNotice(a)
        if (committee ? !chat.committee : chat.rules && !chat.rules.includes(a.rule)) {
          await settle(a, chat, 'skipped')
          continue
        }
        if (muted.has(a.rule)) {
          await settle(a, chat, 'muted')
          continue
        }
        if (!committee && !chat.alerts.includes(a.severity)) {
          if (a.severity === 'info' && chat.digest) digest.push(a)
          else await settle(a, chat, 'skipped')
          continue
        }
        if (await isDuplicate(chat.id, a)) {
          await settle(a, chat, 'suppressed')
          continue
        }
        const sent = await trySend(chat, formatAlert(a), await planButtons(a, chat.id), [a.id], r)
        if (!sent.ok) return false
        await settle(a, chat, 'sent', sent.messageId)
      }
      if (digest.length === 0) return true
      const oldest = Math.min(...digest.map((a) => a.createdAt))
      if (now() - oldest < t.delivery.digestIntervalSeconds * 1000) return true
      const sent = await trySend(chat, formatDigest(digest), undefined, digest.map((a) => a.id), r)
      if (!sent.ok) return false
      for (const a of digest) await settle(a, chat, 'digested', sent.messageId)
      return true
    }
    await Promise.all(t.chats.map((chat) => deliverTo(chat)))

    for (const a of rows) {
      const fates = await store.telegram.deliveries(a.id)
      const final = t.chats.every((c) => fates.some((d) => d.chatId === c.id && d.status !== 'pending'))
      if (final && !fates.some((d) => d.status === 'failed') && (await store.alerts.markDelivered(a.id, now()))) r.delivered++
    }
    return r
  }

  return { tick }
}
