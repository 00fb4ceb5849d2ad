import { getAddress } from 'viem'
import type { ChainClient } from '../chains/createChainClient'
import type { Config, VenueConfig } from '../config/schema'
import { BaseError, describeError } from '../core/errors'
import { childLogger, type Logger } from '../core/logger'
import type { Store } from '../store'
import type { Intent, Plan, PlanStep } from '../store/types'
import { erc4626Abi } from '../venues/abis'
import { erc20ApproveAbi } from './abis'
import { buildStepCalls, type StepPlan } from './buildStepCalls'
import { checkPositionChange } from './checkPositionChange'
import { markPlanTransfersDeposited, runBridgeStep, runRedeemStep, type BridgeOptions, type BridgePort } from './bridge'
import type { TxSender } from './createTxSender'
import { IntentFailedError, IntentMismatchError, PositionMismatchError, PreflightRevertError, TxRevertedError, UnsupportedStepError } from './errors'
import { stopPlan } from '../plans/expire'
import { describeSlippage, storedPreviewOf, toStoredPreview, withinBound, type StepPreview } from '../plans/slippage'
import { SLIPPAGE_ERRORS } from './abis'
import { readPosition } from './readPosition'
import { applyRevalidation, previewStepOnChain, repreviewStep, revalidateBeforeStep, type RevalidateOptions } from './revalidate'

/**
 * Executes an approved plan step by step, exactly once, resumable after a crash at any point.
 *
 * approved → executing (compare-and-set: a superseded or rejected plan is not touched). Then for
 * each step in order, skipping those already confirmed:
 *   - build its calls (buildStepCalls); the collateral LST venue is "idle": no transaction;
 *   - before every send: `controls.isPaused(agent)` → return 'paused', the plan stays executing;
 *   - the step goes pending → sent, each call is sent through the chain's TxSender under the
 *     key `<plan>:<step>:<n>` (an approve only when the allowance is short and the step's main
 *     call has no intent yet, so a restart never approves twice);
 *   - verify: the pool's position in the venue at the main tx's block minus the block before
 *     equals ±amount within tolerance (interest accrued, share rounding);
 *   - the step goes sent → confirmed with its txs and readings in the step's detail.
 * A pre-flight revert, a reverted tx, a failed verification or an unsupported step fails the
 * step and the plan (remaining steps stay pending) and raises a critical alert. Retryable
 * errors (gas balance low, RPC down, stuck tx) are thrown: the plan stays executing and the next
 * call resumes it. When every step is confirmed: executing → completed.
 *
 * Cross-chain steps (execution/bridge.ts, needs `bridge`): a `bridge` step sends the transfer on
 * its source chain (approve + transferTokens intents) and is confirmed once the funds are in
 * flight; a `redeem` step waits for the VAA, verifies it and redeems it on its chain exactly once
 * (BridgeWaitingError, retryable, while waiting: the plan stays executing). When the plan
 * completes its redeemed transfers become `deposited`.
 *
 * Re-validation (`revalidate`, the executor agent always passes it): before the plan starts and
 * before every pending step (a redeem excepted: funds in flight always land) the remaining steps
 * are re-checked on the latest samples (execution/revalidate.ts, plans/revalidate.ts). Older than
 * strategy.planTtlSeconds → `expired` (alert, nothing more runs); a venue unhealthy or the remaining
 * steps no longer worth their costs → `stopped` (alert naming the changed input, remaining steps
 * pending); data missing or stale → `held` (nothing sent, the plan stays as it is, next round retries).
 */

export type PlanPoint = 'step-start' | 'step-txs-confirmed' | 'step-done'

export interface ExecutePlanHooks {
  /** Called (and awaited) at each step boundary: tests stop a process here. */
  at?(point: PlanPoint, ctx: { planId: string; stepIdx: number }): void | Promise<void>
}

