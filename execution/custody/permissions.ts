import { getAddress, pad, parseUnits, type Address, type Hex } from 'viem'
import { c, encodeKey, processPermissions, type Permission } from 'zodiac-roles-sdk'
import type { Config } from '../../config/schema'

/**
 * The executor's role on one chain, generated from the config (pure: config in, permissions out).
 *
 * Allowed (everything else is refused on chain by the Roles modifier, and no call may send ETH or
 * delegatecall):
 *   - each configured venue of the chain, ONLY through the chain's SlippageRouter (chains[].router,
 *     contracts/SlippageRouter.sol: the step's bound is enforced in the same transaction; the
 *     venues' own deposit/withdraw/supply are not in the role, so no move can be unbounded):
 *       erc4626  router.depositChecked(vault = the venue, assets ≤ move budget, receiver = the Safe, _),
 *                router.withdrawChecked(vault = the venue, _, receiver = the Safe, owner = the Safe, _)
 *       aave-v3  router.supplyChecked(pool = the venue, asset, aToken (the venue's), amount ≤ move budget, onBehalfOf = the Safe, _),
 *                router.withdrawSupplyChecked(pool = the venue, asset, aToken, _, to = the Safe, _)
 *       lst      nothing (the collateral held idle needs no call)
 *   - approve(spender, _) on the collateral token (and an Aave reserve's asset) only to the router
 *     and the chain's Wormhole token bridge; on each vault's shares and each aToken only to the router;
 *   - token bridge: transferTokens(the collateral, amount ≤ move budget, recipientChain = another
 *     configured chain, recipient = the pool's Safe, arbiterFee = 0, _) and completeTransfer(_).
 * The move budget is a Roles allowance per collateral token: `custody.allowance.amount` whole
 * tokens per `periodSeconds`, consumed by deposits, supplies and bridge transfers (money leaving
 * the Safe for a venue or another chain); withdrawals bring money home and are not budgeted.
 * The executor's key is the role's only member. The reward distributor has a role of its own
 * (distributorRole.ts): one key, one job.
 */

/** zodiac-roles-deployments' Allowance (the SDK's callsPlannedForApply takes it). */
export interface RoleAllowance {
  key: Hex
  refill: bigint
  maxRefill: bigint
  period: bigint
  balance: bigint
  timestamp: bigint
}

export interface ChainRole {
  chain: string
  roleKey: Hex
  members: Address[]
  permissions: Permission[]
  allowances: RoleAllowance[]
}

export class PermissionsConfigError extends Error {
  override name = 'PermissionsConfigError'
}

export const roleKeyOf = (config: Pick<Config, 'custody'>): Hex => encodeKey(config.custody.roleKey) as Hex

/** The allowance key of a collateral token's move budget (one Roles modifier per chain). */
export const moveAllowanceKey = (symbol: string): Hex => encodeKey(`move-${symbol.toLowerCase()}`.slice(0, 32)) as Hex

const lower = (a: string) => a.toLowerCase() as Address
const oneOf = (values: readonly string[]) => (values.length === 1 ? values[0]! : c.or(...(values as [string, string])))

