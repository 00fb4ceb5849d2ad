import { jsonFromDb, jsonToDb, num, str, timeToDb } from './convert.js'
import type { Db } from './sqlite.js'
import type { Heartbeat } from './types.js'

/** One row per agent, each written by its own agent. */
export interface HeartbeatsQueries {
  /** Upserts the agent's heartbeat (pid defaults to this process, at to now). */
  beat(agent: string, info?: unknown, opts?: { pid?: number; at?: number }): Promise<void>
  get(agent: string): Promise<Heartbeat | undefined>
  /** All heartbeats, by agent name. */
  all(): Promise<Heartbeat[]>
}

interface HeartbeatRow {
  agent: string
  pid: number
  beat_at: number
  info: string
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

function fromRow(r: HeartbeatRow): Heartbeat {
  return { agent: str(r.agent), pid: num(r.pid), beatAt: num(r.beat_at), info: jsonFromDb(r.info) }
}

/**
 * `extras`: fields added to every object heartbeat of this process (the agent runtime passes its
 * process and RPC counters, core/metrics.ts); the agent's own fields win on a clash.
 */
export function createHeartbeats(db: Db, extras?: () => Record<string, unknown>): HeartbeatsQueries {
  return {
    async beat(agent, info = {}, opts = {}) {
      await db.run(
        `INSERT INTO heartbeats (agent, pid, beat_at, info) VALUES (?, ?, ?, ?)
         ON CONFLICT (agent) DO UPDATE SET pid = excluded.pid, beat_at = excluded.beat_at, info = excluded.info`,
        [agent, opts.pid ?? process.pid, timeToDb(opts.at ?? Date.now(), 'beat at'), jsonToDb(extras && isObject(info) ? { ...extras(), ...info } : info)],
      )
    },

    async get(agent) {
      const row = await db.get<HeartbeatRow>('SELECT * FROM heartbeats WHERE agent = ?', [agent])
      return row ? fromRow(row) : undefined
    },

    async all() {
      return (await db.all<HeartbeatRow>('SELECT * FROM heartbeats ORDER BY agent')).map(fromRow)
    },
  }
}
