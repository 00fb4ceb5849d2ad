import { createRequire } from 'node:module'
import { encodeAbiParameters, encodeFunctionData, getAddress, zeroAddress, type Abi, type Address, type Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import { Integrity__factory, Packer__factory, Roles__factory } from 'zodiac-roles-sdk/typechain'
import type { SafeContracts } from '../../config/custody'
import { buildSafeTx, safeKit, signAndExecute, type SafeTarget } from '../../execution/custody/safeTx'
import type { DevnetSession as ChainSession } from '../chainSession'
import { deploySingleton, ensureSingletonFactory, singletonAddress } from './singletonFactory'

/**
 * The pool's Safe on a devnet chain, from real bytecode:
 *   - Safe v1.4.1 from @safe-global/safe-contracts' build artifacts (SafeL2 singleton,
 *     SafeProxyFactory, MultiSend, MultiSendCallOnly, CompatibilityFallbackHandler, SignMessageLib,
 *     CreateCall, SimulateTxAccessor), each through the ERC-2470 factory (CREATE2, salt 0): the
 *     same addresses on every chain;
 *   - the pool's Safe: SafeProxyFactory.createProxyWithNonce(SafeL2, setup(owners, threshold,
 *     fallback handler), POOL_SAFE_SALT): same factory, singleton, initializer and salt, so the
 *     same Safe address on every chain;
 *   - the Zodiac Roles v2 modifier (zodiac-roles-sdk's typechain bytecode, its Integrity and Packer
 *     libraries linked) with owner = avatar = target = the Safe, also through the ERC-2470 factory
 *     (deterministic); enabled as a module of the Safe by a Safe transaction the committee signs
 *     (protocol-kit).
 */

const require = createRequire(import.meta.url)
const artifact = (p: string): { abi: Abi; bytecode: Hex } => require(`@safe-global/safe-contracts/build/artifacts/contracts/${p}.json`) as { abi: Abi; bytecode: Hex }

const SAFE_ARTIFACTS: Record<keyof SafeContracts, string> = {
  safeSingleton: 'SafeL2.sol/SafeL2',
  safeProxyFactory: 'proxies/SafeProxyFactory.sol/SafeProxyFactory',
  multiSend: 'libraries/MultiSend.sol/MultiSend',
  multiSendCallOnly: 'libraries/MultiSendCallOnly.sol/MultiSendCallOnly',
  fallbackHandler: 'handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler',
  signMessageLib: 'libraries/SignMessageLib.sol/SignMessageLib',
  createCall: 'libraries/CreateCall.sol/CreateCall',
  simulateTxAccessor: 'accessors/SimulateTxAccessor.sol/SimulateTxAccessor',
}

/** The salt nonce of the pool's Safe proxy (any fixed number: the address follows from it). */
export const POOL_SAFE_SALT = 20_26_12_01n

export const safeAbi = artifact('SafeL2.sol/SafeL2').abi
const proxyFactoryAbi = artifact('proxies/SafeProxyFactory.sol/SafeProxyFactory').abi

/** The Safe contracts' addresses (the same on every chain), without deploying. */
export function safeContractAddresses(): SafeContracts {
  return Object.fromEntries(Object.entries(SAFE_ARTIFACTS).map(([k, p]) => [k, singletonAddress(artifact(p).bytecode)])) as SafeContracts
}

/** Deploys the Safe contracts (and the ERC-2470 factory) unless present. */
export async function deploySafeContracts(s: ChainSession, deployer: PrivateKeyAccount): Promise<SafeContracts> {
  await ensureSingletonFactory(s, deployer)
  const out: Partial<SafeContracts> = {}
  for (const [k, p] of Object.entries(SAFE_ARTIFACTS) as Array<[keyof SafeContracts, string]>) out[k] = await deploySingleton(s, deployer, p.split('/').pop()!, artifact(p).bytecode)
  return out as SafeContracts
}

function safeInitializer(contracts: SafeContracts, owners: readonly Address[], threshold: number): Hex {
  return encodeFunctionData({
    abi: safeAbi,
    functionName: 'setup',
    args: [owners, BigInt(threshold), zeroAddress, '0x', contracts.fallbackHandler, zeroAddress, 0n, zeroAddress],
  })
}

/** Creates the pool's Safe (owners, threshold) unless it exists; the same address on every chain. */
export async function deployPoolSafe(s: ChainSession, deployer: PrivateKeyAccount, contracts: SafeContracts, owners: readonly Address[], threshold: number): Promise<Address> {
  const args = [contracts.safeSingleton, safeInitializer(contracts, owners, threshold), POOL_SAFE_SALT] as const
  const { result } = await s.public.simulateContract({ account: deployer, address: contracts.safeProxyFactory, abi: proxyFactoryAbi, functionName: 'createProxyWithNonce', args }).catch(async (err: unknown) => {
    throw new Error(`${s.spec.name}: cannot create the pool's Safe: ${(err as Error).message.split('\n')[0]}`)
  })
  const safe = getAddress(result as Address)
  await s.write(deployer, 'create the pool Safe', { address: contracts.safeProxyFactory, abi: proxyFactoryAbi, functionName: 'createProxyWithNonce', args })
  return safe
}

const ROLES_LIB_KEYS = { integrity: 'contracts/Integrity.sol:Integrity', packer: 'contracts/packers/Packer.sol:Packer' } as const

/** The Roles modifier's init code (libraries linked, constructor owner = avatar = target = `safe`). */
function rolesInitCode(safe: Address): Hex {
  const libs = {
    [ROLES_LIB_KEYS.integrity]: singletonAddress(Integrity__factory.bytecode as Hex),
    [ROLES_LIB_KEYS.packer]: singletonAddress(Packer__factory.bytecode as Hex),
  }
  const code = Roles__factory.linkBytecode(libs as never) as Hex
  return `${code}${encodeAbiParameters([{ type: 'address' }, { type: 'address' }, { type: 'address' }], [safe, safe, safe]).slice(2)}` as Hex
}

/** The Roles modifier's address for the Safe (the same on every chain), without deploying. */
export function rolesAddressOf(safe: Address): Address {
  return singletonAddress(rolesInitCode(safe))
}

/** Deploys the Roles modifier of `safe` (and its libraries) unless present. */
export async function deployRoles(s: ChainSession, deployer: PrivateKeyAccount, safe: Address): Promise<Address> {
  await ensureSingletonFactory(s, deployer)
  await deploySingleton(s, deployer, 'Roles Integrity library', Integrity__factory.bytecode as Hex)
  await deploySingleton(s, deployer, 'Roles Packer library', Packer__factory.bytecode as Hex)
  return deploySingleton(s, deployer, 'Roles modifier', rolesInitCode(safe))
}

/** Enables `module` on the Safe (a Safe transaction signed by `ownerKeys`) unless it is enabled. */
export async function enableModule(t: SafeTarget, module: Address, ownerKeys: readonly Hex[], submitterKey: Hex): Promise<boolean> {
  const kit = await safeKit(t, submitterKey)
  if (await kit.isModuleEnabled(module)) return false
  const tx = await kit.createEnableModuleTx(module)
  await signAndExecute(t, tx, ownerKeys, submitterKey)
  return true
}

export { buildSafeTx }
