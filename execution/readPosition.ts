import type { Address, PublicClient } from 'viem'
import type { VenueConfig } from '../config/schema'
import { erc20Abi, erc4626Abi } from '../venues/abis'

/**
 * The pool's position in a venue at one block, in the venue asset's raw units: ERC-4626 shares
 * valued with convertToAssets, the Aave aToken balance, or the LST balance held idle.
 */
export async function readPosition(client: PublicClient, venue: VenueConfig, pool: Address, blockNumber: bigint): Promise<bigint> {
  switch (venue.kind) {
    case 'erc4626': {
      const shares = await client.readContract({ address: venue.address, abi: erc4626Abi, functionName: 'balanceOf', args: [pool], blockNumber })
      if (shares === 0n) return 0n
      return client.readContract({ address: venue.address, abi: erc4626Abi, functionName: 'convertToAssets', args: [shares], blockNumber })
    }
    case 'aave-v3':
      return client.readContract({ address: venue.aToken, abi: erc20Abi, functionName: 'balanceOf', args: [pool], blockNumber })
    case 'lst':
      return client.readContract({ address: venue.address, abi: erc20Abi, functionName: 'balanceOf', args: [pool], blockNumber })
  }
}
