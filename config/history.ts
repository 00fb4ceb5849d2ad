import { z } from 'zod'

/**
 * `config.history`: how long samples are kept at full resolution before the watcher's background
 * compaction folds them into hourly aggregates per venue (store/history.ts), which are kept for
 * good. The sampling cadence itself is `watch.sampleEverySeconds` / `chains[i].sampleEverySeconds`.
 */
export const historyConfig = z.object({
  /** Full samples (every stored block) are kept this many days; older ones live on as hourly aggregates. */
  fullRetentionDays: z.number().positive().default(7),
  /** The watcher runs a compaction pass this often (seconds). */
  compactEverySeconds: z.number().int().positive().default(60),
  /** Rows per compaction transaction (each holds the write lock briefly; writers wait at most one batch). */
  compactBatchRows: z.number().int().min(100).max(100_000).default(2_000),
})

export type HistoryConfig = z.infer<typeof historyConfig>

/** Chains with blocks at least this long are sampled every block by default. */
export const EVERY_BLOCK_FROM_MS = 2_000

/**
 * A chain's sampling cadence in seconds (0: every block): its own `sampleEverySeconds`, else
 * `watch.sampleEverySeconds`, else every block where blocks take ≥ 2 s and
 * `watch.minSampleIntervalSeconds` on faster chains. A block with an alert-worthy change is
 * stored whatever the cadence (watch/cadence.ts).
 */
export function sampleEverySecondsOf(
  config: { chains: readonly { name: string; blockTimeMs: number; sampleEverySeconds?: number }[]; watch: { sampleEverySeconds?: number; minSampleIntervalSeconds: number } },
  chain: string,
): number {
  const c = config.chains.find((x) => x.name === chain)
  if (c?.sampleEverySeconds !== undefined) return c.sampleEverySeconds
  if (config.watch.sampleEverySeconds !== undefined) return config.watch.sampleEverySeconds
  return (c?.blockTimeMs ?? 12_000) >= EVERY_BLOCK_FROM_MS ? 0 : config.watch.minSampleIntervalSeconds
}
