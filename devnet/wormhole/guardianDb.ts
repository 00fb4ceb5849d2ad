import sqlite3 from 'sqlite3'
import type { Hex } from 'viem'

/**
 * The local guardian's own SQLite file (not the poolwarden store): the messages it observed on the
 * core bridges, their signed VAAs once final, and how far it scanned each chain. A restarted
 * guardian reads them back and keeps serving the same bytes.
 */

export interface ObservedMessage {
  /** Poolwarden chain name of the source chain. */
  chain: string
  emitterChain: number
  /** 64 lower-case hex digits, no 0x (the API's form). */
  emitter: string
  sequence: bigint
  txHash: Hex
  blockNumber: number
  blockHash: Hex
  logIndex: number
  timestamp: number
  nonce: number
  consistencyLevel: number
  payload: Hex
  /** The signed VAA, once the source chain's finality depth was reached. */
  vaa: Hex | null
  signedAt: number | null
}

interface Row {
  chain: string
  emitter_chain: number
  emitter: string
  sequence: string
  tx_hash: string
  block_number: number
  block_hash: string
  log_index: number
  timestamp: number
  nonce: number
  consistency_level: number
  payload: string
  vaa: string | null
  signed_at: number | null
}

const toMessage = (r: Row): ObservedMessage => ({
  chain: r.chain,
  emitterChain: r.emitter_chain,
  emitter: r.emitter,
  sequence: BigInt(r.sequence),
  txHash: r.tx_hash as Hex,
  blockNumber: r.block_number,
  blockHash: r.block_hash as Hex,
  logIndex: r.log_index,
  timestamp: r.timestamp,
  nonce: r.nonce,
  consistencyLevel: r.consistency_level,
  payload: r.payload as Hex,
  vaa: r.vaa as Hex | null,
  signedAt: r.signed_at,
})

export interface GuardianDb {
  /** Inserts a message, or replaces one with the same id seen in another transaction (a reorg or a reverted devnet). */
  upsert(m: Omit<ObservedMessage, 'vaa' | 'signedAt'>): Promise<void>
  get(emitterChain: number, emitter: string, sequence: bigint): Promise<ObservedMessage | undefined>
  byTx(txHash: string): Promise<ObservedMessage[]>
  unsigned(chain: string, maxBlock: number): Promise<ObservedMessage[]>
  /** Messages of a chain from `fromBlock` on (reorg checks). */
  since(chain: string, fromBlock: number): Promise<ObservedMessage[]>
  setVaa(m: ObservedMessage, vaa: Hex, at: number): Promise<void>
  remove(m: ObservedMessage): Promise<void>
  count(): Promise<{ observed: number; signed: number }>
  /**
   * Scan checkpoints per chain: the last scanned block and its hash, newest first. The newest is
   * the cursor; after a reorg (or a devnet revert) the newest one still canonical is the fork point.
   */
  checkpoints(chain: string, limit?: number): Promise<Array<{ number: number; hash: Hex }>>
  addCheckpoint(chain: string, number: number, hash: Hex): Promise<void>
  /** Drops a chain's checkpoints above `number` (they were reorganised away). */
  dropCheckpointsAbove(chain: string, number: number): Promise<void>
  close(): Promise<void>
}

