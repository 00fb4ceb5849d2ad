import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createChainClient, type ChainClient } from '../chains/createChainClient'
import type { Config, ConfigInput } from '../config/schema'
import { configSchema } from '../config/schema'
import { createLogger } from '../core/logger'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { PER_BLOCK_WATCH } from '../devnet/deploy'
import { useDevnet } from '../test/devnet'
import { startRpcProxy, type RpcProxy } from '../test/rpcProxy'
import { createWatcher, type Watcher } from './createWatcher'
import { catchUp } from './testing'

const devnet = useDevnet()
const logger = createLogger({ test: 'watcher' }, 'silent')

let store: Store
let cleanup: () => Promise<void>
const proxies: RpcProxy[] = []
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(async () => {
  await cleanup()
  await Promise.all(proxies.splice(0).map((p) => p.close()))
})

/** The devnet config with per-block APYs, optional RPC URLs for one chain and extra venues. */
function configWith(opts: { chain?: string; urls?: string[]; extraVenues?: ConfigInput['venues'] } = {}): Config {
  const base = structuredClone(devnet.config) as ConfigInput
  base.watch = { ...base.watch, ...PER_BLOCK_WATCH }
  if (opts.chain && opts.urls) {
    const c = base.chains.find((x) => x.name === opts.chain)!
    c.rpc = opts.urls.map((url) => ({ url, maxPerSecond: 1000, maxConcurrent: 8 }))
  }
  base.venues = [...(base.venues ?? []), ...(opts.extraVenues ?? [])]
  return configSchema.parse(base)
}

function makeWatcher(config: Config, chainName: string, clientOpts: { minBackoffMs?: number } = {}): { watcher: Watcher; chain: ChainClient } {
  const chain = createChainClient({
    chain: config.chains.find((c) => c.name === chainName)!,
    failuresToAlert: config.alerts.rpcFailures,
    minBackoffMs: clientOpts.minBackoffMs ?? 200,
    timeoutMs: 2_000,
    onEndpointEvent: (e) => watcher.onEndpointEvent(e),
  })
  const watcher: Watcher = createWatcher({ common: { config, logger }, store, chain })
  return { watcher, chain }
}

/** Ticks until the watcher waits for a block that is not mined yet. */

const settle = () => new Promise((r) => setTimeout(r, 50))

