import type SafeApiKit from '@safe-global/api-kit'
import { getAddress, type Hex } from 'viem'
import type { ChainClient } from '../../chains/createChainClient'
import type { Config } from '../../config/schema'
import { describeError } from '../../core/errors'
import { childLogger, type Logger } from '../../core/logger'
import type { SafeTxForkSimulation, Store } from '../../store'
import type { Plan, PlanStep } from '../../store/types'
import type { TxSender } from '../createTxSender'
import { IntentFailedError, IntentMismatchError, UnsupportedStepError } from '../errors'
import { planFailedAlertKey } from '../executePlan'
import { markPlanTransfersDeposited, runRedeemStep, transferSpecOf, type BridgeOptions, type BridgePort } from '../bridge'
import { committeeLegs, waitsForTransfer, type CommitteeLeg } from './crossChainLegs'
import { applyRevalidation, revalidateBeforeStep, type RevalidateOptions } from '../revalidate'
import { forkSimulate, ForkUnavailableError, type ForkSimulationResult } from './forkSimulate'
import { buildPlanSafeTx, committeeCalls, encodeExecTransaction, nextSafeNonce, simulateSafeTx, txServiceOf, usedNonceOutcome, verifiedSignatures, type CommitteeChain } from './planSafeTx'

/**
 * A committee plan in custody "safe", driven by the executor, exactly once with Safe nonces:
 *
 *   1. re-validation first (TTL, venues' health, gain against cost: execution/revalidate.ts);
 *   2. per chain, the plan's Safe transaction is built (protocol-kit, MultiSendCallOnly batch) and
 *      STORED (store.safeTxs, status proposed) before anyone signs it; owners sign it with
 *      `npm run plan -- approve` (devnet) or in Safe{Wallet} (live), through the Safe Transaction
 *      Service;
 *   3. reconcile: a Safe nonce the chain has passed = executed (ExecutionSuccess with our
 *      safeTxHash: steps confirmed) or cancelled (someone else used the nonce: the plan is
 *      rejected with that reason and never retried);
 *   4. the owners' signatures are read back from the service and verified on chain (current
 *      owners, our hash, the Safe's checkNSignatures at its threshold); below
 *      max(threshold, plan.approvalsRequired) the plan waits;
 *   5. at the threshold: awaiting_approval → approved → executing, the Safe tx → executing with
 *      its intent key, then `execTransaction` through the executor's exactly-once sender (intent
 *      before signing, signed raw tx before broadcast; a restart resends the stored intent, never a
 *      new one); its receipt's ExecutionSuccess → executed, steps confirmed, plan completed.
 */

export type CommitteePoint = 'signatures-verified' | 'exec-sent'

export interface RunCommitteePlanDeps {
  common: { config: Config; logger: Logger }
  store: Store
  chains: Readonly<Record<string, ChainClient>>
  /** The executor's own exactly-once senders by chain (EOA: execTransaction is sent by the executor's key, not through the role). */
  senders: Readonly<Record<string, TxSender>>
  agent?: string
  revalidate?: RevalidateOptions
  /** api-kit per chain (default: custody.chains[].txServiceUrl). */
  services?: Readonly<Record<string, SafeApiKit>>
  hooks?: { at?(point: CommitteePoint, ctx: { planId: string; chain: string }): void | Promise<void> }
  /** The Wormhole token bridge for cross-chain plans (absent: their bridge steps fail the plan). */
  bridge?: { port: BridgePort; options?: BridgeOptions }
}

export type CommitteePlanResult =
  | { status: 'awaiting-signatures'; signatures: Record<string, { owners: string[]; needed: number }> }
  | { status: 'completed' }
  | { status: 'cancelled'; reason: string }
  | { status: 'failed'; error: string }
  | { status: 'held' | 'expired' | 'stopped' | 'paused' | 'not-executable'; reason: string }

/**
 * Committee plans whose Safe transaction failed its pre-signing simulation, with the rounds in a row it
 * did (this process's memory: a restart counts again, the plan's TTL bounds the wait either way).
 */
const simulationFailures = new Map<string, number>()

export const execIntentKey = (planId: string, chain: string) => `${planId}:safe:${chain}`

