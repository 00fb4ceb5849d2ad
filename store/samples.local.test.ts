import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Store } from './db.js'
import { StoreError } from './errors.js'
import { openDb } from './sqlite.js'
import { openTempStore } from './testing.js'
import type { Hex, SampleInput } from './types.js'

let store: Store
let path: string
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, path, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const hash = (n: bigint | number): Hex => `0x${n.toString(16).padStart(64, '0')}`

function sample(venueId: string, block: bigint, extra: Partial<SampleInput> = {}): SampleInput {
  return { venueId, chain: 'ethereum', blockNumber: block, blockHash: hash(block), blockTime: 1_700_000_000 + Number(block) * 12, available: true, exchangeRate: 10n ** 18n + block, apy: 0.03, ...extra }
}

describe('samples', () => {
  it('round-trips every field exactly, including huge amounts and nulls', async () => {
    const big = 2n ** 200n + 12345n
    await store.samples.insertMany([
      sample('vault', 100n, { tvl: big, withdrawable: 0n, utilisation: 0.875, peg: 0.9991, paused: false, apy: 0.0412 }),
      sample('lst', 100n, { available: false, error: 'execution reverted: paused', exchangeRate: null, apy: null }),
    ])
    const v = await store.samples.at('vault', 100n)
    expect(v).toMatchObject({ venueId: 'vault', chain: 'ethereum', blockNumber: 100n, blockHash: hash(100n), blockTime: 1_700_001_200, available: true, error: null, exchangeRate: 10n ** 18n + 100n, apy: 0.0412, tvl: big, utilisation: 0.875, withdrawable: 0n, peg: 0.9991, paused: false })
    expect(typeof v?.createdAt).toBe('number')
    const l = await store.samples.at('lst', 100n)
    expect(l).toMatchObject({ available: false, error: 'execution reverted: paused', exchangeRate: null, apy: null, tvl: null, utilisation: null, withdrawable: null, peg: null, paused: null })
  })

  it('keeps how far back the readings behind an APY reach (apy_span_seconds, migration 008); unknown is null', async () => {
    await store.samples.insertMany([sample('vault', 7n, { apySpanSeconds: 86_400 }), sample('vault', 8n)])
    expect((await store.samples.at('vault', 7n))?.apySpanSeconds).toBe(86_400)
    expect((await store.samples.at('vault', 8n))?.apySpanSeconds).toBeNull()
    expect((await store.samples.recent('vault', 2)).map((x) => x.apySpanSeconds)).toEqual([null, 86_400])
  })

  it('re-inserting the same block is a no-op (idempotent back-fill)', async () => {
    expect(await store.samples.insertMany([sample('a', 1n), sample('a', 2n)])).toBe(2)
    expect(await store.samples.insertMany([sample('a', 2n, { apy: 0.99 }), sample('a', 3n)])).toBe(1)
    expect((await store.samples.at('a', 2n))?.apy).toBe(0.03) // the first write stays
    expect(await store.samples.countByVenue()).toEqual([{ venueId: 'a', chain: 'ethereum', count: 3 }])
    expect(await store.samples.insertMany([])).toBe(0)
  })

  it('rejects invalid values before writing anything', async () => {
    await expect(store.samples.insertMany([sample('a', 1n), sample('a', 2n, { apy: Number.NaN })])).rejects.toThrow(StoreError)
    await expect(store.samples.insertMany([sample('a', -1n)])).rejects.toThrow(/outside 0\.\.2\^53-1/)
    await expect(store.samples.insertMany([sample('a', 2n ** 53n)])).rejects.toThrow(StoreError)
    expect(await store.samples.countByVenue()).toEqual([])
  })

  it('latest per venue, recent N newest first, counts, and block ranges', async () => {
    const rows: SampleInput[] = []
    for (let b = 10n; b <= 20n; b++) {
      if (b === 15n) continue // a gap
      rows.push(sample('a', b, { available: b !== 20n }))
      if (b % 2n === 0n) rows.push(sample('b', b))
    }
    rows.push({ ...sample('c', 7n), chain: 'arbitrum' })
    await store.samples.insertMany(rows)

    const latest = await store.samples.latestPerVenue()
    expect(latest.map((s) => [s.chain, s.venueId, s.blockNumber])).toEqual([
      ['arbitrum', 'c', 7n],
      ['ethereum', 'a', 20n],
      ['ethereum', 'b', 20n],
    ])
    expect((await store.samples.latestPerVenue({ chain: 'arbitrum' })).map((s) => s.venueId)).toEqual(['c'])

    expect((await store.samples.recent('a', 3)).map((s) => s.blockNumber)).toEqual([20n, 19n, 18n])
    expect((await store.samples.recent('a', 3, { availableOnly: true })).map((s) => s.blockNumber)).toEqual([19n, 18n, 17n])
    expect((await store.samples.recent('a', 2, { beforeBlock: 17n })).map((s) => s.blockNumber)).toEqual([16n, 14n])

    expect(await store.samples.countByVenue({ chain: 'ethereum' })).toEqual([
      { venueId: 'a', chain: 'ethereum', count: 10 },
      { venueId: 'b', chain: 'ethereum', count: 6 },
    ])
    expect(await store.samples.blocksBetween('ethereum', 13n, 17n)).toEqual([13n, 14n, 16n, 17n])
    expect(await store.samples.missingBlocks('ethereum', 8n, 16n)).toEqual([8n, 9n, 15n])
    expect(await store.samples.blocksBetween('arbitrum', 0n, 100n)).toEqual([7n])
  })
})

