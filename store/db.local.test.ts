import { execFile } from 'node:child_process'
import { writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { isRetryable } from '../core/errors.js'
import { openStore, type Store } from './db.js'
import { StoreBusyError, StoreError } from './errors.js'
import { loadMigrations, migrate } from './migrate.js'
import { openDb, type Db } from './sqlite.js'
import { tempDir } from './testing.js'

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function freshPath(): Promise<string> {
  const { dir, cleanup } = await tempDir()
  cleanups.push(cleanup)
  return join(dir, 'sub', 'dir', 'poolwarden.sqlite') // parent dirs do not exist yet
}

async function open(path: string, opts: Partial<Parameters<typeof openStore>[0]> = {}): Promise<Store> {
  const store = await openStore({ path, ...opts })
  cleanups.push(() => store.close())
  return store
}

async function rawDb(path: string): Promise<Db> {
  const db = await openDb({ path })
  cleanups.push(() => db.close())
  return db
}

describe('openStore and migrations', () => {
  it('creates the file and parent dirs, sets WAL and foreign keys, applies every migration once', async () => {
    const path = await freshPath()
    const store = await open(path)
    expect(store.path).toBe(path)
    const db = await rawDb(path)
    expect(await db.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' })
    expect(await db.get('PRAGMA busy_timeout')).toEqual({ timeout: 100 })
    expect(await db.get('PRAGMA foreign_keys')).toEqual({ foreign_keys: 1 })
    const versions = await db.all<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version')
    expect(versions.map((v) => v.version)).toEqual(loadMigrations().map((m) => m.version))
    expect(versions[0]).toEqual({ version: 1, name: 'watch' })
    const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).map((t) => t.name)
    for (const t of ['samples', 'positions', 'watch_cursors', 'alerts', 'alert_state', 'heartbeats', 'controls', 'audit_log', 'schema_migrations']) expect(tables).toContain(t)
  })

  it('re-opening applies nothing and keeps data', async () => {
    const path = await freshPath()
    const a = await open(path)
    await a.audit.append({ actor: 'test', action: 'first' })
    await a.close()
    const db = await rawDb(path)
    expect(await migrate(db)).toEqual([])
    const b = await open(path)
    expect((await b.audit.recent()).map((e) => e.action)).toEqual(['first'])
    expect(await db.get('SELECT COUNT(*) AS n FROM schema_migrations')).toEqual({ n: loadMigrations().length })
  })

  it('several stores opening a fresh file at once apply each migration exactly once', async () => {
    const path = await freshPath()
    const stores = await Promise.all(Array.from({ length: 6 }, () => open(path)))
    expect(stores).toHaveLength(6)
    const db = await rawDb(path)
    expect(await db.get('SELECT COUNT(*) AS n FROM schema_migrations')).toEqual({ n: loadMigrations().length })
  })

  it('a failing migration rolls back entirely and is not recorded', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const migrations = join(dir, 'migrations')
    await mkdir(migrations)
    await writeFile(join(migrations, '001_ok.sql'), 'CREATE TABLE a (x INTEGER);')
    await writeFile(join(migrations, '002_bad.sql'), 'CREATE TABLE b (x INTEGER);\nINSERT INTO nope VALUES (1);')
    const path = join(dir, 'db.sqlite')
    const err = await openStore({ path, migrationsDir: migrations }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreError)
    expect(String((err as Error).message)).toMatch(/migration 002_bad\.sql failed: .*no such table: nope/)
    const db = await rawDb(path)
    expect(await db.all('SELECT version FROM schema_migrations')).toEqual([{ version: 1 }])
    expect(await db.all("SELECT name FROM sqlite_master WHERE name IN ('a', 'b')")).toEqual([{ name: 'a' }])
  })

  it('refuses misnamed or gapped migration files', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    await writeFile(join(dir, '001_a.sql'), '')
    await writeFile(join(dir, '003_c.sql'), '')
    expect(() => loadMigrations(dir)).toThrow(/without gaps/)
    await writeFile(join(dir, '2_b.sql'), '')
    expect(() => loadMigrations(dir)).toThrow(/NNN_lower_snake/)
  })
})

