import type SafeApiKit from '@safe-global/api-kit'
import { getAddress, type Address, type Hex } from 'viem'
import type { ChainClient } from '../../chains/createChainClient'
import type { Config } from '../../config/schema'
import { describeError } from '../../core/errors'
import { childLogger, type Logger } from '../../core/logger'
import type { Store } from '../../store'
import type { PlanStatus } from '../../store/types'
import { kitFor, txServiceOf, usedNonceOutcome, type CommitteeChain } from './planSafeTx'

/**
 * A committee plan that ended without executing (superseded, expired, stopped, rejected, failed)
 * leaves its Safe transaction signable in Safe{Wallet} until its nonce is used: owners who sign it
 * late could still execute it. The executor makes it unexecutable:
 *
 *   - it never executes it itself (runCommitteePlan runs only open plans, and re-reads the plan's
 *     status after the approved → executing transition: a plan that ended meanwhile is refused);
 *   - when no open plan's Safe tx holds the same nonce (a replacement already invalidates it), it
 *     proposes the same-nonce REJECTION to the Safe Transaction Service — a 0-value call of the
 *     Safe to itself (protocol-kit createRejectionTransaction, what Safe{Wallet}'s "Reject" builds)
 *     — for the committee to sign. The executor proposes as a Safe DELEGATE (an owner registered
 *     its key once: `npm run custody -- delegate`); a delegate's signature proves the proposer and
 *     never counts as a confirmation. Proposed once (the service is asked first);
 *   - once the nonce is used it records the outcome: `cancelled` (the rejection or another tx took
 *     it) or, should the committee have executed the ended plan's tx anyway, `executed` with a
 *     critical alert — a person looks at the positions.
 */

const OPEN: readonly PlanStatus[] = ['proposed', 'awaiting_approval', 'approved', 'executing']

export interface RejectAbandonedDeps {
  common: { config: Config; logger: Logger }
  store: Store
  chains: Readonly<Record<string, ChainClient>>
  /** The proposer (the executor's key, a delegate of the Safe): only signs the rejection's SafeTx hash to prove who proposes. */
  proposer: { address: Address; sign(p: { hash: Hex }): Promise<Hex> }
  services?: Readonly<Record<string, SafeApiKit>>
  agent?: string
}

export type AbandonedOutcome =
  | { planId: string; chain: string; outcome: 'rejection-proposed' | 'rejection-pending'; rejectionSafeTxHash: string }
  | { planId: string; chain: string; outcome: 'replaced'; by: string }
  | { planId: string; chain: string; outcome: 'cancelled' | 'executed-anyway' }
  | { planId: string; chain: string; outcome: 'refused'; reason: string }

export const rejectionOrigin = (planId: string, status: string) => `poolwarden: reject the Safe transaction of plan ${planId} (${status})`

