import type { CountBy, Store } from '../store'

/**
 * Everything the exporter exposes, read from the store in one pass: the store's own tables
 * (plans, intents, alerts, transfers, governance, Telegram deliveries, samples) and the agents'
 * heartbeats, which carry what only each process knows (its RPC counters per URL host, CPU and
 * memory: core/metrics.ts; a watcher's head and lag; the runtime's rounds).
 */

export interface RpcCounters {
  requests: number
  errors: number
  seconds: number
}

export interface AgentSnapshot {
  agent: string
  beatAt: number
  periodMs: number | null
  rounds: { n: number; failed: number; lastMs: number } | null
  cpuSeconds: number | null
  rssBytes: number | null
  heapUsedBytes: number | null
  /** V8's committed heap and external (Buffer) memory: core/metrics.ts processStats. */
  heapTotalBytes: number | null
  externalBytes: number | null
  /** By URL host (scheme://host[:port], never a path). */
  rpc: Record<string, RpcCounters>
}

export interface ChainSnapshot {
  chain: string
  /** The chain's head as the watcher last saw it. */
  head: bigint | null
  /** The last block the watcher stored. */
  stored: bigint | null
}

export interface MetricsSnapshot {
  at: number
  chains: ChainSnapshot[]
  agents: AgentSnapshot[]
  /** Samples written since the exporter started (cumulative: see SampleCounter). */
  samplesStored: Record<string, number>
  alertsRaised: CountBy<'rule' | 'severity' | 'kind'>[]
  alertsOpen: CountBy<'rule' | 'severity'>[]
  plans: CountBy<'status'>[]
  intents: CountBy<'status' | 'chain'>[]
  /** Wei per chain. */
  gasSpentWei: Record<string, bigint>
  transfers: CountBy<'state'>[]
  undelivered: { count: number; oldestAt: number | null }
  deliveries: CountBy<'status'>[]
  tallies: CountBy<'status'>[]
  casts: CountBy<'status' | 'target'>[]
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const big = (v: unknown): bigint | null => {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v)
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v)
  return null
}

/** One heartbeat's info as the exporter reads it: unknown or malformed fields are left out, never guessed. */
export function agentFromHeartbeat(agent: string, beatAt: number, info: unknown): AgentSnapshot {
  const i = isRecord(info) ? info : {}
  const proc = isRecord(i.process) ? i.process : {}
  const r = isRecord(i.rounds) ? i.rounds : null
  const rpc: Record<string, RpcCounters> = {}
  if (isRecord(i.rpc)) {
    for (const [host, v] of Object.entries(i.rpc)) {
      if (!isRecord(v)) continue
      const requests = finite(v.requests)
      const errors = finite(v.errors)
      const seconds = finite(v.seconds)
      if (requests !== null && errors !== null && seconds !== null) rpc[host] = { requests, errors, seconds }
    }
  }
  return {
    agent,
    beatAt,
    periodMs: finite(i.periodMs) ?? finite(i.blockTimeMs),
    rounds: r && finite(r.n) !== null ? { n: finite(r.n)!, failed: finite(r.failed) ?? 0, lastMs: finite(r.lastMs) ?? 0 } : null,
    cpuSeconds: finite(proc.cpuSeconds),
    rssBytes: finite(proc.rssBytes),
    heapUsedBytes: finite(proc.heapUsedBytes),
    heapTotalBytes: finite(proc.heapTotalBytes),
    externalBytes: finite(proc.externalBytes),
    rpc,
  }
}

/**
 * Counts samples written since the exporter started, incrementally: the first read only notes
 * the highest rowid (one index seek), later reads count the rows above it (a rowid range). A
 * Prometheus counter that starts at 0 with its process (rate() and increase() handle the reset);
 * compaction or a reorg deleting rows never makes it go down, and no scrape reads the whole table
 * (counting the full tier once took ~2 s on the month-sized store: bench history).
 */
export class SampleCounter {
  private maxRowid: number | null = null
  private readonly totals: Record<string, number> = {}

  constructor(private readonly chains: readonly string[] = []) {
    for (const c of chains) this.totals[c] = 0
  }

  async read(store: Pick<Store, 'metrics'>): Promise<Record<string, number>> {
    if (this.maxRowid === null) {
      this.maxRowid = await store.metrics.samplesMaxRowid()
      return { ...this.totals }
    }
    const r = await store.metrics.samplesSince(this.maxRowid)
    for (const [chain, n] of Object.entries(r.byChain)) this.totals[chain] = (this.totals[chain] ?? 0) + n
    this.maxRowid = r.maxRowid
    return { ...this.totals }
  }
}

export async function readSnapshot(store: Store, samples: SampleCounter, chainNames: readonly string[], now = Date.now()): Promise<MetricsSnapshot> {
  const [beats, cursors, samplesStored, alertsRaised, alertsOpen, plans, intents, gas, transfers, undelivered, deliveries, tallies, casts] = await Promise.all([
    store.heartbeats.all(),
    store.cursors.list(),
    samples.read(store),
    store.metrics.alertsRaised(),
    store.metrics.alertsOpen(),
    store.metrics.plansByStatus(),
    store.metrics.intentsByStatus(),
    store.metrics.gasSpent(),
    store.metrics.transfersByState(),
    store.metrics.undelivered(),
    store.metrics.deliveriesByStatus(),
    store.metrics.talliesByStatus(),
    store.metrics.castsByStatus(),
  ])
  const chains: ChainSnapshot[] = chainNames.map((chain) => {
    const hb = beats.find((b) => isRecord(b.info) && b.info.chain === chain && b.agent.startsWith('watcher'))
    return { chain, head: hb && isRecord(hb.info) ? big(hb.info.head) : null, stored: cursors.find((c) => c.chain === chain)?.blockNumber ?? null }
  })
  const gasSpentWei: Record<string, bigint> = Object.fromEntries(chainNames.map((c) => [c, 0n]))
  for (const g of gas) gasSpentWei[g.chain] = (gasSpentWei[g.chain] ?? 0n) + BigInt(g.weiSpent)
  return {
    at: now,
    chains,
    agents: beats.map((b) => agentFromHeartbeat(b.agent, b.beatAt, b.info)),
    samplesStored,
    alertsRaised,
    alertsOpen,
    plans,
    intents,
    gasSpentWei,
    transfers,
    undelivered,
    deliveries,
    tallies,
    casts,
  }
}
