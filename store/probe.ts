import { unwritableCode } from './errors.js'
import type { Db } from './sqlite.js'

/**
 * Bytes of the probe row: 1 MiB, so a success means room for real work, not a slot in a page
 * already there (a small probe succeeds on a full disk by reusing free pages and the WAL's old
 * frames, and the agents would flap between stopped and resumed). Deleted again, its pages stay
 * on the free list: the agents' next writes reuse them.
 */
const PROBE_BYTES = 1024 * 1024

/**
 * Whether the store takes a write that needs new space (the agent runtime's test for "space is
 * back" after a full disk): one row of PROBE_BYTES (1 MiB) is written and committed, then deleted and
 * committed. False when either write fails for want of space; other errors are thrown.
 */
export async function probeWritable(db: Db, agent: string): Promise<boolean> {
  try {
    const row = await db.get<{ id: number }>('INSERT INTO store_probe (agent, at, pad) VALUES (?, ?, zeroblob(?)) RETURNING id', [agent, Date.now(), PROBE_BYTES])
    await db.run('DELETE FROM store_probe WHERE id = ?', [row?.id ?? -1])
    return true
  } catch (err) {
    if (unwritableCode(err)) return false
    throw err
  }
}
