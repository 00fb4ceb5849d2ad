import { getAddress, type Address, type Hex } from 'viem'
import type { Config } from '../config/schema'
import { BaseError, describeError, RetryableError } from '../core/errors'
import { childLogger, type Logger } from '../core/logger'
import { sleep } from '../core/shutdown'
import type { Store, Transfer } from '../store'
import type { Intent, PlanStep } from '../store/types'
import { BadVaaError, guardianSetIndexOf, normaliseAmount, verifyTransferVaa, type GuardianSet } from './bridgeVaa'
import type { TxSender } from './createTxSender'
import { IntentFailedError } from './errors'

/**
 * Cross-chain transfers through the Wormhole token bridge, as a state machine stored per transfer
 * (store/transfers.ts), exactly once and resumable from any state after a crash:
 *
 *   bridge step (source chain)                      redeem step (destination chain)
 *   pending ── approve + transferTokens ──► initiated ── VAA fetched + verified ──► vaa_signed
 *           (TxSender intents <plan>:<step>:0/1;         (backoff while the guardians have not
 *            the message's sequence from the receipt)     signed or the API is down)
 *   vaa_signed ── isTransferCompleted? ── completeTransfer (intent <plan>:<redeem step>:<n>) ──► redeemed
 *   redeemed ──(the plan's deposits done)──► deposited
 *
 * Every on-chain tx goes through the chain's exactly-once TxSender (intent stored before signing,
 * raw tx before broadcast). The SDK (BridgePort) only builds unsigned txs and reads; it never signs.
 * Before a redeem, the transfer is checked complete on the destination (someone may have redeemed
 * it for us; a crash after our redeem finds its intent). A VAA is submitted only after
 * verifyTransferVaa accepted it against the guardian set read from the DESTINATION core bridge
 * and the transfer (target chain, recipient, amount, token, emitter, sequence). A refused VAA, a
 * guardian API that is down, a destination that is unreachable: the transfer waits (backoff) and
 * alerts; it never gives up the funds. Once funds left the source chain nothing fails the transfer.
 */

/** The wormhole entry of a chain (config.wormhole; no SDK import here: only bridgeSdk.ts loads the SDK). */
function wormholeChainOf(config: Config, chain: string) {
  const c = config.wormhole?.chains.find((x) => x.chain === chain)
  if (!c) throw new Error(`config: chain "${chain}" is not in wormhole.chains`)
  return c
}

/** An unsigned transaction from the SDK, as the TxSender takes it. */
export interface BridgeTx {
  label: 'approve' | 'transfer' | 'redeem'
  to: Address
  data: Hex
  value: bigint
}

export interface WormholeMessage {
  /** The emitter (the source token bridge), 32 bytes. */
  emitter: Hex
  sequence: bigint
}

/**
 * What the state machine needs from Wormhole; `createSdkBridgePort` (bridgeSdk.ts) implements it
 * with @wormhole-foundation/sdk. Chains are poolwarden chain names.
 */
export interface BridgePort {
  /** The source chain's unsigned txs sending `amount` of `token` to `recipient` on `to`: [approve (only when the allowance is short), transferTokens]. */
  transferTxs(i: { from: string; to: string; token: Address; amount: bigint; sender: Address; recipient: Address }): Promise<BridgeTx[]>
  /** The token bridge message a confirmed source tx emitted. */
  messageOf(chain: string, txHash: Hex): Promise<WormholeMessage>
  /** The signed VAA from the Wormhole API, or null while it is not signed yet (404). Throws when the API cannot be reached. */
  fetchVaa(sourceChain: string, m: WormholeMessage): Promise<Hex | null>
  /** A guardian set as the chain's core bridge knows it (index and keys; expiry 0 = current). */
  guardianSet(chain: string, index: number): Promise<GuardianSet>
  /** Whether the token bridge of `chain` has completed the transfer of this VAA. */
  isCompleted(chain: string, vaa: Hex): Promise<boolean>
  /** The destination's unsigned txs redeeming the VAA (completeTransfer). */
  redeemTxs(chain: string, vaa: Hex, sender: Address): Promise<BridgeTx[]>
}

/** Hook points, right after the state change they name (tests stop a process there). */
export type BridgePoint = 'source-confirmed' | 'initiated' | 'vaa-signed' | 'redeem-confirmed' | 'redeemed'

