import { Wormhole, deserialize, toChainId, toNative, type Chain, type Network, type TokenBridge } from '@wormhole-foundation/sdk-connect'
import { getAddress, toHex, type Address, type Hex } from 'viem'
import { createWormhole, sdkChainOf, wormholeChainOf } from '../chains/wormhole'
import { createPacer, parseRetryAfter, type EndpointPacer } from '../chains/pacing'
import type { Config } from '../config/schema'
import { RetryableError } from '../core/errors'
import type { RateLimits } from '../store/rateLimits'
import type { BridgePort, BridgeTx } from './bridge'
import { toUniversal } from './bridgeVaa'

/**
 * The BridgePort over @wormhole-foundation/sdk: the token bridge protocol client builds the
 * unsigned txs (approve + transferTokens, completeTransfer) — taken apart into {to, data, value}
 * for our TxSender, never signed by the SDK (its Devnet chain ids are not our anvils' anyway) —
 * and does the reads (isTransferCompleted, the core bridge's guardian sets, the message in a
 * receipt). VAAs come from the Wormhole API at its real paths (`/v1/signed_vaa/…`, the SDK's
 * getVaaBytes: null on 404) — wormholescan live, the local guardian on the devnet.
 */
export interface SdkBridgePortOptions {
  /** The shared pacing file (runtime/pacing.ts): the API's rate and Retry-After hold across processes. */
  pacing?: RateLimits
  /** A VAA fetch whose shared slot is further away than this fails at once (retried later). Default 30 s. */
  maxPacingWaitMs?: number
  timeoutMs?: number
}

/** The Wormhole API is rate-limited (429/503, Retry-After): every process waits; the VAA is fetched later. */
export class WormholeApiRateLimitedError extends RetryableError {
  override name = 'WormholeApiRateLimitedError'
}

export function createSdkBridgePort(config: Pick<Config, 'chains' | 'wormhole'>, wh: Wormhole<Network> = createWormhole(config), opts: SdkBridgePortOptions = {}): BridgePort {
  const api = config.wormhole!.api.replace(/\/+$/, '')
  const u = new URL(api)
  const pacer: EndpointPacer = createPacer(opts.pacing, { url: api, label: `${u.protocol}//${u.host}`, intervalMs: 1000 / config.wormhole!.apiMaxPerSecond, maxWaitMs: opts.maxPacingWaitMs ?? 30_000 })
  const chainOf = (name: string): Chain => sdkChainOf(config, name)
  const bridges = new Map<string, Promise<TokenBridge<Network, Chain>>>()
  const tokenBridge = (name: string) => {
    let b = bridges.get(name)
    if (!b) {
      b = wh.getChain(chainOf(name)).getTokenBridge()
      b.catch(() => bridges.delete(name))
      bridges.set(name, b)
    }
    return b
  }
  const core = (name: string) => wh.getChain(chainOf(name)).getWormholeCore()
  const unsigned = (label: BridgeTx['label'], tx: { transaction: { to?: unknown; data?: unknown; value?: unknown } }): BridgeTx => {
    const t = tx.transaction
    if (typeof t.to !== 'string' || typeof t.data !== 'string') throw new Error(`SDK ${label} transaction without to/data`)
    return { label, to: getAddress(t.to), data: t.data as Hex, value: t.value === undefined || t.value === null ? 0n : BigInt(t.value as bigint | string | number) }
  }
  const transferVaa = (vaa: Hex) => deserialize('TokenBridge:Transfer', Uint8Array.from(Buffer.from(vaa.slice(2), 'hex')))

  return {
    async transferTxs(i) {
      const tb = await tokenBridge(i.from)
      const out: BridgeTx[] = []
      const recipient = Wormhole.chainAddress(chainOf(i.to), i.recipient)
      for await (const tx of tb.transfer(toNative(chainOf(i.from), i.sender), recipient, toNative(chainOf(i.from), i.token), i.amount)) {
        const d = String((tx as { description?: string }).description ?? '')
        out.push(unsigned(d.endsWith('Approve') ? 'approve' : 'transfer', tx as never))
      }
      return out
    },

    async messageOf(chain, txHash) {
      const emitter = toUniversal(wormholeChainOf(config, chain).tokenBridge)
      const msgs = await (await core(chain)).parseTransaction(txHash)
      const m = msgs.find((x) => x.emitter.toString().toLowerCase() === emitter)
      if (!m) throw new Error(`tx ${txHash} on ${chain} emitted no token bridge message (emitter ${emitter})`)
      return { emitter, sequence: BigInt(m.sequence) }
    },

    async fetchVaa(sourceChain, m) {
      // The API's real path (what the SDK's getVaaBytes requests), paced per endpoint across
      // processes; a 429/503 with Retry-After holds every process off the API for that long.
      await pacer.wait()
      const url = `${api}/v1/signed_vaa/${toChainId(chainOf(sourceChain))}/${m.emitter.replace(/^0x/, '')}/${m.sequence}`
      const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000) })
      if (res.status === 429 || res.status === 503) {
        const ms = parseRetryAfter(res.headers.get('retry-after'), Date.now()) ?? 1_000
        await pacer.retryAfter(ms)
        throw new WormholeApiRateLimitedError(`Wormhole API ${u.host} answered ${res.status}: every process waits ${Math.ceil(ms / 1000)} s (Retry-After)`)
      }
      if (res.status === 404) return null
      if (!res.ok) throw new RetryableError(`Wormhole API ${u.host}: HTTP ${res.status} for a VAA`)
      const body = (await res.json()) as { vaaBytes?: unknown }
      if (typeof body.vaaBytes !== 'string') throw new RetryableError(`Wormhole API ${u.host}: a VAA answer without vaaBytes`)
      return toHex(Buffer.from(body.vaaBytes, 'base64'))
    },

    async guardianSet(chain, index) {
      const gs = await (await core(chain)).getGuardianSet(index)
      return { index: gs.index, keys: gs.keys.map((k) => getAddress(k)), expiry: Number(gs.expiry) }
    },

    async isCompleted(chain, vaa) {
      return (await tokenBridge(chain)).isTransferCompleted(transferVaa(vaa))
    },

    async redeemTxs(chain, vaa, sender: Address) {
      const tb = await tokenBridge(chain)
      const out: BridgeTx[] = []
      for await (const tx of tb.redeem(toNative(chainOf(chain), sender), transferVaa(vaa), false)) out.push(unsigned('redeem', tx as never))
      return out
    },
  }
}