export async function runCommitteePlan(deps: RunCommitteePlanDeps, planId: string): Promise<CommitteePlanResult> {
  const { store, common } = deps
  const { config } = common
  const agent = deps.agent ?? 'executor'
  const logger = childLogger(common.logger, { agent, plan: planId })
  const load = async () => {
    const found = await store.plans.getWithSteps(planId)
    if (!found) throw new Error(`plan ${planId} is not in the store`)
    return found
  }
  let { plan, steps } = await load()
  const chainOf = (name: string): CommitteeChain => {
    const c = deps.chains[name]
    if (!c) throw new UnsupportedStepError(`no chain client for "${name}"`)
    return { name, url: c.config.rpc[0]!.url, client: c.client }
  }
  const serviceOf = (name: string): SafeApiKit | undefined => deps.services?.[name] ?? txServiceOf(config, name)

  /** Ends the plan: awaiting approval → rejected (it never ran), approved/executing → `running`. */
  const end = async (running: 'failed' | 'stopped', error: string) => {
    const p = (await store.plans.get(planId))!
    if (p.status === 'awaiting_approval') await store.plans.transition(planId, 'awaiting_approval', 'rejected', { error })
    else if (p.status === 'approved' || p.status === 'executing') await store.plans.transition(planId, p.status, running, { error })
  }
  const fail = async (error: string): Promise<CommitteePlanResult> => {
    await end('failed', error)
    await store.alerts.raise({ dedupKey: planFailedAlertKey(planId), agent, chain: plan.chain, rule: 'plan-failed', subject: planId, severity: 'critical', title: `Plan ${planId} failed`, body: error })
    await store.audit.append({ actor: agent, action: 'plan-failed', detail: { plan: planId, error } })
    logger.error({ error }, 'committee plan failed')
    return { status: 'failed', error }
  }

  const pool = getAddress(config.pool.account)
  const collateralOn = (chain: string) => {
    const c = config.pool.collateral.find((x) => x.chain === chain)
    if (!c) throw new UnsupportedStepError(`no pool collateral configured on ${chain}`)
    return getAddress(c.token)
  }
  /** The transfer row of a bridge step (idempotent): recorded before the Safe tx that moves the funds is sent. */
  const ensureTransfer = async (s: PlanStep) => {
    const spec = transferSpecOf(s)
    if (!spec) throw new UnsupportedStepError(`bridge step ${s.idx}: no transfer in its detail`)
    const redeemIdx = steps.find((r) => r.kind === 'redeem' && (r.detail as { bridgeStep?: number } | null)?.bridgeStep === s.idx)?.idx ?? null
    const { transfer } = await store.transfers.create({
      planId, stepIdx: s.idx, redeemIdx, sourceChain: spec.from, destChain: spec.to, token: collateralOn(spec.from), destToken: collateralOn(spec.to), recipient: pool, amount: spec.amount, received: spec.received,
    })
    return transfer
  }
  /** After the source leg's Safe tx: its bridge step's transfer is initiated, with the Wormhole message of that tx's receipt. */
  const initiateBridges = async (chain: string, txHash: Hex, block: bigint) => {
    for (const s of steps.filter((x) => x.chain === chain && x.kind === 'bridge')) {
      const t = await ensureTransfer(s)
      if (t.state !== 'pending') continue
      if (!deps.bridge) throw new UnsupportedStepError(`bridge step ${s.idx}: no Wormhole bridge configured for the executor`)
      const m = await deps.bridge.port.messageOf(chain, txHash)
      await store.transfers.markInitiated(t.id, { sourceTx: txHash, sourceBlock: block, sequence: m.sequence, emitter: m.emitter })
      await store.audit.append({ actor: agent, action: 'bridge-initiated', detail: { transfer: t.id, from: t.sourceChain, to: t.destChain, amount: t.amount.toString(), tx: txHash, sequence: m.sequence.toString(), via: 'safe-tx' } })
      logger.info({ transfer: t.id, tx: txHash, sequence: m.sequence.toString() }, 'committee plan: transfer initiated by the Safe transaction; funds in flight')
    }
  }
  /** Nothing left the source chain (its Safe tx was cancelled or reverted): its transfers fail. */
  const failPendingTransfers = async (chain: string, reason: string) => {
    for (const s of steps.filter((x) => x.chain === chain && x.kind === 'bridge')) {
      const t = await store.transfers.byStep(planId, s.idx)
      if (t?.state === 'pending') await store.transfers.markFailed(t.id, reason)
    }
  }

  const complete = async (chain: string, txHash: Hex, block: bigint) => {
    const st = await store.safeTxs.get(planId, chain)
    if (st) await store.safeTxs.transition(planId, chain, ['proposed', 'executing'], 'executed', { executedTx: txHash })
    await initiateBridges(chain, txHash, block)
    // A redeem step is confirmed by the redeem itself (it runs before the chain's Safe tx).
    for (const s of steps.filter((x) => x.chain === chain && x.kind !== 'redeem' && x.status !== 'confirmed' && x.status !== 'skipped')) {
      await store.plans.setStepStatus(planId, s.idx, 'confirmed', { from: ['pending', 'sent'], mergeDetail: { safeTxHash: st?.safeTxHash ?? null, tx: txHash, block: block.toString() } })
    }
    await store.audit.append({ actor: agent, action: 'safe-tx-executed', detail: { plan: planId, chain, safeTxHash: st?.safeTxHash ?? null, tx: txHash } })
    ;({ plan, steps } = await load())
  }

  const finishIfDone = async (): Promise<CommitteePlanResult | undefined> => {
    ;({ plan, steps } = await load())
    if (steps.every((s) => s.status === 'confirmed' || s.status === 'skipped')) {
      // Executed on chain (by us, or by an owner in Safe{Wallet}): the plan walks its states to completed.
      await store.plans.transition(planId, 'awaiting_approval', 'approved')
      await store.plans.transition(planId, 'approved', 'executing')
      const deposited = await markPlanTransfersDeposited(store, planId)
      if (deposited.length) logger.info({ transfers: deposited }, 'transfers deposited')
      if (await store.plans.transition(planId, 'executing', 'completed')) {
        await store.audit.append({ actor: agent, action: 'plan-completed', detail: { plan: planId } })
        logger.info('committee plan completed')
      }
      return { status: 'completed' }
    }
    return undefined
  }

  if (plan.status === 'completed') return { status: 'completed' }
  if (!['awaiting_approval', 'approved', 'executing'].includes(plan.status)) return { status: 'not-executable', reason: `plan is ${plan.status}` }
  // One leg per chain, in the order the money flows (crossChainLegs.ts).
  let legs: CommitteeLeg[]
  try {
    legs = committeeLegs(steps)
  } catch (err) {
    if (err instanceof UnsupportedStepError) return fail(err.message)
    throw err
  }
  const chainNames = legs.map((l) => l.chain)

  // ── reconcile what the chain already decided (a crash after execTransaction lands here) ──
  for (const name of chainNames) {
    const st = await store.safeTxs.get(planId, name)
    if (!st || (st.status !== 'proposed' && st.status !== 'executing')) continue
    const chain = chainOf(name)
    // Our own execTransaction intent first: resumed (rebroadcast or receipt found), never re-signed.
    if (st.status === 'executing' && st.execIntentKey) {
      const intent = await store.intents.get(st.execIntentKey)
      if (intent && intent.status !== 'confirmed' && intent.status !== 'failed' && intent.status !== 'cancelled') {
        await deps.senders[name]!.send({ key: intent.key, to: getAddress(intent.to), data: intent.data as Hex }).catch((err: unknown) => {
          if (!(err instanceof IntentFailedError)) throw err
        })
      }
    }
    const o = await usedNonceOutcome(chain.client, st)
    if (o.outcome === 'executed') await complete(name, o.txHash, o.block)
    else if (o.outcome === 'cancelled') {
      const reason = `cancelled: the Safe's nonce ${st.nonce} on ${name} was used by another transaction (e.g. a rejection in Safe{Wallet}); the plan is never retried`
      await store.safeTxs.transition(planId, name, ['proposed', 'executing'], 'cancelled', { error: reason })
      await failPendingTransfers(name, reason)
      await end('stopped', reason)
      await store.audit.append({ actor: agent, action: 'safe-tx-cancelled', detail: { plan: planId, chain: name, safeTxHash: st.safeTxHash, nonce: st.nonce, onChainNonce: o.onChainNonce } })
      logger.warn({ chain: name, nonce: st.nonce }, reason)
      return { status: 'cancelled', reason }
    }
  }
  const done = await finishIfDone()
  if (done) return done
  if (steps.some((s) => s.status === 'failed')) return fail(steps.find((s) => s.status === 'failed')!.error ?? 'a step failed')

  // ── re-validation before anything is built or executed ───────────────────────────────────
  const first = steps.find((s) => s.status === 'pending')
  if (deps.revalidate && first && plan.status !== 'executing') {
    const v = await revalidateBeforeStep({ config, store, chains: deps.chains }, plan, steps, first.idx, deps.revalidate)
    if (v.verdict === 'hold') return { status: 'held', reason: v.reason }
    // Not worth it right now while the committee is still signing: nothing is executed; the plan
    // waits (conditions may recover) until its TTL expires it.
    if (v.verdict === 'stop' && plan.status === 'awaiting_approval') return { status: 'held', reason: `re-validation: ${v.reason}` }
    if (v.verdict !== 'go') {
      await applyRevalidation(store, plan, v, agent)
      ;({ plan, steps } = await load())
      return { status: v.verdict === 'expire' ? 'expired' : 'stopped', reason: plan.error ?? v.reason }
    }
  }

  // ── one stored Safe tx per chain, before anyone signs ───────────────────────────────────
  for (const leg of legs) {
    const name = leg.chain
    if (await store.safeTxs.get(planId, name)) continue
    const chain = chainOf(name)
    try {
      const callOptions = { ...(deps.bridge ? { bridge: deps.bridge.port } : {}), noSimulation: waitsForTransfer(leg) }
      // A chain where the plan only receives or holds (a redeem, idle collateral) needs no Safe tx.
      if ((await committeeCalls(config, chain.client, leg.steps, name, callOptions)).length === 0) continue
      // Past the Safe's nonce and past the Safe txs of plans still open (a superseded or expired
      // plan's unexecuted Safe tx does not hold its nonce: the next plan takes it, as a replacement
      // in Safe{Wallet} would). The service's queue is not consulted for the same reason; a foreign
      // transaction at the same nonce that executes first makes this plan cancelled, never stuck.
      const open: number[] = []
      for (const x of await store.safeTxs.list({ status: ['proposed', 'executing'] })) {
        if (x.chain !== name) continue
        const p = await store.plans.get(x.planId)
        if (p && ['awaiting_approval', 'approved', 'executing'].includes(p.status)) open.push(x.nonce)
      }
      const nonce = await nextSafeNonce(chain.client, getAddress(config.pool.account), open)
      const createdBlock = await chain.client.getBlockNumber({ cacheTime: 0 })
      // A destination leg is simulated just before it executes (its funds are in flight until then).
      const built = await buildPlanSafeTx(config, chain, leg.steps, nonce, { ...callOptions, noSimulation: true })
      // Executed on a fork of the chain at the current block before anyone is asked to sign
      // (forkSimulate.ts): a batch that reverts there is never put before the committee, and the
      // positions it changes on the fork are stored with it (the approval request shows them).
      let forkSimulation: SafeTxForkSimulation | undefined
      if (!waitsForTransfer(leg)) {
        const latest = new Map((await store.samples.latestPerVenue({ chain: name })).map((x) => [x.venueId, x]))
        const venueIds = leg.steps.filter((x) => x.kind !== 'bridge' && x.kind !== 'redeem').map((x) => x.venueId)
        let fork: ForkSimulationResult
        try {
          fork = await forkSimulate({ config, chain: name, rpcUrl: chain.url, block: createdBlock, safe: getAddress(config.pool.account), safeTxHash: built.safeTxHash, tx: built.tx, venueIds, latest })
        } catch (err) {
          if (!(err instanceof ForkUnavailableError)) throw err
          // Not a verdict on the plan: it waits (nothing is put before the committee unsimulated) until the fork runs or its TTL ends.
          const reason = `not simulated: the fork of ${name} at block ${createdBlock} could not run (${err.message}); the plan waits, nothing is put before the committee without its fork simulation`
          logger.warn({ chain: name }, reason)
          return { status: 'held', reason }
        }
        if (fork.status === 'reverted') built.simulation = { success: false, gas: 0n, revert: fork.revert }
        else {
          forkSimulation = fork.simulation
          built.simulation = { success: true, gas: BigInt(fork.simulation.gasUsed) }
        }
      }
      if (built.simulation && !built.simulation.success) {
        const why = `simulation of the Safe transaction on ${name} (a fork of block ${createdBlock}) reverts: ${built.simulation.revert ?? 'no reason'}`
        const attempts = (simulationFailures.get(planId) ?? 0) + 1
        simulationFailures.set(planId, attempts)
        if (attempts >= config.execution.simulationAttempts) {
          simulationFailures.delete(planId)
          return fail(`${why} (${attempts} round(s) in a row)`)
        }
        logger.warn({ chain: name, attempts }, `${why}: simulated again next round`)
        return { status: 'held', reason: `${why} (attempt ${attempts} of ${config.execution.simulationAttempts}; simulated again next round)` }
      }
      simulationFailures.delete(planId)
      const { inserted } = await store.safeTxs.create({ planId, chain: name, safe: config.pool.account, safeTxHash: built.safeTxHash, tx: built.tx, createdBlock, ...(forkSimulation ? { forkSimulation } : {}) })
      if (inserted) {
        await store.audit.append({ actor: agent, action: 'safe-tx-stored', detail: { plan: planId, chain: name, safeTxHash: built.safeTxHash, nonce, simulatedGas: built.simulation?.gas.toString() ?? null, forkBlock: forkSimulation?.block ?? null } })
        logger.info({ chain: name, safeTxHash: built.safeTxHash, nonce }, 'committee plan: Safe transaction stored; waiting for the owners\' signatures')
      }
    } catch (err) {
      if (err instanceof UnsupportedStepError) return fail(err.message)
      throw err
    }
  }

  // ── signatures, read back and verified on chain ─────────────────────────────────────────
  const signatures: Record<string, { owners: string[]; needed: number }> = {}
  const ready: Record<string, Awaited<ReturnType<typeof verifiedSignatures>>['ready']> = {}
  for (const name of chainNames) {
    const st = await store.safeTxs.get(planId, name)
    if (!st || st.status !== 'proposed') continue
    const service = serviceOf(name)
    if (!service) return { status: 'held', reason: `custody.chains[${name}].txServiceUrl is not set: the committee's signatures cannot be read` }
    const v = await verifiedSignatures(config, chainOf(name), st, plan, service)
    await store.safeTxs.setConfirmations(planId, name, v.owners, v.threshold)
    const refused = v.refused.filter((r) => r !== 'not proposed to the transaction service yet')
    if (refused.length) {
      // Audited once per plan, chain and set of reasons (the executor reads them every round).
      const detail = { plan: planId, chain: name, safeTxHash: st.safeTxHash, refused }
      const seen = (await store.audit.recent(200, { action: 'safe-signature-refused' })).some((e) => JSON.stringify(e.detail) === JSON.stringify(detail))
      if (!seen) {
        await store.audit.append({ actor: agent, action: 'safe-signature-refused', detail })
        logger.warn({ chain: name, refused }, 'confirmations from the transaction service not counted')
      }
    }
    signatures[name] = { owners: v.owners, needed: v.needed }
    if (v.ready) ready[name] = v.ready
  }
  if (Object.entries(signatures).some(([name]) => !ready[name])) return { status: 'awaiting-signatures', signatures }

  // ── the threshold is met on every chain: execute ────────────────────────────────────────
  if (await store.controls.isPaused(agent)) return { status: 'paused', reason: 'executor paused' }
  if (plan.status === 'awaiting_approval' && (await store.plans.transition(planId, 'awaiting_approval', 'approved'))) {
    await store.audit.append({ actor: agent, action: 'plan-approved', detail: { plan: planId, signatures } })
  }
  if (await store.plans.transition(planId, 'approved', 'executing')) logger.info('committee plan execution started')
  ;({ plan, steps } = await load())
  // The plan ended while the signatures were read (superseded, expired…): its Safe tx is never
  // executed by us, whatever signatures arrived (rejectAbandoned.ts proposes its rejection).
  if (plan.status !== 'executing') return { status: 'not-executable', reason: `plan is ${plan.status}` }
  for (const leg of legs) {
    const name = leg.chain
    // ── a destination leg: its transfers land first (VAA verified, completeTransfer exactly once) ──
    for (const r of leg.redeems) {
      const cur = steps.find((x) => x.idx === r.idx)!
      if (cur.status === 'confirmed' || cur.status === 'skipped') continue
      if (!deps.bridge) return fail(`redeem step ${r.idx}: no Wormhole bridge configured for the executor`)
      if (await store.controls.isPaused(agent)) return { status: 'paused', reason: 'executor paused before the redeem' }
      if (cur.status === 'pending') await store.plans.setStepStatus(planId, r.idx, 'sent', { from: 'pending' })
      // BridgeWaitingError (VAA not signed yet, destination unreachable) propagates: the plan stays executing and resumes.
      const res = await runRedeemStep({ common, store, senders: deps.senders, port: deps.bridge.port, agent, options: deps.bridge.options }, planId, { ...cur, status: 'sent' })
      if (res.status === 'failed') return fail(res.error)
      await store.plans.setStepStatus(planId, r.idx, 'confirmed', { from: 'sent', mergeDetail: { transferId: res.transfer.id, state: res.transfer.state, destTx: res.transfer.destTx } })
      logger.info({ transfer: res.transfer.id, chain: name }, 'committee plan: transfer redeemed into the Safe')
      ;({ plan, steps } = await load())
    }
    const st = await store.safeTxs.get(planId, name)
    if (!st) {
      // Nothing to sign on this chain (idle collateral only): its remaining steps are done.
      for (const s of steps.filter((x) => x.chain === name && x.kind !== 'redeem' && (x.status === 'pending' || x.status === 'sent'))) {
        await store.plans.setStepStatus(planId, s.idx, 'confirmed', { from: ['pending', 'sent'], mergeDetail: { idle: true } })
      }
      ;({ plan, steps } = await load())
      continue
    }
    if (st.status === 'executed') continue
    if (st.status !== 'proposed' && st.status !== 'executing') return fail(`the Safe tx on ${name} is ${st.status}`)
    const sender = deps.senders[name]
    if (!sender) return fail(`no executor sender for chain ${name}`)
    const key = execIntentKey(planId, name)
    await deps.hooks?.at?.('signatures-verified', { planId, chain: name })
    let to: `0x${string}`
    let data: Hex
    const existing = await store.intents.get(key)
    if (existing) {
      // A restart: the intent of the first attempt is the only one ever sent.
      to = getAddress(existing.to)
      data = existing.data as Hex
    } else {
      const tx = ready[name]
      if (!tx) return { status: 'awaiting-signatures', signatures }
      if (await store.controls.isPaused(agent)) return { status: 'paused', reason: `executor paused before the Safe tx on ${name}` }
      if (waitsForTransfer(leg)) {
        // Its funds have landed now: simulated as the Safe before execTransaction, never sent when it would revert.
        const accessor = config.custody.chains.find((c) => c.chain === name)?.contracts?.simulateTxAccessor
        const sim = await simulateSafeTx(chainOf(name).client, getAddress(st.safe), accessor, st.tx)
        if (sim && !sim.success) return fail(`simulation of the Safe transaction on ${name} (after the transfer landed) reverts: ${sim.revert ?? 'no reason'}`)
      }
      // The transfers this Safe tx starts are recorded before it is signed and sent.
      for (const s of leg.steps.filter((x) => x.kind === 'bridge')) await ensureTransfer(s)
      // execTransaction of the stored SafeTx with the signatures verified above, encoded locally: no
      // second protocol-kit init (several RPC round trips) between the threshold and the send.
      to = getAddress(st.safe)
      data = encodeExecTransaction(st.tx, tx.encodedSignatures() as Hex)
    }
    await store.safeTxs.transition(planId, name, 'proposed', 'executing', { execIntentKey: key })
    for (const s of steps.filter((x) => x.chain === name && x.kind !== 'redeem' && x.status === 'pending')) await store.plans.setStepStatus(planId, s.idx, 'sent', { from: 'pending' })
    try {
      const intent = await sender.send({ key, to, data })
      await deps.hooks?.at?.('exec-sent', { planId, chain: name })
      const o = await usedNonceOutcome(chainOf(name).client, st)
      if (o.outcome === 'executed') await complete(name, o.txHash, o.block)
      else return fail(`execTransaction ${intent.txHash} on ${name} was mined but the Safe shows no ExecutionSuccess for ${st.safeTxHash} (${o.outcome})`)
    } catch (err) {
      if (err instanceof IntentFailedError || err instanceof IntentMismatchError) {
        // Reverted: did someone else take the nonce meanwhile? Then it is a cancellation, not a failure.
        const o = await usedNonceOutcome(chainOf(name).client, st)
        if (o.outcome === 'cancelled') return runCommitteePlan(deps, planId)
        await store.safeTxs.transition(planId, name, 'executing', 'failed', { error: err.message })
        await failPendingTransfers(name, `execTransaction on ${name} failed: ${err.message}`)
        return fail(`execTransaction of ${st.safeTxHash} on ${name}: ${describeError(err)}`)
      }
      throw err
    }
  }
  return (await finishIfDone()) ?? { status: 'not-executable', reason: 'not every chain executed' }
}

/** Whether the executor drives this plan as Safe transactions the committee signs. */
export const isCommitteeSafePlan = (config: Pick<Config, 'custody'>, plan: Pick<Plan, 'needsApproval'>): boolean => config.custody.kind === 'safe' && plan.needsApproval

export type { PlanStep }
