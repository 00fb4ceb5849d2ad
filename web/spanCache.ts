/**
 * The venue page's score window kept in memory: `store.history.span(venueId, seconds)` — a day of
 * raw samples, ~14,400 rows on Arbitrum — answered from the rows read by earlier renders plus only
 * the rows stored since, instead of reading and converting the whole span on every render.
 *
 * Exactness: the answer is the same array of samples (same order, same values) `span` would return:
 * - new rows are read newest first down the primary key (`history.window`, pages of `PAGE_ROWS`)
 *   until the newest kept row's block; that row must be found there with the same block hash, else
 *   (a reorg rewind deleted or replaced it) the span is read afresh;
 * - the kept rows are trimmed exactly as `span` stops: at the first row, walking down by block,
 *   whose time is at or before the newest row's time − seconds; should that bound ever move back
 *   (a newest row older than the previous one), the span is read afresh.
 * Rows are only ever added above the newest block (the watcher commits blocks in order; a rewind
 * deletes from a block up), and compaction deletes only rows older than the retention, which the
 * config keeps longer than any score window.
 */
import type { Sample, Store } from '../store'

/** Rows per page of the new-rows read (as `span`'s own pages). */
const PAGE_ROWS = 512

interface Kept {
  /** Newest first, exactly `span`'s answer at the time it was computed. */
  rows: Sample[]
  /** The lower time bound the rows were trimmed at (exclusive). */
  from: number
}

type Reader = Pick<Store, 'history'>

const kept = new WeakMap<Reader['history'], Map<string, Kept>>()

/** What `spanOf` did last (for tests and the bench): read the span afresh, or only the rows since. */
export type SpanRead = 'full' | 'incremental'

/** `store.history.span(venueId, seconds)`, kept per venue between calls; `read` says how it was answered. */
export async function spanOf(store: Reader, venueId: string, seconds: number): Promise<{ rows: Sample[]; read: SpanRead }> {
  let byVenue = kept.get(store.history)
  if (!byVenue) kept.set(store.history, (byVenue = new Map()))
  const key = `${venueId}\u0000${seconds}`
  const k = byVenue.get(key)
  const fresh = async () => {
    const rows = await store.history.span(venueId, seconds)
    byVenue.set(key, { rows, from: rows.length ? rows[0]!.blockTime - seconds : -Infinity })
    return { rows, read: 'full' as const }
  }
  if (!k || k.rows.length === 0) return fresh()
  const anchor = k.rows[0]!
  const added: Sample[] = []
  let before: bigint | undefined
  for (;;) {
    const page = await store.history.window(venueId, PAGE_ROWS, before === undefined ? {} : { beforeBlock: before })
    let found = false
    for (const r of page) {
      if (r.blockNumber > anchor.blockNumber) {
        added.push(r)
        continue
      }
      // The newest kept row must still be stored as it was: otherwise a rewind deleted or replaced it.
      if (r.blockNumber !== anchor.blockNumber || r.blockHash.toLowerCase() !== anchor.blockHash.toLowerCase()) return fresh()
      found = true
      break
    }
    if (found) break
    if (page.length < PAGE_ROWS) return fresh()
    before = page.at(-1)!.blockNumber
  }
  if (added.length === 0) return { rows: k.rows, read: 'incremental' }
  const from = added[0]!.blockTime - seconds
  if (from < k.from) return fresh()
  // `span` walks down by block and stops at the first row at or before `from`.
  const all = added.concat(k.rows)
  let end = all.findIndex((r) => r.blockTime <= from)
  if (end < 0) end = all.length
  const rows = end === all.length ? all : all.slice(0, end)
  byVenue.set(key, { rows, from })
  return { rows, read: 'incremental' }
}
