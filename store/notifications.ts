import { num, str, timeToDb } from './convert.js'
import { StoreError } from './errors.js'
import type { Db } from './sqlite.js'

export interface NoticeInput {
  /** One notice per key, ever. */
  key: string
  agent: string
  rule: string
  subject: string
  severity: 'info' | 'warning' | 'critical'
  title: string
  body?: string
  chain?: string | null
  at?: number
}

/** One-shot notices through the alert outbox, exactly once per key (table `notifications`). */
export interface NotificationsQueries {
  /** Writes the notice (an outbox row) and its key in one transaction; false when the key was already notified. */
  notifyOnce(n: NoticeInput): Promise<boolean>
  /** Records keys as notified without sending anything (a baseline); returns how many were new. */
  markNotified(keys: readonly string[], at?: number): Promise<number>
  /** Which of `keys` were already notified (or marked). */
  notified(keys: readonly string[]): Promise<Set<string>>
  /** Whether any key with this prefix was ever recorded. */
  anyWithPrefix(prefix: string): Promise<boolean>
  /** Ids of plans updated at or after `since` (ms), oldest update first; `needsApproval` filters committee plans. */
  plansUpdatedSince(since: number, opts?: { needsApproval?: boolean; statuses?: readonly string[] }): Promise<string[]>
}

/**
 * Writes the notice (an alert outbox row) and its key into `table` in one transaction, exactly
 * once per key; false when the key was already there. Shared by the plain notices (`notifications`)
 * and the governance ones (`gov_notifications`, which keep their own key space).
 */
export async function notifyOnceIn(db: Db, table: 'notifications' | 'gov_notifications', n: NoticeInput): Promise<boolean> {
  if (!n.key) throw new StoreError('store: notifyOnce: key is required')
  const at = timeToDb(n.at ?? Date.now(), 'notify at')
  return db.transaction(async () => {
    if (await db.get(`SELECT 1 AS one FROM ${table} WHERE key = ?`, [n.key])) return false
    const row = await db.get<{ id: number }>(
      `INSERT INTO alerts (created_at, agent, chain, rule, subject, dedup_key, severity, kind, title, body, block_number, delivered_at, delivery_attempts)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, NULL, NULL, 0) RETURNING id`,
      [at, n.agent, n.chain ?? null, n.rule, n.subject, n.key, n.severity, n.title, n.body ?? ''],
    )
    if (!row) throw new StoreError('store: INSERT INTO alerts returned no id')
    await db.run(`INSERT INTO ${table} (key, alert_id, at) VALUES (?, ?, ?)`, [n.key, num(row.id), at])
    return true
  })
}

export function createNotifications(db: Db): NotificationsQueries {
  return {
    notifyOnce: (n) => notifyOnceIn(db, 'notifications', n),

    async markNotified(keys, at) {
      const t = timeToDb(at ?? Date.now(), 'markNotified at')
      return db.transaction(async () => {
        let n = 0
        for (const k of keys) n += (await db.run('INSERT INTO notifications (key, alert_id, at) VALUES (?, NULL, ?) ON CONFLICT (key) DO NOTHING', [k, t])).changes
        return n
      })
    },

    async notified(keys) {
      const out = new Set<string>()
      // In chunks: SQLite limits the number of parameters of one statement.
      for (let i = 0; i < keys.length; i += 200) {
        const chunk = keys.slice(i, i + 200)
        const rows = await db.all<{ key: string }>(`SELECT key FROM notifications WHERE key IN (${chunk.map(() => '?').join(', ')})`, chunk)
        for (const r of rows) out.add(str(r.key))
      }
      return out
    },

    async anyWithPrefix(prefix) {
      return (await db.get("SELECT 1 AS one FROM notifications WHERE key >= ? AND key < ? || char(1114111) LIMIT 1", [prefix, prefix])) !== undefined
    },

    async plansUpdatedSince(since, opts = {}) {
      const where: string[] = ['updated_at >= ?']
      const args: (string | number)[] = [timeToDb(since, 'since')]
      if (opts.needsApproval !== undefined) {
        where.push('needs_approval = ?')
        args.push(opts.needsApproval ? 1 : 0)
      }
      if (opts.statuses) {
        where.push(`status IN (${opts.statuses.map(() => '?').join(', ') || 'NULL'})`)
        args.push(...opts.statuses)
      }
      const rows = await db.all<{ id: string }>(`SELECT id FROM plans WHERE ${where.join(' AND ')} ORDER BY updated_at, id`, args)
      return rows.map((r) => str(r.id))
    },
  }
}
