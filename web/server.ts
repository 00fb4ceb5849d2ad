/**
 * The dashboard's HTTP side: a Hono app over the page functions (web/pages/), static files
 * (uPlot from node_modules, our CSS and the chart script), and exports. Read only: GET routes
 * only, nothing is written to the store.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve, type ServerType } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import { describeError } from '../core/errors'
import type { Logger } from '../core/logger'
import { NotFound, type WebDeps } from './context'
import { escapeHtml, layout, parseRange, renderTable, SafeHtml, tableCsv, tableJson, type Page, type RangeName } from './html'
import { renderAudit } from './pages/audit'
import { renderGovernance, receiptDownload } from './pages/governance'
import { renderOverview } from './pages/overview'
import { renderPlan, renderPlans } from './pages/plans'
import { renderTransfers } from './pages/transfers'
import { renderVenue, renderVenues } from './pages/venue'

/** Where web/static sits: beside this module (tsx, tests) or beside the bundle (dist/web-static). */
function staticDir(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const d of [join(here, 'static'), join(here, 'web-static')]) if (existsSync(join(d, 'dashboard.js'))) return d
  throw new Error(`web: static files not found beside ${here} (web/static or dist/web-static): run npm run build`)
}

interface StaticFile {
  body: string
  type: string
}

/** The four static files, read once. uPlot comes from its package (read by path: no build step). */
export function loadStatic(): Map<string, StaticFile> {
  const require = createRequire(import.meta.url)
  const uplotDir = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'))
  const dir = staticDir()
  const files: Array<[string, string, string]> = [
    ['uPlot.iife.min.js', join(uplotDir, 'uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['uPlot.min.css', join(uplotDir, 'uPlot.min.css'), 'text/css; charset=utf-8'],
    ['dashboard.js', join(dir, 'dashboard.js'), 'text/javascript; charset=utf-8'],
    ['dashboard.css', join(dir, 'dashboard.css'), 'text/css; charset=utf-8'],
  ]
  return new Map(files.map(([name, path, type]) => [name, { body: readFileSync(path, 'utf8'), type }]))
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

function errorPage(status: number, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${status} · poolwarden</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/static/dashboard.css"></head><body><main><h1>${status}</h1><p class="error">${escapeHtml(message)}</p><p><a href="/">Overview</a></p></main></body></html>`
}

export function createWebApp(deps: WebDeps & { logger?: Logger }): Hono {
  const app = new Hono()
  const statics = loadStatic()
  const now = deps.now ?? Date.now

  app.get('/static/:file', (c) => {
    const f = statics.get(c.req.param('file'))
    if (!f) return c.text('not found', 404)
    return c.body(f.body, 200, { 'content-type': f.type, 'cache-control': 'public, max-age=3600', ...SECURITY_HEADERS })
  })
  app.get('/healthz', (c) => c.json({ ok: true }))

  /** A page route: parses the range, renders, or answers its `export` (the same rows as the page's table). */
  const page = (render: (c: Context, range: RangeName) => Promise<Page>) => async (c: Context) => {
    const query = c.req.query()
    const range = parseRange(query.range)
    if (typeof range === 'object') return c.html(errorPage(400, range.error), 400, SECURITY_HEADERS)
    let p: Page
    try {
      p = await render(c, range)
    } catch (err) {
      if (err instanceof NotFound) return c.html(errorPage(404, err.message), 404, SECURITY_HEADERS)
      deps.logger?.error({ err: describeError(err), path: c.req.path }, 'web: page failed')
      return c.html(errorPage(500, `the page could not be built: ${describeError(err)}`), 500, SECURITY_HEADERS)
    }
    if (query.export !== undefined) {
      const t = p.tables.find((x) => x.id === query.export)
      if (!t) return c.text(`export: unknown table "${query.export}" (this page has: ${p.tables.map((x) => x.id).join(', ') || 'none'})`, 404)
      const format = query.format ?? 'csv'
      const name = `${t.id}-${range}`
      if (format === 'json') return c.body(`${JSON.stringify(tableJson(t), null, 2)}\n`, 200, { 'content-type': 'application/json; charset=utf-8', 'content-disposition': `attachment; filename="${name}.json"` })
      if (format === 'csv') return c.body(tableCsv(t), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}.csv"` })
      return c.text(`format: unknown format "${format}" (use csv or json)`, 400)
    }
    const base = { path: c.req.path, query: { ...query, range } }
    const withTables = { ...p, body: new SafeHtml(p.body.value + p.tables.map((t) => renderTable(t, base).value).join('\n')) }
    return c.html(layout(withTables, { path: c.req.path, query: base.query, range, generatedAt: now(), profile: deps.config.profile }), 200, SECURITY_HEADERS)
  }

  app.get('/', page((_c, r) => renderOverview(deps, r)))
  app.get('/venues', page((_c, r) => renderVenues(deps, r)))
  app.get('/venue/:id', page((c, r) => renderVenue(deps, c.req.param('id')!, r)))
  app.get('/plans', page((_c, r) => renderPlans(deps, r)))
  app.get('/plans/:id', page((c, r) => renderPlan(deps, c.req.param('id')!, r)))
  app.get('/governance', page((c, r) => renderGovernance(deps, r, { delegator: c.req.query('delegator') })))
  app.get('/transfers', page((_c, r) => renderTransfers(deps, r)))
  app.get('/audit', page((c, r) => renderAudit(deps, r, { who: c.req.query('who'), what: c.req.query('what'), via: c.req.query('via') })))
  app.get('/governance/receipt/:tally', async (c) => {
    const r = await receiptDownload(deps, c.req.param('tally'))
    if (!r) return c.text(`receipt: no tally "${c.req.param('tally')}" (use a tally id from the governance page)`, 404)
    return c.body(r.json, 200, { 'content-type': 'application/json; charset=utf-8', 'content-disposition': `attachment; filename="${r.filename}"` })
  })
  app.notFound((c) => c.html(errorPage(404, `no page at ${c.req.path}`), 404, SECURITY_HEADERS))
  return app
}

export interface WebServer {
  url: string
  close(): Promise<void>
}

/** Serves the app on host:port (port 0: any free port). */
export async function startWebServer(app: Hono, opts: { host: string; port: number }): Promise<WebServer> {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, () => resolve(s))
    s.once('error', reject)
  })
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  return {
    url: `http://${host}:${addr.port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
