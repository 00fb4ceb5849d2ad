import { getAddress, type PublicClient } from 'viem'
import type { Config } from '../config/schema'
import { describeError } from '../core/errors'
import type { Logger } from '../core/logger'
import { delegationTarget, driftedDelegations, readSpaceDelegations, type SpaceDelegation } from '../execution/custody/snapshotDelegation'
import type { Store } from '../store'

/** The alert's dedup key and rule. */
export const DELEGATION_ALERT = 'snapshot-delegation'

/**
 * Custody "safe": the governor checks, each round, that the Safe still delegates its Snapshot
 * power in every upstream space to the voting key (governance.upstream.delegateRegistry). A
 * delegation elsewhere — a rotated key, a committee that re-pointed or cleared it — leaves the
 * pool's Snapshot votes without power while every signature still verifies: one warning alert
 * names each space, who holds the delegation and the fix; it resolves once the delegation is back.
 * Nothing is checked (and `undefined` returned) without a registry, a voter account or spaces, or
 * in custody "eoa" (the voting key votes with its own power there).
 */
export async function checkSnapshotDelegation(opts: { config: Config; clients: Record<string, PublicClient>; store: Store; logger: Logger; agent: string }): Promise<SpaceDelegation[] | undefined> {
  const { config, store, logger, agent } = opts
  if (config.custody.kind !== 'safe') return undefined
  const reg = config.governance.upstream.delegateRegistry
  const target = reg ? delegationTarget(config, reg.chain) : undefined
  const client = reg ? opts.clients[reg.chain] : undefined
  if (!target || !client) return undefined
  const drifted = driftedDelegations(await readSpaceDelegations(client, target, getAddress(config.pool.account)))
  if (drifted.length === 0) {
    await store.alerts.resolve(DELEGATION_ALERT, { agent, title: 'Snapshot delegation restored: the Safe delegates to the voting key in every upstream space' }).catch(() => undefined)
    return drifted
  }
  const body = [
    ...drifted.map((d) => `${d.space}: delegated to ${d.onChain ?? 'nobody'}, not to the voting key ${d.configured}`),
    'The pool\'s Snapshot votes carry no power there. Fix: `npm run custody -- diff` shows it, `npm run custody -- apply` builds the Safe transaction that re-points it (the committee signs).',
  ].join('\n')
  await store.alerts
    .raise({ dedupKey: DELEGATION_ALERT, agent, rule: DELEGATION_ALERT, subject: drifted.map((d) => d.space).join(', '), severity: 'warning', title: `Snapshot delegation off the voting key in ${drifted.length} space(s)`, body })
    .catch((err) => logger.warn({ err: describeError(err) }, 'alert not written'))
  return drifted
}
