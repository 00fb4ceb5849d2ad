import { encodeFunctionData, getAddress, type Address, type Hex } from 'viem'
import { callsPlannedForApply, encodeCalls } from 'zodiac-roles-sdk'
import type { Config } from '../../config/schema'
import { roleOf } from '../../execution/custody/permissions'
import { chainRoles } from '../../execution/custody/roles'
import { snapshotSpaceId } from '../../execution/custody/snapshotDelegation'
import { buildSafeTx, contractNetworksOf, safeKit, signAndExecute, type SafeTarget } from '../../execution/custody/safeTx'
import { delegateRegistryAbi } from '../governance/abis'
import { COMMITTEE, committeeAccount, committeeKey, devAccount, devKey, ROLES, type CommitteeName } from '../accounts'
import type { DevnetSession as ChainSession } from '../chainSession'
import { deployPoolSafe, deployRoles, deploySafeContracts, enableModule, rolesAddressOf, safeContractAddresses } from './deploySafe'

/**
 * Custody on the devnet (custody.kind "safe"): the pool's Safe on each chain (owners alice, bob,
 * carol; threshold 2), then — once the config exists — the Roles modifier per chain, enabled as a
 * module and given the executor's role (and the distributor's, roles.ts) by Safe transactions alice and bob sign (protocol-kit),
 * submitted by the deployer.
 */

export interface CustodyDeployment {
  /** The pool's Safe: the same address on every chain. */
  safe: Address
  owners: Address[]
  threshold: number
  /** The Safe v1.4.1 contracts (the same addresses on every chain). */
  contracts: ReturnType<typeof safeContractAddresses>
  /** The Roles modifier (the same address on every chain). */
  roles: Address
  /** The executor: the role member (dev account #1, whose key POOLWARDEN_EXECUTOR_KEY holds). */
  executor: Address
}

/** The devnet committee's threshold (config strategy.committee.required). */
export const DEVNET_SAFE_THRESHOLD = 2
/** The devnet's move budget per chain and day, whole wstETH (autonomous plans move ≤ 150). */
export const DEVNET_MOVE_BUDGET = 300

export const devnetOwners = (): Address[] => (Object.keys(COMMITTEE) as CommitteeName[]).map((n) => committeeAccount(n).address)

/** The keys that sign the devnet's Safe transactions: the first `threshold` committee members. */
export const devnetSigningKeys = (threshold = DEVNET_SAFE_THRESHOLD): Hex[] => (Object.keys(COMMITTEE) as CommitteeName[]).slice(0, threshold).map(committeeKey)

/** Deploys the Safe contracts and the pool's Safe on a chain (idempotent). */
export async function deployCustodySafe(s: ChainSession): Promise<CustodyDeployment> {
  const deployer = devAccount(ROLES.deployer)
  const owners = devnetOwners()
  const contracts = await deploySafeContracts(s, deployer)
  const safe = await deployPoolSafe(s, deployer, contracts, owners, DEVNET_SAFE_THRESHOLD)
  return { safe, owners, threshold: DEVNET_SAFE_THRESHOLD, contracts, roles: rolesAddressOf(safe), executor: devAccount(ROLES.pool).address }
}

export function safeTargetOf(config: Config, chain: string): SafeTarget {
  const c = config.chains.find((x) => x.name === chain)
  if (!c) throw new Error(`unknown chain "${chain}"`)
  return { url: c.rpc[0]!.url, safe: config.pool.account as Address, contractNetworks: contractNetworksOf(config) }
}

/**
 * Deploys the Roles modifier on the chain, enables it on the Safe and applies the role the config
 * implies (from an empty modifier: a fresh deployment).
 */
export async function setUpRoles(s: ChainSession, config: Config, chain: string): Promise<{ roles: Address }> {
  const deployer = devAccount(ROLES.deployer)
  const target = safeTargetOf(config, chain)
  const roles = await deployRoles(s, deployer, target.safe)
  const expected = config.custody.chains.find((x) => x.chain === chain)?.roles
  if (expected?.toLowerCase() !== roles.toLowerCase()) throw new Error(`${chain}: the Roles modifier is at ${roles}, the config says ${expected ?? 'nothing'}`)
  await enableModule(target, roles, devnetSigningKeys(), devKey(ROLES.deployer))
  // Every role the config implies (the executor's; the distributor's on the rewards' claims chain;
  // the governor's where the chain has a configured Governor).
  const rs = chainRoles(config, chain)
  const calls = encodeCalls(callsPlannedForApply({ roles: [], allowances: [] }, { roles: rs.map((r) => roleOf(r)) as never[], allowances: rs.flatMap((r) => r.allowances) }), roles) as Array<{ to: Address; data: Hex }>
  const tx = await buildSafeTx(await safeKit(target, devKey(ROLES.deployer)), calls)
  await signAndExecute(target, tx, devnetSigningKeys(), devKey(ROLES.deployer))
  return { roles }
}

const votesAbi = [{ type: 'function', name: 'delegate', stateMutability: 'nonpayable', inputs: [{ name: 'delegatee', type: 'address' }], outputs: [] }] as const

/**
 * The pool's voting weight, custody "safe" on the devnet: ONE committee Safe transaction (alice and
 * bob sign, the deployer submits) in which the Safe
 *   - delegates its DAO tokens to itself (ERC20Votes `delegate(safe)`): the Governor counts the
 *     Safe, and the governor casts those votes through its Roles role; and
 *   - delegates its Snapshot voting power in each upstream space to the governor's voting key on
 *     Gnosis' DelegateRegistry (`setDelegate(spaceId, voter)`): the space's `delegation` strategy
 *     gives the key the Safe's power, and the key signs Snapshot votes with it.
 * A live committee makes the same transaction once in Safe{Wallet} (README, custody).
 */
export async function delegatePoolVotes(config: Config, chain: string, dao: { token: Address; delegateRegistry: Address }): Promise<{ hash: Hex }> {
  const voter = config.governance.voter.account
  if (!voter) throw new Error('governance.voter.account: missing (the Safe delegates its Snapshot power to it)')
  const target = safeTargetOf(config, chain)
  const calls = [
    { to: dao.token, data: encodeFunctionData({ abi: votesAbi, functionName: 'delegate', args: [getAddress(target.safe)] }) },
    ...config.governance.upstream.spaces.map((space) => ({
      to: dao.delegateRegistry,
      data: encodeFunctionData({ abi: delegateRegistryAbi, functionName: 'setDelegate', args: [snapshotSpaceId(space), getAddress(voter)] }),
    })),
  ]
  const tx = await buildSafeTx(await safeKit(target, devKey(ROLES.deployer)), calls)
  return signAndExecute(target, tx, devnetSigningKeys(), devKey(ROLES.deployer))
}
