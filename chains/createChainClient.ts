import Bottleneck from 'bottleneck'
import { createPublicClient, defineChain, fallback, http, shouldThrow as viemShouldThrow, type PublicClient } from 'viem'
import type { ChainConfig } from '../config/schema'
import { RpcUnavailableError } from '../core/errors'
import { recordRpcRequest } from '../core/metrics'
import { childLogger, type Logger } from '../core/logger'
import type { RateLimits } from '../store/rateLimits'
import { createPacer, parseRetryAfter } from './pacing'

/** Health of one RPC URL, as seen from the requests we send through it. */
export interface EndpointState {
  readonly index: number
  /** Host only: URLs often carry API keys in their path or query; those never reach logs or alerts. */
  readonly label: string
  consecutiveFailures: number
  /** While in the future, requests to this URL fail fast and the fallback moves on. */
  openUntil: number
  backoffMs: number
  /** True once `failuresToAlert` consecutive failures were seen, until a success. */
  down: boolean
  lastError?: string
}

export type EndpointEvent =
  | { type: 'down'; endpoint: EndpointState }
  | { type: 'up'; endpoint: EndpointState }

export interface ChainClient {
  readonly name: string
  readonly config: ChainConfig
  readonly client: PublicClient
  readonly endpoints: readonly EndpointState[]
  /** HTTP requests that left this process (one JSON-RPC batch counts once), per endpoint. */
  readonly httpRequests: number[]
  /**
   * Asks every URL that is down and past its back-off for the head (eth_blockNumber), so a URL the
   * fallback no longer reaches is still seen to recover. Never throws.
   */
  probeDown(): Promise<void>
}

export interface CreateChainClientOptions {
  chain: ChainConfig
  logger?: Logger
  /** Consecutive failures of one URL before it is reported down. */
  failuresToAlert?: number
  /** First back-off of a failing URL; doubles up to `maxBackoffMs`. */
  minBackoffMs?: number
  maxBackoffMs?: number
  /** Per-request HTTP timeout. */
  timeoutMs?: number
  onEndpointEvent?: (e: EndpointEvent) => void
  now?: () => number
  /**
   * The pacing file shared by every process (store/rateLimits.ts): each URL's `maxPerSecond` then
   * holds across processes and a Retry-After seen here pauses them all. Without it the limit is
   * this process's own.
   */
  pacing?: RateLimits
  /** A request that would wait longer than this for its shared slot fails at once (default 30 s). */
  maxPacingWaitMs?: number
}

