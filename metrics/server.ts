import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Registry } from 'prom-client'
import { ConfigError, describeError } from '../core/errors'
import type { Logger } from '../core/logger'
import type { Store } from '../store'
import { renderMetrics } from './render'
import { readSnapshot, SampleCounter } from './snapshot'

export interface MetricsServer {
  readonly server: Server
  /** The bound address, e.g. http://127.0.0.1:9464. */
  readonly url: string
  scrapes(): number
  close(): Promise<void>
}

/**
 * The exporter's HTTP server: `GET /metrics` reads the store and answers the Prometheus text
 * format; anything else is 404. A store error answers 500 with the reason (no partial page:
 * Prometheus marks the target down rather than seeing counters vanish).
 */
export async function startMetricsServer(opts: { store: Store; chains: readonly string[]; host: string; port: number; logger?: Logger }): Promise<MetricsServer> {
  const samples = new SampleCounter(opts.chains)
  let scrapes = 0
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n')
      return
    }
    readSnapshot(opts.store, samples, opts.chains)
      .then(renderMetrics)
      .then(
        (text) => {
          scrapes++
          res.writeHead(200, { 'content-type': Registry.PROMETHEUS_CONTENT_TYPE }).end(text)
        },
        (err: unknown) => {
          opts.logger?.warn({ err: describeError(err) }, 'metrics scrape failed')
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`scrape failed: ${describeError(err)}\n`)
        },
      )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new ConfigError([`metrics.port: ${opts.port} on ${opts.host} is already in use: set metrics.port to a free port`]) : err),
    )
    server.listen(opts.port, opts.host, () => {
      server.removeAllListeners('error')
      resolve()
    })
  })
  const a = server.address() as AddressInfo
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
  return {
    server,
    url: `http://${host}:${a.port}`,
    scrapes: () => scrapes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
