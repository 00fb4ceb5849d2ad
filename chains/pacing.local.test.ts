import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openRateLimits, rateKey } from '../store/rateLimits'
import { parseRetryAfter } from './pacing'

/**
 * The configured rate of an RPC URL holds across processes, and a Retry-After one process
 * receives is honoured by the others (issue 16, item 3): real child processes, a real HTTP
 * JSON-RPC server that records when each request arrived, a real SQLite pacing file.
 */
const root = join(import.meta.dirname, '..')
let dir: string
let server: Server
let url: string
let arrivals: number[] = []
/** While set, the server answers 429 with this Retry-After (seconds) — once. */
let answer429Once: number | null = null
let rejectedAt: number | null = null

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pw-pacing-'))
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      const now = Date.now()
      if (answer429Once !== null) {
        res.writeHead(429, { 'retry-after': String(answer429Once) }).end('rate limited')
        answer429Once = null
        rejectedAt = now
        return
      }
      arrivals.push(now)
      const msg = JSON.parse(body) as { id: number } | { id: number }[]
      const one = (m: { id: number }) => ({ jsonrpc: '2.0', id: m.id, result: '0x10' })
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(Array.isArray(msg) ? msg.map(one) : one(msg)))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/rpc/secret-key-in-path`
})
afterAll(async () => {
  await new Promise((r) => server.close(r))
  rmSync(dir, { recursive: true, force: true })
})

function agent(pacing: string, n: number, perSecond: number): Promise<{ ok: number; failed: number; slots: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'chains/testing/pacedRequests.ts'), url, pacing, String(n), String(perSecond)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}: ${err}`))
      const lines = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { ok?: boolean; slot?: number })
      const attempts = lines.filter((l) => l.ok !== undefined)
      resolve({ ok: attempts.filter((l) => l.ok).length, failed: attempts.filter((l) => !l.ok).length, slots: lines.flatMap((l) => (l.slot !== undefined ? [l.slot] : [])) })
    })
  })
}

describe('shared request pacing', () => {
  it('three processes sharing the file take distinct slots 200 ms apart for a 5 requests/s URL, and none leaves before its slot', async () => {
    arrivals = []
    const file = join(dir, 'shared.ratelimits.sqlite')
    const results = await Promise.all([agent(file, 8, 5), agent(file, 8, 5), agent(file, 8, 5)])
    expect(results.map((r) => r.ok)).toEqual([8, 8, 8])
    expect(arrivals).toHaveLength(24)
    // The slots the three processes were given, together: 24 of them, each 200 ms after the one
    // before — whichever process took it (each process alone would have started its own at once).
    const slots = results.flatMap((r) => r.slots).sort((a, b) => a - b)
    expect(slots).toHaveLength(24)
    const gaps = slots.slice(1).map((t, i) => t - slots[i]!)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(200)
    expect(new Set(results.map((r) => Math.min(...r.slots))).size).toBe(3)
    // No request reached the server before its slot: the i-th arrival is no earlier than the i-th slot.
    const sorted = [...arrivals].sort((a, b) => a - b)
    const early = sorted.flatMap((t, i) => (t < slots[i]! ? [slots[i]! - t] : []))
    expect(early).toEqual([])
    // The file never holds the URL (it may carry an API key): only its hash and host.
    const limits = await openRateLimits({ path: file })
    const st = await limits.state(rateKey(url))
    await limits.close()
    expect(st?.label).toBe(`http://127.0.0.1:${(server.address() as { port: number }).port}`)
    expect(JSON.stringify(st)).not.toContain('secret-key-in-path')
  }, 60_000)

  it('a Retry-After answered to one process keeps every process off the URL until it ends', async () => {
    arrivals = []
    rejectedAt = null
    const file = join(dir, 'retry.ratelimits.sqlite')
    answer429Once = 3
    // The first request of any of the three gets 429 Retry-After: 3; all three keep trying.
    const results = await Promise.all([agent(file, 4, 20), agent(file, 4, 20), agent(file, 4, 20)])
    expect(rejectedAt).not.toBeNull()
    // A request already on the wire when the 429 was answered may still land in the first few ms
    // (the block is recorded right after the answer); none may arrive later within the 3 s.
    const early = arrivals.filter((t) => t > rejectedAt! + 250 && t < rejectedAt! + 3000)
    expect(early.map((t) => t - rejectedAt!)).toEqual([])
    // Requests during the pause failed fast in every process (none reached the server) …
    expect(results.reduce((s, r) => s + r.failed, 0)).toBeGreaterThan(3)
    // … and after it the URL was used again.
    expect(arrivals.length).toBeGreaterThan(0)
    const limits = await openRateLimits({ path: file })
    expect((await limits.state(rateKey(url)))?.retryAfters).toBe(1)
    await limits.close()
  }, 60_000)
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-12-02T00:00:00Z')
  it('reads seconds and HTTP dates, caps them, and ignores garbage', () => {
    expect(parseRetryAfter('5', now)).toBe(5000)
    expect(parseRetryAfter('Wed, 02 Dec 2026 00:00:07 GMT', now)).toBe(7000)
    expect(parseRetryAfter('Tue, 01 Dec 2026 23:59:00 GMT', now)).toBe(0)
    expect(parseRetryAfter('86400', now)).toBe(300_000)
    expect(parseRetryAfter('soon', now)).toBeNull()
    expect(parseRetryAfter(null, now)).toBeNull()
    expect(parseRetryAfter('', now)).toBeNull()
  })
})
