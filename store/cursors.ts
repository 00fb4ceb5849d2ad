import { StoreError } from './errors.js'
import { intFromDb, intToDb, num, str } from './convert.js'
import type { PositionsQueries } from './positions.js'
import type { SamplesQueries } from './samples.js'
import type { Db } from './sqlite.js'
import type { CommitBlockInput, CommitBlockResult, Hex, WatchCursor } from './types.js'

/** Per chain: the last fully processed block. Written by that chain's watcher. */
export interface CursorsQueries {
  get(chain: string): Promise<WatchCursor | undefined>
  list(): Promise<WatchCursor[]>
  /** Sets the cursor unconditionally (may move it back). */
  set(cursor: { chain: string; blockNumber: bigint; blockHash: Hex; at?: number }): Promise<void>
  /**
   * One transaction: insert the block's samples (and positions), then advance the cursor to it.
   * A crash either keeps all of it or none. Re-committing a block is a no-op; the cursor never
   * moves back here (see `rewind`).
   */
  commitBlock(input: CommitBlockInput): Promise<CommitBlockResult>
  /**
   * Reorg: deletes the chain's samples and positions above `blockNumber` and sets the cursor to
   * that block, in one transaction.
   */
  rewind(chain: string, blockNumber: bigint, blockHash: Hex): Promise<void>
}

interface CursorRow {
  chain: string
  block_number: number
  block_hash: string
  updated_at: number
}

function fromRow(r: CursorRow): WatchCursor {
  return { chain: str(r.chain), blockNumber: intFromDb(r.block_number, 'watch_cursors.block_number'), blockHash: str(r.block_hash) as Hex, updatedAt: num(r.updated_at) }
}

export function createCursors(db: Db, samples: SamplesQueries, positions: PositionsQueries): CursorsQueries {
  const q: CursorsQueries = {
    async get(chain) {
      const row = await db.get<CursorRow>('SELECT * FROM watch_cursors WHERE chain = ?', [chain])
      return row ? fromRow(row) : undefined
    },

    async list() {
      return (await db.all<CursorRow>('SELECT * FROM watch_cursors ORDER BY chain')).map(fromRow)
    },

    async set({ chain, blockNumber, blockHash, at }) {
      await db.run(
        `INSERT INTO watch_cursors (chain, block_number, block_hash, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (chain) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash, updated_at = excluded.updated_at`,
        [chain, intToDb(blockNumber, 'cursor blockNumber'), blockHash, at ?? Date.now()],
      )
    },

    async commitBlock({ chain, blockNumber, blockHash, samples: rows, positions: posRows = [] }) {
      const where = `commitBlock ${chain}@${String(blockNumber)}`
      for (const s of rows) {
        if (s.chain !== chain || s.blockNumber !== blockNumber) throw new StoreError(`store: ${where}: sample of ${s.venueId} is for ${s.chain}@${String(s.blockNumber)}`)
        if (s.blockHash.toLowerCase() !== blockHash.toLowerCase()) throw new StoreError(`store: ${where}: sample of ${s.venueId} has block hash ${s.blockHash}, expected ${blockHash}`)
      }
      for (const p of posRows) {
        if (p.chain !== chain || p.blockNumber !== blockNumber) throw new StoreError(`store: ${where}: position of ${p.venueId} is for ${p.chain}@${String(p.blockNumber)}`)
      }
      const n = intToDb(blockNumber, `${where} blockNumber`)
      return db.transaction(async () => {
        const inserted = await samples.insertMany(rows)
        await positions.upsertMany(posRows)
        const res = await db.run(
          `INSERT INTO watch_cursors (chain, block_number, block_hash, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (chain) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash, updated_at = excluded.updated_at
           WHERE excluded.block_number > watch_cursors.block_number`,
          [chain, n, blockHash, Date.now()],
        )
        return { inserted, cursorAdvanced: res.changes > 0 }
      })
    },

    async rewind(chain, blockNumber, blockHash) {
      const n = intToDb(blockNumber, 'rewind blockNumber')
      await db.transaction(async () => {
        await samples.deleteAfter(chain, blockNumber)
        await db.run('DELETE FROM positions WHERE chain = ? AND block_number > ?', [chain, n])
        await q.set({ chain, blockNumber, blockHash })
      })
    },
  }
  return q
}
