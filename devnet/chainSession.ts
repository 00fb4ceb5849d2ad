import type { Abi, Address, Chain, Hash, PrivateKeyAccount, PublicClient, TransactionReceipt, Transport, WalletClient } from 'viem'
import type { Artifacts } from './compile'

/**
 * What the deployment phases (devnet/deploy.ts, devnet/wormhole/deploy.ts, devnet/safe/) need of a
 * devnet chain. devnet/deploy.ts's `ChainSession` class implements it; the phase modules take this
 * interface, so none of them imports deploy.ts (which imports them): no import circle.
 */
export interface DevnetSession {
  readonly spec: { readonly name: string; readonly chainId: number; readonly url: string }
  readonly public: PublicClient
  wallet(account: PrivateKeyAccount): WalletClient<Transport, Chain, PrivateKeyAccount>
  receipt(hash: Promise<Hash> | Hash, what: string): Promise<TransactionReceipt>
  deploy(account: PrivateKeyAccount, artifacts: Artifacts, name: string, args: readonly unknown[]): Promise<Address>
  write(account: PrivateKeyAccount, what: string, req: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] }): Promise<TransactionReceipt>
}
