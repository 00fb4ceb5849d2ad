import { StoreError } from './errors.js'
import { intFromDb, intToDb, num, str } from './convert.js'
import type { PositionsQueries } from './positions.js'
import type { SamplesQueries } from './samples.js'
import type { Db } from './sqlite.js'
import type { CommitBlockInput, CommitBlockResult, Hex, WatchCursor } from './types.js'
import { checkFence, type FenceRef } from './leases.js'

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
   * Reorg: deletes the chain's samples, positions and kept block hashes above `blockNumber` (the
   * common ancestor) and sets the cursor to that block, in one transaction (joins the caller's).
   * Returns the samples and positions deleted.
   */
  rewind(chain: string, blockNumber: bigint, blockHash: Hex): Promise<{ samples: number; positions: number }>
  /**
   * The hashes the watcher stored for blocks from..to of `chain` (inclusive): the kept hash chain
   * (watch_blocks), else the hash its samples carry. Blocks with neither are absent.
   */
  storedHashes(chain: string, from: bigint, to: bigint): Promise<Map<bigint, Hex>>
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

export function createCursors(db: Db, samples: SamplesQueries, positions: PositionsQueries, fence: FenceRef = {}): CursorsQueries {
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

    async commitBlock({ chain, blockNumber, blockHash, samples: rows, positions: posRows = [], parentHash, keepBlocks = 256 }) {
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
        await checkFence(db, fence)
        const inserted = await samples.insertMany(rows)
        await positions.upsertMany(posRows)
        if (parentHash !== undefined) {
          await db.run(
            `INSERT INTO watch_blocks (chain, block_number, block_hash, parent_hash, created_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (chain, block_number) DO UPDATE SET block_hash = excluded.block_hash, parent_hash = excluded.parent_hash, created_at = excluded.created_at`,
            [chain, n, blockHash, parentHash, Date.now()],
          )
          await db.run('DELETE FROM watch_blocks WHERE chain = ? AND block_number < ?', [chain, n - Math.max(1, Math.floor(keepBlocks))])
        }
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
      return db.transaction(async () => {
        await checkFence(db, fence)
        const s = await samples.deleteAfter(chain, blockNumber)
        const p = await db.run('DELETE FROM positions WHERE chain = ? AND block_number > ?', [chain, n])
        await db.run('DELETE FROM watch_blocks WHERE chain = ? AND block_number > ?', [chain, n])
        await q.set({ chain, blockNumber, blockHash })
        return { samples: s, positions: p.changes }
      })
    },

    async storedHashes(chain, from, to) {
      const params = [chain, intToDb(from, 'from'), intToDb(to, 'to')]
      const out = new Map<bigint, Hex>()
      for (const r of await db.all<{ block_number: number; block_hash: string }>('SELECT DISTINCT block_number, block_hash FROM samples WHERE chain = ? AND block_number BETWEEN ? AND ?', params)) {
        out.set(intFromDb(r.block_number, 'samples.block_number'), str(r.block_hash) as Hex)
      }
      // The kept hash chain wins over samples (it exists for blocks without venues too).
      for (const r of await db.all<{ block_number: number; block_hash: string }>('SELECT block_number, block_hash FROM watch_blocks WHERE chain = ? AND block_number BETWEEN ? AND ?', params)) {
        out.set(intFromDb(r.block_number, 'watch_blocks.block_number'), str(r.block_hash) as Hex)
      }
      return out
    },
  }
  return q
}
