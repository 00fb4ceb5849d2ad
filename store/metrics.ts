import { num, optNum, str } from './convert.js'
import type { Db } from './sqlite.js'

/**
 * Read-only aggregates for the Prometheus exporter (metrics/): counts grouped by status, state,
 * rule and severity. Every query reads a small table or an index; the one big table (samples) is
 * read incrementally by rowid (`samplesSince`), so a scrape stays cheap as history grows.
 */

export interface CountBy<K extends string> {
  /** The group's label values. */
  labels: Record<K, string>
  count: number
}

export interface GasRow {
  chain: string
  /** Wei, decimal string (gas used × effective gas price of one mined tx). */
  weiSpent: string
}

export interface MetricsQueries {
  /** Alert rows ever written, by rule, severity and kind (open / recovery); retracted rows included. */
  alertsRaised(): Promise<CountBy<'rule' | 'severity' | 'kind'>[]>
  /** Conditions open now, by rule and severity. */
  alertsOpen(): Promise<CountBy<'rule' | 'severity'>[]>
  plansByStatus(): Promise<CountBy<'status'>[]>
  intentsByStatus(): Promise<CountBy<'status' | 'chain'>[]>
  /** Gas paid by every mined intent (its receipt's gas used × effective price), one row per intent. */
  gasSpent(): Promise<GasRow[]>
  transfersByState(): Promise<CountBy<'state'>[]>
  /** Alert rows not yet delivered (nor retracted); and the oldest one's time (ms) or null. */
  undelivered(): Promise<{ count: number; oldestAt: number | null }>
  /** Per-chat delivery rows by status (telegram_deliveries). */
  deliveriesByStatus(): Promise<CountBy<'status'>[]>
  talliesByStatus(): Promise<CountBy<'status'>[]>
  castsByStatus(): Promise<CountBy<'status' | 'target'>[]>
  /** Samples with rowid above `afterRowid`, counted per chain, and the highest rowid seen (or `afterRowid`). */
  samplesSince(afterRowid: number): Promise<{ byChain: Record<string, number>; maxRowid: number }>
  /** The highest rowid of samples (0 when empty): where a new counter starts. */
  samplesMaxRowid(): Promise<number>
}

type Row = Record<string, string | number | null>

function grouped<K extends string>(rows: Row[], keys: readonly K[]): CountBy<K>[] {
  return rows.map((r) => ({ labels: Object.fromEntries(keys.map((k) => [k, str(r[k] ?? '')])) as Record<K, string>, count: num(r.n) }))
}

export function createMetrics(db: Db): MetricsQueries {
  const by = async <K extends string>(sql: string, keys: readonly K[]) => grouped(await db.all<Row>(sql), keys)
  return {
    alertsRaised: () => by('SELECT rule, severity, kind, COUNT(*) AS n FROM alerts GROUP BY rule, severity, kind ORDER BY rule, severity, kind', ['rule', 'severity', 'kind']),
    alertsOpen: () => by('SELECT rule, severity, COUNT(*) AS n FROM alert_state GROUP BY rule, severity ORDER BY rule, severity', ['rule', 'severity']),
    plansByStatus: () => by('SELECT status, COUNT(*) AS n FROM plans GROUP BY status ORDER BY status', ['status']),
    intentsByStatus: () => by('SELECT status, chain, COUNT(*) AS n FROM intents GROUP BY status, chain ORDER BY status, chain', ['status', 'chain']),
    async gasSpent() {
      const rows = await db.all<{ chain: string; gas_used: string; effective_gas_price: string }>(
        'SELECT chain, gas_used, effective_gas_price FROM intents WHERE gas_used IS NOT NULL AND effective_gas_price IS NOT NULL',
      )
      return rows.map((r) => ({ chain: str(r.chain), weiSpent: (BigInt(r.gas_used) * BigInt(r.effective_gas_price)).toString() }))
    },
    transfersByState: () => by('SELECT state, COUNT(*) AS n FROM transfers GROUP BY state ORDER BY state', ['state']),
    async undelivered() {
      const r = await db.get<{ n: number; oldest: number | null }>('SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM alerts WHERE delivered_at IS NULL AND retracted_at IS NULL')
      return { count: num(r?.n ?? 0), oldestAt: optNum(r?.oldest ?? null) }
    },
    deliveriesByStatus: () => by('SELECT status, COUNT(*) AS n FROM telegram_deliveries GROUP BY status ORDER BY status', ['status']),
    talliesByStatus: () => by('SELECT status, COUNT(*) AS n FROM gov_tallies GROUP BY status ORDER BY status', ['status']),
    castsByStatus: () => by('SELECT status, target, COUNT(*) AS n FROM gov_casts GROUP BY status, target ORDER BY status, target', ['status', 'target']),
    async samplesMaxRowid() {
      return num((await db.get<{ hi: number | null }>('SELECT MAX(rowid) AS hi FROM samples'))?.hi ?? 0)
    },
    async samplesSince(afterRowid) {
      // NOT INDEXED: a rowid range seek. Without it SQLite picks samples_chain_block for the GROUP BY
      // and reads the whole index (millions of entries at the mainnet profile) on every scrape.
      const rows = await db.all<{ chain: string; n: number; hi: number }>('SELECT chain, COUNT(*) AS n, MAX(rowid) AS hi FROM samples NOT INDEXED WHERE rowid > ? GROUP BY chain', [afterRowid])
      const byChain: Record<string, number> = {}
      let maxRowid = afterRowid
      for (const r of rows) {
        byChain[str(r.chain)] = num(r.n)
        maxRowid = Math.max(maxRowid, num(r.hi))
      }
      return { byChain, maxRowid }
    },
  }
}