export interface ExecutePlanDeps {
  common: { config: Config; logger: Logger }
  store: Store
  /** Chain clients by chain name (allowance and position reads). */
  chains: Readonly<Record<string, ChainClient>>
  /** Tx senders by chain name, each signing for `config.pool.account`. */
  senders: Readonly<Record<string, TxSender>>
  /** Agent name: pause control `pause:<agent>`, alerts, audit (default "executor"). */
  agent?: string
  /** Verification tolerance on the step amount, bps (default 10). */
  toleranceBps?: number
  /** Verification tolerance on the position before, ppm (default 100). */
  accrualPpm?: number
  /** Refuse (fail) an approved plan whose samples are more than this many blocks behind the head (default: no check). */
  maxPlanAgeBlocks?: number
  hooks?: ExecutePlanHooks
  /** Re-validate the plan on the latest samples before it starts and before each pending step (absent: no re-validation). */
  revalidate?: RevalidateOptions
  /** Wormhole token bridge for bridge and redeem steps (absent: such steps fail the plan). */
  bridge?: { port: BridgePort; options?: BridgeOptions }
}

export interface ExecutePlanInput extends ExecutePlanDeps {
  /** The plan to execute (its id; the store's rows are authoritative). */
  plan: Pick<Plan, 'id'>
  /** Its steps, if already read (informational: statuses are re-read from the store). */
  steps?: readonly PlanStep[]
}

export type ExecutePlanResult =
  | { status: 'completed'; plan: Plan; steps: PlanStep[] }
  | { status: 'failed'; plan: Plan; steps: PlanStep[]; stepIdx: number | null; error: string }
  | { status: 'paused'; plan: Plan; steps: PlanStep[]; stepIdx: number }
  | { status: 'not-executable'; plan: Plan; steps: PlanStep[]; reason: string }
  | { status: 'expired'; plan: Plan; steps: PlanStep[]; reason: string }
  | { status: 'stopped'; plan: Plan; steps: PlanStep[]; stepIdx: number | null; reason: string }
  | { status: 'held'; plan: Plan; steps: PlanStep[]; stepIdx: number; reason: string }

/** Wiring problem: the senders do not sign for the pool, or a chain has no sender. */
export class ExecutorSetupError extends BaseError {
  override name = 'ExecutorSetupError'
}

export const planFailedAlertKey = (planId: string) => `plan-failed:${planId}`

/** `SharesOutBelowMinimum(bound, actual)` and its kin, as revertReason prints them: the actual amount. */
const SLIPPAGE_REASON = new RegExp(`^(${SLIPPAGE_ERRORS.join('|')})\\((\\d+), (\\d+)\\)`)

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

interface SentTx {
  n: number
  label: string
  hash: string | null
  block: string | null
}

