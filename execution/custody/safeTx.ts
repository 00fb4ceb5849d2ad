import Safe, { type ContractNetworksConfig } from '@safe-global/protocol-kit'
import { createPublicClient, http, type Address, type Hex } from 'viem'
import type { SafeContracts } from '../../config/custody'
import type { Config } from '../../config/schema'

/**
 * Safe transactions through @safe-global/protocol-kit (v8): built, hashed (EIP-712 SafeTx),
 * signed by owners and executed by protocol-kit — never hand-written here. Chains protocol-kit
 * does not know (the devnet) get their Safe contracts from config (custody.chains[].contracts).
 */

/** protocol-kit's Safe transaction (its types package is not a direct dependency). */
export type SafeTransaction = Awaited<ReturnType<Safe['createTransaction']>>

export type SafeCall = { to: Address; data: Hex; value?: bigint }

/** protocol-kit's contract network entry from the config's Safe contracts. */
export function contractNetworkOf(c: SafeContracts) {
  return {
    safeSingletonAddress: c.safeSingleton,
    safeProxyFactoryAddress: c.safeProxyFactory,
    multiSendAddress: c.multiSend,
    multiSendCallOnlyAddress: c.multiSendCallOnly,
    fallbackHandlerAddress: c.fallbackHandler,
    signMessageLibAddress: c.signMessageLib,
    createCallAddress: c.createCall,
    simulateTxAccessorAddress: c.simulateTxAccessor,
  }
}

/** Contract networks by chain id for every custody chain that names its Safe contracts. */
export function contractNetworksOf(config: Pick<Config, 'chains' | 'custody'>): ContractNetworksConfig {
  const out: ContractNetworksConfig = {}
  for (const c of config.custody.chains) {
    const chain = config.chains.find((x) => x.name === c.chain)
    if (chain && c.contracts) out[String(chain.chainId)] = contractNetworkOf(c.contracts)
  }
  return out
}

export interface SafeTarget {
  /** RPC URL of the chain. */
  url: string
  safe: Address
  contractNetworks?: ContractNetworksConfig
}

/** A protocol-kit instance for the Safe, signing with `key` (an owner's, or the submitter's); without a key it only builds and reads. */
export function safeKit(t: SafeTarget, key?: Hex): Promise<Safe> {
  return Safe.init({ provider: t.url, ...(key ? { signer: key } : {}), safeAddress: t.safe, ...(t.contractNetworks ? { contractNetworks: t.contractNetworks } : {}) })
}

/** One Safe transaction of `calls` (one call as is, several as a MultiSendCallOnly batch). */
export async function buildSafeTx(kit: Safe, calls: readonly SafeCall[]): Promise<SafeTransaction> {
  if (calls.length === 0) throw new Error('a Safe transaction needs at least one call')
  const transactions = calls.map((c) => ({ to: c.to, data: c.data, value: (c.value ?? 0n).toString() }))
  return kit.createTransaction({ transactions, onlyCalls: true })
}

/**
 * Signs `tx` with each owner key (EIP-712) and executes it with `submitterKey` (any account with
 * gas: the signatures authorise it). Returns the execution tx hash; throws when it reverted.
 */
export async function signAndExecute(t: SafeTarget, tx: SafeTransaction, ownerKeys: readonly Hex[], submitterKey: Hex): Promise<{ hash: Hex; safeTxHash: Hex }> {
  let signed = tx
  for (const k of ownerKeys) signed = await (await safeKit(t, k)).signTransaction(signed)
  const kit = await safeKit(t, submitterKey)
  const safeTxHash = (await kit.getTransactionHash(signed)) as Hex
  const res = await kit.executeTransaction(signed)
  const hash = res.hash as Hex
  const receipt = await createPublicClient({ transport: http(t.url) }).waitForTransactionReceipt({ hash, pollingInterval: 50 })
  if (receipt.status !== 'success') throw new Error(`Safe transaction ${safeTxHash} (tx ${hash}) did not succeed`)
  return { hash, safeTxHash }
}
