import { jsonFromDb, jsonToDb, num, str, timeToDb } from './convert.js'
import type { Db } from './sqlite.js'
import type { Control } from './types.js'

/** Operator controls, written by the Telegram agent (and scripts); read by every agent. */
export interface ControlsQueries {
  get(key: string): Promise<Control | undefined>
  /** Sets (or replaces) a control. `value` is stored as JSON. */
  set(key: string, value: unknown, setBy: string, at?: number): Promise<void>
  /** All controls, by key; with a prefix (e.g. "pause:") only those. */
  list(prefix?: string): Promise<Control[]>
  /** Removes a control; false if it was not set. */
  clear(key: string): Promise<boolean>
  /**
   * True when `pause:<agent>` or `pause:all` is set. A control whose value is JSON `false` or
   * `null` counts as not set (so `set('pause:x', false, …)` unpauses as one would expect).
   */
  isPaused(agent: string): Promise<boolean>
}

export const PAUSE_ALL = 'pause:all'
export const pauseKey = (agent: string): string => `pause:${agent}`

interface ControlRow {
  key: string
  value: string
  set_by: string
  set_at: number
}

function fromRow(r: ControlRow): Control {
  return { key: str(r.key), value: jsonFromDb(r.value), setBy: str(r.set_by), setAt: num(r.set_at) }
}

export function createControls(db: Db): ControlsQueries {
  return {
    async get(key) {
      const row = await db.get<ControlRow>('SELECT * FROM controls WHERE key = ?', [key])
      return row ? fromRow(row) : undefined
    },

    async set(key, value, setBy, at) {
      await db.run(
        `INSERT INTO controls (key, value, set_by, set_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, set_by = excluded.set_by, set_at = excluded.set_at`,
        [key, jsonToDb(value), setBy, timeToDb(at ?? Date.now(), 'control set_at')],
      )
    },

    async list(prefix) {
      const rows =
        prefix === undefined
          ? await db.all<ControlRow>('SELECT * FROM controls ORDER BY key')
          : // substr comparison instead of LIKE: no wildcard escaping, same in PostgreSQL
            await db.all<ControlRow>('SELECT * FROM controls WHERE substr(key, 1, ?) = ? ORDER BY key', [prefix.length, prefix])
      return rows.map(fromRow)
    },

    async clear(key) {
      return (await db.run('DELETE FROM controls WHERE key = ?', [key])).changes > 0
    },

    async isPaused(agent) {
      const rows = await db.all<{ value: string }>('SELECT value FROM controls WHERE key IN (?, ?)', [pauseKey(agent), PAUSE_ALL])
      return rows.some((r) => {
        const v = jsonFromDb(r.value)
        return v !== false && v !== null
      })
    },
  }
}
