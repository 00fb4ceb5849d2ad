/**
 * The fault "a redeem that reverts every time" of issue 16: the destination's completeTransfer is
 * built over a VAA with one signature byte flipped, so every redeem tx reverts (in pre-flight, or
 * on chain when it gets that far). Expected: after `execution.redeemMaxAttempts` failed redeem
 * intents nothing more is sent, the transfer is held for an operator with the VAA kept, the plan
 * stops, and exactly one `bridge-redeem-held` alert is raised. Used by
 * execution/bridgeRetries.devnet.test.ts and `npm run faults`.
 */
import type { Hex } from 'viem'
import type { ChainClient } from '../../chains/createChainClient'
import type { Config } from '../../config/schema'
import type { Logger } from '../../core/logger'
import type { BridgePort } from '../../execution/bridge'
import type { TxSender } from '../../execution/createTxSender'
import { executePlan } from '../../execution/executePlan'
import type { Store } from '../../store'
import type { FaultRow } from './leases'

/** The port's redeem txs over a VAA whose first guardian signature has one byte flipped. */
export function revertingRedeemPort(port: BridgePort): BridgePort {
  return {
    ...port,
    redeemTxs: (chain, vaa, sender) => {
      // version (1 byte) · guardian set index (4) · signature count (1) · first signature: index (1), r (32)…
      const at = 2 + 2 * (1 + 4 + 1 + 1) + 4
      const flipped = (Number.parseInt(vaa[at]!, 16) ^ 0xf).toString(16)
      return port.redeemTxs(chain, `${vaa.slice(0, at)}${flipped}${vaa.slice(at + 1)}` as Hex, sender)
    },
  }
}

export interface RedeemFaultDeps {
  config: Config
  logger: Logger
  store: Store
  chains: Record<string, ChainClient>
  senders: Record<string, TxSender>
  /** The real bridge port (createSdkBridgePort); the fault wraps it. */
  port: BridgePort
  /** An approved plan with a bridge step and its redeem step, not yet run. */
  planId: string
  /** How many times the executor picks the plan up (each a round of the executor agent; default 3). */
  rounds?: number
}

export interface RedeemFaultResult extends FaultRow {
  redeemIntents: number
  alerts: number
  planStatus: string
  transferState: string
  heldReason: string | null
}

export async function redeemRevertsEveryTime(d: RedeemFaultDeps): Promise<RedeemFaultResult> {
  const port = revertingRedeemPort(d.port)
  const cap = d.config.execution.redeemMaxAttempts
  const statuses: string[] = []
  for (let i = 0; i < (d.rounds ?? 3); i++) {
    const r = await executePlan({
      common: { config: d.config, logger: d.logger },
      store: d.store,
      chains: d.chains,
      senders: d.senders,
      plan: { id: d.planId },
      bridge: { port, options: { backoffMs: { initial: 50, max: 300 }, waitMs: 60_000 } },
    }).catch((err: unknown) => ({ status: `threw ${err instanceof Error ? err.name : String(err)}` }))
    statuses.push(r.status)
  }
  const [t] = await d.store.transfers.list({ planId: d.planId })
  const redeemIntents = t && t.redeemIdx !== null ? (await d.store.intents.list({ keyPrefix: `${d.planId}:${t.redeemIdx}:` })).length : 0
  const alerts = (await d.store.alerts.recent()).filter((a) => a.rule === 'bridge-redeem-held' && a.subject === t?.id).length
  const plan = await d.store.plans.get(d.planId)
  const planStatus = plan?.status ?? 'missing'
  const ok = redeemIntents === cap && alerts === 1 && planStatus === 'failed' && t?.state === 'vaa_signed' && t.heldReason !== null && t.vaa !== null
  return {
    fault: 'a redeem that reverts every time',
    expected: `${cap} redeem attempts (execution.redeemMaxAttempts), then held for an operator with one alert; the plan stops; the VAA is kept`,
    observed: `${redeemIntents} redeem intent(s), ${alerts} alert(s), plan ${planStatus} (rounds: ${statuses.join(', ')}), transfer ${t?.state ?? 'missing'}${t?.heldReason ? ' held' : ''}`,
    nothingLost: t?.state === 'vaa_signed' && t.vaa !== null,
    passed: ok,
    redeemIntents,
    alerts,
    planStatus,
    transferState: t?.state ?? 'missing',
    heldReason: t?.heldReason ?? null,
  }
}
