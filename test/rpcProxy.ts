import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type ProxyMode = 'pass' | 'down' | 'garbage' | 'error500' | 'ratelimit'

/** One HTTP request the proxy received: when (epoch ms, on arrival) and the mode that answered it. */
export interface ProxyArrival {
  at: number
  mode: ProxyMode
}

/**
 * A real HTTP hop in front of an RPC node, for fault tests: passes JSON-RPC through, or plays a
 * dead node (connection dropped), a node answering garbage, one answering HTTP 500, or a
 * rate-limited provider ('ratelimit': HTTP 429 with `Retry-After` and a JSON-RPC error body, as
 * Infura or Alchemy answer). Every request is logged with its arrival time and the mode in force.
 */
export interface RpcProxy {
  url: string
  mode: ProxyMode
  /** HTTP requests received (a JSON-RPC batch counts once). */
  requests: number
  /** Every request received, in arrival order. */
  readonly arrivals: readonly ProxyArrival[]
  /** Requests answered in `mode` that arrived in [from, to) (epoch ms; bounds optional). */
  count(mode: ProxyMode, from?: number, to?: number): number
  close(): Promise<void>
}

export interface RpcProxyOptions {
  /** The Retry-After header of 'ratelimit' answers, in seconds (default 5). */
  retryAfterSeconds?: number
}

/** A provider's 429 body: one JSON-RPC error per request of the batch (-32005: limit exceeded, EIP-1474). */
function rateLimitedBody(body: Buffer): string {
  const error = { code: -32005, message: 'rate limit exceeded: too many requests, retry later' }
  let msg: unknown
  try {
    msg = JSON.parse(body.toString('utf8'))
  } catch {
    return JSON.stringify({ jsonrpc: '2.0', id: null, error })
  }
  const idOf = (m: unknown) => (m && typeof m === 'object' && 'id' in m ? (m as { id: unknown }).id : null)
  return JSON.stringify(Array.isArray(msg) ? msg.map((m) => ({ jsonrpc: '2.0', id: idOf(m), error })) : { jsonrpc: '2.0', id: idOf(msg), error })
}

export async function startRpcProxy(upstream: string, mode: ProxyMode = 'pass', opts: RpcProxyOptions = {}): Promise<RpcProxy> {
  const state = { mode }
  const arrivals: ProxyArrival[] = []
  const retryAfter = String(opts.retryAfterSeconds ?? 5)
  const server: Server = createServer((req, res) => {
    // The mode is the one in force when the request arrived (a switch mid-request does not re-label it).
    const mode = state.mode
    arrivals.push({ at: Date.now(), mode })
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      if (mode === 'down') {
        req.socket.destroy()
        return
      }
      if (mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('<html>502 bad gateway, or so</html>')
        return
      }
      if (mode === 'error500') {
        res.writeHead(500)
        res.end('internal error')
        return
      }
      if (mode === 'ratelimit') {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter })
        res.end(rateLimitedBody(Buffer.concat(chunks)))
        return
      }
      try {
        const up = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
        res.writeHead(up.status, { 'content-type': 'application/json' })
        res.end(await up.text())
      } catch {
        req.socket.destroy()
      }
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode
    },
    set mode(m: ProxyMode) {
      state.mode = m
    },
    get requests() {
      return arrivals.length
    },
    arrivals,
    count: (m, from = -Infinity, to = Infinity) => arrivals.filter((a) => a.mode === m && a.at >= from && a.at < to).length,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
