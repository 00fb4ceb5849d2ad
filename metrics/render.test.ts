import { expect, it } from 'vitest'
import { parsePrometheusText, valueOf } from '../test/promText'
import { renderMetrics } from './render'
import { agentFromHeartbeat, type MetricsSnapshot } from './snapshot'

const AT = 1_700_000_100_000

function snapshot(): MetricsSnapshot {
  return {
    at: AT,
    chains: [
      { chain: 'ethereum', head: 120n, stored: 117n },
      { chain: 'base', head: null, stored: null },
    ],
    agents: [
      agentFromHeartbeat('watcher-ethereum', AT - 4_000, {
        chain: 'ethereum',
        head: '120',
        blockTimeMs: 12_000,
        process: { cpuSeconds: 1.5, rssBytes: 80_000_000, heapUsedBytes: 20_000_000, startedAt: 1 },
        rpc: { 'https://eth.example.org': { requests: 40, errors: 3, seconds: 2 }, 'http://127.0.0.1:8545': { requests: 5, errors: 0, seconds: 0.25 } },
      }),
      agentFromHeartbeat('governor', AT - 1_000, { periodMs: 500, rounds: { n: 7, failed: 1, lastMs: 250 }, process: { cpuSeconds: 0.5, rssBytes: 70_000_000, heapUsedBytes: 1, startedAt: 1 }, rpc: {} }),
      // A label value that needs escaping, and a heartbeat with nothing the exporter knows.
      agentFromHeartbeat('odd "name"\\x', AT, 'not an object'),
    ],
    samplesStored: { ethereum: 15, base: 0 },
    alertsRaised: [
      { labels: { rule: 'depeg', severity: 'critical', kind: 'open' }, count: 2 },
      { labels: { rule: 'depeg', severity: 'critical', kind: 'recovery' }, count: 1 },
    ],
    alertsOpen: [{ labels: { rule: 'depeg', severity: 'critical' }, count: 1 }],
    plans: [{ labels: { status: 'completed' }, count: 4 }],
    intents: [{ labels: { status: 'confirmed', chain: 'ethereum' }, count: 6 }],
    gasSpentWei: { ethereum: 1_500_000_000_000_000n, base: 0n },
    transfers: [
      { labels: { state: 'initiated' }, count: 1 },
      { labels: { state: 'vaa_signed' }, count: 2 },
      { labels: { state: 'deposited' }, count: 5 },
    ],
    undelivered: { count: 3, oldestAt: AT - 90_000 },
    deliveries: [{ labels: { status: 'failed' }, count: 2 }],
    tallies: [{ labels: { status: 'ok' }, count: 9 }],
    casts: [{ labels: { status: 'accepted', target: 'snapshot' }, count: 2 }],
  }
}

