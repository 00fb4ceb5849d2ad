/**
 * `npm run bench -- anvil-floor [--minutes N]` (opt-in, 3 minutes by default): how much the
 * installed anvil grows per minute at the devnet's block time (1 s) whatever poolwarden does —
 * the floor under the soak's anvil figures. Four anvils side by side, each with a load of its own:
 *   empty blocks                      — nothing sent, nothing read
 *   empty blocks, history flags       — the same with --prune-history 4 --transaction-block-keeper 10
 *   3 txs per block                   — three calls per block, each writing a new storage slot
 *   3 txs per block, history flags    — the same with the flags
 * Memory: the anvil process's RSS (bench/procMem.ts), sampled every 30 s; the figure is the slope
 * from the first minute to the end (the first minute holds start-up allocation).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { startAnvil, rpcRequest, type AnvilInstance } from '../devnet/anvil'
import { procMem } from './procMem'

interface Variant {
  name: string
  flags: string[]
  txsPerBlock: number
}

const HISTORY_FLAGS = ['--prune-history', '4', '--transaction-block-keeper', '10']
export const FLOOR_VARIANTS: Variant[] = [
  { name: 'empty blocks', flags: [], txsPerBlock: 0 },
  { name: 'empty blocks, history flags', flags: HISTORY_FLAGS, txsPerBlock: 0 },
  { name: '3 txs per block', flags: [], txsPerBlock: 3 },
  { name: '3 txs per block, history flags', flags: HISTORY_FLAGS, txsPerBlock: 3 },
]

// Runtime `sstore(number(), caller()); stop` (CALLER NUMBER SSTORE STOP), behind an initcode that returns it.
const WRITER_INITCODE = '0x6005600c60003960056000f33343550000'

export interface FloorFigure {
  name: string
  flags: string
  startMb: number
  endMb: number
  mbPerMinute: number
  blocks: number
}

async function drive(node: AnvilInstance, v: Variant, ms: number): Promise<FloorFigure> {
  const rpc = <T>(method: string, params: unknown[] = []) => rpcRequest<T>(node.url, method, params)
  const [from] = await rpc<string[]>('eth_accounts')
  let writer: string | undefined
  if (v.txsPerBlock > 0) {
    const hash = await rpc<string>('eth_sendTransaction', [{ from, data: WRITER_INITCODE, gas: '0x100000' }])
    for (;;) {
      const r = await rpc<{ contractAddress: string } | null>('eth_getTransactionReceipt', [hash])
      if (r) {
        writer = r.contractAddress
        break
      }
      await sleep(200)
    }
  }
  const rss = () => procMem(node.pid).rssMb
  const t0 = Date.now()
  const samples: Array<{ t: number; mb: number }> = []
  let nextSample = 0
  const firstBlock = BigInt(await rpc<string>('eth_blockNumber'))
  while (Date.now() - t0 < ms) {
    const tick = Date.now()
    for (let i = 0; i < v.txsPerBlock; i++) await rpc('eth_sendTransaction', [{ from, to: writer, gas: '0x20000' }])
    if (tick - t0 >= nextSample) {
      samples.push({ t: (tick - t0) / 60_000, mb: rss() })
      nextSample += 30_000
    }
    await sleep(Math.max(0, 1_000 - (Date.now() - tick)))
  }
  samples.push({ t: (Date.now() - t0) / 60_000, mb: rss() })
  const blocks = Number(BigInt(await rpc<string>('eth_blockNumber')) - firstBlock)
  const from1 = samples.find((s) => s.t >= 1) ?? samples[0]!
  const last = samples.at(-1)!
  return { name: v.name, flags: v.flags.join(' ') || '(defaults)', startMb: samples[0]!.mb, endMb: last.mb, mbPerMinute: (last.mb - from1.mb) / Math.max(1e-9, last.t - from1.t), blocks }
}

export async function benchAnvilFloor(minutes: number, basePort = Number(process.env.POOLWARDEN_BENCH_PORT ?? 28545) + 60): Promise<string[]> {
  const nodes: AnvilInstance[] = []
  try {
    for (const [i] of FLOOR_VARIANTS.entries()) nodes.push(await startAnvil({ port: basePort + i, chainId: 31337 + i, blockTime: 1, extraArgs: ['--hardfork', 'cancun', ...FLOOR_VARIANTS[i]!.flags] }))
    const figures = await Promise.all(FLOOR_VARIANTS.map((v, i) => drive(nodes[i]!, v, minutes * 60_000)))
    const out = [`\n## anvil's own growth at one block per second (${minutes} min, RSS of each anvil; the devnet runs three such chains)`]
    for (const f of figures) {
      out.push(`${f.name.padEnd(32)} ${f.startMb.toFixed(0).padStart(4)} → ${f.endMb.toFixed(0).padStart(4)} MB  ${f.mbPerMinute.toFixed(2).padStart(5)} MB/min  (${f.blocks} blocks; ${f.flags})   target: 0 (bounded)`)
    }
    return out
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
  }
}
