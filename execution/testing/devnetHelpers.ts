import { type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { createChainClient, type ChainClient } from '../../chains/createChainClient'
import { configSchema, type Config, type ConfigInput } from '../../config/schema'
import { createLogger } from '../../core/logger'
import { simLstAbi, simVaultAbi } from '../../devnet/abis'
import type { Store } from '../../store'
import type { Devnet } from '../../test/devnet'
import { createTxSender, type TxSender, type TxSenderOptions } from '../createTxSender'

/** Helpers for the execution devnet tests (test-only; nothing live imports this). */

export const silentLogger = createLogger({ test: 'execution' }, 'silent')

/** The devnet config, optionally with another store path and finality depth. */
export function testConfig(devnet: Devnet, opts: { storePath?: string; finalityDepth?: number } = {}): Config {
  const base = structuredClone(devnet.config) as ConfigInput
  if (opts.storePath) base.store = { path: opts.storePath }
  if (opts.finalityDepth !== undefined) for (const c of base.chains) c.finalityDepth = opts.finalityDepth
  return configSchema.parse(base)
}

export function chainClient(config: Config, name: string): ChainClient {
  return createChainClient({ chain: config.chains.find((c) => c.name === name)!, logger: silentLogger, timeoutMs: 5_000 })
}

/** A tx sender for the executor's key (the pool's, default) or, with `key`, another (the governor's: devnet.voterKey). */
export function sender(devnet: Devnet, config: Config, store: Store, chain: ChainClient, options: TxSenderOptions = {}, key: Hex = devnet.poolKey): TxSender {
  return createTxSender({ common: { config, logger: silentLogger }, store, chain, account: privateKeyToAccount(key), options: { pollIntervalMs: 20, ...options } })
}

/** Transactions sent by `from` in blocks (fromBlock, head], oldest first. */
export async function txsFrom(devnet: Devnet, chain: string, from: Address, fromBlock: bigint): Promise<{ hash: Hex; nonce: number; to: Address | null; block: bigint; input: Hex }[]> {
  const c = devnet.chain(chain).public
  const head = await c.getBlockNumber({ cacheTime: 0 })
  const out: { hash: Hex; nonce: number; to: Address | null; block: bigint; input: Hex }[] = []
  for (let b = fromBlock + 1n; b <= head; b++) {
    const block = await c.getBlock({ blockNumber: b, includeTransactions: true })
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() === from.toLowerCase()) out.push({ hash: tx.hash, nonce: tx.nonce, to: tx.to, block: b, input: tx.input })
    }
  }
  return out
}

/** Sets a devnet vault's simulator parameters (setParams), keeping those not given as they are on chain. */
async function setVaultParams(devnet: Devnet, venueId: string, change: { idleBps?: bigint; paused?: boolean }): Promise<void> {
  const v = devnet.venue(venueId)
  if (v.kind !== 'erc4626') throw new Error(`${venueId} is not a vault`)
  const c = devnet.chain(v.chain)
  const [apr, idle, paused] = await Promise.all([
    c.public.readContract({ address: v.vault, abi: simVaultAbi, functionName: 'aprWad' }),
    change.idleBps ?? c.public.readContract({ address: v.vault, abi: simVaultAbi, functionName: 'idleBps' }),
    change.paused ?? c.public.readContract({ address: v.vault, abi: simVaultAbi, functionName: 'paused' }),
  ])
  const hash = await c.wallet(devnet.accounts.deployer).writeContract({ address: v.vault, abi: simVaultAbi, functionName: 'setParams', args: [apr, idle, paused] })
  await c.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })
}

/** Pauses or unpauses a devnet vault (the simulator's pause). */
export const setVaultPaused = (devnet: Devnet, venueId: string, paused: boolean): Promise<void> => setVaultParams(devnet, venueId, { paused })

/** Sets the share of a devnet vault's assets kept idle (withdrawable): 10000 makes it fully liquid. */
export const setVaultIdleBps = (devnet: Devnet, venueId: string, idleBps: bigint): Promise<void> => setVaultParams(devnet, venueId, { idleBps })

/** The pool sets its collateral allowance for `spender` (0 revokes the deployment's max approval). */
export async function setPoolAllowance(devnet: Devnet, chain: string, spender: Address, amount: bigint): Promise<void> {
  const c = devnet.chain(chain)
  const token = devnet.deployment.chains[chain]!.collateral
  const hash = await c.wallet(devnet.accounts.pool).writeContract({ address: token, abi: simLstAbi, functionName: 'approve', args: [spender, amount] })
  await c.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })
}

export async function rpc<T>(devnet: Devnet, chain: string, method: string, params: unknown[] = []): Promise<T> {
  return (await devnet.chain(chain).public.request({ method: method as never, params: params as never })) as T
}
