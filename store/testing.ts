import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, type OpenStoreOptions, type Store } from './db.js'

/** A fresh directory under the OS temp dir, for a test's SQLite file. */
export async function tempDir(prefix = 'poolwarden-store-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** A real store on a fresh file (tests: no mocks). `cleanup` closes it and removes the file. */
export async function openTempStore(opts: Omit<OpenStoreOptions, 'path'> = {}): Promise<{ store: Store; path: string; cleanup(): Promise<void> }> {
  const { dir, cleanup } = await tempDir()
  const path = join(dir, 'poolwarden.sqlite')
  const store = await openStore({ ...opts, path })
  return {
    store,
    path,
    cleanup: async () => {
      await store.close()
      await cleanup()
    },
  }
}
