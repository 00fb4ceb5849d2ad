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

function fromRow(r: HeartbeatRow): Heartbeat {
  return { agent: str(r.agent), pid: num(r.pid), beatAt: num(r.beat_at), info: jsonFromDb(r.info) }
}

export function createHeartbeats(db: Db): HeartbeatsQueries {
  return {
    async beat(agent, info = {}, opts = {}) {
      await db.run(
        `INSERT INTO heartbeats (agent, pid, beat_at, info) VALUES (?, ?, ?, ?)
         ON CONFLICT (agent) DO UPDATE SET pid = excluded.pid, beat_at = excluded.beat_at, info = excluded.info`,
        [agent, opts.pid ?? process.pid, timeToDb(opts.at ?? Date.now(), 'beat at'), jsonToDb(info)],
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
