import { parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { createChainClient, type ChainClient } from '../chains/createChainClient'
import { wormholeFinality } from '../chains/wormhole'
import { createLogger } from '../core/logger'
import { devKey, ROLES } from '../devnet/accounts'
import type { LocalDevnet } from '../devnet/local'
import { createSdkBridgePort } from '../execution/bridgeSdk'
import { createTxSender, executePlan, type TxSender } from '../execution'
import { createBridgePlan } from '../execution/testing/bridgeDevnet'
import { openTempStore } from '../store/testing'

export interface CrossChainFigure {
  from: string
  to: string
  /** Blocks the guardian waits on the source chain before signing. */
  finality: number
  /** Source-chain blocks from the source tx's block to the redeem mined on the destination (target: finality + 3). */
  blocks: number
  /** Source-chain blocks from the source tx to the VAA fetched and verified. */
  blocksToVaa: number
  /** ms from the start of the plan to the funds landed (redeem mined), and to the plan completed (deposit included). */
  msToLanded: number
  msTotal: number
  blockMs: number
}

/**
 * One cross-chain rebalance end to end on the devnet (bridge 5 wstETH ethereum → arbitrum, redeem,
 * deposit into the arbitrum vault) with the real core/token bridges, the local guardian over HTTP,
 * the SDK and the exactly-once TxSender, while every chain produces a block every `blockMs`.
 * Needs a devnet started with `guardian: true`.
 */
export async function benchCrossChain(devnet: LocalDevnet, o: { blockMs?: number; from?: string; to?: string } = {}): Promise<CrossChainFigure> {
  const blockMs = o.blockMs ?? 1000
  const from = o.from ?? 'ethereum'
  const to = o.to ?? 'arbitrum'
  const config = devnet.config
  if (!config.wormhole || !devnet.guardian) throw new Error('benchCrossChain: start the devnet with its guardian')
  const logger = createLogger({ bench: 'cross-chain' }, 'silent')
  const { store, cleanup } = await openTempStore()
  const chains: Record<string, ChainClient> = {}
  const senders: Record<string, TxSender> = {}
  const account = privateKeyToAccount(devKey(ROLES.pool))
  for (const name of [from, to]) {
    chains[name] = createChainClient({ chain: config.chains.find((c) => c.name === name)! })
    senders[name] = createTxSender({ common: { config, logger }, store, chain: chains[name]!, account, options: { pollIntervalMs: 25 } })
  }
  // Block production: one block per chain every blockMs (the test anvils mine on demand).
  let stopped = false
  const mining = (async () => {
    while (!stopped) {
      await Promise.all(config.chains.map((c) => fetch(c.rpc[0]!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'evm_mine', params: [] }) }).catch(() => undefined)))
      await new Promise((r) => setTimeout(r, blockMs))
    }
  })()
  try {
    const vault = config.venues.find((v) => v.chain === to && v.kind === 'erc4626')
    await createBridgePlan(store, config, 'bench-x', { from, to, amount: parseEther('5'), depositVenue: vault?.id })
    const head = (name: string) => chains[name]!.client.getBlockNumber({ cacheTime: 0 })
    let vaaAt = 0n
    let landedAt = 0n
    let landedMs = 0
    const t0 = performance.now()
    const res = await executePlan({
      common: { config, logger },
      store,
      chains,
      senders,
      plan: { id: 'bench-x' },
      bridge: {
        port: createSdkBridgePort(config),
        options: {
          backoffMs: { initial: 100, max: 500 },
          hooks: {
            at: async (p) => {
              if (p === 'vaa-signed') vaaAt = await head(from)
              if (p === 'redeemed') {
                landedMs = performance.now() - t0
                landedAt = await head(from)
              }
            },
          },
        },
      },
    })
    const msTotal = performance.now() - t0
    if (res.status !== 'completed') throw new Error(`bench plan ${res.status}${res.status === 'failed' ? `: ${res.error}` : ''}`)
    const [t] = await store.transfers.list({ planId: 'bench-x' })
    const source = t!.sourceBlock!
    return { from, to, finality: wormholeFinality(config, from), blocks: Number(landedAt - source), blocksToVaa: Number(vaaAt - source), msToLanded: Math.round(landedMs), msTotal: Math.round(msTotal), blockMs }
  } finally {
    stopped = true
    await mining
    await cleanup()
  }
}
