import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { spawnTied } from '../core/tiedChild'

/**
 * Local anvil chains: the binary shipped in `@foundry-rs/anvil-<platform>-<arch>`, started as a
 * child process. Tests use automine (no block time); `npm start` runs the same arguments (see
 * `anvilArgs`) under PM2 with a 1 s block time.
 */

export interface AnvilOptions {
  port: number
  chainId: number
  /** Listen address (default 127.0.0.1). */
  host?: string
  /** Interval mining in seconds; omitted = automine (a block per transaction). */
  blockTime?: number
  /**
   * Seconds between consecutive block timestamps (anvil_setBlockTimestampInterval), set after
   * start. In automine mode blocks mined in the same second otherwise share a timestamp; tests
   * use 1 so every block is one second after its parent, as under `npm start`.
   */
  timestampInterval?: number
  /** Dev accounts (default 10) and their ETH balance (default 10 000). */
  accounts?: number
  balance?: number
  /** Block gas limit (default anvil's 30 M). */
  gasLimit?: number
  /** Keep anvil's own log (default: quiet, output discarded). */
  verbose?: boolean
  /** More anvil flags, appended as given (bench/anvilFloor.ts: the history flags). */
  extraArgs?: string[]
  /** How long to wait for the RPC to answer (default 15 s). */
  startTimeoutMs?: number
}

export interface AnvilInstance {
  url: string
  port: number
  chainId: number
  pid: number
  /** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. Idempotent. */
  stop(): Promise<void>
}

export class AnvilStartError extends Error {
  override name = 'AnvilStartError'
}

const require = createRequire(import.meta.url)

/** Path of the anvil binary for this platform, from the npm package's platform dependency. */
export function anvilBinaryPath(): string {
  const os = process.platform === 'win32' ? 'win32' : process.platform
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const pkg = `@foundry-rs/anvil-${os}-${arch}`
  const exe = process.platform === 'win32' ? 'anvil.exe' : 'anvil'
  let dir: string
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`))
  } catch {
    throw new AnvilStartError(`anvil binary package ${pkg} is not installed (npm ci installs it as an optional dependency of @foundry-rs/anvil)`)
  }
  const bin = path.join(dir, 'bin', exe)
  if (!existsSync(bin)) throw new AnvilStartError(`anvil binary missing at ${bin}`)
  return bin
}

/** Contract code size limit of the devnet chains: room for the Roles modifier. */
export const DEVNET_CODE_SIZE_LIMIT = 32_768

/** Command-line arguments for anvil (shared by startAnvil and the PM2 ecosystem). */
export function anvilArgs(opts: Omit<AnvilOptions, 'timestampInterval' | 'startTimeoutMs'>): string[] {
  const args = ['--host', opts.host ?? '127.0.0.1', '--port', String(opts.port), '--chain-id', String(opts.chainId)]
  args.push('--accounts', String(opts.accounts ?? 10), '--balance', String(opts.balance ?? 10_000))
  // The Zodiac Roles modifier's runtime (25,286 bytes) is over EIP-170's 24,576 (devnet/safe/README.md).
  args.push('--code-size-limit', String(DEVNET_CODE_SIZE_LIMIT))
  if (opts.blockTime !== undefined) args.push('--block-time', String(opts.blockTime))
  if (opts.gasLimit !== undefined) args.push('--gas-limit', String(opts.gasLimit))
  if (!opts.verbose) args.push('--quiet')
  args.push(...(opts.extraArgs ?? []))
  return args
}

export async function rpcRequest<T = unknown>(url: string, method: string, params: unknown[] = [], timeoutMs = 5_000): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (!res.ok) throw new Error(`${method}: HTTP ${res.status}`)
  const body = (await res.json()) as { result?: T; error?: { message: string } }
  if (body.error) throw new Error(`${method}: ${body.error.message}`)
  return body.result as T
}

/** Resolves once `url` answers eth_chainId (with `chainId` if given). */
export async function waitForRpc(url: string, opts: { timeoutMs?: number; chainId?: number; isDead?: () => string | undefined } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000)
  let last: unknown
  while (Date.now() < deadline) {
    const dead = opts.isDead?.()
    if (dead) throw new AnvilStartError(dead)
    try {
      const id = Number(await rpcRequest<string>(url, 'eth_chainId', [], 1_000))
      if (opts.chainId === undefined || id === opts.chainId) return
      throw new AnvilStartError(`${url} answers with chain id ${id}, expected ${opts.chainId} (another node on this port?)`)
    } catch (err) {
      if (err instanceof AnvilStartError) throw err
      last = err
    }
    await delay(25)
  }
  throw new AnvilStartError(`${url} did not answer within ${opts.timeoutMs ?? 15_000} ms`, { cause: last })
}

/** True if nothing listens on host:port (we could bind it). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, host, () => srv.close(() => resolve(true)))
  })
}

/** The first free port from `from` on (at most `tries` ports), skipping `exclude`. */
export async function findFreePort(from: number, opts: { host?: string; tries?: number; exclude?: Iterable<number> } = {}): Promise<number> {
  const exclude = new Set(opts.exclude ?? [])
  for (let p = from; p < from + (opts.tries ?? 200); p++) {
    if (!exclude.has(p) && (await isPortFree(p, opts.host))) return p
  }
  throw new AnvilStartError(`no free port in ${from}..${from + (opts.tries ?? 200) - 1}`)
}

/** Starts anvil and resolves once its RPC answers. Throws (and leaves nothing running) on failure. */
export async function startAnvil(opts: AnvilOptions): Promise<AnvilInstance> {
  const host = opts.host ?? '127.0.0.1'
  const url = `http://${host}:${opts.port}/`
  if (!(await isPortFree(opts.port, host))) throw new AnvilStartError(`port ${opts.port} on ${host} is in use`)

  // Tied to this process (core/tiedChild.ts): killed when it exits or dies, SIGKILL included (a killed
  // test run or devnet script leaves no anvil holding its port).
  const child = spawnTied(anvilBinaryPath(), anvilArgs(opts), { stdio: ['ignore', opts.verbose ? 'inherit' : 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000)
  })
  let exited: string | undefined
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `anvil exited (${signal ?? `code ${code}`}) ${stderr.trim()}`.trim()
      resolve()
    })
    child.once('error', (err) => {
      exited = `anvil failed to start: ${err.message}`
      resolve()
    })
  })

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exited === undefined) {
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), 3_000)
        await exitPromise
        clearTimeout(killer)
      }
    })()
    return stopping
  }

  try {
    await waitForRpc(url, { timeoutMs: opts.startTimeoutMs, chainId: opts.chainId, isDead: () => exited })
    if (opts.timestampInterval !== undefined) await rpcRequest(url, 'anvil_setBlockTimestampInterval', [opts.timestampInterval])
  } catch (err) {
    await stop()
    throw err
  }
  return { url, port: opts.port, chainId: opts.chainId, pid: child.pid ?? -1, stop }
}
