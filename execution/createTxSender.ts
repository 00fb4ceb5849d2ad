import { keccak256, parseEther, type Abi, type Address, type Hex, type LocalAccount, type TransactionReceipt } from 'viem'
import type { ChainClient } from '../chains/createChainClient'
import type { Config } from '../config/schema'
import { describeError, RpcUnavailableError } from '../core/errors'
import { childLogger, type Logger } from '../core/logger'
import { sleep } from '../core/shutdown'
import { FINAL_INTENT_STATUSES, type Store } from '../store'
import type { Intent, IntentAttempt, SignedTx } from '../store/types'
import { GasBalanceLowError, IntentFailedError, IntentMismatchError, NonceConsumedError, PreflightRevertError, SenderPausedError, TxCancelledError, TxRevertedError, TxStuckError } from './errors'
import { MIN_FEE_BUMP_PERCENT, padGas, replacementFees, requiredBalance, type Fees, type GasPad } from './fees'
import { classifyBroadcastError, isRevert, isTransient, nodeMessage, revertReason } from './nodeErrors'
import { Mutex } from '../core/mutex'

/**
 * Exactly-once transaction sending (DESIGN "Money and votes: exactly once").
 *
 *   send({ key, to, data })
 *     intent row 'created' (the key is the idempotency key: an existing intent is resumed)
 *     → pre-flight eth_call (a revert fails the intent with its decoded reason; nothing is sent)
 *     → gas estimate ×1.5 + 50k, EIP-1559 fees, gas balance check (below the critical level:
 *       alert, the intent stays 'created', GasBalanceLowError)
 *     → one store transaction: nonce from the store, sign, raw tx + hash + nonce stored ('signed')
 *     → broadcast ('broadcast') → receipt ('mined'; any attempt's receipt counts)
 *     → the chain's finalityDepth blocks later: 'confirmed', or 'failed' for a reverted receipt;
 *       a receipt gone before then (a reorg; checked on every new head): back to 'broadcast' and
 *       the same raw tx re-sent once (execution/reorgDuringPlan.devnet.test.ts).
 *
 * A signed intent is only ever rebroadcast with its stored raw tx; the one exception is a stuck
 * tx (no receipt `stuckAfterBlocks` blocks after its broadcast), replaced by a tx with the same
 * nonce and fees raised ≥ 12.5 % (both kept as attempts; whichever is mined wins). A tx still
 * unmined `cancelAfterBlocks` blocks after its first broadcast is cancelled: a 0-value transfer to
 * the account itself with the same nonce and higher fees (an attempt of kind 'cancel'); once that
 * is mined and final the intent is 'cancelled' (TxCancelledError), unless the call itself was
 * mined first. `reconcile()` drives every open intent of the account to a final state after a
 * restart; `send()` does the same first, so a new nonce never waits behind an unresolved one.
 * Nonces are per account: each signing agent has its own key (the executor's, the governor's), so
 * one agent's stuck tx never holds up the other's. One sender per chain and account; calls on one
 * sender run one at a time, and two processes racing on one intent are settled by the store's
 * compare-and-set (only one signs).
 */

/**
 * Hook points, each right after the state change it names: 'sent' is the one window where the
 * chain is ahead of the store (the node accepted the raw tx; the store still says signed).
 */
export type TxPoint = 'created' | 'signed' | 'sent' | 'broadcast' | 'replaced' | 'cancelling' | 'mined' | 'reorged' | 'resent' | 'confirmed' | 'cancelled'

export interface TxSenderHooks {
  /** Called (and awaited) right after each stored state change: tests stop a process here. */
  at?(point: TxPoint, intent: Intent): void | Promise<void>
}

