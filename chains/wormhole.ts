import { Wormhole, type Chain as WormholeChain, type Network } from '@wormhole-foundation/sdk-connect'
import { EvmPlatform } from '@wormhole-foundation/sdk-evm'
// Side effects: register the EVM core bridge and token bridge protocol clients with the SDK.
import '@wormhole-foundation/sdk-evm-core'
import '@wormhole-foundation/sdk-evm-tokenbridge'
import type { Config } from '../config/schema'
import type { WormholeChainConfig, WormholeConfig } from '../config/wormhole'

/**
 * The Wormhole SDK for a config: `new Wormhole(network, [EvmPlatform], overrides)` with the API
 * URL (wormholescan live, the local guardian on the devnet) and per chain the first RPC URL and the
 * core bridge and token bridge addresses of `config.wormhole`. Live and devnet alike: only the
 * config differs.
 *
 * SDK quirks: the overrides are written into the SDK's global per-network config, so one process
 * should use one config per network (the latest call wins). And the SDK finds the Wormhole chain
 * of an RPC connection from its EIP-155 chain id through a fixed table (`chainFromRpc`, used by
 * `ChainContext.parseTransaction` and the protocols' `fromRpc`): the chains of the config are
 * added in front of that table, so chains the table does not know for the network (the devnet's
 * anvil ids 31337–31339; a new L2) resolve too.
 */
export function createWormhole(config: Pick<Config, 'chains' | 'wormhole'>): Wormhole<Network> {
  const w = requireWormhole(config)
  const chains: Record<string, { rpc: string; contracts: { coreBridge: string; tokenBridge: string } }> = {}
  for (const c of w.chains) {
    const chain = config.chains.find((x) => x.name === c.chain)
    if (!chain) throw new Error(`config: wormhole.chains: unknown chain "${c.chain}"`)
    chains[c.wormholeChain] = { rpc: chain.rpc[0]!.url, contracts: { coreBridge: c.coreBridge, tokenBridge: c.tokenBridge } }
    knownEvmChains.set(BigInt(chain.chainId), [w.network, c.wormholeChain as WormholeChain])
  }
  installChainIdLookup()
  return new Wormhole(w.network, [EvmPlatform], { api: w.api, chains } as never)
}

/** EIP-155 chain id → [network, Wormhole chain] of the configured chains. */
const knownEvmChains = new Map<bigint, [Network, WormholeChain]>()
let installed = false

function installChainIdLookup(): void {
  if (installed) return
  installed = true
  const original = EvmPlatform.chainFromChainId.bind(EvmPlatform)
  EvmPlatform.chainFromChainId = ((id: string) => knownEvmChains.get(BigInt(id)) ?? original(id)) as typeof EvmPlatform.chainFromChainId
}

export function requireWormhole(config: Pick<Config, 'wormhole'>): WormholeConfig {
  if (!config.wormhole) throw new Error('config: no "wormhole" section: cross-chain moves need the Wormhole network, API and bridges per chain')
  return config.wormhole
}

/** The wormhole entry of a poolwarden chain. */
export function wormholeChainOf(config: Pick<Config, 'wormhole'>, chain: string): WormholeChainConfig {
  const w = requireWormhole(config)
  const c = w.chains.find((x) => x.chain === chain)
  if (!c) throw new Error(`config: chain "${chain}" is not in wormhole.chains (known: ${w.chains.map((x) => x.chain).join(', ')})`)
  return c
}

/** The SDK chain name of a poolwarden chain ("arbitrum" → "Arbitrum"). */
export const sdkChainOf = (config: Pick<Config, 'wormhole'>, chain: string): WormholeChain => wormholeChainOf(config, chain).wormholeChain as WormholeChain

/** The poolwarden chain of an SDK chain name or Wormhole chain id. */
export function chainNameOf(config: Pick<Config, 'wormhole'>, chain: string | number): string {
  const w = requireWormhole(config)
  const c = w.chains.find((x) => (typeof chain === 'number' ? x.wormholeChainId === chain : x.wormholeChain === chain))
  if (!c) throw new Error(`config: no chain in wormhole.chains for Wormhole chain ${chain}`)
  return c.chain
}

/** Blocks the guardians wait on a chain before signing its messages. */
export function wormholeFinality(config: Pick<Config, 'chains' | 'wormhole'>, chain: string): number {
  const c = wormholeChainOf(config, chain)
  return c.finality ?? config.chains.find((x) => x.name === chain)?.finalityDepth ?? 0
}