export async function openGuardianDb(path: string): Promise<GuardianDb> {
  const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(db)))
  })
  type P = (string | number | null)[]
  const run = (sql: string, params: P = []) => new Promise<void>((resolve, reject) => raw.run(sql, params, (err) => (err ? reject(err) : resolve())))
  const all = <T>(sql: string, params: P = []) => new Promise<T[]>((resolve, reject) => raw.all<T>(sql, params, (err, rows) => (err ? reject(err) : resolve(rows))))
  const exec = (sql: string) => new Promise<void>((resolve, reject) => raw.exec(sql, (err) => (err ? reject(err) : resolve())))
  await exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA busy_timeout = 2000;
    CREATE TABLE IF NOT EXISTS messages (
      emitter_chain INTEGER NOT NULL, emitter TEXT NOT NULL, sequence TEXT NOT NULL,
      chain TEXT NOT NULL, tx_hash TEXT NOT NULL, block_number INTEGER NOT NULL, block_hash TEXT NOT NULL,
      log_index INTEGER NOT NULL, timestamp INTEGER NOT NULL, nonce INTEGER NOT NULL, consistency_level INTEGER NOT NULL,
      payload TEXT NOT NULL, vaa TEXT, signed_at INTEGER,
      PRIMARY KEY (emitter_chain, emitter, sequence)
    );
    CREATE INDEX IF NOT EXISTS messages_tx ON messages (tx_hash);
    CREATE INDEX IF NOT EXISTS messages_chain_block ON messages (chain, block_number);
    CREATE TABLE IF NOT EXISTS checkpoints (chain TEXT NOT NULL, number INTEGER NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (chain, number));
  `)
  const key = (m: { emitterChain: number; emitter: string; sequence: bigint }): P => [m.emitterChain, m.emitter, m.sequence.toString()]
  return {
    async upsert(m) {
      // Same id, same transaction and block: already known (keep its VAA). Otherwise (re)write it unsigned.
      await run(
        `INSERT INTO messages (emitter_chain, emitter, sequence, chain, tx_hash, block_number, block_hash, log_index, timestamp, nonce, consistency_level, payload, vaa, signed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)
         ON CONFLICT (emitter_chain, emitter, sequence) DO UPDATE SET
           chain = excluded.chain, tx_hash = excluded.tx_hash, block_number = excluded.block_number, block_hash = excluded.block_hash,
           log_index = excluded.log_index, timestamp = excluded.timestamp, nonce = excluded.nonce,
           consistency_level = excluded.consistency_level, payload = excluded.payload, vaa = NULL, signed_at = NULL
         WHERE messages.block_hash <> excluded.block_hash OR messages.tx_hash <> excluded.tx_hash`,
        [...key(m), m.chain, m.txHash.toLowerCase(), m.blockNumber, m.blockHash, m.logIndex, m.timestamp, m.nonce, m.consistencyLevel, m.payload],
      )
    },
    async get(emitterChain, emitter, sequence) {
      const [r] = await all<Row>('SELECT * FROM messages WHERE emitter_chain = ? AND emitter = ? AND sequence = ?', key({ emitterChain, emitter, sequence }))
      return r ? toMessage(r) : undefined
    },
    async byTx(txHash) {
      return (await all<Row>('SELECT * FROM messages WHERE tx_hash = ? ORDER BY log_index', [txHash.toLowerCase()])).map(toMessage)
    },
    async unsigned(chain, maxBlock) {
      return (await all<Row>('SELECT * FROM messages WHERE chain = ? AND vaa IS NULL AND block_number <= ? ORDER BY block_number, log_index', [chain, maxBlock])).map(toMessage)
    },
    async since(chain, fromBlock) {
      return (await all<Row>('SELECT * FROM messages WHERE chain = ? AND block_number >= ? ORDER BY block_number', [chain, fromBlock])).map(toMessage)
    },
    async setVaa(m, vaa, at) {
      await run('UPDATE messages SET vaa = ?, signed_at = ? WHERE emitter_chain = ? AND emitter = ? AND sequence = ? AND block_hash = ?', [vaa, at, ...key(m), m.blockHash])
    },
    async remove(m) {
      await run('DELETE FROM messages WHERE emitter_chain = ? AND emitter = ? AND sequence = ? AND block_hash = ?', [...key(m), m.blockHash])
    },
    async count() {
      const [r] = await all<{ observed: number; signed: number }>('SELECT COUNT(*) AS observed, COUNT(vaa) AS signed FROM messages')
      return r ?? { observed: 0, signed: 0 }
    },
    async checkpoints(chain, limit = 64) {
      return all<{ number: number; hash: Hex }>('SELECT number, hash FROM checkpoints WHERE chain = ? ORDER BY number DESC LIMIT ?', [chain, limit])
    },
    async addCheckpoint(chain, number, hash) {
      await run('INSERT OR REPLACE INTO checkpoints (chain, number, hash) VALUES (?, ?, ?)', [chain, number, hash])
      // Keep the latest 64 per chain: enough to find the fork point of any devnet revert.
      await run('DELETE FROM checkpoints WHERE chain = ? AND number NOT IN (SELECT number FROM checkpoints WHERE chain = ? ORDER BY number DESC LIMIT 64)', [chain, chain])
    },
    async dropCheckpointsAbove(chain, number) {
      await run('DELETE FROM checkpoints WHERE chain = ? AND number > ?', [chain, number])
    },
    close: () => new Promise((resolve, reject) => raw.close((err) => (err ? reject(err) : resolve()))),
  }
}
