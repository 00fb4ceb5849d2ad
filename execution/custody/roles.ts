import type { Config } from '../../config/schema'
import { distributorRole } from './distributorRole'
import { chainRole, type ChainRole } from './permissions'

/**
 * Every role the config implies on one chain's Roles modifier, each its own key with its own
 * members: the executor's (permissions.ts) and, with a rewards section, the distributor's
 * (distributorRole.ts). `custody diff` / `apply` and the devnet deploy reconcile all of them.
 * One entry per role: a new role (e.g. the governor's) is one more line here.
 */
export function chainRoles(config: Pick<Config, 'custody' | 'pool' | 'venues' | 'wormhole' | 'chains'> & { rewards?: Config['rewards'] }, chain: string): ChainRole[] {
  const roles: ChainRole[] = [chainRole(config, chain)]
  const distributor = distributorRole(config, chain)
  if (distributor) roles.push(distributor)
  return roles
}
