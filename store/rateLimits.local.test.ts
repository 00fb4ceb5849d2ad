import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openRateLimits, rateKey } from './rateLimits'
import { openDb } from './sqlite'
import { tempDir } from './testing'

let dir: { dir: string; cleanup(): Promise<void> }
beforeEach(async () => {
  dir = await tempDir('pw-ratelimits-')
})
afterEach(() => dir.cleanup())

const walBytes = (file: string): number => statSync(`${file}-wal`).size

describe('the shared pacing file', () => {
  it('a WAL kept from restarting by a reader grows; checkpoint() truncates it to 0 and keeps every slot', async () => {
    const file = join(dir.dir, 'pool.ratelimits.sqlite')
    const limits = await openRateLimits({ path: file })
    const key = rateKey('http://127.0.0.1:8545/secret-key')
    await limits.reserve(key, 'http://127.0.0.1:8545', 10, 1_000)

    // Another process reading at the moment of every automatic checkpoint (as ~15 agents do).
    const reader = await openDb({ path: file })
    await reader.run('BEGIN')
    await reader.get('SELECT count(*) AS n FROM rate_slots')
    for (let i = 0; i < 2_000; i++) await limits.reserve(key, 'http://127.0.0.1:8545', 10, 1_000)
    await reader.run('COMMIT')
    await reader.close()
    // 2,000 upserts of one row: 2,000 WAL frames of a 4 KiB page, more than the automatic checkpoint's 1,000.
    expect(walBytes(file)).toBeGreaterThan(4_000_000)

    expect(await limits.checkpoint()).toBe(true)
    expect(walBytes(file)).toBe(0)
    // 2,001 slots of 10 ms from t = 1,000: the next one leaves at 1,000 + 2,001 × 10.
    expect((await limits.state(key))?.nextAt).toBe(21_010)
    expect(await limits.reserve(key, 'http://127.0.0.1:8545', 10, 1_000)).toEqual({ slot: 21_010, blockedUntil: 0 })
    await limits.close()
  })
})