export async function rejectAbandonedSafeTxs(deps: RejectAbandonedDeps): Promise<AbandonedOutcome[]> {
  const { store, common } = deps
  const { config } = common
  const agent = deps.agent ?? 'executor'
  const logger = childLogger(common.logger, { agent })
  const out: AbandonedOutcome[] = []
  const proposed = await store.safeTxs.list({ status: ['proposed'] })
  for (const st of proposed) {
    const plan = await store.plans.get(st.planId)
    if (!plan || OPEN.includes(plan.status)) continue
    const c = deps.chains[st.chain]
    if (!c) continue
    const chain: CommitteeChain = { name: st.chain, url: c.config.rpc[0]!.url, client: c.client }
    const o = await usedNonceOutcome(chain.client, st)
    if (o.outcome === 'executed') {
      // The committee executed an ended plan's tx in Safe{Wallet}: recorded as it is, never hidden.
      await store.safeTxs.transition(st.planId, st.chain, 'proposed', 'executed', { executedTx: o.txHash })
      await store.audit.append({ actor: agent, action: 'safe-tx-executed-after-plan-ended', detail: { plan: st.planId, status: plan.status, chain: st.chain, safeTxHash: st.safeTxHash, tx: o.txHash } })
      await store.alerts.raise({
        dedupKey: `safe-tx-after-end:${st.planId}:${st.chain}`, agent, chain: st.chain, rule: 'plan-failed', subject: st.planId, severity: 'critical',
        title: `The Safe tx of plan ${st.planId} (${plan.status}) was executed on ${st.chain}`,
        body: `tx ${o.txHash}: the committee executed a plan that had ended (${plan.status}); check the positions`,
      })
      out.push({ planId: st.planId, chain: st.chain, outcome: 'executed-anyway' })
      continue
    }
    if (o.outcome === 'cancelled') {
      const reason = `plan ${plan.status}: its Safe nonce ${st.nonce} on ${st.chain} was used by another transaction; this one can never execute`
      if (await store.safeTxs.transition(st.planId, st.chain, 'proposed', 'cancelled', { error: reason })) {
        await store.audit.append({ actor: agent, action: 'safe-tx-cancelled', detail: { plan: st.planId, chain: st.chain, safeTxHash: st.safeTxHash, nonce: st.nonce, onChainNonce: o.onChainNonce } })
      }
      out.push({ planId: st.planId, chain: st.chain, outcome: 'cancelled' })
      continue
    }
    // A replacement: an open plan's Safe tx at the same nonce uses it when it executes.
    const replacement = proposed.find((x) => x.chain === st.chain && x.nonce === st.nonce && x.planId !== st.planId)
    if (replacement) {
      const rp = await store.plans.get(replacement.planId)
      if (rp && OPEN.includes(rp.status)) {
        out.push({ planId: st.planId, chain: st.chain, outcome: 'replaced', by: replacement.planId })
        continue
      }
    }
    const service = deps.services?.[st.chain] ?? txServiceOf(config, st.chain)
    if (!service) {
      out.push({ planId: st.planId, chain: st.chain, outcome: 'refused', reason: `custody.chains[${st.chain}].txServiceUrl is not set` })
      continue
    }
    const kit = await kitFor(config, chain)
    const rejection = await kit.createRejectionTransaction(st.nonce)
    const hash = (await kit.getTransactionHash(rejection)) as Hex
    const existing = await service.getTransaction(hash).catch((err: { statusCode?: number }) => {
      if (err.statusCode === 404) return undefined
      throw err
    })
    if (existing) {
      out.push({ planId: st.planId, chain: st.chain, outcome: 'rejection-pending', rejectionSafeTxHash: hash })
      continue
    }
    try {
      await service.proposeTransaction({
        safeAddress: getAddress(st.safe), safeTransactionData: rejection.data, safeTxHash: hash, senderAddress: getAddress(deps.proposer.address),
        senderSignature: await deps.proposer.sign({ hash }), origin: rejectionOrigin(st.planId, plan.status),
      })
    } catch (err) {
      const reason = `the transaction service refused the rejection: ${describeError(err)} — an owner registers the executor's key as a delegate of the Safe (npm run custody -- delegate)`
      const detail = { plan: st.planId, chain: st.chain, nonce: st.nonce, reason }
      const seen = (await store.audit.recent(200, { action: 'safe-tx-rejection-refused' })).some((e) => JSON.stringify(e.detail) === JSON.stringify(detail))
      if (!seen) {
        await store.audit.append({ actor: agent, action: 'safe-tx-rejection-refused', detail })
        logger.warn(detail, 'could not propose the rejection of an ended plan\'s Safe transaction')
      }
      out.push({ planId: st.planId, chain: st.chain, outcome: 'refused', reason })
      continue
    }
    await store.audit.append({ actor: agent, action: 'safe-tx-rejection-proposed', detail: { plan: st.planId, status: plan.status, chain: st.chain, nonce: st.nonce, safeTxHash: st.safeTxHash, rejectionSafeTxHash: hash } })
    logger.info({ plan: st.planId, chain: st.chain, nonce: st.nonce, rejection: hash }, `plan ${plan.status}: its Safe tx's same-nonce rejection proposed for the committee to sign`)
    out.push({ planId: st.planId, chain: st.chain, outcome: 'rejection-proposed', rejectionSafeTxHash: hash })
  }
  return out
}
