import { Counter, Gauge, Registry } from 'prom-client'
import { IN_FLIGHT_STATES, INTENT_STATUSES, PLAN_STATUSES, TRANSFER_STATES } from '../store'
import type { MetricsSnapshot } from './snapshot'

/**
 * The Prometheus text exposition of one snapshot (a fresh prom-client registry per scrape: every
 * value comes from the store at scrape time, nothing is kept between scrapes but the sample
 * counter). Pure: data in, text out. Names are documented in README ("Metrics") and used by
 * ops/grafana-dashboard.json and ops/prometheus-alerts.yml.
 */
export const PREFIX = 'poolwarden_'

export async function renderMetrics(s: MetricsSnapshot): Promise<string> {
  const registry = new Registry()
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name: PREFIX + name, help, labelNames, registers: [registry] })
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name: PREFIX + name, help, labelNames, registers: [registry] })

  // ── chains ────────────────────────────────────────────────────────────────────────────────
  const head = gauge('chain_head_block', "The chain's head block, as its watcher last saw it.", ['chain'])
  const stored = gauge('chain_stored_block', 'The last block the watcher stored (samples and positions).', ['chain'])
  const lag = gauge('chain_lag_blocks', 'Head minus stored block.', ['chain'])
  for (const c of s.chains) {
    if (c.head !== null) head.set({ chain: c.chain }, Number(c.head))
    if (c.stored !== null) stored.set({ chain: c.chain }, Number(c.stored))
    if (c.head !== null && c.stored !== null) lag.set({ chain: c.chain }, Number(c.head - c.stored))
  }
  const samples = counter('samples_stored_total', 'Venue samples written to the store since the exporter started (from 0 per exporter process; rows later compacted or reorged away still count).', ['chain'])
  for (const [chain, n] of Object.entries(s.samplesStored)) samples.inc({ chain }, n)

  // ── agents: heartbeats, rounds, process, RPC ──────────────────────────────────────────────
  const beatAge = gauge('heartbeat_age_seconds', "Seconds since the agent's last heartbeat.", ['agent'])
  const beatPeriod = gauge('heartbeat_period_seconds', "The agent's own period (its loop interval, or a watcher's block time).", ['agent'])
  const rounds = counter('agent_rounds_total', 'Rounds the agent ran (since its process started).', ['agent'])
  const roundFailures = counter('agent_round_failures_total', 'Rounds that failed (logged, retried next round).', ['agent'])
  const roundSeconds = gauge('agent_round_duration_seconds', "The agent's last round, seconds.", ['agent'])
  const cpu = counter('agent_cpu_seconds_total', 'User and system CPU time of the agent process.', ['agent'])
  const rss = gauge('agent_resident_memory_bytes', 'Resident memory of the agent process.', ['agent'])
  const heap = gauge('agent_heap_used_bytes', 'V8 heap in use by the agent process.', ['agent'])
  const rpcRequests = counter('rpc_requests_total', 'HTTP requests to an RPC URL (host only; one JSON-RPC batch counts once), per agent process.', ['agent', 'host'])
  const rpcErrors = counter('rpc_errors_total', 'RPC requests that failed (network, HTTP status, not JSON-RPC).', ['agent', 'host'])
  const rpcSeconds = counter('rpc_request_seconds_total', 'Time spent in RPC requests; divide by rpc_requests_total for the mean latency.', ['agent', 'host'])
  for (const a of s.agents) {
    const l = { agent: a.agent }
    beatAge.set(l, Math.max(0, (s.at - a.beatAt) / 1000))
    if (a.periodMs !== null) beatPeriod.set(l, a.periodMs / 1000)
    if (a.rounds) {
      rounds.inc(l, a.rounds.n)
      roundFailures.inc(l, a.rounds.failed)
      roundSeconds.set(l, a.rounds.lastMs / 1000)
    }
    if (a.cpuSeconds !== null) cpu.inc(l, a.cpuSeconds)
    if (a.rssBytes !== null) rss.set(l, a.rssBytes)
    if (a.heapUsedBytes !== null) heap.set(l, a.heapUsedBytes)
    for (const [host, r] of Object.entries(a.rpc)) {
      rpcRequests.inc({ agent: a.agent, host }, r.requests)
      rpcErrors.inc({ agent: a.agent, host }, r.errors)
      rpcSeconds.inc({ agent: a.agent, host }, r.seconds)
    }
  }
  const gov = s.agents.find((a) => a.agent === 'governor')
  // Only with a governor heartbeat: an unlabelled metric is otherwise exposed as 0, which would read as "no rounds".
  if (gov?.rounds) {
    counter('governance_rounds_total', "The governor's rounds (discover, mirror, tally, cast), since its process started.", []).inc(gov.rounds.n)
    gauge('governance_round_duration_seconds', "The governor's last round, seconds: reading signals and tallying them.", []).set(gov.rounds.lastMs / 1000)
  }

  // ── alerts and Telegram ───────────────────────────────────────────────────────────────────
  const raised = counter('alerts_raised_total', 'Alert rows written (kind open or recovery), by rule and severity.', ['rule', 'severity', 'kind'])
  for (const r of s.alertsRaised) raised.inc(r.labels, r.count)
  const open = gauge('alerts_open', 'Conditions open now, by rule and severity.', ['rule', 'severity'])
  for (const r of s.alertsOpen) open.set(r.labels, r.count)
  const pending = gauge('telegram_deliveries_pending', 'Alert rows not yet delivered to every chat.', [])
  pending.set(s.undelivered.count)
  const oldest = gauge('telegram_oldest_undelivered_age_seconds', 'Age of the oldest undelivered alert (0 when none).', [])
  oldest.set(s.undelivered.oldestAt === null ? 0 : Math.max(0, (s.at - s.undelivered.oldestAt) / 1000))
  const deliveries = gauge('telegram_deliveries', 'Per-chat delivery rows by status (failed = given up after its attempts).', ['status'])
  for (const status of ['sent', 'suppressed', 'muted', 'digested', 'skipped', 'failed', 'pending']) deliveries.set({ status }, s.deliveries.find((d) => d.labels.status === status)?.count ?? 0)

  // ── plans, intents, gas, transfers ────────────────────────────────────────────────────────
  const plans = gauge('plans', 'Plans by status.', ['status'])
  for (const status of new Set([...PLAN_STATUSES, ...s.plans.map((p) => p.labels.status)])) plans.set({ status }, s.plans.find((p) => p.labels.status === status)?.count ?? 0)
  const intents = gauge('intents', 'Transaction intents by state and chain.', ['state', 'chain'])
  const chains = new Set([...s.chains.map((c) => c.chain), ...s.intents.map((i) => i.labels.chain)])
  for (const chain of chains)
    for (const state of new Set([...INTENT_STATUSES, ...s.intents.map((i) => i.labels.status)]))
      intents.set({ state, chain }, s.intents.find((i) => i.labels.status === state && i.labels.chain === chain)?.count ?? 0)
  const gas = counter('gas_spent_eth_total', 'Native gas paid by the pool\'s mined transactions (gas used × effective price), ETH.', ['chain'])
  for (const [chain, wei] of Object.entries(s.gasSpentWei)) gas.inc({ chain }, Number(wei) / 1e18)
  const transfers = gauge('transfers', 'Cross-chain transfers by state.', ['state'])
  for (const state of new Set([...TRANSFER_STATES, ...s.transfers.map((t) => t.labels.state)])) transfers.set({ state }, s.transfers.find((t) => t.labels.state === state)?.count ?? 0)
  const inFlight = gauge('transfers_in_flight', 'Transfers that left the source chain and have not landed.', [])
  inFlight.set(s.transfers.filter((t) => (IN_FLIGHT_STATES as readonly string[]).includes(t.labels.state)).reduce((n, t) => n + t.count, 0))

  // ── governance ────────────────────────────────────────────────────────────────────────────
  const tallies = counter('governance_tallies_total', 'Tallies stored, by status.', ['status'])
  for (const t of s.tallies) tallies.inc(t.labels, t.count)
  const casts = gauge('governance_casts', 'Votes of the pool by status and target.', ['status', 'target'])
  for (const c of s.casts) casts.set(c.labels, c.count)

  const up = gauge('exporter_scrape_timestamp_seconds', 'When this scrape read the store.', [])
  up.set(s.at / 1000)
  return registry.metrics()
}
