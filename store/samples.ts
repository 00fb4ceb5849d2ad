import {
  boolToDb,
  intFromDb,
  intToDb,
  num,
  optAmountFromDb,
  optAmountToDb,
  optBoolFromDb,
  optBoolToDb,
  optRealFromDb,
  optRealToDb,
  optStr,
  str,
  timeToDb,
} from './convert.js'
import { StoreError } from './errors.js'
import type { Db } from './sqlite.js'
import type { Hex, Sample, SampleInput, VenueSampleCount } from './types.js'
import { checkFence, type FenceRef } from './leases.js'

/** Written by the watcher of each chain. */
export interface SamplesQueries {
  /**
   * Inserts samples in one transaction. A sample whose (venueId, blockNumber) already exists is
   * skipped (idempotent back-fill). Returns how many rows were newly inserted.
   */
  insertMany(samples: readonly SampleInput[]): Promise<number>
  /** The newest sample of each venue (optionally of one chain), for status. */
  latestPerVenue(opts?: { chain?: string }): Promise<Sample[]>
  /** The newest `limit` samples of a venue, newest first (APY baselines, derived APY). */
  recent(venueId: string, limit: number, opts?: { availableOnly?: boolean; beforeBlock?: bigint }): Promise<Sample[]>
  /** The sample of a venue at one block, if stored. */
  at(venueId: string, blockNumber: bigint): Promise<Sample | undefined>
  countByVenue(opts?: { chain?: string }): Promise<VenueSampleCount[]>
  /** Distinct block numbers with at least one sample on `chain`, from..to inclusive, ascending. */
  blocksBetween(chain: string, from: bigint, to: bigint): Promise<bigint[]>
  /** Blocks of from..to (inclusive) with no sample on `chain`, ascending. */
  missingBlocks(chain: string, from: bigint, to: bigint): Promise<bigint[]>
  /** Deletes samples of `chain` above `blockNumber` (reorg rewind). Returns rows deleted. */
  deleteAfter(chain: string, blockNumber: bigint): Promise<number>
}

const COLUMNS =
  'venue_id, chain, block_number, block_hash, block_time, available, error, exchange_rate, apy, tvl, utilisation, withdrawable, peg, paused, created_at, apy_span_seconds, liquidity'

const ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
/** Rows per INSERT statement (17 parameters each: 3,400 per statement, far below SQLite's limit). */
const ROWS_PER_INSERT = 200
const insertOf = (n: number) => `INSERT INTO samples (${COLUMNS}) VALUES ${new Array(n).fill(ROW).join(', ')}
  ON CONFLICT (venue_id, block_number) DO NOTHING`
const INSERT_FULL = insertOf(ROWS_PER_INSERT)

interface SampleRow {
  venue_id: string
  chain: string
  block_number: number
  block_hash: string
  block_time: number
  available: number
  error: string | null
  exchange_rate: string | null
  apy: number | null
  tvl: string | null
  utilisation: number | null
  withdrawable: string | null
  peg: number | null
  paused: number | null
  created_at: number
  apy_span_seconds: number | null
  liquidity: string | null
}

function toRow(s: SampleInput, now: number): (string | number | null)[] {
  const where = `sample ${s.venueId}@${String(s.blockNumber)}`
  if (!s.venueId || !s.chain) throw new StoreError(`store: ${where}: venueId and chain are required`)
  return [
    s.venueId,
    s.chain,
    intToDb(s.blockNumber, `${where} blockNumber`),
    s.blockHash,
    timeToDb(s.blockTime, `${where} blockTime`),
    boolToDb(s.available),
    s.error ?? null,
    optAmountToDb(s.exchangeRate, `${where} exchangeRate`),
    optRealToDb(s.apy, `${where} apy`),
    optAmountToDb(s.tvl, `${where} tvl`),
    optRealToDb(s.utilisation, `${where} utilisation`),
    optAmountToDb(s.withdrawable, `${where} withdrawable`),
    optRealToDb(s.peg, `${where} peg`),
    optBoolToDb(s.paused),
    now,
    s.apySpanSeconds == null ? null : Math.max(0, Math.floor(s.apySpanSeconds)),
    optAmountToDb(s.liquidity, `${where} liquidity`),
  ]
}

