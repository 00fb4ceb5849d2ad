import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { openStore, type Store } from '../store'
import { tempDir } from '../store/testing'
import { startAgentProcess, until, type AgentProcess } from '../test/agentProcess'
import { useDevnet } from '../test/devnet'
import { parsePrometheusText, valueOf, type Family } from '../test/promText'
import { startMetricsServer, type MetricsServer } from './server'

/**
 * The exporter over a store a real watcher process fills from the devnet: /metrics parses with a
 * strict Prometheus text parser, and its counters move as the chain does.
 */
const devnet = useDevnet()
let watcher: AgentProcess | undefined
let server: MetricsServer | undefined
let store: Store | undefined
let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await watcher?.stop()
  await server?.close()
  await store?.close()
  await cleanup?.()
  watcher = server = store = cleanup = undefined
})

async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(`${url}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parsePrometheusText(await res.text())
}

it('/metrics parses and its counters move with the devnet while a watcher runs', async () => {
  const tmp = await tempDir('poolwarden-metrics-')
  cleanup = tmp.cleanup
  const storePath = join(tmp.dir, 'poolwarden.sqlite')
  const configPath = join(tmp.dir, 'config.json')
  writeFileSync(configPath, JSON.stringify({ ...devnet.config, store: { path: storePath }, watch: { ...devnet.config.watch, backfillWindow: false } }))
  store = await openStore({ path: storePath })
  server = await startMetricsServer({ store, chains: devnet.config.chains.map((c) => c.name), host: '127.0.0.1', port: 0 })

  const eth = devnet.chain('ethereum')
  const host = `http://${new URL(eth.url).host}`
  const labels = { agent: 'watcher-ethereum', host }
  watcher = startAgentProcess('watcher', { POOLWARDEN_CONFIG: configPath, POOLWARDEN_CHAIN: 'ethereum' })
  let mining = true
  const miner = (async () => {
    while (mining) {
      await devnet.mine('ethereum', 1)
      await new Promise((r) => setTimeout(r, 300))
    }
  })()
  try {
    // First scrape once the watcher has stored a block and beaten.
    let first!: Map<string, Family>
    await until(async () => {
      first = await scrape(server!.url)
      return valueOf(first, 'poolwarden_rpc_requests_total', labels) !== undefined && valueOf(first, 'poolwarden_chain_stored_block', { chain: 'ethereum' }) !== undefined
    }, 300)
    const stored0 = valueOf(first, 'poolwarden_chain_stored_block', { chain: 'ethereum' })!
    const samples0 = valueOf(first, 'poolwarden_samples_stored_total', { chain: 'ethereum' })!
    const requests0 = valueOf(first, 'poolwarden_rpc_requests_total', labels)!
    const cpu0 = valueOf(first, 'poolwarden_agent_cpu_seconds_total', { agent: 'watcher-ethereum' })!

    // Three more blocks stored.
    let second!: Map<string, Family>
    await until(async () => {
      second = await scrape(server!.url)
      return (valueOf(second, 'poolwarden_chain_stored_block', { chain: 'ethereum' }) ?? 0) >= stored0 + 3 && valueOf(second, 'poolwarden_rpc_requests_total', labels)! > requests0
    }, 300)
    const venues = devnet.config.venues.filter((v) => v.chain === 'ethereum').length
    expect(venues).toBeGreaterThan(0)
    // One sample per venue per stored block.
    expect(valueOf(second, 'poolwarden_samples_stored_total', { chain: 'ethereum' })! - samples0).toBeGreaterThanOrEqual(3 * venues)
    expect(valueOf(second, 'poolwarden_rpc_requests_total', labels)).toBeGreaterThan(requests0)
    expect(valueOf(second, 'poolwarden_agent_cpu_seconds_total', { agent: 'watcher-ethereum' })).toBeGreaterThanOrEqual(cpu0)
    expect(valueOf(second, 'poolwarden_agent_resident_memory_bytes', { agent: 'watcher-ethereum' })).toBeGreaterThan(10_000_000)
    const head = valueOf(second, 'poolwarden_chain_head_block', { chain: 'ethereum' })!
    expect(head).toBeGreaterThanOrEqual(valueOf(second, 'poolwarden_chain_stored_block', { chain: 'ethereum' })!)
    expect(valueOf(second, 'poolwarden_chain_lag_blocks', { chain: 'ethereum' })).toBeGreaterThanOrEqual(0)
    // The RPC URL reaches the metrics as its host only.
    for (const s of second.get('poolwarden_rpc_requests_total')!.samples) expect(s.labels.host).toMatch(/^https?:\/\/[^/]+$/)
    // Chains with no watcher running have no head series (unknown, not zero).
    expect(valueOf(second, 'poolwarden_chain_head_block', { chain: 'base' })).toBeUndefined()
  } finally {
    mining = false
    await miner
  }
  expect(watcher.output()).not.toMatch(/"level":50/)
})
