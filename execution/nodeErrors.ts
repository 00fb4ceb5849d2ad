import { decodeErrorResult, type Abi, type Hex } from 'viem'
import { describeError, isRetryable } from '../core/errors'
import { venueErrorsAbi } from './abis'

/**
 * Reading what a node said. Nodes answer eth_sendRawTransaction refusals only as text (geth,
 * erigon, nethermind, reth and anvil word them differently), so this module is the one place
 * that matches messages, as viem's own getNodeError does; everything else decides on the
 * returned kind. Unit-tested against each client's wording.
 */

export type BroadcastErrorKind =
  /** The node already has this exact tx: as good as a successful broadcast. */
  | 'known'
  /** The account's nonce moved past this tx's: it (or a replacement, or a foreign tx) was mined. */
  | 'nonce-too-low'
  /** Another tx with this nonce is pending and this one does not pay enough more to replace it. */
  | 'replacement-underpriced'
  /** Max fee below the base fee (some nodes refuse instead of queueing): it needs a fee bump. */
  | 'fee-too-low'
  | 'insufficient-funds'
  /** The request did not reach a node or the node is overloaded: try again. */
  | 'transient'
  /** Anything else: the node refused the tx. */
  | 'rejected'

interface Causal {
  cause?: unknown
  details?: unknown
  shortMessage?: unknown
  message?: unknown
  name?: unknown
  data?: unknown
  code?: unknown
  status?: unknown
}

function chain(err: unknown): Causal[] {
  const out: Causal[] = []
  let e: unknown = err
  for (let i = 0; i < 10 && e && typeof e === 'object'; i++) {
    out.push(e as Causal)
    e = (e as Causal).cause
  }
  return out
}

/** Every message, short message and detail along the cause chain, lower-cased. */
export function errorText(err: unknown): string {
  if (typeof err === 'string') return err.toLowerCase()
  return chain(err)
    .flatMap((e) => [e.details, e.shortMessage, e.message])
    .filter((s): s is string => typeof s === 'string')
    .join(' | ')
    .toLowerCase()
}

/** What the node said (viem keeps it in `details`), else the error's own message chain. */
export function nodeMessage(err: unknown): string {
  for (const e of chain(err)) {
    if (typeof e.details === 'string' && e.details) return e.details
  }
  return describeError(err)
}

const TRANSIENT_NAMES = new Set(['HttpRequestError', 'TimeoutError', 'WebSocketRequestError', 'SocketClosedError', 'RpcUnavailableError', 'LimitExceededRpcError'])

/** A network or node-overload failure that may pass (never a node's verdict on the tx or call). */
export function isTransient(err: unknown): boolean {
  if (isRetryable(err)) return true
  for (const e of chain(err)) {
    if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true
    if (e.status === 429 || e.status === 502 || e.status === 503 || e.status === 504) return true
    if (e.code === -32005 || e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' || e.code === 'ETIMEDOUT') return true
  }
  return /fetch failed|econnrefused|econnreset|socket hang up|timed out|rate limit|too many requests/.test(errorText(err))
}

export function classifyBroadcastError(err: unknown): BroadcastErrorKind {
  const text = errorText(err)
  if (/already known|already imported|known transaction|alreadyknown|transaction already exists|already in (the )?(mem)?pool/.test(text)) return 'known'
  if (/nonce too low|nonce is too low|oldnonce|nonce has already been used|invalid nonce.*(lower|too low)/.test(text)) return 'nonce-too-low'
  if (/replacement transaction underpriced|replacement fee too low|replacementnotallowed|could not replace existing tx|replacement.*underpriced/.test(text)) return 'replacement-underpriced'
  if (/insufficient funds/.test(text)) return 'insufficient-funds'
  if (/less than (the )?block base fee|fee cap less than|max fee per gas less than|feetoolow|transaction underpriced|underpriced|fee too low/.test(text)) return 'fee-too-low'
  if (isTransient(err)) return 'transient'
  return 'rejected'
}

/** Whether an eth_call / eth_estimateGas failure is the call reverting (rather than the node or network failing). */
export function isRevert(err: unknown): boolean {
  for (const e of chain(err)) {
    if (e.name === 'ExecutionRevertedError' || e.name === 'ContractFunctionRevertedError' || e.name === 'RawContractError') return true
    if (e.code === 3) return true
  }
  return !isTransient(err) && /execution reverted|reverted|revert/.test(errorText(err))
}

function revertData(err: unknown): Hex | undefined {
  for (const e of chain(err)) {
    const d = e.data
    if (typeof d === 'string' && /^0x[0-9a-fA-F]*$/.test(d) && d.length >= 10) return d as Hex
    if (d && typeof d === 'object' && typeof (d as { data?: unknown }).data === 'string') {
      const inner = (d as { data: string }).data
      if (/^0x[0-9a-fA-F]*$/.test(inner) && inner.length >= 10) return inner as Hex
    }
  }
  const m = /(0x[0-9a-f]{8,})/.exec(errorText(err).replace(/.*custom error /, ''))
  return m ? (m[1] as Hex) : undefined
}

const fmt = (v: unknown): string => (typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? v : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)))

/**
 * A readable revert reason: the decoded custom error with its arguments (`ERC4626ExceededMaxWithdraw(0x…, 5, 3)`),
 * the Error(string) message, the panic code, or the node's own words.
 */
export function revertReason(err: unknown, abi: Abi = []): string {
  const data = revertData(err)
  if (data) {
    try {
      const decoded = decodeErrorResult({ abi: [...abi, ...venueErrorsAbi], data })
      const args = (decoded.args ?? []) as readonly unknown[]
      if (decoded.errorName === 'Error') return String(args[0])
      if (decoded.errorName === 'Panic') return `panic ${fmt(args[0])}`
      return `${decoded.errorName}(${args.map(fmt).join(', ')})`
    } catch {
      return `custom error ${data.slice(0, 10)} (not in the known ABIs)`
    }
  }
  for (const e of chain(err)) {
    if (typeof e.details === 'string' && e.details) return e.details
  }
  const first = chain(err)[0]
  return typeof first?.shortMessage === 'string' ? first.shortMessage : err instanceof Error ? err.message : String(err)
}
