import { encodeFunctionData, getAddress, type Abi, type Address, type Hex } from 'viem'
import { rolesAbi } from 'zodiac-roles-sdk'
import type { SendRequest, TxSender } from '../createTxSender'

/**
 * A TxSender that acts for the pool's Safe through the Zodiac Roles modifier: each call
 * `{ to, data, value }` is sent by the executor's key as
 * `Roles.execTransactionWithRole(to, value, data, operation = 0 (a call, never a delegatecall), roleKey, shouldRevert = true)`
 * through the inner (exactly-once) sender, under the same idempotency key — so the intent row is
 * written before signing and a restart resumes it as before. The Safe pays the value and is the
 * `msg.sender` the venue sees; the executor pays gas. A request already addressed to the Roles
 * modifier (a stored intent being resumed) goes through unchanged. Pre-flight refusals by the
 * Roles modifier (ConditionViolation, NotAuthorized, …) are decoded with its ABI.
 */

export interface RoleSenderDeps {
  /** The executor's exactly-once sender (signs with the role member's key). */
  inner: TxSender
  /** The pool's Safe (the avatar): what this sender acts for. */
  safe: Address
  /** The chain's Roles modifier. */
  roles: Address
  roleKey: Hex
}

const rolesErrors = (rolesAbi as unknown as Abi).filter((x) => x.type === 'error')

export function wrapRoleCall(d: Pick<RoleSenderDeps, 'roles' | 'roleKey'>, call: { to: Address; data: Hex; value?: bigint }): { to: Address; data: Hex } {
  return {
    to: d.roles,
    data: encodeFunctionData({ abi: rolesAbi, functionName: 'execTransactionWithRole', args: [call.to, call.value ?? 0n, call.data, 0, d.roleKey, true] }),
  }
}

export function createRoleSender(d: RoleSenderDeps): TxSender {
  const roles = getAddress(d.roles)
  return {
    chain: d.inner.chain,
    address: getAddress(d.safe),
    send(req: SendRequest) {
      const abi = [...rolesErrors, ...((req.abi ?? []) as Abi)]
      if (getAddress(req.to) === roles) return d.inner.send({ ...req, abi })
      return d.inner.send({ key: req.key, ...wrapRoleCall({ roles, roleKey: d.roleKey }, req), abi })
    },
    reconcile: () => d.inner.reconcile(),
  }
}