export interface BridgeOptions {
  /** A transfer not landed this long after it started raises an alert (default 1800 s). */
  stuckAfterSeconds?: number
  /** The guardian API or the destination failing this long in a row raises an alert (default 60 s). */
  unreachableAfterSeconds?: number
  /** How long one call waits for a VAA or the destination before handing back (BridgeWaitingError; default 120 s). */
  waitMs?: number
  /** Backoff between polls: first wait and cap (defaults 250 ms, 5 s; doubled each time). */
  backoffMs?: { initial: number; max: number }
  signal?: AbortSignal
  /** ms clock (tests). */
  now?: () => number
  hooks?: { at?(point: BridgePoint, transfer: Transfer): void | Promise<void> }
}

export interface BridgeDeps {
  common: { config: Config; logger: Logger }
  store: Store
  senders: Readonly<Record<string, TxSender>>
  port: BridgePort
  agent?: string
  options?: BridgeOptions
}

/** The transfer a bridge step carries (plan step detail `transfer`), raw units. */
export interface TransferSpec {
  from: string
  to: string
  amount: bigint
  received: bigint
}

/** Waiting (VAA not yet signed, guardian API down, destination unreachable): retry later; nothing is lost. */
export class BridgeWaitingError extends RetryableError {
  override name = 'BridgeWaitingError'
}

/**
 * The transfer was left for a person (a redeem failed `execution.redeemMaxAttempts` times):
 * nothing more is sent for it until a person releases it (store.transfers.release).
 */
export class TransferHeldError extends BaseError {
  override name = 'TransferHeldError'
}

export const bridgeStuckAlertKey = (id: string) => `bridge-stuck:${id}`
export const bridgeRedeemHeldAlertKey = (id: string) => `bridge-redeem-held:${id}`
export const bridgeUnreachableAlertKey = (id: string) => `bridge-unreachable:${id}`
export const bridgeBadVaaAlertKey = (id: string) => `bridge-bad-vaa:${id}`

const FINAL: Intent['status'][] = ['confirmed', 'failed', 'cancelled']
const big = (x: unknown): bigint | null => (typeof x === 'bigint' ? x : typeof x === 'string' && /^\d+n?$/.test(x) ? BigInt(x.replace(/n$/, '')) : typeof x === 'number' ? BigInt(x) : null)

/** The transfer of a bridge or redeem step (detail `transfer`, amounts as bigint or decimal strings). */
export function transferSpecOf(step: Pick<PlanStep, 'detail'>): TransferSpec | null {
  const t = (step.detail as { transfer?: Record<string, unknown> } | null)?.transfer
  if (!t || typeof t.from !== 'string' || typeof t.to !== 'string') return null
  const amount = big(t.amount)
  const received = big(t.received)
  if (amount === null || received === null) return null
  return { from: t.from, to: t.to, amount, received }
}

/** The bridge step a redeem step completes (detail `bridgeStep`). */
export function bridgeStepOf(step: Pick<PlanStep, 'detail'>): number | null {
  const i = (step.detail as { bridgeStep?: unknown } | null)?.bridgeStep
  return typeof i === 'number' && Number.isInteger(i) && i >= 0 ? i : null
}

export type BridgeStepResult = { status: 'ok'; transfer: Transfer } | { status: 'failed'; error: string; transfer?: Transfer }

function collateralOf(config: Config, chain: string): Address {
  const c = config.pool.collateral.find((x) => x.chain === chain)
  if (!c) throw new Error(`no pool collateral configured on ${chain}`)
  return getAddress(c.token)
}

/**
 * The bridge step: the transfer row (pending), then approve + transferTokens through the source
 * chain's TxSender, then `initiated` with the message's sequence. Resumes from any point. Fails
 * (the plan fails) only while nothing has left the source chain.
 */
