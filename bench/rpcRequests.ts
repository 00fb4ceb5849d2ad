import { createPublicClient, createTestClient, http, type Abi } from 'viem'
import { createChainClient } from '../chains/createChainClient'
import { planReads } from '../chains/readBlock'
import { configSchema, type Config, type ConfigInput } from '../config/schema'
import { createLogger } from '../core/logger'
import type { LocalDevnet } from '../devnet/local'
import { openTempStore } from '../store/testing'
import { createWatcher } from '../watch/createWatcher'

/** The devnet config with `total` venues spread over its chains (deployed venues repeated under new ids). */
export function configWithVenues(base: Config, total: number): Config {
  const input = structuredClone(base) as ConfigInput
  const deployed = base.venues
  input.venues = Array.from({ length: total }, (_, i) => {
    const v = deployed[i % deployed.length]!
    return { ...structuredClone(v), id: i < deployed.length ? v.id : `${v.id}-x${Math.floor(i / deployed.length)}` }
  })
  return configSchema.parse(input)
}

export interface RpcBenchResult {
  venues: number
  chains: number
  blocks: number
  /** HTTP requests per chain per block, poolwarden's watcher. */
  perChainPerBlock: number
  /** HTTP requests per tick (all chains, one block each). */
  perTick: number
  /** The naive reader: one eth_call per contract read, plus the block header. */
  naivePerTick: number
  /** One request per venue plus the header, per chain: the "one read per venue" baseline. */
  perVenuePerTick: number
}

export async function benchRpcRequests(devnet: LocalDevnet, opts: { venues?: number; blocks?: number } = {}): Promise<RpcBenchResult> {
  const total = opts.venues ?? 50
  const blocks = opts.blocks ?? 20
  const withVenues = configWithVenues(devnet.config, total)
  // Requests per live block: no start-up back-fill of the APY window.
  const config: Config = { ...withVenues, watch: { ...withVenues.watch, backfillWindow: false } }
  const logger = createLogger({ bench: 'rpc' }, 'silent')
  const { store, cleanup } = await openTempStore()
  try {
    const clients = config.chains.map((c) => createChainClient({ chain: c }))
    const watchers = clients.map((chain) => createWatcher({ common: { config, logger }, store, chain }))
    const tests = config.chains.map((c) => createTestClient({ mode: 'anvil', transport: http(c.rpc[0]!.url) }))
    for (const w of watchers) await w.tick() // start at the head
    const before = clients.map((c) => c.httpRequests.reduce((a, b) => a + b, 0))
    for (let b = 0; b < blocks; b++) {
      await Promise.all(tests.map((t) => t.mine({ blocks: 1, interval: 1 })))
      for (const w of watchers) {
        const r = await w.tick()
        if (r.status !== 'processed') throw new Error(`bench: tick did not process a block (${r.status})`)
      }
    }
    const used = clients.map((c, i) => c.httpRequests.reduce((a, b) => a + b, 0) - before[i]!)
    const perTick = used.reduce((a, b) => a + b, 0) / blocks

    // Naive baseline, counted at the transport the same way: every read its own eth_call, plus
    // the block header.
    let naivePerTick = 0
    for (const chain of config.chains) {
      let count = 0
      const client = createPublicClient({
        transport: http(chain.rpc[0]!.url, {
          fetchFn: (input, init) => {
            count++
            return fetch(input, init)
          },
        }),
      })
      const venues = config.venues.filter((v) => v.chain === chain.name)
      const blockNumber = await client.getBlockNumber()
      count = 0
      await client.getBlock({ blockNumber })
      for (const p of planReads(venues, config.pool.account)) {
        for (const c of [...p.calls, ...p.pegCalls]) {
          await client.readContract({ address: c.address, abi: c.abi as Abi, functionName: c.functionName, args: c.args as unknown[], blockNumber }).catch(() => undefined)
        }
      }
      naivePerTick += count
    }
    return {
      venues: total,
      chains: config.chains.length,
      blocks,
      perChainPerBlock: perTick / config.chains.length,
      perTick,
      naivePerTick,
      perVenuePerTick: total + config.chains.length,
    }
  } finally {
    await cleanup()
  }
}
