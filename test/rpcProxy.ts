import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type ProxyMode = 'pass' | 'down' | 'garbage' | 'error500'

/**
 * A real HTTP hop in front of an RPC node, for fault tests: passes JSON-RPC through, or plays a
 * dead node (connection dropped), a node answering garbage, or one answering HTTP 500.
 */
export interface RpcProxy {
  url: string
  mode: ProxyMode
  /** HTTP requests received (a JSON-RPC batch counts once). */
  requests: number
  close(): Promise<void>
}

export async function startRpcProxy(upstream: string, mode: ProxyMode = 'pass'): Promise<RpcProxy> {
  const state = { mode, requests: 0 }
  const server: Server = createServer((req, res) => {
    state.requests++
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      if (state.mode === 'down') {
        req.socket.destroy()
        return
      }
      if (state.mode === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('<html>502 bad gateway, or so</html>')
        return
      }
      if (state.mode === 'error500') {
        res.writeHead(500)
        res.end('internal error')
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
      return state.requests
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
