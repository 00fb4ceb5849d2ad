/**
 * The venue page's kept score window (web/spanCache.ts) against the plain read it replaces
 * (`store.history.span`) on a real SQLite store: the same rows and the same risk score on the first
 * read, after new rows arrive (more than one page of them), with nothing new, and after reorg
 * rewinds — one that deletes the newest kept rows, one that replaces them with other blocks of the
 * same numbers before the next read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SampleInput, Store } from '../store'
import { openTempStore } from '../store/testing'
import { scoreWindowSecondsOf } from '../strategies/policy'
import type { Config, VenueConfig } from '../config/schema'
import { scoreOf } from './context'
import { spanOf } from './spanCache'
import { dashboardConfig } from './testing/world'

const VENUE = 'arb-aave'
const STEP = 60
const T = 1_780_000_000
const blockOf = (i: number) => 5_000_000n + BigInt(i) * 240n
const hashOf = (i: number, fork = 0) => `0x${(fork * 1_000_000 + i).toString(16).padStart(64, '0')}` as `0x${string}`

let store: Store
let config: Config
let venue: VenueConfig
let seconds: number
let cleanup: () => Promise<void>

function sample(i: number, fork = 0): SampleInput {
  const t = T + i * STEP
  const unavailable = i % 97 === 0
  return {
    venueId: VENUE,
    chain: 'arbitrum',
    blockNumber: blockOf(i),
    blockHash: hashOf(i, fork),
    blockTime: t,
    available: !unavailable,
    error: unavailable ? 'execution reverted' : null,
    apy: unavailable ? null : 0.04 + 0.01 * Math.sin(i / 50) + fork * 0.003,
    tvl: 10n ** 24n + BigInt(i) * 10n ** 18n,
    utilisation: 0.7,
    withdrawable: 10n ** 23n,
    peg: null,
    paused: false,
    // Every 11th reading does not cover the APY window: the score leaves it out.
    apySpanSeconds: i % 11 === 0 ? 60 : 30 * 86_400,
  }
}

async function insert(from: number, to: number, fork = 0): Promise<void> {
  const rows: SampleInput[] = []
  for (let i = from; i < to; i++) rows.push(sample(i, fork))
  await store.samples.insertMany(rows)
}

/** The kept answer, the plain answer, and the same score from each. */
async function compare(expectRead: 'full' | 'incremental') {
  const fast = await spanOf(store, VENUE, seconds)
  const plain = await store.history.span(VENUE, seconds)
  expect(fast.read).toBe(expectRead)
  expect(fast.rows).toEqual(plain)
  expect(scoreOf(config, venue, fast.rows, 10n ** 21n, 0.03)).toEqual(scoreOf(config, venue, plain, 10n ** 21n, 0.03))
  return { fast: fast.rows, plain }
}

beforeAll(async () => {
  const t = await openTempStore()
  store = t.store
  cleanup = t.cleanup
  config = dashboardConfig(t.path)
  venue = config.venues.find((v) => v.id === VENUE)!
  seconds = scoreWindowSecondsOf(config.strategy, venue.chain)
})

afterAll(async () => {
  await cleanup?.()
})

describe('the venue page kept score window equals history.span', () => {
  const perWindow = () => Math.floor(seconds / STEP)

  it('first read: read whole, the same rows as span (newest first, only the last window)', async () => {
    await insert(0, perWindow() + 300)
    const { plain } = await compare('full')
    // The span is a window of time, not all rows: older rows exist and are left out.
    expect(plain.length).toBe(perWindow())
    expect(plain[0]!.blockNumber).toBe(blockOf(perWindow() + 299))
    // The score is a real number (not frozen or excluded) with rows that count and rows that do not.
    expect(Number.isFinite(scoreOf(config, venue, plain, 10n ** 21n, 0.03).score)).toBe(true)
  })

  it('nothing new: the kept rows, unchanged', async () => {
    await compare('incremental')
  })

  it('a few new rows, then more than a page of them: only those are read and the window slides', async () => {
    await insert(perWindow() + 300, perWindow() + 310)
    const a = await compare('incremental')
    expect(a.plain[0]!.blockNumber).toBe(blockOf(perWindow() + 309))
    await insert(perWindow() + 310, perWindow() + 1_500)
    const b = await compare('incremental')
    expect(b.plain[0]!.blockNumber).toBe(blockOf(perWindow() + 1_499))
    expect(b.plain.at(-1)!.blockNumber).toBe(blockOf(1_500))
  })

  it('a reorg rewind deletes the newest kept rows: detected, read afresh', async () => {
    const last = perWindow() + 1_499
    await store.cursors.rewind('arbitrum', blockOf(last - 5), hashOf(last - 5))
    const { plain } = await compare('full')
    expect(plain[0]!.blockNumber).toBe(blockOf(last - 5))
  })

  it('a rewind replaced by another fork of the same block numbers before the next read: the hash tells', async () => {
    const last = perWindow() + 1_494
    await store.cursors.rewind('arbitrum', blockOf(last - 3), hashOf(last - 3))
    await insert(last - 2, last + 1, 1)
    const { plain } = await compare('full')
    // The new fork's rows (their APYs differ) are the ones scored.
    expect(plain[0]!.blockHash).toBe(hashOf(last, 1))
    await insert(last + 1, last + 4, 1)
    await compare('incremental')
  })
})
