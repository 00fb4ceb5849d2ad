import { decodeFunctionResult, encodeFunctionData, type Abi, type Address, type Hex, type PublicClient } from 'viem'
import { blockParam, type BlockPin } from '../chains/readBlock'
import type { VenueConfig } from '../config/schema'
import { erc20Abi, erc4626Abi } from '../venues/abis'

/**
 * The pool's position in a venue at one block, in the venue asset's raw units: ERC-4626 shares
 * valued with convertToAssets, the Aave aToken balance, or the LST balance held idle.
 *
 * `at` is a block number or, better, `{ blockHash }` (EIP-1898): the ERC-4626 case reads twice
 * (shares, then their value), and two reads by number can straddle a reorg and mix two forks;
 * pinned to a hash both read the same block, or the node refuses (the block left the chain).
 */
export async function readPosition(client: PublicClient, venue: VenueConfig, pool: Address, at: bigint | BlockPin): Promise<bigint> {
  const pin: BlockPin = typeof at === 'bigint' ? { blockNumber: at } : at
  const read = async <A extends Abi>(address: Address, abi: A, functionName: string, args: readonly unknown[]): Promise<bigint> => {
    const data = encodeFunctionData({ abi, functionName, args } as never)
    const out = (await client.request({ method: 'eth_call', params: [{ to: address, data }, blockParam(pin)] as never })) as Hex
    return decodeFunctionResult({ abi, functionName, data: out } as never) as bigint
  }
  switch (venue.kind) {
    case 'erc4626': {
      const shares = await read(venue.address, erc4626Abi, 'balanceOf', [pool])
      if (shares === 0n) return 0n
      return read(venue.address, erc4626Abi, 'convertToAssets', [shares])
    }
    case 'aave-v3':
      return read(venue.aToken, erc20Abi, 'balanceOf', [pool])
    case 'lst':
      return read(venue.address, erc20Abi, 'balanceOf', [pool])
  }
}
