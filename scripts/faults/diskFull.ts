/**
 * The disk-full fault's disk (issue 16, case `disk-full`): a directory for the store that can be
 * filled and freed while agents use it.
 *
 * - `tmpfs`: a small tmpfs mounted on the directory (needs root or CAP_SYS_ADMIN): fill() writes a
 *   filler file until the file system says ENOSPC, free() deletes it — a real full disk for every
 *   process and every file of the store (database, WAL, shared memory).
 * - `max_page_count` (where mounting is not allowed, e.g. CI): the store's ceiling `store.maxSizeMb`
 *   (every connection's `PRAGMA max_page_count`); fill() inserts filler rows until SQLite answers
 *   SQLITE_FULL, free() deletes them (their pages go back to the free list). SQLite fails the
 *   writes with the same SQLITE_FULL a full disk gives.
 *
 * The mechanism used is always reported (`mechanism`, `why`): a case never skips silently.
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sqlite3 from 'sqlite3'

export type DiskMechanism = 'tmpfs' | 'max_page_count'

export interface FillableDisk {
  mechanism: DiskMechanism
  /** Why this mechanism (the mount's refusal when it fell back). */
  why: string
  dir: string
  /** The store's path inside `dir`. */
  path: string
  /** The store's ceiling to configure (`store.maxSizeMb`) under `max_page_count`; undefined under tmpfs. */
  maxSizeMb: number | undefined
  /** Fills the disk (or the ceiling); returns the bytes the filler took. */
  fill(): Promise<number>
  /** Frees what fill() took. */
  free(): Promise<void>
  /** Unmounts and removes the directory. */
  cleanup(): Promise<void>
}

const CHUNK = 256 * 1024

/** A disk of `sizeMb` for the store: tmpfs where this process may mount one, else the store's page ceiling. */
export async function fillableDisk(opts: { sizeMb?: number; forceFallback?: boolean } = {}): Promise<FillableDisk> {
  const sizeMb = opts.sizeMb ?? 8
  const dir = mkdtempSync(join(tmpdir(), 'pw-diskfull-'))
  const path = join(dir, 'poolwarden.sqlite')
  let refusal = 'forced by the caller'
  if (!opts.forceFallback) {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] })
      return tmpfsDisk(dir, path, sizeMb)
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string }
      refusal = (e.stderr?.toString().trim() || e.message).split('\n')[0]!
    }
  }
  return pageCeilingDisk(dir, path, sizeMb, `mount -t tmpfs refused (${refusal}): PRAGMA max_page_count instead`)
}

function tmpfsDisk(dir: string, path: string, sizeMb: number): FillableDisk {
  const filler = join(dir, 'filler')
  return {
    mechanism: 'tmpfs',
    why: `a ${sizeMb} MB tmpfs mounted on ${dir}`,
    dir,
    path,
    maxSizeMb: undefined,
    async fill() {
      // The WAL keeps its size after a checkpoint and is rewritten in place: truncate it first, so
      // the next write needs new space (a disk that filled slowly reaches the same point later).
      await checkpointTruncate(path)
      const fd = openSync(filler, 'w')
      const chunk = Buffer.alloc(CHUNK)
      let bytes = 0
      try {
        for (let size = CHUNK; size >= 512; ) {
          try {
            bytes += writeSync(fd, chunk, 0, size)
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err
            size /= 2
          }
        }
      } finally {
        closeSync(fd)
      }
      return bytes
    },
    async free() {
      unlinkSync(filler)
    },
    async cleanup() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

function pageCeilingDisk(dir: string, path: string, sizeMb: number, why: string): FillableDisk {
  return {
    mechanism: 'max_page_count',
    why,
    dir,
    path,
    maxSizeMb: sizeMb,
    async fill() {
      const db = await open(path)
      try {
        const page = (await get<{ page_size: number }>(db, 'PRAGMA page_size'))!.page_size
        await get(db, `PRAGMA max_page_count = ${Math.floor((sizeMb * 1024 * 1024) / page)}`)
        await run(db, 'CREATE TABLE IF NOT EXISTS fault_filler (pad BLOB NOT NULL)')
        let bytes = 0
        for (let size = CHUNK; size >= 64; ) {
          try {
            await run(db, 'INSERT INTO fault_filler (pad) VALUES (zeroblob(?))', [size])
            bytes += size
          } catch (err) {
            if ((err as { code?: string }).code !== 'SQLITE_FULL') throw err
            size /= 2
          }
        }
        return bytes
      } finally {
        await close(db)
      }
    },
    async free() {
      const db = await open(path)
      try {
        await run(db, 'DELETE FROM fault_filler')
      } finally {
        await close(db)
      }
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function checkpointTruncate(path: string): Promise<void> {
  const db = await open(path)
  try {
    await get(db, 'PRAGMA wal_checkpoint(TRUNCATE)')
  } finally {
    await close(db)
  }
}

// A few promise wrappers over one raw sqlite3 connection: the fault's own filler, never the store's queries.
function open(path: string): Promise<sqlite3.Database> {
  return new Promise<sqlite3.Database>((resolve, reject) => {
    const db = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (err) => (err ? reject(err) : resolve(db)))
  }).then(async (db) => {
    await run(db, 'PRAGMA busy_timeout = 5000')
    return db
  })
}
const run = (db: sqlite3.Database, sql: string, params: (string | number)[] = []) => new Promise<void>((resolve, reject) => db.run(sql, params, (err: Error | null) => (err ? reject(err) : resolve())))
const get = <T>(db: sqlite3.Database, sql: string) => new Promise<T | undefined>((resolve, reject) => db.get<T>(sql, (err: Error | null, row: T) => (err ? reject(err) : resolve(row))))
const close = (db: sqlite3.Database) => new Promise<void>((resolve) => db.close(() => resolve()))
