import { idToDb, jsonFromDb, jsonToDb, num, str, timeToDb } from './convert.js'
import type { Db } from './sqlite.js'
import type { AuditEntry, AuditInput } from './types.js'

/** Append-only audit log: who did what, from every agent. */
export interface AuditQueries {
  /** Appends an entry; returns its id. `detail` is stored as JSON (bigints as decimal strings). */
  append(entry: AuditInput): Promise<number>
  /** The newest `limit` entries, newest first, optionally of one actor or action. */
  recent(limit?: number, filter?: { actor?: string; action?: string; afterId?: number }): Promise<AuditEntry[]>
}

interface AuditRow {
  id: number
  at: number
  actor: string
  action: string
  detail: string
}

function fromRow(r: AuditRow): AuditEntry {
  return { id: num(r.id), at: num(r.at), actor: str(r.actor), action: str(r.action), detail: jsonFromDb(r.detail) }
}

export function createAudit(db: Db): AuditQueries {
  return {
    async append({ actor, action, detail = {}, at }) {
      const row = await db.get<{ id: number }>('INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?) RETURNING id', [
        timeToDb(at ?? Date.now(), 'audit at'),
        actor,
        action,
        jsonToDb(detail),
      ])
      return num(row?.id)
    },

    async recent(limit = 50, filter = {}) {
      const where: string[] = []
      const params: (string | number)[] = []
      if (filter.actor !== undefined) {
        where.push('actor = ?')
        params.push(filter.actor)
      }
      if (filter.action !== undefined) {
        where.push('action = ?')
        params.push(filter.action)
      }
      if (filter.afterId !== undefined) {
        where.push('id > ?')
        params.push(idToDb(filter.afterId, 'afterId'))
      }
      params.push(Math.max(0, Math.floor(limit)))
      const rows = await db.all<AuditRow>(`SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`, params)
      return rows.map(fromRow)
    },
  }
}
