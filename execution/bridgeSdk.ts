import { Wormhole, deserialize, toNative, UniversalAddress, type Chain, type Network, type TokenBridge } from '@wormhole-foundation/sdk-connect'
import { getVaaBytes } from '@wormhole-foundation/sdk-connect/whscan-api'
import { getAddress, toHex, type Address, type Hex } from 'viem'
import { createWormhole, sdkChainOf, wormholeChainOf } from '../chains/wormhole'
import type { Config } from '../config/schema'
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
export function createSdkBridgePort(config: Pick<Config, 'chains' | 'wormhole'>, wh: Wormhole<Network> = createWormhole(config)): BridgePort {
  const api = config.wormhole!.api
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
      const bytes = await getVaaBytes(api, { chain: chainOf(sourceChain), emitter: new UniversalAddress(m.emitter), sequence: m.sequence })
      return bytes ? toHex(bytes) : null
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
