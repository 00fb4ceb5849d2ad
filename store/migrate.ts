import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Logger } from '../core/logger.js'
import { StoreError } from './errors.js'
import type { Db } from './sqlite.js'

/** store/migrations, next to this file. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url))

const FILE = /^(\d{3})_([a-z0-9_]+)\.sql$/

export interface Migration {
  version: number
  name: string
  sql: string
  checksum: string
}

/** Reads `NNN_name.sql` files; versions must be 1, 2, 3… with no gap or duplicate. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()
  const migrations: Migration[] = []
  for (const file of files) {
    const m = FILE.exec(file)
    if (!m) throw new StoreError(`store: migration file "${file}" in ${dir} is not named NNN_lower_snake.sql`)
    const sql = readFileSync(join(dir, file), 'utf8')
    migrations.push({ version: Number(m[1]), name: m[2] ?? file, sql, checksum: createHash('sha256').update(sql).digest('hex') })
  }
  migrations.forEach((mig, i) => {
    if (mig.version !== i + 1) throw new StoreError(`store: migrations in ${dir} must be numbered 001, 002, … without gaps; found ${String(mig.version).padStart(3, '0')}_${mig.name}.sql at position ${i + 1}`)
  })
  return migrations
}

interface AppliedRow {
  version: number
  name: string
  checksum: string
}

/**
 * Applies pending migrations in order, each in its own BEGIN IMMEDIATE transaction that
 * re-checks `schema_migrations` first: several processes opening the store at once serialise
 * on the write lock and each migration is applied exactly once. A failing migration rolls back
 * entirely (SQLite DDL is transactional) and is not recorded. Returns the versions applied here.
 * A migration file must therefore not contain BEGIN/COMMIT of its own (trigger bodies are fine),
 * and an applied migration is never edited: add the next number instead.
 */
export async function migrate(db: Db, opts: { dir?: string; logger?: Logger } = {}): Promise<number[]> {
  const migrations = loadMigrations(opts.dir)
  await db.transaction(() =>
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER NOT NULL PRIMARY KEY,
      name       TEXT    NOT NULL,
      checksum   TEXT    NOT NULL,
      applied_at INTEGER NOT NULL
    )`),
  )
  const appliedRows = await db.all<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version')
  const known = new Map(migrations.map((m) => [m.version, m]))
  for (const row of appliedRows) {
    const mig = known.get(row.version)
    if (!mig) opts.logger?.warn({ version: row.version, name: row.name }, 'store: the database has a migration this code does not know (newer code ran against it?)')
    else if (mig.checksum !== row.checksum) opts.logger?.warn({ version: row.version, name: row.name }, 'store: an applied migration file has changed since it was applied; add a new migration instead of editing one')
  }
  const applied = new Set(appliedRows.map((r) => r.version))
  const done: number[] = []
  for (const mig of migrations) {
    if (applied.has(mig.version)) continue
    const ran = await db.transaction(async () => {
      const already = await db.get<{ version: number }>('SELECT version FROM schema_migrations WHERE version = ?', [mig.version])
      if (already) return false
      try {
        await db.exec(mig.sql)
      } catch (err) {
        throw new StoreError(`store: migration ${String(mig.version).padStart(3, '0')}_${mig.name}.sql failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
      }
      await db.run('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)', [mig.version, mig.name, mig.checksum, Date.now()])
      return true
    })
    if (ran) {
      done.push(mig.version)
      opts.logger?.info({ version: mig.version, name: mig.name }, 'store: migration applied')
    }
  }
  return done
}
