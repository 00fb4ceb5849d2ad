import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { erc20Abi, type Address, type Hex } from 'viem'
import { configSchema, type Config, type ConfigInput } from '../../config/schema'
import { startGuardian, type Guardian } from '../../devnet/wormhole/guardian'
import type { Store } from '../../store'
import type { PlanStepInput } from '../../store/types'
import type { Devnet } from '../../test/devnet'
import { startRpcProxy, type RpcProxy } from '../../test/rpcProxy'
import { bridgeReceived } from '../../strategies/constraints'
import { createTestPlan } from './plans'

/** Helpers for the bridge devnet tests (test-only). */

export interface BridgeWorld {
  guardian: Guardian
  /** An RPC hop in front of each chain (the destination's can be taken down). */
  proxies: Record<string, RpcProxy>
  /** The devnet config with the guardian's API and every chain behind its proxy. */
  config(storePath?: string): Config
  /** Mines a block on every chain every `ms` (the devnet's anvils only mine on demand in tests). */
  tick(ms?: number): () => Promise<void>
  stop(): Promise<void>
}

/** `finalityDepth`: every chain's (the guardian's and the config's; default the devnet's 0). */
export async function startBridgeWorld(devnet: Devnet, opts: { finalityDepth?: number } = {}): Promise<BridgeWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'poolwarden-bridge-'))
  const withDepth = (input: ConfigInput): ConfigInput => {
    if (opts.finalityDepth !== undefined) for (const c of input.chains) c.finalityDepth = opts.finalityDepth
    return input
  }
  const guardianConfig = opts.finalityDepth === undefined ? devnet.config : configSchema.parse(withDepth(structuredClone(devnet.config) as ConfigInput))
  const guardian = await startGuardian({ config: guardianConfig, dbPath: join(dir, 'guardian.sqlite'), port: 0, pollMs: 50 })
  const proxies: Record<string, RpcProxy> = {}
  for (const c of devnet.config.chains) proxies[c.name] = await startRpcProxy(c.rpc[0]!.url)
  return {
    guardian,
    proxies,
    config(storePath) {
      const base = withDepth(structuredClone(devnet.config) as ConfigInput)
      if (storePath) base.store = { path: storePath }
      for (const c of base.chains) c.rpc = [{ url: proxies[c.name]!.url }]
      base.wormhole = { ...base.wormhole!, api: guardian.url }
      return configSchema.parse(base)
    },
    tick(ms = 100) {
      let stopped = false
      const loop = (async () => {
        while (!stopped) {
          await Promise.all(devnet.config.chains.map((c) => devnet.mine(c.name, 1).catch(() => undefined)))
          await new Promise((r) => setTimeout(r, ms))
        }
      })()
      return async () => {
        stopped = true
        await loop
      }
    },
    async stop() {
      await guardian.stop()
      for (const p of Object.values(proxies)) await p.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export const collateralOf = (config: Config, chain: string) => config.pool.collateral.find((c) => c.chain === chain)!
export const idleVenueOf = (config: Config, chain: string) => {
  const token = collateralOf(config, chain).token.toLowerCase()
  return config.venues.find((v) => v.chain === chain && v.kind === 'lst' && v.address.toLowerCase() === token)!.id
}

/** An approved cross-chain plan: bridge `amount` from → to, redeem, and optionally deposit into `depositVenue` there. */
export async function createBridgePlan(store: Store, config: Config, id: string, o: { from: string; to: string; amount: bigint; depositVenue?: string }) {
  const received = bridgeReceived(o.amount, collateralOf(config, o.from).decimals, collateralOf(config, o.to).decimals)
  const transfer = { from: o.from, to: o.to, amount: o.amount.toString(), received: received.toString() }
  const steps: PlanStepInput[] = [
    { kind: 'bridge', chain: o.from, venueId: idleVenueOf(config, o.from), amount: o.amount, detail: { transfer } },
    { kind: 'redeem', chain: o.to, venueId: idleVenueOf(config, o.to), amount: received, detail: { transfer, bridgeStep: 0 } },
    ...(o.depositVenue ? [{ kind: 'deposit' as const, chain: o.to, venueId: o.depositVenue, amount: received }] : []),
  ]
  await createTestPlan(store, id, o.from, steps, { chain: null, basedOnBlock: { [o.from]: 1n, [o.to]: 1n } })
  return { received }
}

/** The pool's idle collateral on each chain (raw). */
export async function idleBalances(devnet: Devnet, config: Config): Promise<Record<string, bigint>> {
  const out: Record<string, bigint> = {}
  for (const c of config.pool.collateral) {
    out[c.chain] = await devnet.chain(c.chain).public.readContract({ address: c.token, abi: erc20Abi, functionName: 'balanceOf', args: [config.pool.account as Address] })
  }
  return out
}

/** Σ over chains of raw amounts, in 18 decimals. */
export const sum18 = (config: Config, amounts: Record<string, bigint>) =>
  Object.entries(amounts).reduce((s, [chain, a]) => s + a * 10n ** BigInt(18 - collateralOf(config, chain).decimals), 0n)

/** Transactions from `from` to `to` (an address) in (fromBlock, head]. */
export async function callsTo(devnet: Devnet, chain: string, from: Address, to: Address, fromBlock: bigint): Promise<{ hash: Hex; input: Hex }[]> {
  const c = devnet.chain(chain).public
  const head = await c.getBlockNumber({ cacheTime: 0 })
  const out: { hash: Hex; input: Hex }[] = []
  for (let b = fromBlock + 1n; b <= head; b++) {
    const block = await c.getBlock({ blockNumber: b, includeTransactions: true })
    for (const tx of block.transactions) if (tx.from.toLowerCase() === from.toLowerCase() && tx.to?.toLowerCase() === to.toLowerCase()) out.push({ hash: tx.hash, input: tx.input })
  }
  return out
}