export function endpointLabel(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.host}`
  } catch {
    return 'invalid-url'
  }
}

/**
 * viem client for one chain: a fallback transport over every configured URL, each URL behind its
 * own bottleneck limiter and a circuit breaker (a failing URL is skipped without a network call
 * until its back-off ends, then tried again first). JSON-RPC batching is on, so concurrent
 * requests of one tick (block header + the multicall) travel in one HTTP request.
 */
export function createChainClient(opts: CreateChainClientOptions): ChainClient {
  const { chain } = opts
  // Bound once: a watcher's logger already carries the chain, the executor's does not.
  const logger = opts.logger && childLogger(opts.logger, { chain: chain.name })
  const now = opts.now ?? Date.now
  const failuresToAlert = opts.failuresToAlert ?? 2
  const minBackoff = opts.minBackoffMs ?? 500
  const maxBackoff = opts.maxBackoffMs ?? 30_000
  const httpRequests = chain.rpc.map(() => 0)

  const endpoints: EndpointState[] = chain.rpc.map((rpc, index) => ({
    index,
    label: endpointLabel(rpc.url),
    consecutiveFailures: 0,
    openUntil: 0,
    backoffMs: minBackoff,
    down: false,
  }))

  const fail = (ep: EndpointState, reason: string, retryAfterMs?: number) => {
    ep.consecutiveFailures++
    ep.lastError = reason
    ep.openUntil = now() + Math.max(ep.backoffMs, retryAfterMs ?? 0)
    ep.backoffMs = Math.min(ep.backoffMs * 2, maxBackoff)
    logger?.warn({ rpc: ep.label, failures: ep.consecutiveFailures, reason }, 'rpc endpoint failed')
    if (!ep.down && ep.consecutiveFailures >= failuresToAlert) {
      ep.down = true
      opts.onEndpointEvent?.({ type: 'down', endpoint: ep })
    }
  }
  const succeed = (ep: EndpointState) => {
    const wasDown = ep.down
    ep.consecutiveFailures = 0
    ep.openUntil = 0
    ep.backoffMs = minBackoff
    ep.down = false
    delete ep.lastError
    if (wasDown) {
      logger?.info({ rpc: ep.label }, 'rpc endpoint recovered')
      opts.onEndpointEvent?.({ type: 'up', endpoint: ep })
    }
  }

  const transports = chain.rpc.map((rpc, index) => {
    const ep = endpoints[index]!
    const minTime = Math.ceil(1000 / rpc.maxPerSecond)
    const limiter = new Bottleneck({ maxConcurrent: rpc.maxConcurrent, minTime })
    const pacer = createPacer(opts.pacing, { url: rpc.url, label: ep.label, intervalMs: minTime, maxWaitMs: opts.maxPacingWaitMs ?? 30_000, now })
    const fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const t = now()
      if (ep.openUntil > t) {
        // Skipped without a request: its own back-off, or a Retry-After (this process's or, through
        // the pacing file, another's) that is not over yet.
        throw new RpcUnavailableError(
          pacer.blockedUntil() >= ep.openUntil
            ? `${ep.label} asked us to wait (Retry-After) for ${Math.ceil((ep.openUntil - t) / 1000)} s more`
            : `${ep.label} is backing off after ${ep.consecutiveFailures} failure(s)`,
        )
      }
      let res: Response
      let started = 0
      // Per host, for the heartbeat's metrics (core/metrics.ts): the label never carries a path or key.
      const record = (ok: boolean) => recordRpcRequest(ep.label, ok, started ? Date.now() - started : 0)
      try {
        res = await limiter.schedule(async () => {
          await pacer.wait()
          httpRequests[index]!++
          started = Date.now()
          return fetch(input, init)
        })
      } catch (err) {
        if (err instanceof RpcUnavailableError) {
          // Paced out (a shared Retry-After, or a slot too far away): not the URL's failure, but skip it meanwhile.
          ep.openUntil = Math.max(ep.openUntil, pacer.blockedUntil())
        } else {
          record(false)
          fail(ep, (err as Error).message)
        }
        throw err
      }
      if (!res.ok) {
        record(false)
        // 429 / 503 with Retry-After: every process sharing the pacing file waits it out.
        const retryAfterMs = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers.get('retry-after'), now()) : null
        if (retryAfterMs !== null) await pacer.retryAfter(retryAfterMs).catch((e: unknown) => logger?.warn({ rpc: ep.label, err: (e as Error).message }, 'could not share Retry-After'))
        fail(ep, `HTTP ${res.status}${retryAfterMs !== null ? ` (Retry-After ${Math.ceil(retryAfterMs / 1000)} s)` : ''}`, retryAfterMs ?? undefined)
        return res
      }
      // A 200 with a body that is not JSON-RPC is garbage: count it against the URL.
      const text = await res.text()
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        record(false)
        fail(ep, 'malformed JSON response')
        throw new RpcUnavailableError(`${ep.label} answered malformed JSON`)
      }
      const items = Array.isArray(body) ? body : [body]
      if (!items.every((m) => m && typeof m === 'object' && (m as { jsonrpc?: unknown }).jsonrpc === '2.0')) {
        record(false)
        fail(ep, 'response is not JSON-RPC 2.0')
        throw new RpcUnavailableError(`${ep.label} answered something that is not JSON-RPC`)
      }
      // JSON-RPC errors inside a 200 (e.g. a revert) are the node answering: counted as requests, not errors.
      record(true)
      succeed(ep)
      return new Response(text, { status: res.status, statusText: res.statusText, headers: res.headers })
    }
    return http(rpc.url, {
      batch: { batchSize: 100, wait: 0 },
      fetchFn,
      retryCount: 0,
      timeout: opts.timeoutMs ?? 10_000,
      key: `rpc${index}`,
    })
  })

  const viemChain = defineChain({
    id: chain.chainId,
    name: chain.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: chain.rpc.map((r) => r.url) } },
    contracts: { multicall3: { address: chain.multicall3 } },
  })

  const client = createPublicClient({
    chain: viemChain,
    transport: fallback(transports, {
      rank: false,
      retryCount: 0,
      // A node that answers "invalid params" (e.g. a block beyond its head) is alive and right:
      // asking the next URL would only cost a request. Node trouble still moves on.
      shouldThrow: (err) => viemShouldThrow(err) || (err as { code?: unknown }).code === -32602,
    }),
    pollingInterval: chain.blockTimeMs,
    // Multicall batching is done explicitly by the venue reader (one aggregate3 per block).
    batch: { multicall: false },
  }) as PublicClient

  let probing = false
  const probeDown = async (): Promise<void> => {
    if (probing) return
    probing = true
    try {
      await Promise.all(
        endpoints
          .filter((ep) => ep.down && ep.openUntil <= now())
          .map((ep) =>
            transports[ep.index]!({ chain: viemChain, retryCount: 0 })
              .request({ method: 'eth_blockNumber' })
              .catch(() => undefined),
          ),
      )
    } finally {
      probing = false
    }
  }

  return { name: chain.name, config: chain, client, endpoints, httpRequests, probeDown }
}

/** True when every URL of the chain is in back-off. */
export function allEndpointsDown(c: ChainClient): boolean {
  return c.endpoints.every((e) => e.down)
}
