import { encodeFunctionData, getAddress, isAddressEqual, parseAbi, stringToHex, zeroAddress, type Address, type Hex, type PublicClient } from 'viem'
import type { Config } from '../../config/schema'

/**
 * The Safe's Snapshot delegation: in custody "safe" the pool's Snapshot power is the Safe's, and
 * the governor's voting key signs Snapshot votes with it only while the Safe delegates that power
 * to the key on Gnosis' DelegateRegistry (the spaces' `delegation` strategy reads it). A rotated
 * voting key (`governance.voter.account`) with the delegation left on the old one votes with no
 * power and nothing fails: custody diff shows the delegation beside the roles, and apply re-points
 * it in the same committee-signed Safe transaction.
 */

export const delegateRegistryAbi = parseAbi([
  'function delegation(address delegator, bytes32 id) view returns (address)',
  'function setDelegate(bytes32 id, address delegate)',
])

/** A Snapshot space id as DelegateRegistry's `id` (bytes32: the name's UTF-8 bytes, right-padded, as Snapshot's formatBytes32String). */
export const snapshotSpaceId = (space: string): Hex => stringToHex(space, { size: 32 })

export interface SpaceDelegation {
  space: string
  /** Who the Safe delegates to in that space on chain (null: nobody). */
  onChain: Address | null
  /** Who the config says it must be (governance.voter.account). */
  configured: Address
}

/** The registry to check on `chain`, or undefined (not configured there, or no voter account to compare with). */
export function delegationTarget(config: Config, chain: string): { registry: Address; voter: Address; spaces: string[] } | undefined {
  const reg = config.governance.upstream.delegateRegistry
  const voter = config.governance.voter.account
  if (!reg || reg.chain !== chain || !voter || config.governance.upstream.spaces.length === 0) return undefined
  return { registry: getAddress(reg.address), voter: getAddress(voter), spaces: config.governance.upstream.spaces }
}

/** Reads the Safe's delegation in every configured space. */
export async function readSpaceDelegations(client: PublicClient, target: { registry: Address; voter: Address; spaces: string[] }, safe: Address, blockNumber?: bigint): Promise<SpaceDelegation[]> {
  return Promise.all(
    target.spaces.map(async (space) => {
      const d = await client.readContract({ address: target.registry, abi: delegateRegistryAbi, functionName: 'delegation', args: [safe, snapshotSpaceId(space)], ...(blockNumber !== undefined ? { blockNumber } : {}) })
      return { space, onChain: isAddressEqual(d, zeroAddress) ? null : getAddress(d), configured: target.voter }
    }),
  )
}

/** The delegations that differ from the config. */
export const driftedDelegations = (ds: readonly SpaceDelegation[]): SpaceDelegation[] => ds.filter((d) => d.onChain === null || !isAddressEqual(d.onChain, d.configured))

/** The Safe's calls that re-point each drifted delegation (`setDelegate(space id, voter)`). */
export function repointCalls(registry: Address, drifted: readonly SpaceDelegation[]): Array<{ to: Address; data: Hex }> {
  return drifted.map((d) => ({ to: registry, data: encodeFunctionData({ abi: delegateRegistryAbi, functionName: 'setDelegate', args: [snapshotSpaceId(d.space), d.configured] }) }))
}

/** One line per drifted delegation. */
export function describeDelegation(d: SpaceDelegation): string {
  return `~ Snapshot delegation in ${d.space}: ${d.onChain ?? 'nobody'} → ${d.configured} (governance.voter.account)`
}
