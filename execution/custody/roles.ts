import type { Config } from '../../config/schema'
import { distributorRole } from './distributorRole'
import { chainRole, governorRole, type ChainRole } from './permissions'

/**
 * Every role the config implies on one chain's Roles modifier, each its own key with its own
 * members: the executor's (permissions.ts) and, with a rewards section, the distributor's
 * (distributorRole.ts), and the governor's where the chain has configured Governors
 * (permissions.ts). `custody diff` / `apply` and the devnet deploy reconcile all of them.
 */
export function chainRoles(config: Pick<Config, 'custody' | 'pool' | 'venues' | 'wormhole' | 'chains' | 'governance'> & { rewards?: Config['rewards'] }, chain: string): ChainRole[] {
  const roles: ChainRole[] = [chainRole(config, chain)]
  const governor = governorRole(config, chain)
  if (governor) roles.push(governor)
  const distributor = distributorRole(config, chain)
  if (distributor) roles.push(distributor)
  return roles
}