describe('transactions', () => {
  it('rolls back everything written inside when fn throws', async () => {
    const store = await open(await freshPath())
    await expect(
      store.transaction(async (tx) => {
        await tx.audit.append({ actor: 't', action: 'inside' })
        await store.controls.set('pause:all', true, 't') // the store itself joins the transaction
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await store.audit.recent()).toEqual([])
    expect(await store.controls.list()).toEqual([])
  })

  it('nested transactions are savepoints', async () => {
    const store = await open(await freshPath())
    await store.transaction(async (tx) => {
      await tx.audit.append({ actor: 't', action: 'outer' })
      await tx
        .transaction(async () => {
          await tx.audit.append({ actor: 't', action: 'inner' })
          throw new Error('inner fails')
        })
        .catch(() => undefined)
      await tx.transaction(() => tx.audit.append({ actor: 't', action: 'inner2' }))
    })
    expect((await store.audit.recent()).map((e) => e.action)).toEqual(['inner2', 'outer'])
  })

  it('a write from unrelated async code waits for a running transaction and is not rolled back with it', async () => {
    const store = await open(await freshPath())
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const tx = store.transaction(async (t) => {
      await t.audit.append({ actor: 't', action: 'in-tx' })
      await held
      throw new Error('abort tx')
    })
    await sleep(10)
    const outside = store.audit.append({ actor: 't', action: 'outside' })
    await sleep(10)
    release()
    await expect(tx).rejects.toThrow('abort tx')
    await outside
    expect((await store.audit.recent()).map((e) => e.action)).toEqual(['outside'])
  })

  it('a closed store says so; closing inside a transaction is refused', async () => {
    const store = await openStore({ path: await freshPath() })
    await expect(store.transaction(() => store.close())).rejects.toThrow(/inside a transaction/)
    await store.close()
    await store.close()
    await expect(store.audit.recent()).rejects.toThrow(/closed/)
  })
})

describe('concurrent writers', () => {
  it('two stores on one file write concurrently without SQLITE_BUSY surfacing', async () => {
    const path = await freshPath()
    const [a, b] = await Promise.all([open(path), open(path)])
    const N = 60
    const work = (s: Store, name: string) =>
      Promise.all(
        Array.from({ length: N }, async (_, i) => {
          await s.audit.append({ actor: name, action: 'w', detail: { i } })
          await s.alerts.raise({ dedupKey: `shared:${i}`, agent: name, rule: 'r', subject: String(i), severity: 'warning', title: 't' })
          await s.transaction(async (tx) => {
            await tx.samples.insertMany([{ venueId: `v-${name}`, chain: 'c', blockNumber: BigInt(i), blockHash: '0xab', blockTime: 1, available: true }])
            await tx.cursors.commitBlock({ chain: `c-${name}`, blockNumber: BigInt(i), blockHash: '0xab', samples: [] })
          })
        }),
      )
    await Promise.all([work(a, 'a'), work(b, 'b')])
    expect(await a.audit.recent(1000)).toHaveLength(2 * N)
    expect(await a.alerts.recent(1000)).toHaveLength(N) // each shared key raised once
    expect(await b.samples.countByVenue()).toEqual([
      { venueId: 'v-a', chain: 'c', count: N },
      { venueId: 'v-b', chain: 'c', count: N },
    ])
    expect((await a.cursors.get('c-b'))?.blockNumber).toBe(BigInt(N - 1))
  })

  it('separate OS processes write concurrently', async () => {
    const path = await freshPath() // not created yet: the processes race to create and migrate it
    const writer = fileURLToPath(new URL('./testing-fixtures/concurrent-writer.ts', import.meta.url))
    const N = 20
    await Promise.all(['p1', 'p2', 'p3'].map((name) => run(process.execPath, ['--import', 'tsx', writer, path, name, String(N)], { timeout: 30_000 })))
    const store = await open(path)
    expect(await store.audit.recent(1000)).toHaveLength(3 * N)
    expect(await store.alerts.recent(1000)).toHaveLength(N)
    expect((await store.alerts.open()).map((c) => c.dedupKey).sort()).toHaveLength(N)
    const counts = await store.samples.countByVenue()
    expect(counts.map((c) => [c.venueId, c.count])).toEqual([
      ['v-p1', N],
      ['v-p2', N],
      ['v-p3', N],
      ['v-shared', N],
    ])
    expect((await store.heartbeats.all()).map((h) => h.agent)).toEqual(['p1', 'p2', 'p3'])
  })

  it('a lock held longer than the busy budget surfaces as a retryable StoreBusyError', async () => {
    const path = await freshPath()
    const holder = await open(path)
    const impatient = await open(path, { busyTimeoutMs: 20 })
    const patient = await open(path, { busyTimeoutMs: 3000 })
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const locked = new Promise<void>((started) => {
      void holder.transaction(async (tx) => {
        await tx.audit.append({ actor: 'holder', action: 'lock' })
        started()
        await held
      })
    })
    await locked
    const err = await impatient.audit.append({ actor: 'x', action: 'y' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreBusyError)
    expect(isRetryable(err)).toBe(true)
    const waiting = patient.audit.append({ actor: 'patient', action: 'z' })
    setTimeout(release, 150)
    await waiting
    expect((await holder.audit.recent()).map((e) => e.actor).sort()).toEqual(['holder', 'patient'])
  })
})
