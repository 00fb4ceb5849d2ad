import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { renderMetrics } from '../metrics/render'
import { agentFromHeartbeat } from '../metrics/snapshot'
import { parsePrometheusText } from '../test/promText'

/** The Grafana dashboard and the alert rules name only metrics the exporter really exposes. */
const root = join(import.meta.dirname, '..')

it('every poolwarden_* name in ops/ is a metric family of the exporter', async () => {
  const text = await renderMetrics({
    at: 1,
    chains: [{ chain: 'ethereum', head: 2n, stored: 1n }],
    agents: [agentFromHeartbeat('governor', 0, { periodMs: 1, rounds: { n: 1, failed: 0, lastMs: 1 }, process: { cpuSeconds: 1, rssBytes: 1, heapUsedBytes: 1 }, rpc: { 'http://h': { requests: 1, errors: 0, seconds: 0 } } })],
    samplesStored: { ethereum: 1 },
    alertsRaised: [{ labels: { rule: 'r', severity: 'info', kind: 'open' }, count: 1 }],
    alertsOpen: [{ labels: { rule: 'r', severity: 'info' }, count: 1 }],
    plans: [],
    intents: [],
    gasSpentWei: { ethereum: 0n },
    transfers: [],
    undelivered: { count: 0, oldestAt: null },
    deliveries: [],
    tallies: [{ labels: { status: 'ok' }, count: 1 }],
    casts: [{ labels: { status: 'accepted', target: 'snapshot' }, count: 1 }],
  })
  const families = new Set([...parsePrometheusText(text).values()].flatMap((f) => f.samples.map((s) => s.name)))
  const dashboard = readFileSync(join(root, 'ops/grafana-dashboard.json'), 'utf8')
  const rules = readFileSync(join(root, 'ops/prometheus-alerts.yml'), 'utf8')
  const used = new Set([...`${dashboard}\n${rules}`.matchAll(/poolwarden_[a-z_]+/g)].map((m) => m[0]))
  expect(used.size).toBeGreaterThan(15)
  expect([...used].filter((n) => !families.has(n))).toEqual([])
  const d = JSON.parse(dashboard) as { panels: { targets: { expr: string }[] }[] }
  expect(d.panels.every((p) => p.targets.length > 0)).toBe(true)
})