export interface TxSenderOptions {
  /** Agent name for alerts and logs (default "executor"). */
  agent?: string
  /** Receipt and head polling interval (default a quarter of the chain's block time, 50..1000 ms). */
  pollIntervalMs?: number
  /** Blocks without a receipt after a broadcast before the tx is replaced with higher fees (default 5). */
  stuckAfterBlocks?: number
  /**
   * Blocks after the first broadcast of an intent's tx, still without a receipt, before it is
   * cancelled with a same-nonce 0-value self-transfer (default: never). More than stuckAfterBlocks.
   */
  cancelAfterBlocks?: number
  /**
   * The signing agent's pause controls: read before anything new is signed; while true, send()
   * throws SenderPausedError and the intent stays created (default: never paused).
   */
  paused?: () => Promise<boolean>
  /** Fee raise of a replacement, % (default 25; at least 12.5, as geth requires). */
  feeBumpPercent?: number
  /**
   * Below this balance (wei) nothing new is signed: an alert is raised and intents stay queued
   * (default 0.05 ETH). Wire from config when it has an execution section.
   */
  criticalGasBalance?: bigint
  /** Signed attempts (first + replacements) before a stuck tx raises an alert and send() gives up for now (default 6). */
  maxAttempts?: number
  /** RPC attempts for a transient failure before RpcUnavailableError (default 4). */
  rpcAttempts?: number
  /** Headroom over the gas estimate (default ×1.5 + 50 000). */
  gasPad?: GasPad
  hooks?: TxSenderHooks
  /** Ends waiting loops (RetryableError 'aborted'); intents stay where they are. */
  signal?: AbortSignal
}

export interface TxSenderDeps {
  common: { config: Config; logger: Logger }
  store: Store
  /** The chain to send on. */
  chain: ChainClient
  /** The signer (viem LocalAccount from the signer key: `privateKeyToAccount(readSignerKey(config))`). */
  account: LocalAccount
  options?: TxSenderOptions
}

export interface SendRequest {
  /** Idempotency key: `<plan id>:<step idx>:<n>`. */
  key: string
  to: Address
  data: Hex
  /** wei (default 0). */
  value?: bigint
  /** ABI whose custom errors decode a revert reason (the venue errors of execution/abis.ts are always known). */
  abi?: Abi
}

export interface ReconcileResult {
  key: string
  status: Intent['status']
  error?: string
}

export interface TxSender {
  readonly chain: string
  readonly address: Address
  /**
   * Sends the call exactly once under `key` and resolves with the confirmed intent. Throws
   * PreflightRevertError / TxRevertedError / NonceConsumedError / TxCancelledError
   * (IntentFailedError: the intent is final, failed or cancelled), IntentMismatchError (the key
   * exists for another call), or a RetryableError (GasBalanceLowError, TxStuckError,
   * RpcUnavailableError, SenderPausedError): then the intent stays where it is and calling send()
   * again with the same key resumes it.
   */
  send(request: SendRequest): Promise<Intent>
  /**
   * Drives every intent of this account and chain that holds a signed tx (signed, broadcast,
   * mined) to confirmed, failed or cancelled: receipt found, or the same raw tx broadcast again (replaced
   * if stuck). Created intents are left for send(). Throws only retryable errors.
   */
  reconcile(): Promise<ReconcileResult[]>
}


/** The sender options an agent takes from the config's `execution` section (one place for every signing agent). */
export function txSenderOptions(config: Config, opts: { agent: string; signal?: AbortSignal }): TxSenderOptions {
  return {
    agent: opts.agent,
    ...(opts.signal ? { signal: opts.signal } : {}),
    criticalGasBalance: parseEther(String(config.execution.criticalGasBalanceEth)),
    stuckAfterBlocks: config.execution.stuckAfterBlocks,
    cancelAfterBlocks: config.execution.cancelAfterBlocks,
    feeBumpPercent: config.execution.feeBumpPercent,
    maxAttempts: config.execution.txMaxAttempts,
    rpcAttempts: config.execution.rpcAttempts,
    gasPad: { percent: config.execution.gasPadPercent, extra: config.execution.gasPadExtra },
  }
}

export const gasAlertKey = (chain: string, address: string) => `gas-balance:${chain}:${address.toLowerCase()}`
export const stuckAlertKey = (key: string) => `tx-stuck:${key}`