it('renders a snapshot as valid Prometheus text with the values of the store and the heartbeats', async () => {
  const m = parsePrometheusText(await renderMetrics(snapshot()))
  expect(valueOf(m, 'poolwarden_chain_head_block', { chain: 'ethereum' })).toBe(120)
  expect(valueOf(m, 'poolwarden_chain_stored_block', { chain: 'ethereum' })).toBe(117)
  expect(valueOf(m, 'poolwarden_chain_lag_blocks', { chain: 'ethereum' })).toBe(3)
  // Unknown heads are absent, never 0.
  expect(valueOf(m, 'poolwarden_chain_head_block', { chain: 'base' })).toBeUndefined()
  expect(valueOf(m, 'poolwarden_samples_stored_total', { chain: 'ethereum' })).toBe(15)
  expect(valueOf(m, 'poolwarden_rpc_requests_total', { agent: 'watcher-ethereum', host: 'https://eth.example.org' })).toBe(40)
  expect(valueOf(m, 'poolwarden_rpc_errors_total', { agent: 'watcher-ethereum', host: 'https://eth.example.org' })).toBe(3)
  expect(valueOf(m, 'poolwarden_rpc_request_seconds_total', { agent: 'watcher-ethereum', host: 'http://127.0.0.1:8545' })).toBe(0.25)
  expect(valueOf(m, 'poolwarden_heartbeat_age_seconds', { agent: 'watcher-ethereum' })).toBe(4)
  expect(valueOf(m, 'poolwarden_heartbeat_period_seconds', { agent: 'watcher-ethereum' })).toBe(12)
  expect(valueOf(m, 'poolwarden_agent_cpu_seconds_total', { agent: 'governor' })).toBe(0.5)
  expect(valueOf(m, 'poolwarden_agent_resident_memory_bytes', { agent: 'watcher-ethereum' })).toBe(80_000_000)
  expect(valueOf(m, 'poolwarden_governance_rounds_total')).toBe(7)
  expect(valueOf(m, 'poolwarden_governance_round_duration_seconds')).toBe(0.25)
  expect(valueOf(m, 'poolwarden_agent_round_failures_total', { agent: 'governor' })).toBe(1)
  expect(valueOf(m, 'poolwarden_alerts_raised_total', { rule: 'depeg', severity: 'critical', kind: 'open' })).toBe(2)
  expect(valueOf(m, 'poolwarden_alerts_open', { rule: 'depeg', severity: 'critical' })).toBe(1)
  expect(valueOf(m, 'poolwarden_plans', { status: 'completed' })).toBe(4)
  // Every known status has a series (0 when none), so a dashboard's sum never has holes.
  expect(valueOf(m, 'poolwarden_plans', { status: 'failed' })).toBe(0)
  expect(valueOf(m, 'poolwarden_intents', { state: 'confirmed', chain: 'ethereum' })).toBe(6)
  expect(valueOf(m, 'poolwarden_intents', { state: 'broadcast', chain: 'base' })).toBe(0)
  expect(valueOf(m, 'poolwarden_gas_spent_eth_total', { chain: 'ethereum' })).toBe(0.0015)
  expect(valueOf(m, 'poolwarden_transfers_in_flight')).toBe(3)
  expect(valueOf(m, 'poolwarden_transfers', { state: 'deposited' })).toBe(5)
  expect(valueOf(m, 'poolwarden_telegram_deliveries_pending')).toBe(3)
  expect(valueOf(m, 'poolwarden_telegram_oldest_undelivered_age_seconds')).toBe(90)
  expect(valueOf(m, 'poolwarden_telegram_deliveries', { status: 'failed' })).toBe(2)
  expect(valueOf(m, 'poolwarden_governance_tallies_total', { status: 'ok' })).toBe(9)
  expect(valueOf(m, 'poolwarden_governance_casts', { status: 'accepted', target: 'snapshot' })).toBe(2)
  expect(valueOf(m, 'poolwarden_heartbeat_age_seconds', { agent: 'odd "name"\\x' })).toBe(0)
  expect(m.get('poolwarden_rpc_requests_total')?.type).toBe('counter')
  expect(m.get('poolwarden_alerts_open')?.type).toBe('gauge')
})

it('leaves the governance round metrics out when no governor has beaten (absent, not 0)', async () => {
  const s = snapshot()
  const m = parsePrometheusText(await renderMetrics({ ...s, agents: s.agents.filter((a) => a.agent !== 'governor') }))
  expect(valueOf(m, 'poolwarden_governance_rounds_total')).toBeUndefined()
  expect(m.has('poolwarden_governance_round_duration_seconds')).toBe(false)
})

it('never exposes a URL path: RPC hosts come from the heartbeat as labels, and heartbeats only carry hosts', async () => {
  const text = await renderMetrics(snapshot())
  expect(text).not.toMatch(/https?:\/\/[^"]*\/[^"]/)
})

it('the strict parser refuses malformed exposition (so the tests above can fail)', () => {
  const ok = '# HELP a_total x\n# TYPE a_total counter\na_total{l="v"} 1\n'
  expect(parsePrometheusText(ok).get('a_total')?.samples).toHaveLength(1)
  const bad = [
    'a_total 1\n', // no TYPE
    '# TYPE a gauge\na{l="v} 1\n', // unterminated label
    '# TYPE a gauge\na{l="v"} one\n', // not a float
    '# TYPE a gauge\na{l="v"} 1\na{l="v"} 2\n', // duplicate series
    '# TYPE a gauge\n# TYPE a gauge\na 1\n', // TYPE twice
    '# TYPE a counter\na_count 1\n', // counter sample not _total
    '# TYPE a gauge\na{l="\\x"} 1\n', // bad escape
    '# TYPE a gauge\na 1', // no final newline
    '# TYPE a counter\na_total -1\n', // negative counter
    '# TYPE 1a gauge\n', // bad name
  ]
  for (const b of bad) expect(() => parsePrometheusText(b), JSON.stringify(b)).toThrow()
})

it('agentFromHeartbeat leaves out malformed counters instead of guessing', () => {
  const a = agentFromHeartbeat('x', 0, { rpc: { 'http://h': { requests: 'many', errors: 0, seconds: 0 }, 'http://ok': { requests: 1, errors: 0, seconds: 0.1 } }, process: { rssBytes: -Infinity } })
  expect(a.rpc).toEqual({ 'http://ok': { requests: 1, errors: 0, seconds: 0.1 } })
  expect(a.rssBytes).toBeNull()
  expect(a.periodMs).toBeNull()
})
