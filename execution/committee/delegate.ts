import type SafeApiKit from '@safe-global/api-kit'
import { createWalletClient, getAddress, http, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

/**
 * An owner registers a proposer (the executor's key) as a delegate of the Safe on the Safe
 * Transaction Service (api-kit addSafeDelegate: the owner's EIP-712 `Delegate` signature). A
 * delegate may propose Safe transactions — the executor proposes the same-nonce rejection of an
 * ended plan's Safe tx (rejectAbandoned.ts) — but its signature never counts as a confirmation.
 * Devnet: the owner's devnet key signs here; live, an owner runs the same with their own wallet.
 */
export async function addProposerDelegate(service: SafeApiKit, o: { safe: Address; delegate: Address; ownerKey: Hex; chainId: number; rpcUrl: string; label?: string }): Promise<void> {
  const owner = privateKeyToAccount(o.ownerKey)
  const signer = createWalletClient({ account: owner, chain: { id: o.chainId, name: `chain ${o.chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [o.rpcUrl] } } }, transport: http(o.rpcUrl) })
  await service.addSafeDelegate({ safeAddress: getAddress(o.safe), delegateAddress: getAddress(o.delegate), delegatorAddress: owner.address, label: o.label ?? 'poolwarden executor (proposes rejections)', signer })
}
