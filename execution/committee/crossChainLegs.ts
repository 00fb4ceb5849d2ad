import { encodeFunctionData, erc20Abi, getAddress, type Address, type Hex } from 'viem'
import type { Config } from '../../config/schema'
import type { PlanStep } from '../../store/types'
import { transferSpecOf, type BridgePort } from '../bridge'
import { UnsupportedStepError } from '../errors'

/**
 * A committee plan across chains in custody "safe": one Safe transaction per chain, executed leg
 * by leg in the order the money flows.
 *
 *   source leg (chain A)       its venue steps (withdraw…) + approve(token bridge, amount) +
 *                              transferTokens(amount → the pool's Safe on B), one MultiSendCallOnly batch
 *   in flight                  the transfer row (store.transfers) from `initiated` (the Safe tx's
 *                              receipt gives the Wormhole sequence) to `redeemed`: the VAA verified
 *                              and `completeTransfer` sent by the executor's key — the token bridge
 *                              delivers to the recipient in the VAA (the Safe) whoever submits it
 *   destination leg (chain B)  its venue steps (deposit `received`…), executed once the transfer
 *                              landed in the Safe on B
 *
 * The committee signs every chain's SafeTx up front (`npm run plan -- approve <id> --as alice`
 * signs them all); nothing executes on any chain before every chain's Safe tx has its threshold of
 * verified signatures. The destination's amounts are the plan's own: the token bridge carries the
 * amount truncated to its 8 decimals and charges no fee on a manual redemption (arbiterFee 0),
 * so what lands is known exactly when the plan is made (`transfer.received`, bridgeReceived)
 * and the committee signs the very calls that run. Pure: these functions read nothing.
 */

export interface CommitteeLeg {
  chain: string
  /** Redeem steps landing on this chain, run (outside the Safe tx) before its Safe tx. */
  redeems: PlanStep[]
  /** The steps the chain's Safe tx carries (venue steps and bridge steps), in plan order. */
  steps: PlanStep[]
  /** Index of the leg's first step in the plan (legs run in this order). */
  first: number
}

/**
 * The plan's legs, one per chain in order of the chain's first step. Refused (UnsupportedStepError)
 * when a chain would need two Safe transactions: one of its steps comes after a redeem landing on
 * it while an earlier step of it ran before that redeem.
 */
export function committeeLegs(steps: readonly PlanStep[]): CommitteeLeg[] {
  const legs = new Map<string, CommitteeLeg>()
  for (const s of [...steps].sort((a, b) => a.idx - b.idx)) {
    let leg = legs.get(s.chain)
    if (!leg) legs.set(s.chain, (leg = { chain: s.chain, redeems: [], steps: [], first: s.idx }))
    if (s.kind === 'redeem') {
      if (leg.steps.length > 0) {
        throw new UnsupportedStepError(`step ${s.idx}: a redeem on ${s.chain} after step ${leg.steps[0]!.idx} there needs a second Safe transaction on ${s.chain}; a committee plan has one per chain`)
      }
      leg.redeems.push(s)
    } else {
      // The source tx's receipt is read for ONE token bridge message per leg.
      if (s.kind === 'bridge' && leg.steps.some((x) => x.kind === 'bridge')) throw new UnsupportedStepError(`step ${s.idx}: a second bridge step on ${s.chain} in one committee Safe transaction is not supported (one transfer per source chain)`)
      leg.steps.push(s)
    }
  }
  return [...legs.values()].sort((a, b) => a.first - b.first)
}

/** Whether the leg's Safe tx depends on funds that are still to land (it cannot be simulated before). */
export const waitsForTransfer = (leg: Pick<CommitteeLeg, 'redeems'>): boolean => leg.redeems.length > 0

/**
 * A bridge step's calls in the Safe tx of its source chain: approve(token bridge, amount) — always
 * the exact amount, inside the same atomic batch, so no standing allowance is relied on — then the
 * SDK's transferTokens to the pool's Safe on the destination (its approve, built only when the
 * allowance is short, is dropped).
 */
export async function bridgeStepCalls(config: Pick<Config, 'pool' | 'wormhole'>, port: BridgePort, step: PlanStep): Promise<Array<{ to: Address; data: Hex; value?: bigint }>> {
  const spec = transferSpecOf(step)
  if (!spec) throw new UnsupportedStepError(`bridge step ${step.idx}: no transfer in its detail`)
  if (spec.from !== step.chain || spec.amount !== step.amount) throw new UnsupportedStepError(`bridge step ${step.idx}: its transfer (${spec.from}, ${spec.amount}) does not match the step (${step.chain}, ${step.amount})`)
  const wh = config.wormhole?.chains.find((c) => c.chain === spec.from)
  if (!wh || !config.wormhole?.chains.some((c) => c.chain === spec.to)) throw new UnsupportedStepError(`bridge step ${step.idx}: ${spec.from} → ${spec.to} is not in wormhole.chains`)
  const token = config.pool.collateral.find((c) => c.chain === spec.from)?.token
  if (!token) throw new UnsupportedStepError(`bridge step ${step.idx}: no pool collateral configured on ${spec.from}`)
  const safe = getAddress(config.pool.account)
  const txs = await port.transferTxs({ from: spec.from, to: spec.to, token: getAddress(token), amount: spec.amount, sender: safe, recipient: safe })
  const transfer = txs.find((t) => t.label === 'transfer')
  if (!transfer) throw new Error('the SDK gave no transferTokens transaction')
  if (getAddress(transfer.to) !== getAddress(wh.tokenBridge)) throw new Error(`the SDK's transferTokens goes to ${transfer.to}, not the configured token bridge ${wh.tokenBridge}`)
  return [
    { to: getAddress(token), data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [getAddress(wh.tokenBridge), spec.amount] }) },
    // The core bridge's message fee (0 on the devnet) is paid by the Safe from its own balance.
    { to: transfer.to, data: transfer.data, value: transfer.value },
  ]
}