export async function executePlan(input: ExecutePlanInput): Promise<ExecutePlanResult> {
  const { store, common } = input
  const { config } = common
  const agent = input.agent ?? 'executor'
  const planId = input.plan.id
  const logger = childLogger(common.logger, { agent, plan: planId })
  const pool = getAddress(config.pool.account)

  const load = async () => {
    const found = await store.plans.getWithSteps(planId)
    if (!found) throw new ExecutorSetupError(`plan ${planId} is not in the store`)
    return found
  }
  let { plan, steps } = await load()

  const result = async <S extends ExecutePlanResult['status']>(status: S, extra: object = {}): Promise<ExecutePlanResult> => {
    ;({ plan, steps } = await load())
    return { status, plan, steps, ...extra } as ExecutePlanResult
  }

  const fail = async (step: PlanStep | null, error: string): Promise<ExecutePlanResult> => {
    if (step) await store.plans.setStepStatus(planId, step.idx, 'failed', { from: ['pending', 'sent'], error })
    await store.plans.transition(planId, ['approved', 'executing'], 'failed', { error })
    await store.alerts.raise({
      dedupKey: planFailedAlertKey(planId),
      agent,
      chain: step?.chain ?? plan.chain,
      rule: 'plan-failed',
      subject: planId,
      severity: 'critical',
      title: step ? `Plan ${planId} failed at step ${step.idx} (${step.kind} ${step.venueId})` : `Plan ${planId} failed`,
      body: `${error}${step ? '\nRemaining steps stay pending.' : ''}`,
    })
    await store.audit.append({ actor: agent, action: 'plan-failed', detail: { plan: planId, step: step?.idx ?? null, error } })
    logger.error({ step: step?.idx, error }, 'plan failed')
    return result('failed', { stepIdx: step?.idx ?? null, error })
  }

  /**
   * A step beyond its slippage bound: it did not happen (refused before sending, or its router
   * call reverted). A sent step is marked failed (its main tx did not move anything); the plan is
   * `stopped` — the world moved, nothing was lost — with an alert naming the step, the preview,
   * the bound and the actual amount.
   */
  const stopForSlippage = async (step: PlanStep, preview: StepPreview, actual: bigint, reason: string): Promise<ExecutePlanResult> => {
    const record = { slippage: { what: preview.what, previewed: preview.amount.toString(), bound: preview.bound.toString(), actual: actual.toString(), slippageBps: preview.slippageBps } }
    if (!(await store.plans.setStepStatus(planId, step.idx, 'failed', { from: 'sent', error: reason, mergeDetail: record }))) await store.plans.mergeStepDetail(planId, step.idx, record)
    await stopPlan(store, { planId, chain: step.chain, stepIdx: step.idx, reason, agent, title: `Plan ${planId} stopped at step ${step.idx} (${step.kind} ${step.venueId}): slippage beyond ${preview.slippageBps} bps` })
    logger.warn({ step: step.idx, previewed: preview.amount.toString(), bound: preview.bound.toString(), actual: actual.toString() }, 'plan stopped: slippage beyond the tolerance')
    return result('stopped', { stepIdx: step.idx, reason })
  }

  /** Re-validation before step `idx`: undefined = go on; else the result to return. */
  let validated: number | null = null
  const revalidate = async (idx: number): Promise<ExecutePlanResult | undefined> => {
    if (!input.revalidate || validated === idx) return undefined
    const v = await revalidateBeforeStep({ config, store, chains: input.chains }, plan, steps, idx, input.revalidate)
    if (v.verdict === 'go') {
      validated = idx
      return undefined
    }
    if (v.verdict === 'hold') {
      // Every poll while the data is missing: debug only; the executor's heartbeat carries the reason.
      logger.debug({ step: idx, reason: v.reason }, 'plan held: re-validation waits for current data')
      return result('held', { stepIdx: idx, reason: v.reason })
    }
    if (await applyRevalidation(store, plan, v, agent)) logger.warn({ step: idx, reason: v.reason }, `plan ${v.verdict === 'expire' ? 'expired' : 'stopped'}`)
    ;({ plan, steps } = await load())
    if (plan.status === 'expired') return result('expired', { reason: plan.error ?? v.reason })
    if (plan.status === 'stopped') return result('stopped', { stepIdx: v.verdict === 'stop' ? v.stepIdx : null, reason: plan.error ?? v.reason })
    return result('not-executable', { reason: `plan is ${plan.status}` })
  }
  /**
   * The actual amount when a bounded step's router call failed on its bound, else undefined (a
   * failure of another kind). The router's own error carries it (EOA); through the Roles modifier
   * the inner revert data is lost (ModuleTransactionFailed), so the venue's preview at the block
   * the tx was mined in (or now, for a pre-flight refusal) decides.
   */
  const slippageActual = async (err: IntentFailedError, step: PlanStep, venue: VenueConfig, p: StepPreview): Promise<bigint | undefined> => {
    if (err instanceof PreflightRevertError) {
      const m = SLIPPAGE_REASON.exec(err.reason)
      if (m) return BigInt(m[3]!)
    }
    const chain = input.chains[step.chain]!
    try {
      const at = err instanceof TxRevertedError ? { blockNumber: err.blockNumber } : undefined
      const actual = await previewStepOnChain(chain.client, venue, step.kind, step.amount, at)
      return actual !== undefined && !withinBound(p.what, p.bound, actual) ? actual : undefined
    } catch {
      return undefined
    }
  }
  const nextToRun = () => steps.find((s) => s.status !== 'confirmed' && s.status !== 'skipped')

  // ── start or resume ──────────────────────────────────────────────────────────────────────
  if (plan.status === 'completed') return result('completed')
  if (plan.status === 'expired') return result('expired', { reason: plan.error ?? 'expired' })
  if (plan.status === 'stopped') return result('stopped', { stepIdx: null, reason: plan.error ?? 'stopped' })
  if (plan.status === 'approved') {
    const first = nextToRun()
    if (first && first.status === 'pending') {
      const r = await revalidate(first.idx)
      if (r) return r
    }
    if (input.maxPlanAgeBlocks !== undefined) {
      for (const [chainName, block] of Object.entries(plan.basedOnBlock)) {
        const c = input.chains[chainName]
        if (!c) continue
        const now = await c.client.getBlockNumber({ cacheTime: 0 })
        if (now - block > BigInt(input.maxPlanAgeBlocks)) {
          return fail(null, `stale plan: computed from ${chainName} block ${block}, the head is ${now} (more than ${input.maxPlanAgeBlocks} blocks)`)
        }
      }
    }
    if (await store.plans.transition(planId, 'approved', 'executing')) {
      logger.info({ steps: steps.length }, 'plan execution started')
      await store.audit.append({ actor: agent, action: 'plan-executing', detail: { plan: planId } })
    }
    ;({ plan, steps } = await load())
  }
  if (plan.status === 'failed') return result('failed', { stepIdx: steps.find((s) => s.status === 'failed')?.idx ?? null, error: plan.error ?? 'failed' })
  if (plan.status !== 'executing') return result('not-executable', { reason: `plan is ${plan.status}` })

  for (const s of steps) {
    if (!input.senders[s.chain] || !input.chains[s.chain]) throw new ExecutorSetupError(`plan ${planId} step ${s.idx}: no sender or chain client for chain "${s.chain}"`)
    if (!same(input.senders[s.chain]!.address, pool)) throw new ExecutorSetupError(`the ${s.chain} sender signs for ${input.senders[s.chain]!.address}, not the pool account ${pool}`)
  }

  // ── steps ────────────────────────────────────────────────────────────────────────────────
  for (const step of steps) {
    if (step.status === 'confirmed' || step.status === 'skipped') continue
    if (step.status === 'failed') return fail(step, step.error ?? `step ${step.idx} failed`)
    await input.hooks?.at?.('step-start', { planId, stepIdx: step.idx })
    // A sent step is in flight (resume it as it is); a redeem lands funds already sent.
    if (input.revalidate && step.status === 'pending' && step.kind !== 'redeem') {
      ;({ plan, steps } = await load())
      const r = await revalidate(step.idx)
      if (r) return r
    }
    const stepLog = logger.child({ step: step.idx, chain: step.chain })
    const chain = input.chains[step.chain]!
    const sender = input.senders[step.chain]!

    if (step.kind === 'bridge' || step.kind === 'redeem') {
      if (!input.bridge) return fail(step, `${step.kind} step: no Wormhole bridge configured for the executor`)
      if (await store.controls.isPaused(agent)) {
        stepLog.info('executor paused: stopping before the cross-chain step')
        return result('paused', { stepIdx: step.idx })
      }
      await store.plans.setStepStatus(planId, step.idx, 'sent', { from: 'pending' })
      const deps = { common, store, senders: input.senders, port: input.bridge.port, agent, options: input.bridge.options }
      const redeemIdx = step.kind === 'bridge' ? (steps.find((s) => s.kind === 'redeem' && (s.detail as { bridgeStep?: number } | null)?.bridgeStep === step.idx)?.idx ?? null) : null
      const r = step.kind === 'bridge' ? await runBridgeStep(deps, planId, step, redeemIdx) : await runRedeemStep(deps, planId, step)
      if (r.status === 'failed') return fail(step, r.error)
      const t = r.transfer
      await store.plans.setStepStatus(planId, step.idx, 'confirmed', {
        from: 'sent',
        mergeDetail: { transferId: t.id, state: t.state, ...(step.kind === 'bridge' ? { sourceTx: t.sourceTx, sequence: t.sequence?.toString() ?? null } : { destTx: t.destTx }) },
      })
      stepLog.info({ transfer: t.id, state: t.state }, `${step.kind} step confirmed`)
      await input.hooks?.at?.('step-done', { planId, stepIdx: step.idx })
      continue
    }

    let built: StepPlan
    let venue: VenueConfig | undefined
    let preview: StepPreview | undefined
    try {
      venue = config.venues.find((v) => v.id === step.venueId)
      if (!venue) throw new UnsupportedStepError(`venue "${step.venueId}" is not in the config`)
      if (venue.chain !== step.chain) throw new UnsupportedStepError(`venue ${venue.id} is on ${venue.chain}, the step says ${step.chain}`)
      const collateral = config.pool.collateral.find((c) => c.chain === step.chain)?.token
      if (!collateral) throw new UnsupportedStepError(`no pool collateral configured on ${step.chain}`)
      const router = config.chains.find((c) => c.name === step.chain)?.router
      // The bound: re-previewed before the first send (a pending step), stored with the step so a
      // restart rebuilds exactly the same calls; a sent step resumes with its stored bound.
      if (step.kind === 'deposit' || step.kind === 'withdraw') {
        if (step.status === 'pending' && venue.kind !== 'lst') {
          if (!router) throw new UnsupportedStepError(`${step.kind} on ${venue.id}: no slippage router on ${step.chain}: deploy contracts/SlippageRouter.sol and set chains[].router for "${step.chain}" (moves are never sent unbounded)`)
          const r = await repreviewStep(chain.client, step, venue, config.execution.slippageBps)
          if (r?.verdict === 'stop') return stopForSlippage(step, r.preview, r.actual, r.reason)
          if (r) {
            preview = r.preview
            await store.plans.mergeStepDetail(planId, step.idx, { preview: toStoredPreview(r.preview), repreview: { actual: r.actual.toString(), block: r.block.toString() } })
          }
        } else preview = storedPreviewOf(step.detail)
      }
      const vaultAsset =
        venue.kind === 'erc4626' && step.kind === 'deposit' ? await chain.client.readContract({ address: venue.address, abi: erc4626Abi, functionName: 'asset' }) : undefined
      built = buildStepCalls({ venue, kind: step.kind, amount: step.amount, pool, collateral, vaultAsset, router, bound: preview?.bound })
    } catch (err) {
      if (err instanceof UnsupportedStepError) return fail(step, err.message)
      throw err
    }

    if (built.kind === 'idle') {
      await store.plans.setStepStatus(planId, step.idx, 'confirmed', { from: ['pending', 'sent'], mergeDetail: { idle: true, note: built.reason } })
      stepLog.info(built.reason)
      await input.hooks?.at?.('step-done', { planId, stepIdx: step.idx })
      continue
    }

    const sent: SentTx[] = []
    let main: Intent | undefined
    for (const [n, call] of built.calls.entries()) {
      const key = `${planId}:${step.idx}:${n}`
      if (call.allowance && !(await store.intents.get(key))) {
        // Never approve once the main call has an intent (a restart after it consumed the allowance).
        const later = await Promise.all(built.calls.slice(n + 1).map((_, j) => store.intents.get(`${planId}:${step.idx}:${n + 1 + j}`)))
        if (later.some((i) => i !== undefined)) continue
        const allowance = await chain.client.readContract({ address: call.allowance.token, abi: erc20ApproveAbi, functionName: 'allowance', args: [pool, call.allowance.spender] })
        if (allowance >= call.allowance.amount) continue
      }
      if (await store.controls.isPaused(agent)) {
        stepLog.info({ key }, 'executor paused: stopping before the send')
        return result('paused', { stepIdx: step.idx })
      }
      await store.plans.setStepStatus(planId, step.idx, 'sent', { from: 'pending' })
      let intent: Intent
      try {
        intent = await sender.send({ key, to: call.to, data: call.data, abi: call.abi })
      } catch (err) {
        if (n === built.main && preview && err instanceof IntentFailedError) {
          const actual = await slippageActual(err, step, venue!, preview)
          if (actual !== undefined) {
            const at = err instanceof TxRevertedError ? `at block ${err.blockNumber} (tx ${err.txHash} reverted by the router)` : 'now (the router refused it in the pre-flight call: nothing sent)'
            return stopForSlippage({ ...step, status: 'sent' }, preview, actual, describeSlippage(step, preview, actual, at))
          }
        }
        if (err instanceof IntentFailedError || err instanceof IntentMismatchError) return fail(step, `${call.label}: ${err.message}`)
        throw err
      }
      sent.push({ n, label: call.label, hash: intent.txHash, block: intent.blockNumber?.toString() ?? null })
      if (n === built.main) main = intent
    }
    await input.hooks?.at?.('step-txs-confirmed', { planId, stepIdx: step.idx })

    // ── verify at the main tx's block ──────────────────────────────────────────────────────
    if (!main?.blockNumber) return fail(step, 'internal: the main call has no mined block')
    const block = main.blockNumber
    let before: bigint
    let after: bigint
    try {
      // Pinned to hashes (EIP-1898) when the receipt gave one: the mined block and its parent.
      const minedHash = main.blockHash
      const parentHash = minedHash ? (await chain.client.getBlock({ blockHash: minedHash })).parentHash : undefined
      ;[before, after] = await Promise.all([
        readPosition(chain.client, venue!, pool, parentHash ? { blockHash: parentHash } : block - 1n),
        readPosition(chain.client, venue!, pool, minedHash ? { blockHash: minedHash } : block),
      ])
    } catch (err) {
      throw new PositionMismatchError(`step ${step.idx}: cannot read the position in ${step.venueId} at block ${block}: ${describeError(err)}`, { cause: err })
    }
    const check = checkPositionChange({ kind: step.kind as 'deposit' | 'withdraw', amount: step.amount, before, after, toleranceBps: input.toleranceBps, accrualPpm: input.accrualPpm })
    const detail = { txs: sent, verifiedAtBlock: block.toString(), before: before.toString(), after: after.toString(), change: check.actual.toString() }
    if (!check.ok) {
      await store.plans.mergeStepDetail(planId, step.idx, detail)
      return fail(step, `position in ${step.venueId} changed by ${check.actual} at block ${block}, expected ${check.expected} ± ${check.tolerance}`)
    }
    await store.plans.setStepStatus(planId, step.idx, 'confirmed', { from: 'sent', mergeDetail: detail })
    stepLog.info({ block: Number(block), change: check.actual.toString() }, 'step confirmed')
    await input.hooks?.at?.('step-done', { planId, stepIdx: step.idx })
  }

  const deposited = await markPlanTransfersDeposited(store, planId)
  if (deposited.length) logger.info({ transfers: deposited }, 'transfers deposited')
  if (await store.plans.transition(planId, 'executing', 'completed')) {
    await store.audit.append({ actor: agent, action: 'plan-completed', detail: { plan: planId } })
    logger.info('plan completed')
  }
  return result('completed')
}
