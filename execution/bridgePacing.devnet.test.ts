import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startGuardian, type Guardian } from '../devnet/wormhole/guardian'
import { useDevnet } from '../test/devnet'

/**
 * The Wormhole API under the shared per-endpoint pacing (store/rateLimits.ts): the local guardian
 * (real HTTP) answers a VAA request 429 with `Retry-After: 15` once; two separate processes share
 * the pacing file. The one told to wait fails; the other, started after it, does not reach the API
 * until the Retry-After has passed.
 */
const devnet = useDevnet()
const root = path.join(import.meta.dirname, '..')
let dir: string
let guardian: Guardian
let configPath: string
const RETRY_AFTER_S = 15

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'poolwarden-vaapacing-'))
  guardian = await startGuardian({ config: devnet.config, dbPath: path.join(dir, 'guardian.sqlite'), port: 0, pollMs: 100 })
  configPath = path.join(dir, 'config.json')
  await writeFile(configPath, JSON.stringify({ chains: devnet.config.chains, wormhole: { ...devnet.config.wormhole!, api: guardian.url } }))
})
afterAll(async () => {
  await guardian?.stop()
  await rm(dir, { recursive: true, force: true })
})

/** One fetchVaa in its own process, through the shared pacing file; resolves to its printed line. */
function fetchInProcess(): Promise<{ ok: boolean; vaa?: string | null; error?: string; message?: string }> {
  const source = devnet.config.wormhole!.chains[0]!.chain
  const emitter = `0x${'ab'.repeat(32)}`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'execution/testing/fetchVaa.ts'), configPath, path.join(dir, 'pacing.sqlite'), source, emitter, '7'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`fetchVaa child exited ${code}: ${err}`))))
  })
}

describe('Wormhole API pacing across processes (local guardian, real HTTP)', () => {
  it('a 429 with Retry-After answered to one process keeps the next process off the API until it has passed', async () => {
    guardian.setFault({ kind: 'rate-limited', retryAfterSeconds: RETRY_AFTER_S, times: 1 })
    const before = (await guardian.status()).vaaRequests

    const first = await fetchInProcess()
    const told = Date.now()
    expect(first).toMatchObject({ ok: false, error: 'WormholeApiRateLimitedError' })
    expect((await guardian.status()).vaaRequests).toBe(before + 1)

    // A second process, while the Retry-After runs: refused before any request reaches the API.
    const second = await fetchInProcess()
    if (Date.now() - told < RETRY_AFTER_S * 1000 - 200) {
      expect(second).toMatchObject({ ok: false, error: 'RpcUnavailableError' })
      expect((await guardian.status()).vaaRequests).toBe(before + 1)
    }

    // Once the Retry-After has passed, the API is used again: no VAA for that message (404 → null).
    await new Promise((r) => setTimeout(r, Math.max(0, told + RETRY_AFTER_S * 1000 + 100 - Date.now())))
    const third = await fetchInProcess()
    expect(third).toEqual({ ok: true, vaa: null })
    expect((await guardian.status()).vaaRequests).toBe(before + 2)
  })
})