export function chainRole(config: Pick<Config, 'custody' | 'pool' | 'venues' | 'wormhole' | 'chains'>, chain: string): ChainRole {
  const custody = config.custody
  if (custody.kind !== 'safe') throw new PermissionsConfigError('custody.kind is "eoa": there is no role to generate (set custody.kind to "safe")')
  if (!custody.executor) throw new PermissionsConfigError('custody.executor: missing')
  if (!custody.allowance) throw new PermissionsConfigError('custody.allowance: missing (the move budget)')
  const safe = getAddress(config.pool.account)
  const collateral = config.pool.collateral.find((x) => x.chain === chain)
  if (!collateral) throw new PermissionsConfigError(`pool.collateral: none on chain "${chain}"`)
  const budgetKey = moveAllowanceKey(collateral.symbol)
  const budget = parseUnits(String(custody.allowance.amount), collateral.decimals)
  const permissions: Permission[] = []
  /** token → spenders allowed by approve. */
  const spenders = new Map<string, Set<string>>()
  const spend = (token: string, spender: string) => {
    const k = lower(token)
    if (!spenders.has(k)) spenders.set(k, new Set())
    spenders.get(k)!.add(lower(spender))
  }

  // Every venue move goes through the chain's SlippageRouter (contracts/SlippageRouter.sol), which
  // enforces the step's bound in the same transaction; the venues' own deposit/withdraw/supply are
  // NOT in the role, so the executor cannot make an unbounded move. One permission per venue (the
  // SDK merges them into an OR of the venues): the venue (and its asset and aToken) pinned, the
  // receiver / owner / onBehalfOf = the Safe, amounts leaving the Safe within the move budget.
  const moving = config.venues.filter((x) => x.chain === chain && x.kind !== 'lst')
  const routerAddr = config.chains.find((x) => x.name === chain)?.router
  if (moving.length > 0 && !routerAddr) throw new PermissionsConfigError(`chains[${chain}].router: missing: deploy contracts/SlippageRouter.sol on ${chain} and set its address (every venue move goes through it)`)
  const router = routerAddr ? lower(routerAddr) : undefined
  for (const v of moving) {
    const r = router!
    switch (v.kind) {
      case 'erc4626':
        permissions.push(
          { targetAddress: r, signature: 'depositChecked(address,uint256,address,uint256)', condition: c.calldataMatches([lower(v.address), c.withinAllowance(budgetKey), c.avatar, undefined], ['address', 'uint256', 'address', 'uint256']) },
          {
            targetAddress: r,
            signature: 'withdrawChecked(address,uint256,address,address,uint256)',
            condition: c.calldataMatches([lower(v.address), undefined, c.avatar, c.avatar, undefined], ['address', 'uint256', 'address', 'address', 'uint256']),
          },
        )
        spend(collateral.token, r)
        // The router burns the Safe's vault shares for a withdrawal (owner = msg.sender = the Safe).
        spend(v.address, r)
        break
      case 'aave-v3':
        permissions.push(
          {
            targetAddress: r,
            signature: 'supplyChecked(address,address,address,uint256,address,uint256)',
            condition: c.calldataMatches([lower(v.address), lower(v.asset), lower(v.aToken), c.withinAllowance(budgetKey), c.avatar, undefined], ['address', 'address', 'address', 'uint256', 'address', 'uint256']),
          },
          {
            targetAddress: r,
            signature: 'withdrawSupplyChecked(address,address,address,uint256,address,uint256)',
            condition: c.calldataMatches([lower(v.address), lower(v.asset), lower(v.aToken), undefined, c.avatar, undefined], ['address', 'address', 'address', 'uint256', 'address', 'uint256']),
          },
        )
        spend(v.asset, r)
        // The router pulls the Safe's aTokens to withdraw them (to = the Safe).
        spend(v.aToken, r)
        break
    }
  }

  const wh = config.wormhole?.chains.find((x) => x.chain === chain)
  if (wh) {
    const custodyChains = new Set(custody.chains.map((x) => x.chain))
    const peers = (config.wormhole?.chains ?? []).filter((x) => x.chain !== chain && custodyChains.has(x.chain)).map((x) => String(x.wormholeChainId))
    if (peers.length > 0) {
      const bridge = lower(wh.tokenBridge)
      permissions.push(
        {
          targetAddress: bridge,
          signature: 'transferTokens(address,uint256,uint16,bytes32,uint256,uint32)',
          condition: c.calldataMatches(
            [lower(collateral.token), c.withinAllowance(budgetKey), oneOf(peers), pad(lower(safe), { size: 32 }), '0', undefined],
            ['address', 'uint256', 'uint16', 'bytes32', 'uint256', 'uint32'],
          ),
        },
        { targetAddress: bridge, signature: 'completeTransfer(bytes)' },
      )
      spend(collateral.token, wh.tokenBridge)
    }
  }

  const allowances: RoleAllowance[] = [{ key: budgetKey, refill: budget, maxRefill: budget, period: BigInt(custody.allowance.periodSeconds), balance: budget, timestamp: 0n }]
  const members = [lower(custody.executor)]

  for (const [token, set] of [...spenders.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    permissions.push({
      targetAddress: token as Address,
      signature: 'approve(address,uint256)',
      condition: c.calldataMatches([oneOf([...set].sort())], ['address', 'uint256']),
    })
  }

  return {
    chain,
    roleKey: roleKeyOf(config),
    members,
    permissions,
    allowances,
  }
}

/** The role in zodiac-roles-sdk's Role shape (targets processed from the permissions). */
export function roleOf(r: ChainRole) {
  const { targets } = processPermissions(r.permissions)
  return { key: r.roleKey, members: r.members, targets, annotations: [], lastUpdate: 0 }
}
