import sqlite3 from 'sqlite3'

/**
 * The own SQLite file of a devnet stand-in service (the local Snapshot hub, the local Safe
 * Transaction Service; never the poolwarden store): a minimal promise layer over one sqlite3
 * connection in WAL mode. The service serialises its writes itself.
 */
export type SqlValue = string | number | null

export interface DevDb {
  run(sql: string, params?: SqlValue[]): Promise<number>
  get<T>(sql: string, params?: SqlValue[]): Promise<T | undefined>
  all<T>(sql: string, params?: SqlValue[]): Promise<T[]>
  exec(sql: string): Promise<void>
  close(): Promise<void>
}

/** Opens (creating if needed) the file at `path` and runs `schema` (idempotent DDL). */
export async function openDevDb(path: string, schema: string): Promise<DevDb> {
  const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
    const db = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(db)))
  })
  const db: DevDb = {
    run: (sql, params = []) =>
      new Promise((resolve, reject) =>
        raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
          if (err) reject(err)
          else resolve(this.changes)
        }),
      ),
    get: <T>(sql: string, params: SqlValue[] = []) =>
      new Promise<T | undefined>((resolve, reject) => raw.get<T>(sql, params, (err, row) => (err ? reject(err) : resolve(row)))),
    all: <T>(sql: string, params: SqlValue[] = []) =>
      new Promise<T[]>((resolve, reject) => raw.all<T>(sql, params, (err, rows) => (err ? reject(err) : resolve(rows)))),
    exec: (sql) => new Promise((resolve, reject) => raw.exec(sql, (err) => (err ? reject(err) : resolve()))),
    close: () => new Promise((resolve, reject) => raw.close((err) => (err ? reject(err) : resolve()))),
  }
  await db.exec(`PRAGMA journal_mode = WAL;\nPRAGMA busy_timeout = 2000;\n${schema}`)
  return db
}
