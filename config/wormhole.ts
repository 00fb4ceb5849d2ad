import { z } from 'zod'
import { address } from './address'

/**
 * The `wormhole` section of the config: which Wormhole network, the API that serves signed VAAs
 * (wormholescan on mainnet, the local guardian on the devnet), and per chain the Wormhole chain,
 * the core bridge and token bridge, the pool's LST there (native on its home chain, the
 * Wormhole-wrapped token elsewhere) and the finality depth a guardian waits for. Optional: without
 * it the pool stays on each chain.
 */

// A local address schema (config/schema.ts imports this file; importing back would be a cycle).

export const wormholeChain = z.object({
  /** The poolwarden chain (config.chains[].name). */
  chain: z.string().min(1),
  /** The SDK's chain name ("Ethereum", "Arbitrum", "Base", …). */
  wormholeChain: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, { error: 'the Wormhole SDK chain name, e.g. "Ethereum", "Arbitrum", "Base"' }),
  /** Wormhole chain id (Ethereum 2, Arbitrum 23, Base 30, …). */
  wormholeChainId: z.number().int().positive().max(65_535),
  coreBridge: address,
  tokenBridge: address,
  /** The pool's LST on this chain: the native token on the home chain, the Wormhole-wrapped one elsewhere. */
  lst: address,
  /** Blocks after a message before the guardian signs it (default: the chain's finalityDepth). */
  finality: z.number().int().nonnegative().optional(),
})

export const wormholeConfig = z
  .object({
    network: z.enum(['Mainnet', 'Testnet', 'Devnet']),
    /** Base URL of the API serving signed VAAs at the real API's paths (https://api.wormholescan.io; the devnet guardian). */
    api: z.url({ error: 'expected the http(s) URL of the Wormhole API, e.g. "https://api.wormholescan.io"' }),
    /**
     * Requests per second to the Wormhole API (VAA fetches), shared by every process through the
     * pacing file (config `limits`) like an RPC URL's limit; a 429/503 Retry-After seen by one
     * process holds them all. Default 2 (wormholescan's public API limits per IP).
     */
    apiMaxPerSecond: z.number().positive({ error: 'expected a positive number of requests per second, e.g. 2' }).default(2),
    /** The chain where the LST is native (its token bridge locks; the others mint wrapped). */
    lstHomeChain: z.string().min(1),
    chains: z.array(wormholeChain).min(2, { error: 'cross-chain moves need at least two chains in wormhole.chains' }),
  })
  .superRefine((w, ctx) => {
    const seen = new Set<string>()
    w.chains.forEach((c, i) => {
      if (seen.has(c.chain)) ctx.addIssue({ code: 'custom', path: ['chains', i, 'chain'], message: `duplicate chain "${c.chain}" in wormhole.chains` })
      seen.add(c.chain)
    })
    if (!seen.has(w.lstHomeChain)) {
      ctx.addIssue({ code: 'custom', path: ['lstHomeChain'], message: `"${w.lstHomeChain}" is not in wormhole.chains (known: ${[...seen].join(', ')})` })
    }
  })

export type WormholeConfig = z.output<typeof wormholeConfig>
export type WormholeChainConfig = WormholeConfig['chains'][number]