describe('watcher on the devnet', () => {
  it('stores one sample per venue per block, with positions, and beats a heartbeat', async () => {
    const config = configWith()
    const { watcher, chain } = makeWatcher(config, 'ethereum')
    const first = await watcher.tick()
    expect(first.status).toBe('processed')
    const start = (first as { block: bigint }).block
    await devnet.mine('ethereum', 6)
    expect(await catchUp(watcher)).toBe(6)

    const venues = config.venues.filter((v) => v.chain === 'ethereum')
    expect(venues.length).toBeGreaterThanOrEqual(4)
    const counts = await store.samples.countByVenue({ chain: 'ethereum' })
    expect(counts.map((c) => [c.venueId, c.count]).sort()).toEqual(venues.map((v) => [v.id, 7]).sort())
    expect(await store.samples.missingBlocks('ethereum', start, start + 6n)).toEqual([])

    const latest = await store.samples.latestPerVenue({ chain: 'ethereum' })
    for (const s of latest) {
      expect(s.available, s.venueId).toBe(true)
      expect(s.blockNumber).toBe(start + 6n)
      expect(s.apy, s.venueId).not.toBeNull()
      expect(s.apy!).toBeGreaterThan(0)
      expect(s.apy!).toBeLessThan(0.3)
      expect(s.tvl! > 0n).toBe(true)
    }
    const positions = await store.positions.latestPerVenue({ chain: 'ethereum' })
    expect(positions).toHaveLength(venues.length)
    for (const p of positions) expect(p.amount > 0n, p.venueId).toBe(true)
    // The block read: the pool's aToken balance equals what the chain says at that block.
    const hb = await store.heartbeats.get('watcher-ethereum')
    expect((hb!.info as { block: string }).block).toBe(String(start + 6n))
    // Two HTTP requests per block: head and header in one batch, then the multicall pinned to the
    // header's hash with a second look at the header (chains/readBlock.ts).
    expect(chain.httpRequests[0]).toBe(7 * 2 + 1 /* the first tick asks for the head */ + 1 /* the final 'waiting' poll */)
    expect(await store.alerts.recent(100)).toEqual([])
  })

  it('marks a venue whose calls revert as unavailable, and keeps watching the others', async () => {
    const poolShare = devnet.deployment.chains.ethereum!.poolShare
    const config = configWith({ extraVenues: [{ id: 'broken-vault', chain: 'ethereum', kind: 'erc4626', protocol: 'none', address: poolShare }] })
    const { watcher } = makeWatcher(config, 'ethereum')
    await watcher.tick()
    await devnet.mine('ethereum', 2)
    await catchUp(watcher)
    const latest = await store.samples.latestPerVenue({ chain: 'ethereum' })
    const broken = latest.find((s) => s.venueId === 'broken-vault')!
    expect(broken.available).toBe(false)
    expect(broken.error).toMatch(/reverted/)
    expect(broken.apy).toBeNull()
    expect(latest.filter((s) => s.venueId !== 'broken-vault').every((s) => s.available)).toBe(true)
    const alerts = await store.alerts.recent(10)
    expect(alerts.map((a) => [a.rule, a.subject, a.kind])).toEqual([['unavailable', 'broken-vault', 'open']])
  })

  it('fails over from a dead first RPC URL, alerts once, and returns to it when it recovers', async () => {
    const dead = await startRpcProxy(devnet.chain('ethereum').url, 'down')
    proxies.push(dead)
    const config = configWith({ chain: 'ethereum', urls: [dead.url, devnet.chain('ethereum').url] })
    const { watcher, chain } = makeWatcher(config, 'ethereum')
    await watcher.tick()
    for (let i = 0; i < 5; i++) {
      await devnet.mine('ethereum', 1)
      await catchUp(watcher)
      await new Promise((r) => setTimeout(r, 150))
    }
    await settle()
    const rpcAlerts = (await store.alerts.recent(50)).filter((a) => a.rule === 'rpc')
    expect(rpcAlerts.map((a) => [a.dedupKey, a.kind])).toEqual([['rpc:ethereum:0', 'open']])
    // The alert names the host, never a full URL.
    expect(rpcAlerts[0]!.title).toContain('127.0.0.1')
    const counts = await store.samples.countByVenue({ chain: 'ethereum' })
    expect(counts.every((c) => c.count === 6)).toBe(true)

    // The first URL comes back: after its back-off it is tried first again, and recovers.
    dead.mode = 'pass'
    const before = dead.requests
    await new Promise((r) => setTimeout(r, 2_000))
    await devnet.mine('ethereum', 1)
    await catchUp(watcher)
    await settle()
    expect(dead.requests).toBeGreaterThan(before)
    expect(chain.endpoints[0]!.down).toBe(false)
    const after = (await store.alerts.recent(50)).filter((a) => a.rule === 'rpc').map((a) => a.kind)
    expect(after).toEqual(['recovery', 'open'])
  })

  it('answers garbage or nothing: backs off, alerts, then back-fills every missed block', async () => {
    const a = await startRpcProxy(devnet.chain('arbitrum').url, 'pass')
    const b = await startRpcProxy(devnet.chain('arbitrum').url, 'pass')
    proxies.push(a, b)
    const config = configWith({ chain: 'arbitrum', urls: [a.url, b.url] })
    const { watcher } = makeWatcher(config, 'arbitrum', { minBackoffMs: 100 })
    const first = await watcher.tick()
    const start = (first as { block: bigint }).block

    a.mode = 'garbage'
    b.mode = 'down'
    await devnet.mine('arbitrum', 8)
    const failures: string[] = []
    for (let i = 0; i < 4; i++) {
      const r = await watcher.tick()
      failures.push(r.status)
      await new Promise((r) => setTimeout(r, 250))
    }
    expect(failures.every((s) => s === 'failed')).toBe(true)
    await settle()
    const open = await store.alerts.open()
    expect(open.map((c) => c.dedupKey).sort()).toEqual(['rpc-all:arbitrum', 'rpc:arbitrum:0', 'rpc:arbitrum:1'])

    a.mode = 'pass'
    b.mode = 'pass'
    await new Promise((r) => setTimeout(r, 1_700))
    expect(await catchUp(watcher)).toBe(8)
    await settle()
    expect(await store.samples.missingBlocks('arbitrum', start, start + 8n)).toEqual([])
    const counts = await store.samples.countByVenue({ chain: 'arbitrum' })
    expect(counts.every((c) => c.count === 9)).toBe(true)
    expect(await store.alerts.open()).toEqual([])
    // Each condition alerted exactly once and recovered exactly once.
    const rows = await store.alerts.recent(50)
    for (const key of ['rpc-all:arbitrum', 'rpc:arbitrum:0', 'rpc:arbitrum:1']) {
      expect(rows.filter((r) => r.dedupKey === key).map((r) => r.kind).sort(), key).toEqual(['open', 'recovery'])
    }
  })

  it('polls for the next block with one request even with several URLs (a node that says "not yet" is final)', async () => {
    const a = await startRpcProxy(devnet.chain('base').url, 'pass')
    const b = await startRpcProxy(devnet.chain('base').url, 'pass')
    proxies.push(a, b)
    const { watcher } = makeWatcher(configWith({ chain: 'base', urls: [a.url, b.url] }), 'base')
    await watcher.tick()
    const before = a.requests
    for (let i = 0; i < 3; i++) expect((await watcher.tick()).status).toBe('waiting')
    expect(a.requests - before).toBe(3)
    expect(b.requests).toBe(0)
  })

  it('restarts from the stored cursor without losing or repeating a block', async () => {
    const config = configWith()
    const w1 = makeWatcher(config, 'base').watcher
    const first = await w1.tick()
    const start = (first as { block: bigint }).block
    await devnet.mine('base', 3)
    await catchUp(w1)
    // "Crash": a new watcher over the same store while blocks keep coming.
    await devnet.mine('base', 4)
    const w2 = makeWatcher(config, 'base').watcher
    expect(await catchUp(w2)).toBe(4)
    expect(await store.samples.missingBlocks('base', start, start + 7n)).toEqual([])
    const counts = await store.samples.countByVenue({ chain: 'base' })
    expect(counts.every((c) => c.count === 8)).toBe(true)
  })
})
