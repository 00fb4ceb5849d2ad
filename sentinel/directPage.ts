/**
 * Paging around a stuck store. An agent frozen inside a write transaction (SIGSTOP, a hung
 * syscall) keeps SQLite's write lock: every writer waits, the sentinel's alert writes end in
 * SQLITE_BUSY, and the telegram agent delivers only what is in the outbox — so exactly that stall
 * would raise no alert. The sentinel probes a write every round; when writes have failed for
 * `sentinel.storeStuckSeconds` it sends, itself, through the Bot API (grammY's Api with the bot
 * token), one message to the operator chats naming the stuck store and every alert it could not
 * write; later conditions while still stuck, one message each; and one recovery message when a
 * write succeeds again. Then it records what it sent in the store (each alert raised at the time it
 * was paged, marked delivered, one `sent` delivery per chat with its message id; the store-stuck
 * condition raised and resolved), so the outbox's dedupe stays truthful and nothing is sent twice.
 */
import { Api } from 'grammy'
import type { Config } from '../config/schema'
import type { Store } from '../store'
import { StoreBusyError } from '../store/errors'
import type { Condition } from './rules'

/** Sends a plain-text message to each chat; the chats that took it, with the message ids. */
export type DirectSend = (text: string) => Promise<Array<{ chatId: number; messageId: number }>>

/** Chats that receive critical alerts (and the store-stuck rule, when they filter rules): the operators'. */
export function operatorChats(config: Config): number[] {
  return config.telegram.chats.filter((c) => c.alerts.includes('critical') && (!c.rules || c.rules.includes(STUCK_RULE))).map((c) => c.id)
}

/** grammY's Api over the bot token: a message to each chat, failures per chat tolerated (the others still get it). */
export function telegramDirectSend(token: string, apiRoot: string | undefined, chats: readonly number[]): DirectSend {
  const api = new Api(token, apiRoot ? { apiRoot } : undefined)
  return async (text) => {
    const out: Array<{ chatId: number; messageId: number }> = []
    for (const chatId of chats) {
      try {
        const m = await api.sendMessage(chatId, text)
        out.push({ chatId, messageId: m.message_id })
      } catch {
        // The chat that refused (or Telegram unreachable) is tried again with the next message.
      }
    }
    return out
  }
}

export const STUCK_RULE = 'store-stuck'
export const STUCK_KEY = 'sentinel:store-stuck'

/** What was sent directly, to be written once the store takes writes. */
interface Sent {
  dedupKey: string
  condition: Pick<Condition, 'rule' | 'subject' | 'chain' | 'severity' | 'title' | 'body'>
  at: number
  chats: Array<{ chatId: number; messageId: number }>
  recovery?: { title: string; body: string; at: number; chats: Array<{ chatId: number; messageId: number }> }
}

export interface StuckStore {
  /** Probes a write and pages when stuck; returns whether the store took the write. */
  round(conditions: readonly Condition[], open: ReadonlySet<string>, now: number): Promise<{ writable: boolean; paged: string[] }>
  /** Since when writes fail (ms), or null. */
  stuckSince(): number | null
}

const secs = (ms: number) => `${Math.round(ms / 1000)} s`

export function createStuckStore(deps: { store: Store; agent: string; boundMs: number; send: DirectSend | null; now?: () => number }): StuckStore {
  const { store, agent, boundMs, send } = deps
  const clock = deps.now ?? Date.now
  let since: number | null = null
  let sent: Sent[] = []
  const paged = new Set<string>()

  /** A write transaction that changes nothing: it needs the write lock, as every alert write does. */
  const probe = async (): Promise<boolean> => {
    try {
      await store.transaction(async () => undefined)
      return true
    } catch (err) {
      if (err instanceof StoreBusyError) return false
      throw err
    }
  }

  // One transaction: a crash while recording leaves all of it or none (and none is re-sent: the next round pages afresh only if stuck again).
  const record = () => store.transaction(async () => {
    for (const s of sent) {
      const raised = await store.alerts.raise({ dedupKey: s.dedupKey, agent, chain: s.condition.chain, rule: s.condition.rule, subject: s.condition.subject, severity: s.condition.severity, title: s.condition.title, body: s.condition.body, at: s.at })
      if (raised.inserted) {
        for (const c of s.chats) await store.telegram.settle(raised.alertId, c.chatId, 'sent', { messageId: c.messageId, at: s.at })
        await store.alerts.markDelivered(raised.alertId, s.at)
      }
    }
    // Recoveries after every raise, in the order they happened.
    for (const s of sent) {
      if (s.recovery) {
        const r = await store.alerts.resolve(s.dedupKey, { agent, title: s.recovery.title, body: s.recovery.body, at: s.recovery.at })
        if (r.inserted && r.alertId !== null) {
          for (const c of s.recovery.chats) await store.telegram.settle(r.alertId, c.chatId, 'sent', { messageId: c.messageId, at: s.recovery.at })
          await store.alerts.markDelivered(r.alertId, s.recovery.at)
        }
      }
    }
  })

  return {
    stuckSince: () => since,
    async round(conditions, open, now) {
      const started = clock()
      if (await probe()) {
        if (since !== null) {
          const stuck = sent.find((s) => s.dedupKey === STUCK_KEY)
          if (stuck && send) {
            const at = clock()
            const title = 'store writable again'
            const body = `writes succeed again after ${secs(at - since)}; the alerts sent directly are recorded in the store`
            stuck.recovery = { title, body, at, chats: await send(`✅ poolwarden sentinel: ${title}\n${body}`) }
          }
          await record()
          since = null
          sent = []
          paged.clear()
        }
        return { writable: true, paged: [] }
      }
      since ??= started
      if (!send || now - since < boundMs) return { writable: false, paged: [] }
      const fresh = conditions.filter((c) => c.active === true && !open.has(c.dedupKey) && !paged.has(c.dedupKey))
      const first = !paged.has(STUCK_KEY)
      if (!first && fresh.length === 0) return { writable: false, paged: [] }
      const lines = fresh.map((c) => `• [${c.severity}] ${c.title}`)
      const stuckTitle = `store stuck: no write for ${secs(now - since)}`
      const stuckBody = `SQLITE_BUSY on every write: a process holds the store's write lock (an agent frozen inside a transaction?); alerts cannot reach the outbox, so the sentinel sends them itself`
      const text = first
        ? `🛑 poolwarden sentinel: ${stuckTitle}\n${stuckBody}${lines.length ? `\nnot written:\n${lines.join('\n')}` : ''}`
        : `🛑 poolwarden sentinel (store still stuck): \n${lines.join('\n')}`
      const chats = await send(text)
      if (chats.length === 0) return { writable: false, paged: [] }
      const at = clock()
      const out: string[] = []
      if (first) {
        paged.add(STUCK_KEY)
        sent.push({ dedupKey: STUCK_KEY, condition: { rule: STUCK_RULE, subject: 'store', chain: null, severity: 'critical', title: stuckTitle, body: stuckBody }, at, chats })
        out.push(STUCK_KEY)
      }
      for (const c of fresh) {
        paged.add(c.dedupKey)
        sent.push({ dedupKey: c.dedupKey, condition: c, at, chats })
        out.push(c.dedupKey)
      }
      return { writable: false, paged: out }
    },
  }
}
