import type { Db } from './sqlite.js'

/** Bytes of the store's file in use, by table and index (SQLite's dbstat), and its free pages. */
export interface StoreSize {
  pageSize: number
  /** Pages in the file (used and free). */
  pages: number
  freePages: number
  /** Bytes of pages in use: pages − free pages, times the page size. */
  usedBytes: number
  /** Bytes of the pages of each table and index (name → bytes). */
  objects: Record<string, number>
}

export async function storeSize(db: Db): Promise<StoreSize> {
  const pageSize = (await db.get<{ page_size: number }>('PRAGMA page_size'))!.page_size
  const pages = (await db.get<{ page_count: number }>('PRAGMA page_count'))!.page_count
  const freePages = (await db.get<{ freelist_count: number }>('PRAGMA freelist_count'))!.freelist_count
  const objects: Record<string, number> = {}
  for (const r of await db.all<{ name: string; bytes: number }>('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name')) objects[r.name] = r.bytes
  return { pageSize, pages, freePages, usedBytes: (pages - freePages) * pageSize, objects }
}
