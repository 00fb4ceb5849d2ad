import { decodeKey, callsPlannedForApply, encodeCalls, type Call } from 'zodiac-roles-sdk'
import { getAddress, type Address, type Hex, type PublicClient } from 'viem'
import type { Config } from '../../config/schema'
import { roleOf, type RoleAllowance } from './permissions'
import { chainRoles } from './roles'
import { readAllowances, readRole } from './readRole'
import { delegationTarget, describeDelegation, driftedDelegations, readSpaceDelegations, repointCalls, type SpaceDelegation } from './snapshotDelegation'

/**
 * Custody state of one chain against what the config implies: the Safe's owners and threshold,
 * whether the Roles modifier is enabled on it, and — over every role the config implies (roles.ts:
 * the executor's, the distributor's) — the Roles calls (zodiac-roles-sdk
 * `callsPlannedForApply`: assignRoles, scope/allow/revoke target and function, setAllowance) that
 * turn the role on chain into the configured one. An allowance whose parameters match is left
 * alone (re-setting it would refill the period's budget). On the chain of the configured
 * DelegateRegistry, also the Safe's Snapshot delegation in each upstream space
 * (snapshotDelegation.ts): a delegation off `governance.voter.account` is re-pointed in the same
 * Safe transaction.
 */

const safeReadAbi = [
  { type: 'function', name: 'getOwners', stateMutability: 'view', inputs: [], outputs: [{ type: 'address[]' }] },
  { type: 'function', name: 'getThreshold', stateMutability: 'view', inputs: [], outputs: [{ type: 'uint256' }] },
  { type: 'function', name: 'isModuleEnabled', stateMutability: 'view', inputs: [{ type: 'address' }], outputs: [{ type: 'bool' }] },
] as const

export interface ChainCustodyDiff {
  chain: string
  safe: Address
  roles: Address
  owners: { onChain: Address[]; configured: Address[] }
  threshold: { onChain: number; configured: number | undefined }
  moduleEnabled: boolean
  /** Roles calls reconciling the role (empty: in sync). */
  calls: Call[]
  /** Snapshot delegations that differ from governance.voter.account (empty: in sync, or not checked on this chain). */
  delegations: SpaceDelegation[]
  /** The Safe transaction's inner calls: the Roles calls encoded for the modifier, then the delegation re-points. */
  encoded: Array<{ to: Address; data: Hex }>
}

const sameParams = (a: RoleAllowance, b: RoleAllowance) => a.refill === b.refill && a.maxRefill === b.maxRefill && a.period === b.period

export async function diffChainCustody(config: Config, chain: string, client: PublicClient, opts: { fromBlock?: bigint } = {}): Promise<ChainCustodyDiff> {
  const c = config.custody.chains.find((x) => x.chain === chain)
  if (!c) throw new Error(`config: custody.chains has no entry for chain "${chain}"`)
  const safe = getAddress(config.pool.account)
  const desired = chainRoles(config, chain)
  const keys = new Set(desired.map((r) => r.roleKey.toLowerCase()))
  if (keys.size !== desired.length) throw new Error(`config: two roles share one key on chain "${chain}" (custody.roleKey, rewards.roleKey): give each its own`)
  const delegation = delegationTarget(config, chain)
  const [owners, threshold, moduleEnabled, current, allowances, delegations] = await Promise.all([
    client.readContract({ address: safe, abi: safeReadAbi, functionName: 'getOwners' }),
    client.readContract({ address: safe, abi: safeReadAbi, functionName: 'getThreshold' }),
    client.readContract({ address: safe, abi: safeReadAbi, functionName: 'isModuleEnabled', args: [c.roles] }),
    Promise.all(desired.map((r) => readRole(client, c.roles, r.roleKey, opts))),
    readAllowances(client, c.roles, desired.flatMap((r) => r.allowances.map((a) => a.key))),
    delegation ? readSpaceDelegations(client, delegation, safe) : Promise.resolve([]),
  ])
  // An allowance never set reads as all zeros: absent.
  const currentAllowances = allowances.filter((a) => a.maxRefill !== 0n || a.refill !== 0n || a.period !== 0n || a.balance !== 0n)
  const nextAllowances = desired.flatMap((r) => r.allowances).map((want) => {
    const have = currentAllowances.find((a) => a.key === want.key)
    return have && sameParams(have, want) ? have : want
  })
  const calls = callsPlannedForApply({ roles: current as never[], allowances: currentAllowances }, { roles: desired.map((r) => roleOf(r)) as never[], allowances: nextAllowances })
  const drifted = driftedDelegations(delegations)
  return {
    chain,
    safe,
    roles: c.roles,
    owners: { onChain: [...owners], configured: config.custody.owners },
    threshold: { onChain: Number(threshold), configured: config.custody.threshold },
    moduleEnabled,
    calls,
    delegations: drifted,
    encoded: [...(encodeCalls(calls, c.roles) as Array<{ to: Address; data: Hex }>), ...(delegation ? repointCalls(delegation.registry, drifted) : [])],
  }
}

/** One line per difference (empty: in sync). */
export function describeDiff(d: ChainCustodyDiff): string[] {
  const out: string[] = []
  const sorted = (xs: readonly string[]) => xs.map((x) => x.toLowerCase()).sort().join(',')
  if (sorted(d.owners.onChain) !== sorted(d.owners.configured)) out.push(`owners: on chain ${d.owners.onChain.join(', ')}; config ${d.owners.configured.join(', ')} (change them with the committee in Safe{Wallet})`)
  if (d.threshold.configured !== undefined && d.threshold.onChain !== d.threshold.configured) out.push(`threshold: on chain ${d.threshold.onChain}, config ${d.threshold.configured}`)
  if (!d.moduleEnabled) out.push(`module: the Roles modifier ${d.roles} is not enabled on the Safe`)
  for (const c of d.calls) out.push(describeCall(c))
  for (const x of d.delegations) out.push(describeDelegation(x))
  return out
}

function describeCall(c: Call): string {
  const x = c as Call & { targetAddress?: string; selector?: string; member?: string; join?: boolean; key?: Hex; roleKey?: Hex; balance?: bigint; maxRefill?: bigint; period?: bigint }
  // Several roles share the modifier (the executor's, the distributor's): each line names its role.
  const role = x.roleKey ? ` (role ${decodeKey(x.roleKey)})` : ''
  switch (c.call) {
    case 'assignRoles':
      return `${x.join ? '+' : '-'} member ${x.member}${role}`
    case 'setAllowance':
      return `~ allowance ${decodeKey(x.key!)}: ${x.maxRefill} per ${x.period} s (balance set to ${x.balance})`
    default: {
      const sign = c.call.startsWith('revoke') ? '-' : '+'
      return `${sign} ${c.call} ${x.targetAddress ?? ''}${x.selector ? ` ${x.selector}` : ''}${role}`
    }
  }
}
