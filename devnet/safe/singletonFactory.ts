import { encodeFunctionData, getContractAddress, parseEther, type Address, type Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import type { DevnetSession as ChainSession } from '../chainSession'

/**
 * The ERC-2470 singleton factory (EIP-2470) at its canonical address, deployed on a devnet chain
 * with the EIP's presigned (chain-independent, pre-EIP-155) transaction, and CREATE2 deployments
 * through it: the same init code and salt give the same address on every chain, whatever the
 * deployer's nonce there. The Zodiac Roles modifier needs this factory on chain (it stores packed
 * conditions through it); the devnet also deploys the Safe contracts and the Roles modifier with it.
 */

export const ERC2470_FACTORY: Address = '0xce0042B868300000d44A59004Da54A005ffdcf9f'
/** The presigned transaction's sender and the ETH it needs (EIP-2470). */
const ERC2470_DEPLOYER: Address = '0xBb6e024b9cFFACB947A71991E386681B1Cd1477D'
const ERC2470_FUNDING = parseEther('0.0247')
const ERC2470_SIGNED_TX: Hex =
  '0xf9016c8085174876e8008303c4d88080b90154608060405234801561001057600080fd5b50610134806100206000396000f3fe6080604052348015600f57600080fd5b506004361060285760003560e01c80634af63f0214602d575b600080fd5b60cf60048036036040811015604157600080fd5b810190602081018135640100000000811115605b57600080fd5b820183602082011115606c57600080fd5b80359060200191846001830284011164010000000083111715608d57600080fd5b91908080601f016020809104026020016040519081016040528093929190818152602001838380828437600092019190915250929550509135925060eb915050565b604080516001600160a01b039092168252519081900360200190f35b6000818351602085016000f5939250505056fea26469706673582212206b44f8a82cb6b156bfcc3dc6aadd6df4eefd204bc928a4397fd15dacf6d5320564736f6c634300060200331b83247000822470'

const factoryAbi = [
  {
    type: 'function',
    name: 'deploy',
    stateMutability: 'nonpayable',
    inputs: [
      { name: '_initCode', type: 'bytes' },
      { name: '_salt', type: 'bytes32' },
    ],
    outputs: [{ name: 'createdContract', type: 'address' }],
  },
] as const

const hasCode = async (s: ChainSession, address: Address) => ((await s.public.getCode({ address })) ?? '0x') !== '0x'

/** Deploys the ERC-2470 factory unless it is there (funds its one-time sender from `funder`). */
export async function ensureSingletonFactory(s: ChainSession, funder: PrivateKeyAccount): Promise<Address> {
  if (await hasCode(s, ERC2470_FACTORY)) return ERC2470_FACTORY
  const balance = await s.public.getBalance({ address: ERC2470_DEPLOYER })
  if (balance < ERC2470_FUNDING) await s.receipt(s.wallet(funder).sendTransaction({ to: ERC2470_DEPLOYER, value: ERC2470_FUNDING - balance }), 'fund the ERC-2470 deployer')
  await s.receipt(s.public.sendRawTransaction({ serializedTransaction: ERC2470_SIGNED_TX }), 'deploy the ERC-2470 factory')
  if (!(await hasCode(s, ERC2470_FACTORY))) throw new Error(`${s.spec.name}: the ERC-2470 factory is not at ${ERC2470_FACTORY} after its deployment`)
  return ERC2470_FACTORY
}

/** Gas for a deployment through the factory (anvil's block gas limit is 30M). */
const DEPLOY_GAS = 12_000_000n

export const ZERO_SALT: Hex = `0x${'00'.repeat(32)}`

/** The CREATE2 address of `initCode` (bytecode + encoded constructor args) under `salt`. */
export function singletonAddress(initCode: Hex, salt: Hex = ZERO_SALT): Address {
  return getContractAddress({ opcode: 'CREATE2', from: ERC2470_FACTORY, salt, bytecode: initCode })
}

/** Deploys `initCode` through the factory unless its address has code already; returns the address. */
export async function deploySingleton(s: ChainSession, account: PrivateKeyAccount, what: string, initCode: Hex, salt: Hex = ZERO_SALT): Promise<Address> {
  const address = singletonAddress(initCode, salt)
  if (await hasCode(s, address)) return address
  const data = encodeFunctionData({ abi: factoryAbi, functionName: 'deploy', args: [initCode, salt] })
  // No estimate: the factory does not revert when CREATE2 runs out of gas (it returns address(0)),
  // so an estimate finds a limit too low to deploy anything. Roles needs ~5.7M, the Safe ~5.2M.
  await s.receipt(s.wallet(account).sendTransaction({ to: ERC2470_FACTORY, data, gas: DEPLOY_GAS }), `deploy ${what}`)
  // The factory returns address(0) instead of reverting when CREATE2 fails.
  if (!(await hasCode(s, address))) throw new Error(`${s.spec.name}: deploying ${what} through the ERC-2470 factory left no code at ${address}`)
  return address
}
