import type { Hex } from 'viem'
import type { Config } from '../../config/schema'
import type { TxSender } from '../createTxSender'
import { createRoleSender } from './createRoleSender'
import { distributorRoleKeyOf } from './distributorRole'
import { roleKeyOf } from './permissions'

export { createRoleSender, wrapRoleCall } from './createRoleSender'
export { chainRole, moveAllowanceKey, roleKeyOf, roleOf } from './permissions'
export { distributorRole, distributorRoleKeyOf, rewardsAllowanceKey } from './distributorRole'
export { chainRoles } from './roles'

/**
 * The executor's senders for its custody mode: custody "safe" wraps each chain's exactly-once
 * sender so that every call goes through that chain's Roles modifier for the pool's Safe
 * (createRoleSender); custody "eoa" returns them unchanged.
 */
export function custodySenders(config: Pick<Config, 'custody' | 'pool'>, senders: Readonly<Record<string, TxSender>>, roleKey: Hex = roleKeyOf(config)): Record<string, TxSender> {
  if (config.custody.kind !== 'safe') return { ...senders }
  const out: Record<string, TxSender> = {}
  for (const [chain, inner] of Object.entries(senders)) {
    const c = config.custody.chains.find((x) => x.chain === chain)
    if (!c) throw new Error(`config: custody.chains has no Roles modifier for chain "${chain}"`)
    out[chain] = createRoleSender({ inner, safe: config.pool.account as `0x${string}`, roles: c.roles, roleKey })
  }
  return out
}

/**
 * The distributor's sender on the claims chain: custody "safe" wraps its own exactly-once sender
 * (its own key, its own nonces) so that setRoot and the funding go through the distributor's OWN
 * role (distributorRole.ts), never the executor's; custody "eoa" returns it unchanged.
 */
export function distributorSender(config: Pick<Config, 'custody' | 'pool'> & { rewards?: Config['rewards'] }, chain: string, inner: TxSender): TxSender {
  return custodySenders(config, { [chain]: inner }, distributorRoleKeyOf(config))[chain]!
}

/** The start-up warning of custody "eoa" (approvals are advisory there), or undefined. */
export function custodyWarning(config: Pick<Config, 'custody'>): string | undefined {
  if (config.custody.kind === 'safe') return undefined
  return 'custody "eoa": the executor\'s key holds the pool itself, so committee approvals are advisory (a row in the store, not a signature the chain checks); set custody.kind "safe" to put the pool in a Safe and the executor inside a Roles role'
}
