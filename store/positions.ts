import { StoreError } from './errors.js'
import { amountFromDb, amountToDb, intFromDb, intToDb, num, optAmountFromDb, optAmountToDb, str } from './convert.js'
import type { Db } from './sqlite.js'
import type { Position, PositionInput } from './types.js'
import { checkFence, type FenceRef } from './leases.js'

/** The pool's position in each venue, by block. */
export interface PositionsQueries {
  /** Inserts or replaces the position of a venue at a block. */
  upsert(position: PositionInput): Promise<void>
  /** Several positions in one transaction. */
  upsertMany(positions: readonly PositionInput[]): Promise<void>
  /** The newest position of each venue (optionally of one chain). */
  latestPerVenue(opts?: { chain?: string }): Promise<Position[]>
  /** The newest position of one venue (at or before `atBlock` when given). */
  latest(venueId: string, opts?: { atBlock?: bigint }): Promise<Position | undefined>
}

export interface PositionRow {
  venue_id: string
  chain: string
  block_number: number
  amount: string
  shares: string | null
  created_at: number
}

/** Rows per statement (6 parameters each). */
const ROWS_PER_UPSERT = 200
const upsertOf = (n: number) => `INSERT INTO positions (venue_id, chain, block_number, amount, shares, created_at) VALUES ${new Array(n).fill('(?, ?, ?, ?, ?, ?)').join(', ')}
  ON CONFLICT (venue_id, block_number) DO UPDATE SET chain = excluded.chain, amount = excluded.amount, shares = excluded.shares, created_at = excluded.created_at`
const UPSERT = upsertOf(1)
const UPSERT_FULL = upsertOf(ROWS_PER_UPSERT)

function toRow(p: PositionInput, now: number): (string | number | null)[] {
  const where = `position ${p.venueId}@${String(p.blockNumber)}`
  if (!p.venueId || !p.chain) throw new StoreError(`store: ${where}: venueId and chain are required`)
  return [p.venueId, p.chain, intToDb(p.blockNumber, `${where} blockNumber`), amountToDb(p.amount, `${where} amount`), optAmountToDb(p.shares, `${where} shares`), now]
}

export function positionFromRow(r: PositionRow): Position {
  return {
    venueId: str(r.venue_id),
    chain: str(r.chain),
    blockNumber: intFromDb(r.block_number, 'positions.block_number'),
    amount: amountFromDb(r.amount, 'positions.amount'),
    shares: optAmountFromDb(r.shares, 'positions.shares'),
    createdAt: num(r.created_at),
  }
}

export function createPositions(db: Db, fence: FenceRef = {}): PositionsQueries {
  return {
    async upsert(position) {
      const row = toRow(position, Date.now())
      await db.transaction(async () => {
        await checkFence(db, fence)
        await db.run(UPSERT, row)
      })
    },

    async upsertMany(positions) {
      if (positions.length === 0) return
      const now = Date.now()
      const rows = positions.map((p) => toRow(p, now))
      await db.transaction(async () => {
        await checkFence(db, fence)
        // Many rows per statement; a (venue, block) given twice keeps the later row, as row by row did.
        for (let i = 0; i < rows.length; i += ROWS_PER_UPSERT) {
          const chunk = rows.slice(i, i + ROWS_PER_UPSERT)
          await db.run(chunk.length === ROWS_PER_UPSERT ? UPSERT_FULL : upsertOf(chunk.length), chunk.flat())
        }
      })
    },

    async latestPerVenue(opts = {}) {
      const rows = await db.all<PositionRow>(
        `SELECT p.* FROM positions p
         JOIN (SELECT venue_id, MAX(block_number) AS block_number FROM positions ${opts.chain === undefined ? '' : 'WHERE chain = ?'} GROUP BY venue_id) m
           ON p.venue_id = m.venue_id AND p.block_number = m.block_number
         ORDER BY p.chain, p.venue_id`,
        opts.chain === undefined ? [] : [opts.chain],
      )
      return rows.map(positionFromRow)
    },

    async latest(venueId, opts = {}) {
      const row =
        opts.atBlock === undefined
          ? await db.get<PositionRow>('SELECT * FROM positions WHERE venue_id = ? ORDER BY block_number DESC LIMIT 1', [venueId])
          : await db.get<PositionRow>('SELECT * FROM positions WHERE venue_id = ? AND block_number <= ? ORDER BY block_number DESC LIMIT 1', [venueId, intToDb(opts.atBlock, 'atBlock')])
      return row ? positionFromRow(row) : undefined
    },
  }
}