export async function runBridgeStep(deps: BridgeDeps, planId: string, step: PlanStep, redeemIdx: number | null): Promise<BridgeStepResult> {
  const { store, common, port } = deps
  const { config } = common
  const log = childLogger(common.logger, { agent: deps.agent ?? 'executor', plan: planId, step: step.idx })
  const spec = transferSpecOf(step)
  if (!spec) return { status: 'failed', error: `bridge step ${step.idx}: no transfer in its detail` }
  if (spec.from !== step.chain || spec.amount !== step.amount) return { status: 'failed', error: `bridge step ${step.idx}: its transfer (${spec.from}, ${spec.amount}) does not match the step (${step.chain}, ${step.amount})` }
  if (!config.wormhole) return { status: 'failed', error: 'no "wormhole" section in the config: cross-chain steps cannot run' }
  const pool = getAddress(config.pool.account)
  let token: Address
  let destToken: Address
  try {
    wormholeChainOf(config, spec.from)
    wormholeChainOf(config, spec.to)
    token = collateralOf(config, spec.from)
    destToken = collateralOf(config, spec.to)
  } catch (err) {
    return { status: 'failed', error: describeError(err) }
  }
  const sender = deps.senders[spec.from]
  if (!sender) return { status: 'failed', error: `no tx sender for ${spec.from}` }

  let { transfer } = await store.transfers.create({
    planId,
    stepIdx: step.idx,
    redeemIdx,
    sourceChain: spec.from,
    destChain: spec.to,
    token,
    destToken,
    recipient: pool,
    amount: spec.amount,
    received: spec.received,
  })
  if (transfer.state === 'failed') return { status: 'failed', error: transfer.lastError ?? 'transfer failed', transfer }
  if (transfer.state !== 'pending') return { status: 'ok', transfer }

  const keyApprove = `${planId}:${step.idx}:0`
  const keyTransfer = `${planId}:${step.idx}:1`
  const resume = (i: Intent) => sender.send({ key: i.key, to: i.to, data: i.data, value: i.value })
  let sent: Intent
  try {
    const existing = await store.intents.get(keyTransfer)
    if (existing) sent = await resume(existing)
    else {
      const approve = await store.intents.get(keyApprove)
      if (approve && !FINAL.includes(approve.status)) await resume(approve)
      const txs = await port.transferTxs({ from: spec.from, to: spec.to, token, amount: spec.amount, sender: pool, recipient: pool })
      const main = txs.find((t) => t.label === 'transfer')
      if (!main) throw new Error('the SDK gave no transferTokens transaction')
      for (const tx of txs) if (tx.label === 'approve' && !approve) await sender.send({ key: keyApprove, to: tx.to, data: tx.data, value: tx.value })
      sent = await sender.send({ key: keyTransfer, to: main.to, data: main.data, value: main.value })
    }
  } catch (err) {
    if (err instanceof IntentFailedError) {
      // Pre-flight revert or a reverted tx: the tokens never left the source chain.
      const error = `source tx: ${err.message}`
      await store.transfers.markFailed(transfer.id, error)
      log.error({ transfer: transfer.id, error }, 'transfer failed before leaving the source chain')
      return { status: 'failed', error, transfer: await store.transfers.get(transfer.id) }
    }
    throw err
  }
  await deps.options?.hooks?.at?.('source-confirmed', transfer)
  const m = await port.messageOf(spec.from, sent.txHash!)
  await store.transfers.markInitiated(transfer.id, { sourceTx: sent.txHash!, sourceBlock: sent.blockNumber!, sequence: m.sequence, emitter: m.emitter })
  transfer = (await store.transfers.get(transfer.id))!
  log.info({ transfer: transfer.id, tx: sent.txHash, sequence: m.sequence.toString(), to: spec.to }, 'transfer initiated: funds in flight')
  await store.audit.append({ actor: deps.agent ?? 'executor', action: 'bridge-initiated', detail: { transfer: transfer.id, from: spec.from, to: spec.to, amount: spec.amount.toString(), tx: sent.txHash, sequence: m.sequence.toString() } })
  await deps.options?.hooks?.at?.('initiated', transfer)
  return { status: 'ok', transfer }
}

/**
 * The redeem step: waits for the VAA (verified), then redeems it on the destination exactly once
 * (or finds it already redeemed). Returns when the transfer is redeemed; throws BridgeWaitingError
 * after `waitMs` of waiting (the plan stays executing and the next call resumes).
 */
export async function runRedeemStep(deps: BridgeDeps, planId: string, step: PlanStep): Promise<BridgeStepResult> {
  const { store } = deps
  const bridgeIdx = bridgeStepOf(step)
  if (bridgeIdx === null) return { status: 'failed', error: `redeem step ${step.idx}: no bridgeStep in its detail` }
  const found = await store.transfers.byStep(planId, bridgeIdx)
  if (!found) return { status: 'failed', error: `redeem step ${step.idx}: the bridge step ${bridgeIdx} has no transfer` }
  if (found.state === 'failed') return { status: 'failed', error: found.lastError ?? 'transfer failed', transfer: found }
  if (found.state === 'pending') return { status: 'failed', error: `redeem step ${step.idx}: transfer ${found.id} has not left ${found.sourceChain}` }
  if (found.destChain !== step.chain) return { status: 'failed', error: `redeem step ${step.idx} is on ${step.chain}; transfer ${found.id} goes to ${found.destChain}` }
  try {
    const transfer = await completeTransfer(deps, found.id)
    return { status: 'ok', transfer }
  } catch (err) {
    // Left for a person: the plan stops here (its transfer keeps its VAA and says why).
    if (err instanceof TransferHeldError) return { status: 'failed', error: err.message, transfer: (await store.transfers.get(found.id))! }
    throw err
  }
}