export function sampleFromRow(r: SampleRow): Sample {
  return {
    venueId: str(r.venue_id),
    chain: str(r.chain),
    blockNumber: intFromDb(r.block_number, 'samples.block_number'),
    blockHash: str(r.block_hash) as Hex,
    blockTime: num(r.block_time),
    available: Boolean(r.available),
    error: optStr(r.error),
    exchangeRate: optAmountFromDb(r.exchange_rate, 'samples.exchange_rate'),
    apy: optRealFromDb(r.apy),
    tvl: optAmountFromDb(r.tvl, 'samples.tvl'),
    utilisation: optRealFromDb(r.utilisation),
    withdrawable: optAmountFromDb(r.withdrawable, 'samples.withdrawable'),
    peg: optRealFromDb(r.peg),
    paused: optBoolFromDb(r.paused),
    createdAt: num(r.created_at),
    apySpanSeconds: r.apy_span_seconds == null ? null : num(r.apy_span_seconds),
    liquidity: optAmountFromDb(r.liquidity ?? null, 'samples.liquidity'),
  }
}

export function createSamples(db: Db, fence: FenceRef = {}): SamplesQueries {
  const q: SamplesQueries = {
    async insertMany(samples) {
      if (samples.length === 0) return 0
      const now = Date.now()
      const rows = samples.map((s) => toRow(s, now)) // validate everything before writing
      return db.transaction(async () => {
        await checkFence(db, fence)
        // Many rows per statement: one round trip to SQLite's thread per 200 rows, not per row.
        let inserted = 0
        for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
          const chunk = rows.slice(i, i + ROWS_PER_INSERT)
          inserted += (await db.run(chunk.length === ROWS_PER_INSERT ? INSERT_FULL : insertOf(chunk.length), chunk.flat())).changes
        }
        return inserted
      })
    },

    async latestPerVenue(opts = {}) {
      const chainFilter = opts.chain === undefined ? '' : 'WHERE chain = ?'
      const rows = await db.all<SampleRow>(
        `SELECT s.* FROM samples s
         JOIN (SELECT venue_id, MAX(block_number) AS block_number FROM samples ${chainFilter} GROUP BY venue_id) m
           ON s.venue_id = m.venue_id AND s.block_number = m.block_number
         ORDER BY s.chain, s.venue_id`,
        opts.chain === undefined ? [] : [opts.chain],
      )
      return rows.map(sampleFromRow)
    },

    async recent(venueId, limit, opts = {}) {
      const where = ['venue_id = ?']
      const params: (string | number)[] = [venueId]
      if (opts.availableOnly) where.push('available = 1')
      if (opts.beforeBlock !== undefined) {
        where.push('block_number < ?')
        params.push(intToDb(opts.beforeBlock, 'beforeBlock'))
      }
      params.push(Math.max(0, Math.floor(limit)))
      const rows = await db.all<SampleRow>(`SELECT * FROM samples WHERE ${where.join(' AND ')} ORDER BY block_number DESC LIMIT ?`, params)
      return rows.map(sampleFromRow)
    },

    async at(venueId, blockNumber) {
      const row = await db.get<SampleRow>('SELECT * FROM samples WHERE venue_id = ? AND block_number = ?', [venueId, intToDb(blockNumber, 'blockNumber')])
      return row ? sampleFromRow(row) : undefined
    },

    async countByVenue(opts = {}) {
      const rows = await db.all<{ venue_id: string; chain: string; n: number }>(
        `SELECT venue_id, chain, COUNT(*) AS n FROM samples ${opts.chain === undefined ? '' : 'WHERE chain = ?'}
         GROUP BY venue_id, chain ORDER BY chain, venue_id`,
        opts.chain === undefined ? [] : [opts.chain],
      )
      return rows.map((r) => ({ venueId: r.venue_id, chain: r.chain, count: num(r.n) }))
    },

    async blocksBetween(chain, from, to) {
      const rows = await db.all<{ block_number: number }>(
        'SELECT DISTINCT block_number FROM samples WHERE chain = ? AND block_number BETWEEN ? AND ? ORDER BY block_number',
        [chain, intToDb(from, 'from'), intToDb(to, 'to')],
      )
      return rows.map((r) => intFromDb(r.block_number, 'samples.block_number'))
    },

    async missingBlocks(chain, from, to) {
      const present = new Set((await q.blocksBetween(chain, from, to)).map(String))
      const missing: bigint[] = []
      for (let b = from; b <= to; b++) if (!present.has(String(b))) missing.push(b)
      return missing
    },

    async deleteAfter(chain, blockNumber) {
      const res = await db.run('DELETE FROM samples WHERE chain = ? AND block_number > ?', [chain, intToDb(blockNumber, 'blockNumber')])
      return res.changes
    },
  }
  return q
}