export function createTxSender(deps: TxSenderDeps): TxSender {
  const { store, chain, account } = deps
  const opts = deps.options ?? {}
  const agent = opts.agent ?? 'executor'
  const client = chain.client
  const chainId = chain.config.chainId
  const address = account.address
  const logger = childLogger(deps.common.logger, { agent, chain: chain.name })
  const pollMs = opts.pollIntervalMs ?? Math.min(1000, Math.max(50, Math.floor(chain.config.blockTimeMs / 4)))
  const stuckAfter = BigInt(opts.stuckAfterBlocks ?? 5)
  const cancelAfter = opts.cancelAfterBlocks === undefined ? undefined : BigInt(opts.cancelAfterBlocks)
  if (cancelAfter !== undefined && cancelAfter <= stuckAfter) throw new RangeError(`cancelAfterBlocks ${cancelAfter} must be more than stuckAfterBlocks ${stuckAfter}: a stuck tx is first replaced with higher fees`)
  const bumpPercent = opts.feeBumpPercent ?? 25
  const critical = opts.criticalGasBalance ?? parseEther('0.05')
  const maxAttempts = opts.maxAttempts ?? 6
  const rpcAttempts = Math.max(1, opts.rpcAttempts ?? 4)
  const finality = BigInt(chain.config.finalityDepth)
  const signal = opts.signal
  const mutex = new Mutex()
  if (!(bumpPercent >= MIN_FEE_BUMP_PERCENT)) throw new RangeError(`feeBumpPercent ${bumpPercent}: nodes refuse a replacement raised by less than ${MIN_FEE_BUMP_PERCENT} %`)

  const hook = async (point: TxPoint, intent: Intent) => {
    await opts.hooks?.at?.(point, intent)
  }

  const checkAborted = () => {
    if (signal?.aborted) throw new RpcUnavailableError(`${chain.name}: tx sender stopped (${String(signal.reason ?? 'aborted')})`)
  }

  /** An RPC read, retried on transient failures with back-off. */
  async function rpc<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      checkAborted()
      try {
        return await fn()
      } catch (err) {
        if (!isTransient(err)) throw err
        if (attempt >= rpcAttempts) throw new RpcUnavailableError(`${chain.name}: ${what}: ${describeError(err)}`, { cause: err })
        await sleep(Math.min(2000, 100 * 2 ** attempt), signal)
      }
    }
  }

  const head = () => rpc('eth_blockNumber', () => client.getBlockNumber({ cacheTime: 0 }))

  async function receiptOf(hash: Hex): Promise<TransactionReceipt | null> {
    try {
      return await rpc('eth_getTransactionReceipt', () => client.getTransactionReceipt({ hash }))
    } catch (err) {
      if ((err as { name?: string }).name === 'TransactionReceiptNotFoundError') return null
      throw err
    }
  }

  /** The receipt of any attempt of the intent (newest first), if one was mined. */
  async function findReceipt(attempts: readonly IntentAttempt[]): Promise<TransactionReceipt | null> {
    for (const a of [...attempts].reverse()) {
      const r = await receiptOf(a.txHash)
      if (r) return r
    }
    return null
  }

  async function recordMined(intent: Intent, r: TransactionReceipt): Promise<Intent> {
    await store.intents.markMined(intent.key, {
      txHash: r.transactionHash,
      blockNumber: r.blockNumber,
      blockHash: r.blockHash,
      receiptStatus: r.status === 'success' ? 'success' : 'reverted',
      gasUsed: r.gasUsed,
      effectiveGasPrice: r.effectiveGasPrice,
    })
    const next = await reload(intent.key)
    if (next.status === 'mined') {
      logger.info({ tx: intent.key, hash: r.transactionHash, block: Number(r.blockNumber), status: r.status }, 'tx mined')
      if (next.attempts >= maxAttempts && (await store.alerts.isOpen(stuckAlertKey(intent.key)))) {
        await store.alerts.resolve(stuckAlertKey(intent.key), { agent, body: `Mined in block ${r.blockNumber} (tx ${r.transactionHash}).` })
      }
      await hook('mined', next)
    }
    return next
  }

  async function reload(key: string): Promise<Intent> {
    const i = await store.intents.get(key)
    if (!i) throw new IntentMismatchError(`intent ${key} disappeared from the store`)
    return i
  }

  // ── gas balance ──────────────────────────────────────────────────────────────────────────

  async function raiseGasAlert(balance: bigint | null, required: bigint): Promise<void> {
    const res = await store.alerts.raise({
      dedupKey: gasAlertKey(chain.name, address),
      agent,
      chain: chain.name,
      rule: 'gas-balance',
      subject: address,
      severity: 'critical',
      title: `Executor gas balance low on ${chain.name}`,
      body: `${address} holds ${balance ?? 'too little'} wei; ${required} wei is needed to send (critical level ${critical} wei). Transactions stay queued until it is funded.`,
    })
    if (res.inserted) logger.error({ balance: balance?.toString(), required: required.toString() }, 'gas balance below the critical level: nothing is sent')
  }

  /** Throws GasBalanceLowError (after raising the alert) unless the balance covers the tx and the critical level. */
  async function ensureGas(gas: bigint, fees: Fees, value: bigint, known?: bigint): Promise<void> {
    const balance = known ?? (await rpc('eth_getBalance', () => client.getBalance({ address })))
    const need = requiredBalance(gas, fees, value)
    const required = need > critical ? need : critical
    if (balance < required) {
      await raiseGasAlert(balance, required)
      throw new GasBalanceLowError(chain.name, balance, required)
    }
    const key = gasAlertKey(chain.name, address)
    if (await store.alerts.isOpen(key)) {
      await store.alerts.resolve(key, { agent, body: `${address} holds ${balance} wei again.` })
      logger.info({ balance: balance.toString() }, 'gas balance restored')
    }
  }

  // ── the state machine ────────────────────────────────────────────────────────────────────

  /** The cancellation of a nonce: nothing but the nonce (and the fee) is spent. */
  const CANCEL_GAS = 21_000n
  const cancelCall = () => ({ to: address, data: '0x' as Hex, value: 0n })

  const signTx = async (call: Pick<Intent, 'to' | 'data' | 'value'>, nonce: bigint, gas: bigint, fees: Fees): Promise<SignedTx> => {
    const rawTx = await account.signTransaction({
      type: 'eip1559',
      chainId,
      nonce: Number(nonce),
      to: call.to,
      data: call.data,
      value: call.value,
      gas,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    })
    return { rawTx, txHash: keccak256(rawTx), gasLimit: gas, ...fees }
  }

  /** created → signed (or failed on a pre-flight revert). */
  async function signNew(intent: Intent, abi: Abi | undefined): Promise<Intent> {
    const call = { account: address, to: intent.to, data: intent.data, value: intent.value }
    // One batched round trip (the chain client batches concurrent requests): the pre-flight
    // call, its gas, fees, balance and the account's pending nonce.
    let gasEstimate: bigint, est: Fees, balance: bigint, chainNonce: number
    try {
      ;[, gasEstimate, est, balance, chainNonce] = await Promise.all([
        rpc('eth_call', () => client.call(call)),
        rpc('eth_estimateGas', () => client.estimateGas(call)),
        rpc('fee estimate', () => client.estimateFeesPerGas()),
        rpc('eth_getBalance', () => client.getBalance({ address })),
        rpc('eth_getTransactionCount', () => client.getTransactionCount({ address, blockTag: 'pending' })),
      ])
    } catch (err) {
      if (!isRevert(err)) throw err
      const reason = revertReason(err, abi)
      await store.intents.markFailed(intent.key, `pre-flight reverted: ${reason}`, { from: 'created' })
      logger.warn({ tx: intent.key, reason }, 'pre-flight call reverted: nothing sent')
      throw new PreflightRevertError(intent.key, reason, { cause: err })
    }
    const gas = padGas(gasEstimate, opts.gasPad)
    const fees: Fees = { maxFeePerGas: est.maxFeePerGas, maxPriorityFeePerGas: est.maxPriorityFeePerGas }
    await ensureGas(gas, fees, intent.value, balance)
    if (opts.paused && (await opts.paused())) throw new SenderPausedError(`${agent} is paused: intent ${intent.key} stays unsigned`)
    const res = await store.intents.sign(intent.key, { minNonce: BigInt(chainNonce), sign: (nonce) => signTx(intent, nonce, gas, fees) })
    if (res.signed) {
      logger.info({ tx: intent.key, nonce: Number(res.intent.nonce), hash: res.intent.txHash, gas: gas.toString() }, 'tx signed')
      await hook('signed', res.intent)
    }
    return res.intent
  }

  /**
   * signed → broadcast (or mined, when a receipt already exists: a crash after the broadcast).
   * `fresh`: signed a moment ago by this process, so no receipt can exist yet.
   */
  async function broadcast(intent: Intent, fresh = false): Promise<Intent> {
    const attempts = await store.intents.attempts(intent.key)
    if (!fresh) {
      const found = await findReceipt(attempts)
      if (found) return recordMined(intent, found)
    }
    const raw = intent.rawTx!
    const hash = intent.txHash!
    const at = await head()
    // A singleton whose lease was taken while it was paused does not send: the store's fence says
    // so (LeaseLostError). The tx was recorded signed under the old token, so the new holder
    // reconciles the same raw tx and nonce: at most one of them lands.
    await store.leases.check()
    let accepted = false
    try {
      await rpc('eth_sendRawTransaction', () => client.sendRawTransaction({ serializedTransaction: raw }))
      accepted = true
    } catch (err) {
      const kind = classifyBroadcastError(err)
      const msg = nodeMessage(err)
      switch (kind) {
        case 'known':
        case 'replacement-underpriced': // an earlier attempt with this nonce is pending: wait for it (or replace later)
          break
        case 'nonce-too-low': {
          // Mined meanwhile (this attempt or another): look again; otherwise the wait below
          // finds out whether the nonce went to a foreign tx.
          const again = await findReceipt(attempts)
          if (again) return recordMined(intent, again)
          await store.intents.recordError(intent.key, msg, { txHash: hash })
          break
        }
        case 'insufficient-funds': {
          // Signed while funded, refused now: stays signed, rebroadcast once funded.
          await store.intents.recordError(intent.key, msg, { txHash: hash })
          const required = requiredBalance(intent.gasLimit!, { maxFeePerGas: intent.maxFeePerGas!, maxPriorityFeePerGas: 0n }, intent.value)
          await raiseGasAlert(null, required)
          throw new GasBalanceLowError(chain.name, 0n, required)
        }
        case 'transient':
          throw err
        case 'fee-too-low':
          // Refused for its fee, so in no mempool: replace it now (same nonce, so never twice).
          await store.intents.recordError(intent.key, msg, { txHash: hash })
          logger.warn({ tx: intent.key, hash, error: msg }, 'broadcast refused: fee below the base fee')
          return replaceStuck(intent)
        case 'rejected':
          // Not in the node's pool: the stuck-tx clock starts now and a fee-bumped replacement follows.
          await store.intents.recordError(intent.key, msg, { txHash: hash })
          logger.warn({ tx: intent.key, hash, kind, error: msg }, 'broadcast refused')
          break
      }
    }
    if (accepted) await hook('sent', intent)
    if (await store.intents.markBroadcast(intent.key, hash, { headBlock: at })) {
      const next = await reload(intent.key)
      logger.info({ tx: intent.key, hash, head: Number(at) }, 'tx broadcast')
      await hook('broadcast', next)
      return next
    }
    return reload(intent.key)
  }

  /** broadcast → mined, replacing the tx when it is stuck. */
  async function awaitReceipt(intent: Intent): Promise<Intent> {
    let consumedSince: bigint | undefined
    let lastHead: bigint | undefined
    for (;;) {
      checkAborted()
      const attempts = await store.intents.attempts(intent.key)
      const r = await findReceipt(attempts)
      if (r) return recordMined(intent, r)
      const now = await head()
      // Without a new block only the receipt can have changed (one request per poll then),
      // unless a consumed nonce is being confirmed.
      const newHead = now !== lastHead
      lastHead = now
      if (!newHead && consumedSince === undefined) {
        await sleep(pollMs, signal)
        continue
      }
      const current = attempts.find((a) => a.txHash === intent.txHash)
      const since = current?.broadcastBlock ?? now
      // A nonce consumed at the latest block by a tx that is none of ours: final once the
      // chain's finality depth has passed over it with still no receipt of ours.
      const latestNonce = BigInt(await rpc('eth_getTransactionCount', () => client.getTransactionCount({ address, blockTag: 'latest' })))
      if (intent.nonce !== null && latestNonce > intent.nonce) {
        // Seen on two polls and final: then no receipt of ours can still appear.
        if (consumedSince !== undefined && now >= consumedSince + finality) {
          const again = await findReceipt(attempts)
          if (again) return recordMined(intent, again)
          const why = `nonce ${intent.nonce} was consumed by a transaction that is none of this intent's ${attempts.length} attempt(s)`
          await store.intents.markFailed(intent.key, why, { from: ['signed', 'broadcast'] })
          logger.error({ tx: intent.key, nonce: Number(intent.nonce) }, why)
          return reload(intent.key)
        }
        consumedSince ??= now
      } else consumedSince = undefined
      if (newHead && cancelAfter !== undefined) {
        const first = attempts.find((a) => a.broadcastBlock !== null)?.broadcastBlock
        const cancelling = current?.kind === 'cancel'
        if (!cancelling && first !== undefined && first !== null && now >= first + cancelAfter) return cancelStuck(intent, attempts, now - first)
      }
      if (newHead && now >= since + stuckAfter) return replaceStuck(intent)
      await sleep(pollMs, signal)
    }
  }

  /**
   * Same nonce, a 0-value transfer to the account itself, fees raised over the current attempt:
   * the intent's call can no longer be mined once this is.
   */
  async function cancelStuck(intent: Intent, attempts: readonly IntentAttempt[], waited: bigint): Promise<Intent> {
    const current = attempts.find((a) => a.txHash === intent.txHash)
    const est = await rpc('fee estimate', () => client.estimateFeesPerGas())
    const fees = replacementFees(
      { maxFeePerGas: current?.maxFeePerGas ?? intent.maxFeePerGas!, maxPriorityFeePerGas: current?.maxPriorityFeePerGas ?? intent.maxPriorityFeePerGas! },
      { maxFeePerGas: est.maxFeePerGas, maxPriorityFeePerGas: est.maxPriorityFeePerGas },
      bumpPercent,
    )
    await ensureGas(CANCEL_GAS, fees, 0n)
    const signed = await signTx(cancelCall(), intent.nonce!, CANCEL_GAS, fees)
    if (!(await store.intents.replace(intent.key, intent.txHash!, signed, undefined, 'cancel'))) return reload(intent.key)
    const next = await reload(intent.key)
    logger.warn({ tx: intent.key, nonce: Number(intent.nonce), old: intent.txHash, hash: signed.txHash, waitedBlocks: Number(waited) }, 'stuck tx past cancelAfterBlocks: cancelling with a same-nonce 0-value self-transfer')
    await hook('cancelling', next)
    return next
  }

  /** Same nonce, higher fees (a cancellation stays a cancellation). */
  async function replaceStuck(intent: Intent): Promise<Intent> {
    if (intent.attempts >= maxAttempts) {
      const alertKey = stuckAlertKey(intent.key)
      await store.alerts.raise({
        dedupKey: alertKey,
        agent,
        chain: chain.name,
        rule: 'tx-stuck',
        subject: intent.key,
        severity: 'critical',
        title: `Transaction ${intent.key} stuck on ${chain.name}`,
        body: `Nonce ${intent.nonce} is unmined after ${intent.attempts} attempts (last ${intent.txHash}, max fee ${intent.maxFeePerGas} wei). Last error: ${intent.error ?? 'none'}.`,
      })
      throw new TxStuckError(`intent ${intent.key}: unmined after ${intent.attempts} attempts; an operator should look`)
    }
    const est = await rpc('fee estimate', () => client.estimateFeesPerGas())
    const fees = replacementFees(
      { maxFeePerGas: intent.maxFeePerGas!, maxPriorityFeePerGas: intent.maxPriorityFeePerGas! },
      { maxFeePerGas: est.maxFeePerGas, maxPriorityFeePerGas: est.maxPriorityFeePerGas },
      bumpPercent,
    )
    const cancelling = (await store.intents.attempts(intent.key)).find((a) => a.txHash === intent.txHash)?.kind === 'cancel'
    const call = cancelling ? cancelCall() : intent
    await ensureGas(intent.gasLimit!, fees, call.value)
    const signed = await signTx(call, intent.nonce!, intent.gasLimit!, fees)
    if (!(await store.intents.replace(intent.key, intent.txHash!, signed, undefined, cancelling ? 'cancel' : 'tx'))) return reload(intent.key)
    const next = await reload(intent.key)
    logger.warn({ tx: intent.key, nonce: Number(intent.nonce), old: intent.txHash, hash: signed.txHash, maxFeePerGas: fees.maxFeePerGas.toString() }, 'stuck tx replaced with higher fees')
    await hook('replaced', next)
    return next
  }

  /**
   * A mined tx whose receipt is gone (its block was reorganised away: anvil and geth drop the
   * orphaned block's txs, they do not return to the pool) or moved to another block: back to
   * broadcast, the stuck-tx clock restarted at `now`, and the same signed tx sent again, once —
   * it is still valid unless the new fork used its nonce, which awaitReceipt then finds out
   * (NonceConsumedError). Found in another block already: recorded mined there.
   */
  async function reorgedOut(intent: Intent, moved: TransactionReceipt | null, now: bigint): Promise<Intent> {
    logger.warn({ tx: intent.key, hash: intent.txHash, block: Number(intent.blockNumber), blockHash: intent.blockHash, movedTo: moved ? String(moved.blockHash) : null }, moved ? 'receipt moved to another block (reorg)' : 'mined tx reorged out: back to broadcast, the same signed tx re-sent')
    if (!(await store.intents.markUnmined(intent.key, undefined, { headBlock: now }))) return reload(intent.key)
    const back = await reload(intent.key)
    await hook('reorged', back)
    if (moved) return recordMined(back, moved)
    await store.leases.check()
    try {
      await rpc('eth_sendRawTransaction', () => client.sendRawTransaction({ serializedTransaction: back.rawTx! }))
    } catch (err) {
      const kind = classifyBroadcastError(err)
      if (kind === 'transient') throw err
      // known / nonce-too-low / refused: recorded; awaitReceipt finds a receipt, a consumed nonce or a stuck tx.
      await store.intents.recordError(intent.key, `re-send after a reorg: ${nodeMessage(err)}`, { txHash: back.txHash! })
    }
    await hook('resent', back)
    return reload(intent.key)
  }

  /**
   * mined → confirmed | failed after the finality depth. On each new head until then the receipt
   * is read again: a tx reorged out is noticed at once, not only at the finality depth.
   */
  async function awaitFinality(intent: Intent): Promise<Intent> {
    let lastHead: bigint | undefined
    for (;;) {
      checkAborted()
      const now = await head()
      if (now !== lastHead) {
        lastHead = now
        const r = await receiptOf(intent.txHash!)
        if (!r || r.blockHash !== intent.blockHash) return reorgedOut(intent, r, now)
      }
      if (now >= intent.blockNumber! + finality) {
        if (await store.intents.markCancelled(intent.key)) {
          const next = await reload(intent.key)
          logger.warn({ tx: intent.key, hash: intent.txHash, nonce: Number(intent.nonce) }, 'tx cancelled: the same-nonce self-transfer was mined, the call never happened')
          await hook('cancelled', next)
          return next
        }
        if (intent.receiptStatus === 'success') {
          await store.intents.markConfirmed(intent.key)
          const next = await reload(intent.key)
          logger.info({ tx: intent.key, hash: intent.txHash }, 'tx confirmed')
          await hook('confirmed', next)
          return next
        }
        await store.intents.markFailed(intent.key, `reverted in block ${intent.blockNumber} (tx ${intent.txHash})`, { from: 'mined' })
        logger.error({ tx: intent.key, hash: intent.txHash, block: Number(intent.blockNumber) }, 'tx reverted')
        return reload(intent.key)
      }
      await sleep(pollMs, signal)
    }
  }

  function failure(intent: Intent): IntentFailedError {
    if (intent.status === 'cancelled') return new TxCancelledError(`intent ${intent.key}: cancelled (nonce ${intent.nonce} went to the self-transfer ${intent.txHash}); the call never happened`, intent.key)
    if (intent.receiptStatus === 'reverted' && intent.txHash && intent.blockNumber !== null) return new TxRevertedError(intent.key, intent.txHash, intent.blockNumber)
    const error = intent.error ?? 'failed'
    if (error.startsWith('pre-flight reverted: ')) return new PreflightRevertError(intent.key, error.slice('pre-flight reverted: '.length))
    if (error.startsWith('nonce ')) return new NonceConsumedError(`intent ${intent.key}: ${error}`, intent.key)
    return new IntentFailedError(`intent ${intent.key}: ${error}`, intent.key)
  }

  /** Drives one intent to confirmed (returned) or failed (thrown). */
  async function drive(start: Intent, abi?: Abi): Promise<Intent> {
    let intent = start
    let fresh = false
    for (;;) {
      checkAborted()
      switch (intent.status) {
        case 'created':
          intent = await signNew(intent, abi)
          fresh = intent.status === 'signed' && intent.attempts === 1
          break
        case 'signed':
          intent = await broadcast(intent, fresh)
          fresh = false
          break
        case 'broadcast':
          intent = await awaitReceipt(intent)
          break
        case 'mined':
          intent = await awaitFinality(intent)
          break
        case 'confirmed':
          return intent
        case 'failed':
        case 'cancelled':
          throw failure(intent)
      }
    }
  }

  /**
   * Every intent holding a signed tx, by nonce (only those below `below` when given, the nonce of
   * the intent about to be driven); non-retryable outcomes are results, retryable ones throw.
   */
  async function settleOpen(except?: string, below?: bigint | null): Promise<ReconcileResult[]> {
    const results: ReconcileResult[] = []
    for (const intent of await store.intents.open(chain.name, address)) {
      if (intent.key === except) continue
      if (below !== undefined && below !== null && intent.nonce !== null && intent.nonce >= below) continue
      try {
        const done = await drive(intent)
        results.push({ key: done.key, status: done.status })
      } catch (err) {
        if (!(err instanceof IntentFailedError)) throw err
        results.push({ key: intent.key, status: err instanceof TxCancelledError ? 'cancelled' : 'failed', error: err.message })
      }
    }
    return results
  }

  return {
    chain: chain.name,
    address,

    send(req) {
      return mutex.lock(async () => {
        const value = req.value ?? 0n
        const { inserted, intent } = await store.intents.create({ key: req.key, chain: chain.name, from: address, to: req.to, data: req.data, value })
        if (intent.to !== req.to.toLowerCase() || intent.data !== req.data.toLowerCase() || intent.value !== value || intent.chain !== chain.name || intent.from !== address.toLowerCase()) {
          throw new IntentMismatchError(`intent ${req.key} exists for another call (to ${intent.to} on ${intent.chain}): an idempotency key names one call only`)
        }
        if (inserted) await hook('created', intent)
        // A new nonce never waits behind an unresolved older one.
        if (!FINAL_INTENT_STATUSES.includes(intent.status)) await settleOpen(intent.key, intent.nonce)
        return drive(await reload(intent.key), req.abi)
      })
    },

    reconcile() {
      return mutex.lock(() => settleOpen())
    },
  }
}