/** Drives an initiated transfer to redeemed (see runRedeemStep). Also used for transfers found open at start. */
export async function completeTransfer(deps: BridgeDeps, id: string): Promise<Transfer> {
  const { store, common, port } = deps
  const { config } = common
  const o = deps.options ?? {}
  const agent = deps.agent ?? 'executor'
  const now = o.now ?? Date.now
  const signal = o.signal
  const log = childLogger(common.logger, { agent, transfer: id })
  const waitMs = o.waitMs ?? 120_000
  const initial = o.backoffMs?.initial ?? 250
  const max = o.backoffMs?.max ?? 5_000
  const stuckMs = (o.stuckAfterSeconds ?? config.execution.bridgeStuckAfterSeconds ?? 1_800) * 1000
  const unreachableMs = (o.unreachableAfterSeconds ?? 60) * 1000
  const started = now()
  let delay = initial
  /** Since when the Wormhole API / the destination has failed without a success in between. */
  const failingSince: Record<'api' | 'dest', number | null> = { api: null, dest: null }
  const pool = getAddress(config.pool.account)

  const t0 = await store.transfers.get(id)
  if (!t0) throw new Error(`transfer ${id} is not in the store`)
  if (!config.wormhole) throw new Error('no "wormhole" section in the config')
  const src = wormholeChainOf(config, t0.sourceChain)
  const dst = wormholeChainOf(config, t0.destChain)
  const home = wormholeChainOf(config, config.wormhole.lstHomeChain)
  const srcDecimals = config.pool.collateral.find((c) => c.chain === t0.sourceChain)?.decimals ?? 18
  const maybeSender = deps.senders[t0.destChain]
  if (!maybeSender) throw new Error(`no tx sender for ${t0.destChain}`)
  const sender: TxSender = maybeSender
  const landed = async (t: Transfer) => {
    await store.alerts.resolve(bridgeStuckAlertKey(id), { agent, body: `landed on ${t.destChain}${t.destTx ? ` (tx ${t.destTx})` : ''}` }).catch(() => undefined)
    await store.alerts.resolve(bridgeUnreachableAlertKey(id), { agent }).catch(() => undefined)
    return t
  }

  let lastFailure = ''
  /** Alerted once the failures have lasted unreachableAfterSeconds. */
  const alertUnreachable = async (t: Transfer) => {
    const since = Math.min(failingSince.api ?? Infinity, failingSince.dest ?? Infinity)
    if (!Number.isFinite(since) || now() - since < unreachableMs) return
    await store.alerts.raise({
      dedupKey: bridgeUnreachableAlertKey(id),
      agent,
      chain: t.destChain,
      rule: 'bridge-unreachable',
      subject: id,
      severity: 'warning',
      title: `Transfer ${id} (${t.sourceChain} → ${t.destChain}) waiting: ${lastFailure}`,
      body: `Funds stay in flight until it is reachable again; nothing is given up. Failing for ${Math.round((now() - since) / 1000)} s.`,
    })
  }
  /** A failed try (the Wormhole API or the destination cannot be reached): recorded, alerted when it lasts. */
  const failed = async (t: Transfer, what: string, kind: 'api' | 'dest') => {
    await store.transfers.recordError(id, what)
    failingSince[kind] ??= now()
    lastFailure = what
    await alertUnreachable(t)
  }
  const checkStuck = async (t: Transfer) => {
    const since = t.initiatedAt ?? t.createdAt
    if (now() - since < stuckMs) return
    await store.alerts.raise({
      dedupKey: bridgeStuckAlertKey(id),
      agent,
      chain: t.destChain,
      rule: 'bridge-stuck',
      subject: id,
      severity: 'warning',
      title: `Transfer ${id} stuck ${Math.round((now() - since) / 60_000)} min in state ${t.state} (${t.sourceChain} → ${t.destChain})`,
      body: `${t.received} raw units to land on ${t.destChain}${t.lastError ? `; last error: ${t.lastError}` : ''}. It keeps waiting; the funds are never given up.`,
    })
  }

  const maxRedeems = config.execution.redeemMaxAttempts
  for (;;) {
    const t = (await store.transfers.get(id))!
    if (t.state === 'redeemed' || t.state === 'deposited') return landed(t)
    if (t.state === 'pending' || t.state === 'failed') throw new Error(`transfer ${id} is ${t.state}: nothing to complete`)
    if (t.heldReason !== null) throw new TransferHeldError(`transfer ${id} is left for an operator: ${t.heldReason}`)
    let progressed = false
    if (t.state === 'initiated') {
      let vaa: Hex | null = null
      let reached = true
      try {
        vaa = await port.fetchVaa(t.sourceChain, { emitter: t.emitter as Hex, sequence: t.sequence! })
      } catch (err) {
        reached = false
        await failed(t, `Wormhole API unreachable: ${describeError(err)}`, 'api')
      }
      if (reached) {
        failingSince.api = null
        if (failingSince.dest === null) await store.alerts.resolve(bridgeUnreachableAlertKey(id), { agent, body: 'the Wormhole API answers again' }).catch(() => undefined)
        if (vaa === null) await store.transfers.recordError(id, 'VAA not signed yet')
      }
      let signed = false
      if (vaa !== null) {
        try {
          const guardianSet = await port.guardianSet(t.destChain, guardianSetIndexOf(vaa))
          await verifyTransferVaa(vaa, {
            guardianSet,
            now: Math.floor(now() / 1000),
            emitterChain: src.wormholeChainId,
            emitterAddress: src.tokenBridge,
            sequence: t.sequence!,
            targetChain: dst.wormholeChainId,
            recipient: pool,
            amount: normaliseAmount(t.amount, srcDecimals),
            tokenChain: home.wormholeChainId,
            tokenAddress: home.lst,
          })
          if (await store.transfers.markVaaSigned(id, vaa)) {
            log.info({ sequence: t.sequence?.toString() }, 'VAA fetched and verified')
            await store.alerts.resolve(bridgeBadVaaAlertKey(id), { agent, body: 'a valid VAA was fetched' }).catch(() => undefined)
            signed = true
          }
          progressed = true
          failingSince.dest = null
        } catch (err) {
          if (!(err instanceof BadVaaError)) {
            await failed(t, `destination ${t.destChain} unreachable (guardian set): ${describeError(err)}`, 'dest')
          } else {
            await store.transfers.recordError(id, `VAA refused: ${err.message}`)
            log.error({ err: err.message }, 'VAA refused: not submitted')
            await store.alerts.raise({
              dedupKey: bridgeBadVaaAlertKey(id),
              agent,
              chain: t.destChain,
              rule: 'bridge-bad-vaa',
              subject: id,
              severity: 'critical',
              title: `Transfer ${id}: VAA refused, not submitted`,
              body: `${err.message}. The transfer keeps waiting for a valid VAA; the funds are not given up.`,
            })
          }
        }
      }
      if (signed) await o.hooks?.at?.('vaa-signed', (await store.transfers.get(id))!)
    } else if (t.state === 'vaa_signed') {
      let r: Transfer | null = null
      try {
        r = await redeem(t)
      } catch (err) {
        // RPC down, gas low, a stuck tx: wait and alert; the VAA and the intent are kept.
        await failed(t, `destination ${t.destChain} unreachable: ${describeError(err)}`, 'dest')
      }
      if (r) {
        await o.hooks?.at?.('redeemed', r)
        return landed(r)
      }
    }
    const after = (await store.transfers.get(id))!
    await checkStuck(after)
    if (progressed) {
      delay = initial
      continue
    }
    await alertUnreachable(after)
    if (signal?.aborted) throw new BridgeWaitingError(`transfer ${id}: stopped while ${after.state}`)
    if (now() - started + delay > waitMs) throw new BridgeWaitingError(`transfer ${id} still ${after.state} after ${Math.round((now() - started) / 1000)} s: ${after.lastError ?? 'waiting'}; resumes later`)
    await sleep(delay, signal)
    delay = Math.min(max, delay * 2)
  }

  /** Failed or cancelled redeem intents since a person last released the transfer. */
  async function failedRedeems(t: Transfer, prefix: string): Promise<number> {
    const since = t.releasedAt ?? -1
    return (await store.intents.list({ keyPrefix: prefix })).filter((i) => (i.status === 'failed' || i.status === 'cancelled') && i.createdAt > since).length
  }

  /** Bounded retries: after redeemMaxAttempts failed redeem txs nothing more is sent; one alert, a person decides. */
  async function holdForOperator(t: Transfer, tried: number, last: string): Promise<null> {
    const reason = `the redeem on ${t.destChain} failed ${tried} time(s) (execution.redeemMaxAttempts = ${maxRedeems}); last: ${last}. The VAA is kept: redeem it by hand (completeTransfer on the ${t.destChain} token bridge) or fix the cause and release the transfer`
    if (await store.transfers.hold(id, reason)) {
      log.error({ attempts: tried }, 'redeem retries exhausted: the transfer is left for an operator')
      await store.alerts.raise({
        dedupKey: bridgeRedeemHeldAlertKey(id),
        agent,
        chain: t.destChain,
        rule: 'bridge-redeem-held',
        subject: id,
        severity: 'critical',
        title: `Transfer ${id}: redeem on ${t.destChain} failed ${tried} times, left for an operator`,
        body: `${reason}. Nothing more is sent for it; the funds stay in flight, not given up.`,
      })
    }
    return null
  }

  /** One redeem attempt; the transfer redeemed, or null to wait (a redeem tx failed without completing the transfer). */
  async function redeem(t: Transfer): Promise<Transfer | null> {
    const vaa = t.vaa as Hex
    const prefix = `${t.planId}:${t.redeemIdx ?? 'redeem'}:`
    // The newest redeem intent: resume it (a crash after signing or broadcasting), or take its receipt.
    let n = 0
    let last: Intent | undefined
    for (;;) {
      const i = await store.intents.get(`${prefix}${n}`)
      if (!i) break
      last = i
      n++
    }
    let intent: Intent | undefined
    try {
      if (last && last.status !== 'failed' && last.status !== 'cancelled') intent = await sender.send({ key: last.key, to: last.to, data: last.data, value: last.value })
      else if (await port.isCompleted(t.destChain, vaa)) {
        log.info('transfer already complete on the destination: not redeemed again')
      } else if ((await failedRedeems(t, prefix)) >= maxRedeems) {
        // The cap is reached (e.g. lowered since the last attempt): nothing more is sent.
        return holdForOperator(t, await failedRedeems(t, prefix), last?.error ?? 'failed')
      } else {
        const txs = await port.redeemTxs(t.destChain, vaa, pool)
        const main = txs.find((x) => x.label === 'redeem')
        if (!main) throw new Error('the SDK gave no completeTransfer transaction')
        intent = await sender.send({ key: `${prefix}${n}`, to: main.to, data: main.data, value: main.value })
      }
    } catch (err) {
      if (!(err instanceof IntentFailedError)) throw err
      // The redeem reverted or was refused in pre-flight: maybe someone else redeemed it meanwhile.
      if (!(await port.isCompleted(t.destChain, vaa))) {
        await store.transfers.recordError(id, `redeem failed: ${err.message}`)
        // Bounded: after redeemMaxAttempts failed redeem txs nothing more is sent; a person decides.
        const tried = await failedRedeems(t, prefix)
        if (tried >= maxRedeems) return holdForOperator(t, tried, err.message)
        await store.alerts.raise({
          dedupKey: bridgeStuckAlertKey(id),
          agent,
          chain: t.destChain,
          rule: 'bridge-stuck',
          subject: id,
          severity: 'critical',
          title: `Transfer ${id}: redeem on ${t.destChain} failed`,
          body: `${err.message}. The transfer is not complete; it is retried (the funds are not given up).`,
        })
        return null
      }
      intent = undefined
    }
    if (intent) await o.hooks?.at?.('redeem-confirmed', t)
    await store.transfers.markRedeemed(id, { destTx: intent?.txHash ?? null, destBlock: intent?.blockNumber ?? null })
    const r = (await store.transfers.get(id))!
    log.info({ tx: r.destTx }, 'transfer redeemed: funds landed')
    await store.audit.append({ actor: agent, action: 'bridge-redeemed', detail: { transfer: id, to: t.destChain, tx: r.destTx, received: t.received.toString() } })
    return r
  }
}

/** After the plan's last step: its redeemed transfers become deposited. */
export async function markPlanTransfersDeposited(store: Store, planId: string): Promise<string[]> {
  const done: string[] = []
  for (const t of await store.transfers.list({ planId, state: 'redeemed' })) if (await store.transfers.markDeposited(t.id)) done.push(t.id)
  return done
}
