import { getAddress, parseUnits, type Address, type Hex } from 'viem'
import { c, encodeKey, type Permission } from 'zodiac-roles-sdk'
import type { Config } from '../../config/schema'
import { fundingPeriodSeconds } from '../../config/rewards'
import { PermissionsConfigError, type ChainRole, type RoleAllowance } from './permissions'

/**
 * The reward distributor's own role on one chain (custody "safe"), generated from the config —
 * one key, one job: a role beside the executor's on the same Roles modifier, whose only member is
 * the distributor's key (`rewards.signer.account`, POOLWARDEN_DISTRIBUTOR_KEY).
 *
 * On the claims chain (`rewards.chain`) it allows exactly:
 *   - setRoot(_, _) on the configured distributor contract (`rewards.distributor`, owner = the Safe);
 *   - collateral.transfer(to = that distributor, amount within the role's own Roles allowance:
 *     `rewards.fundingAllowance.amount` whole tokens per `fundingAllowance.periodSeconds`, default
 *     one epoch) — the epoch's funding.
 * No approve: the funding is a transfer (the distributor pulls nothing), so the least privilege is
 * transfer alone. No venue, no bridge, no value, no delegatecall. On every other chain the role is
 * empty (no member, no permission), so `custody diff` there revokes whatever a former config left.
 * The executor's role holds none of this (permissions.ts).
 */

export const distributorRoleKeyOf = (config: { rewards?: Pick<NonNullable<Config['rewards']>, 'roleKey'> | undefined }): Hex => encodeKey(config.rewards?.roleKey ?? 'poolwarden-distributor') as Hex

/** The allowance key of the distributor's funding (one Roles modifier per chain). */
export const rewardsAllowanceKey = (symbol: string): Hex => encodeKey(`rewards-${symbol.toLowerCase()}`.slice(0, 32)) as Hex

const lower = (a: string) => a.toLowerCase() as Address

/** The distributor's role on `chain`, or undefined when the config has no rewards section. */
export function distributorRole(config: Pick<Config, 'custody' | 'pool'> & { rewards?: Config['rewards'] }, chain: string): ChainRole | undefined {
  const r = config.rewards
  if (!r) return undefined
  if (config.custody.kind !== 'safe') throw new PermissionsConfigError('custody.kind is "eoa": there is no role to generate (set custody.kind to "safe")')
  const roleKey = distributorRoleKeyOf(config)
  if (r.chain !== chain) return { chain, roleKey, members: [], permissions: [], allowances: [] }
  const collateral = config.pool.collateral.find((x) => x.chain === chain)
  if (!collateral) throw new PermissionsConfigError(`rewards.chain: "${chain}" has no pool.collateral entry (claims are paid in its collateral)`)
  const executor = config.custody.executor?.toLowerCase()
  if (executor && r.signer.account.toLowerCase() === executor) throw new PermissionsConfigError(`rewards.signer.account: ${getAddress(r.signer.account)} is the executor's key (custody.executor): give the distributor its own key`)
  const distributor = lower(r.distributor)
  const fundKey = rewardsAllowanceKey(collateral.symbol)
  const fund = parseUnits(String(r.fundingAllowance.amount), collateral.decimals)
  const permissions: Permission[] = [
    { targetAddress: distributor, signature: 'setRoot(uint256,bytes32)' },
    {
      targetAddress: lower(collateral.token),
      signature: 'transfer(address,uint256)',
      condition: c.calldataMatches([distributor, c.withinAllowance(fundKey)], ['address', 'uint256']),
    },
  ]
  const allowances: RoleAllowance[] = [{ key: fundKey, refill: fund, maxRefill: fund, period: BigInt(fundingPeriodSeconds(r)), balance: fund, timestamp: 0n }]
  return { chain, roleKey, members: [lower(r.signer.account)], permissions, allowances }
}