describe('positions', () => {
  it('upserts per (venue, block) and returns the latest per venue', async () => {
    await store.positions.upsert({ chain: 'ethereum', venueId: 'a', blockNumber: 5n, amount: 100n, shares: 90n })
    await store.positions.upsert({ chain: 'ethereum', venueId: 'a', blockNumber: 5n, amount: 101n, shares: 91n })
    await store.positions.upsertMany([
      { chain: 'ethereum', venueId: 'a', blockNumber: 4n, amount: 1n },
      { chain: 'base', venueId: 'b', blockNumber: 9n, amount: 2n ** 100n },
    ])
    expect(await store.positions.latest('a')).toMatchObject({ blockNumber: 5n, amount: 101n, shares: 91n })
    expect((await store.positions.latestPerVenue()).map((p) => [p.venueId, p.amount, p.shares])).toEqual([
      ['b', 2n ** 100n, null],
      ['a', 101n, 91n],
    ])
    expect(await store.positions.latestPerVenue({ chain: 'base' })).toHaveLength(1)
    expect(await store.positions.latest('nope')).toBeUndefined()
  })
})

describe('watch cursor', () => {
  it('commits a block: samples and cursor together; re-committing is a no-op; never moves back', async () => {
    expect(await store.cursors.get('ethereum')).toBeUndefined()
    const r1 = await store.cursors.commitBlock({ chain: 'ethereum', blockNumber: 10n, blockHash: hash(10n), samples: [sample('a', 10n), sample('b', 10n)], positions: [{ chain: 'ethereum', venueId: 'a', blockNumber: 10n, amount: 5n }] })
    expect(r1).toEqual({ inserted: 2, cursorAdvanced: true })
    expect(await store.cursors.get('ethereum')).toMatchObject({ chain: 'ethereum', blockNumber: 10n, blockHash: hash(10n) })
    expect((await store.positions.latest('a'))?.amount).toBe(5n)

    expect(await store.cursors.commitBlock({ chain: 'ethereum', blockNumber: 10n, blockHash: hash(10n), samples: [sample('a', 10n), sample('b', 10n)] })).toEqual({ inserted: 0, cursorAdvanced: false })
    expect(await store.cursors.commitBlock({ chain: 'ethereum', blockNumber: 9n, blockHash: hash(9n), samples: [sample('a', 9n)] })).toEqual({ inserted: 1, cursorAdvanced: false })
    expect((await store.cursors.get('ethereum'))?.blockNumber).toBe(10n)
    expect(await store.cursors.commitBlock({ chain: 'ethereum', blockNumber: 11n, blockHash: hash(11n), samples: [] })).toEqual({ inserted: 0, cursorAdvanced: true })
    expect((await store.cursors.list()).map((c) => [c.chain, c.blockNumber])).toEqual([['ethereum', 11n]])
  })

  it('a failure inside commitBlock after the samples are written leaves neither samples nor cursor', async () => {
    await store.cursors.commitBlock({ chain: 'ethereum', blockNumber: 1n, blockHash: hash(1n), samples: [sample('a', 1n)] })
    // Make the cursor write fail inside the transaction, after the samples were inserted.
    const db = await openDb({ path })
    await db.exec(`CREATE TRIGGER fail_cursor BEFORE UPDATE ON watch_cursors WHEN NEW.block_number = 2
      BEGIN SELECT RAISE(ABORT, 'injected failure'); END`)
    await db.close()
    await expect(store.cursors.commitBlock({ chain: 'ethereum', blockNumber: 2n, blockHash: hash(2n), samples: [sample('a', 2n), sample('b', 2n)] })).rejects.toThrow(/injected failure/)
    expect(await store.samples.blocksBetween('ethereum', 0n, 10n)).toEqual([1n])
    expect((await store.cursors.get('ethereum'))?.blockNumber).toBe(1n)
  })

  it('a store transaction composes commitBlock with alerts atomically', async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.cursors.commitBlock({ chain: 'ethereum', blockNumber: 3n, blockHash: hash(3n), samples: [sample('a', 3n)] })
        await tx.alerts.raise({ dedupKey: 'k', agent: 'watcher', rule: 'r', subject: 'a', severity: 'warning', title: 't' })
        throw new Error('crash before commit')
      }),
    ).rejects.toThrow('crash before commit')
    expect(await store.cursors.get('ethereum')).toBeUndefined()
    expect(await store.samples.countByVenue()).toEqual([])
    expect(await store.alerts.open()).toEqual([])
  })

  it('refuses samples of another block or chain', async () => {
    await expect(store.cursors.commitBlock({ chain: 'ethereum', blockNumber: 5n, blockHash: hash(5n), samples: [sample('a', 6n)] })).rejects.toThrow(/is for ethereum@6/)
    await expect(store.cursors.commitBlock({ chain: 'base', blockNumber: 5n, blockHash: hash(5n), samples: [sample('a', 5n)] })).rejects.toThrow(StoreError)
    await expect(store.cursors.commitBlock({ chain: 'ethereum', blockNumber: 5n, blockHash: hash(6n), samples: [sample('a', 5n)] })).rejects.toThrow(/block hash/)
  })

  it('rewind deletes samples and positions above a block and sets the cursor', async () => {
    for (let b = 1n; b <= 5n; b++) {
      await store.cursors.commitBlock({ chain: 'ethereum', blockNumber: b, blockHash: hash(b), samples: [sample('a', b)], positions: [{ chain: 'ethereum', venueId: 'a', blockNumber: b, amount: b }] })
    }
    await store.samples.insertMany([{ ...sample('z', 9n), chain: 'base' }])
    await store.cursors.rewind('ethereum', 3n, hash(3n))
    expect(await store.samples.blocksBetween('ethereum', 0n, 10n)).toEqual([1n, 2n, 3n])
    expect((await store.positions.latest('a'))?.blockNumber).toBe(3n)
    expect(await store.cursors.get('ethereum')).toMatchObject({ blockNumber: 3n, blockHash: hash(3n) })
    expect(await store.samples.blocksBetween('base', 0n, 10n)).toEqual([9n])
  })
})
