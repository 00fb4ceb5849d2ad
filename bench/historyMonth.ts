/**
 * A compacted synthetic month at the mainnet profile's rates, for timing what reads the store's
 * history (the dashboard's 30-day pages, a `/metrics` scrape): one SQLite file, 3 chains × 5
 * venues, written through the store's own write path and compacted by the store's own compaction
 * (store/history.ts) as the watchers would leave it.
 *
 * What is generated (said in the bench's output too):
 * - the last `fullRetentionDays` (7 by default): every venue at its chain's default cadence
 *   (config/history.ts: Arbitrum a sample every 6 s, Base every 2 s block, Ethereum every 12 s
 *   block): ~64,800 samples per day per set of one venue on each chain, ~2.3 M rows in all;
 * - the 23 days before: a sample every `OLD_STEP_SECONDS` per venue (coarser than the cadence to
 *   keep the bench short: those days survive only as hourly aggregates, one row per venue-hour
 *   whatever the rate folded into it);
 * - positions: one row per venue per hour (accrual stored at most hourly) plus a share change a
 *   day; then `history.compact` folds every complete hour and deletes raw rows past the retention.
 */
import { randomBytes } from 'node:crypto'
import type { Config } from '../config/schema'
import { configSchema } from '../config/schema'
import { historyConfig, sampleEverySecondsOf } from '../config/history'
import { watch as watchSchema } from '../config/schema'
import { openStore, type Store } from '../store'
import type { PositionInput, SampleInput } from '../store/types'

const DAY = 86_400
const HOUR = 3_600
export const MONTH_DAYS = 30
export const OLD_STEP_SECONDS = 120
/** Newest block time of the month (hour aligned). */
export const MONTH_END = 1_767_225_600 + MONTH_DAYS * DAY

export const MONTH_CHAINS = [
  { chain: 'arbitrum', chainId: 42_161, blockTimeMs: 250 },
  { chain: 'base', chainId: 8_453, blockTimeMs: 2_000 },
  { chain: 'ethereum', chainId: 1, blockTimeMs: 12_000 },
] as const

const addr = (n: number) => `0x${n.toString(16).padStart(40, '0')}`
export const venueIdOf = (chain: string, i: number) => `${chain}-venue-${i}`

/** A mainnet-profile config over the month's venues: on each chain venue 0 is the collateral LST, 1–4 ERC-4626 vaults over it. */
export function monthConfig(storePath: string): Config {
  return configSchema.parse({
    profile: 'bench-month',
    store: { path: storePath },
    chains: MONTH_CHAINS.map((c) => ({ name: c.chain, chainId: c.chainId, rpc: [{ url: `https://${c.chain}.example` }], blockTimeMs: c.blockTimeMs })),
    pool: {
      account: '0x00000000000000000000000000000000DeaDBeef',
      collateral: MONTH_CHAINS.map((c, k) => ({ chain: c.chain, symbol: 'wstETH', token: addr(0x1000 + k) })),
    },
    venues: MONTH_CHAINS.flatMap((c, k) => [
      { id: venueIdOf(c.chain, 0), chain: c.chain, protocol: 'lido', kind: 'lst', address: addr(0x1000 + k), rateMethod: 'stEthPerToken' },
      ...[1, 2, 3, 4].map((i) => ({ id: venueIdOf(c.chain, i), chain: c.chain, protocol: `vault-${i}`, kind: 'erc4626', address: addr(0x2000 + k * 16 + i) })),
    ]),
  })
}

function lcg(seed: number) {
  let x = seed
  return () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
}

export interface MonthStore {
  store: Store
  config: Config
  rawRows: number
  hourRows: number
  buildSeconds: number
}

/** Builds and compacts the month in `dir`; the caller closes the store. */
export async function buildMonthStore(dir: string): Promise<MonthStore> {
  const started = performance.now()
  const path = `${dir}/month.sqlite`
  const config = monthConfig(path)
  const store = await openStore({ path })
  const retention = historyConfig.parse({}).fullRetentionDays
  const minInterval = watchSchema.parse({}).minSampleIntervalSeconds
  const start = MONTH_END - MONTH_DAYS * DAY
  const fullFrom = MONTH_END - retention * DAY
  const hash = `0x${randomBytes(32).toString('hex')}` as `0x${string}`
  for (const [k, c] of MONTH_CHAINS.entries()) {
    const every = Math.max(c.blockTimeMs / 1000, sampleEverySecondsOf({ chains: [{ name: c.chain, blockTimeMs: c.blockTimeMs }], watch: { minSampleIntervalSeconds: minInterval } }, c.chain))
    const blockAt = (t: number) => 300_000_000n + BigInt(Math.round(((t - start) * 1000) / c.blockTimeMs))
    for (let i = 0; i < 5; i++) {
      const venueId = venueIdOf(c.chain, i)
      const rnd = lcg(101 + k * 7 + i)
      let samples: SampleInput[] = []
      let positions: PositionInput[] = []
      let shares = 10n ** 21n * BigInt(i + 1)
      let lastPositionHour = -1
      const flush = async () => {
        const s = samples
        const p = positions
        samples = []
        positions = []
        await store.transaction(async (tx) => {
          await tx.samples.insertMany(s)
          if (p.length) await tx.positions.upsertMany(p)
        })
      }
      for (let t = start; t < MONTH_END; t += t < fullFrom ? OLD_STEP_SECONDS : every) {
        const block = blockAt(t)
        const n = (t - start) / 60
        const rate = 1_180_000_000_000_000_000n + BigInt(Math.floor(n)) * 1_000_000_000n
        const tvl = 12_345n * 10n ** 21n + BigInt(Math.floor(rnd() * 1e9)) * 10n ** 12n
        samples.push({
          venueId,
          chain: c.chain,
          blockNumber: block,
          blockHash: hash,
          blockTime: t,
          available: true,
          exchangeRate: rate,
          apy: 0.03 + 0.005 * Math.sin(n / 700 + i) + (rnd() - 0.5) * 0.002,
          tvl,
          utilisation: 0.6 + rnd() * 0.2,
          withdrawable: tvl / 3n,
          peg: i === 0 ? 0.9994 + rnd() * 0.0006 : null,
          paused: false,
          apySpanSeconds: 86_400,
        })
        const h = Math.floor(t / HOUR)
        if (h !== lastPositionHour) {
          if (h % 24 === 7) shares += 10n ** 19n
          positions.push({ venueId, chain: c.chain, blockNumber: block, amount: (shares * rate) / 10n ** 18n, shares })
          lastPositionHour = h
        }
        if (samples.length >= 50_000) await flush()
      }
      await flush()
    }
  }
  const venues = config.venues.map((v) => v.id)
  if (process.env.POOLWARDEN_BENCH_VERBOSE) console.error(`month: written in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  await store.history.compact({ venues, now: MONTH_END, fullRetentionSeconds: retention * DAY, batchRows: historyConfig.parse({}).compactBatchRows })
  const counts = await store.samples.countByVenue()
  let hourRows = 0
  for (const v of venues) hourRows += (await store.history.hours(v, { from: start, to: MONTH_END })).length
  return { store, config, rawRows: counts.reduce((a, x) => a + x.count, 0), hourRows, buildSeconds: (performance.now() - started) / 1000 }
}
