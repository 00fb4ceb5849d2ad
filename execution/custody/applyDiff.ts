import type { Hex } from 'viem'
import type { Config } from '../../config/schema'
import type { ChainCustodyDiff } from './diffRole'
import { buildSafeTx, contractNetworksOf, safeKit, signAndExecute, type SafeCall, type SafeTarget, type SafeTransaction } from './safeTx'

/**
 * The Safe transactions reconciling one chain's custody diff: enableModule (when the Roles modifier
 * is not enabled) and one MultiSendCallOnly batch of the Roles calls and the Snapshot delegation
 * re-points. With `signers` (the devnet:
 * owner keys up to the threshold and a submitter) they are signed and executed; without, they are
 * only built and hashed, for the committee to propose and sign in Safe{Wallet}.
 */
export interface AppliedTx {
  what: string
  safeTxHash: Hex
  tx: SafeTransaction
  /** The execution tx, when executed here. */
  hash?: Hex
}

export async function applyCustodyDiff(config: Config, url: string, d: ChainCustodyDiff, signers?: { ownerKeys: readonly Hex[]; submitterKey: Hex }): Promise<AppliedTx[]> {
  const target: SafeTarget = { url, safe: d.safe, contractNetworks: contractNetworksOf(config) }
  const out: AppliedTx[] = []
  const build = async (): Promise<Array<{ what: string; tx: SafeTransaction }>> => {
    const kit = await safeKit(target, signers?.submitterKey)
    const txs: Array<{ what: string; tx: SafeTransaction }> = []
    if (!d.moduleEnabled) txs.push({ what: 'enable the Roles modifier', tx: await kit.createEnableModuleTx(d.roles) })
    return txs
  }
  for (const { what, tx } of await build()) out.push(await finish(target, what, tx, signers))
  if (d.encoded.length > 0) {
    // Built after the enableModule tx ran: protocol-kit takes the Safe's current nonce.
    const kit = await safeKit(target, signers?.submitterKey)
    const what = [d.calls.length ? `${d.calls.length} Roles call(s)` : '', d.delegations.length ? `${d.delegations.length} Snapshot delegation(s)` : ''].filter(Boolean).join(' and ')
    out.push(await finish(target, what, await buildSafeTx(kit, d.encoded as SafeCall[]), signers))
  }
  return out
}

async function finish(target: SafeTarget, what: string, tx: SafeTransaction, signers?: { ownerKeys: readonly Hex[]; submitterKey: Hex }): Promise<AppliedTx> {
  const kit = await safeKit(target, signers?.submitterKey)
  const safeTxHash = (await kit.getTransactionHash(tx)) as Hex
  if (!signers) return { what, safeTxHash, tx }
  const r = await signAndExecute(target, tx, signers.ownerKeys, signers.submitterKey)
  return { what, safeTxHash, tx, hash: r.hash }
}
