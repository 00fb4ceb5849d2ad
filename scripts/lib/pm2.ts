import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

/** The project's own PM2 home: `npm stop` kills exactly this daemon and what it runs. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
process.env.PM2_HOME = process.env.PM2_HOME ?? join(ROOT, '.pm2')

const require = createRequire(import.meta.url)
// pm2 reads PM2_HOME when first loaded, so load it only after setting it.
const pm2 = require('pm2') as typeof import('pm2')

export interface ProcInfo {
  name: string
  pid: number
  status: string
  memory: number
  cpu: number
  restarts: number
}

let refused: string | undefined
/**
 * From now on every call here fails at once with `reason` (and none reaches PM2): an interrupted
 * `npm start` must not launch a new daemon or app while its teardown runs.
 */
export function refusePm2(reason: string): void {
  refused = reason
}

/** Calls sent to PM2 that have not answered yet (a connect may be launching the daemon). */
const inFlight = new Set<Promise<unknown>>()

const call = <T>(fn: (cb: (err: Error | null, v: T) => void) => void): Promise<T> => {
  if (refused !== undefined) return Promise.reject(new Error(refused))
  const p = new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))))
  inFlight.add(p)
  const done = () => inFlight.delete(p)
  p.then(done, done)
  return p
}

/**
 * Resolves once every PM2 call already sent has answered (or failed), or after `ms`: a teardown
 * waits for it so that a daemon a pending connect is launching is up (and found) before the sweep.
 */
export async function pm2Settled(ms: number): Promise<void> {
  if (inFlight.size === 0) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => (timer = setTimeout(r, ms)))])
  clearTimeout(timer)
}

export async function connect(): Promise<void> {
  await call<void>((cb) => pm2.connect((err) => cb(err ?? null, undefined)))
}

export function disconnect(): void {
  pm2.disconnect()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function startApps(apps: any[]): Promise<void> {
  for (const app of apps) await call((cb) => pm2.start(app, cb as never))
}

export async function list(): Promise<ProcInfo[]> {
  const procs = await call<import('pm2').ProcessDescription[]>((cb) => pm2.list(cb))
  return procs.map((p) => ({
    name: p.name ?? '?',
    pid: p.pid ?? 0,
    status: p.pm2_env?.status ?? 'unknown',
    memory: p.monit?.memory ?? 0,
    cpu: p.monit?.cpu ?? 0,
    restarts: (p.pm2_env as { restart_time?: number } | undefined)?.restart_time ?? 0,
  }))
}

/** Stops every app and the daemon itself. */
export async function killDaemon(): Promise<void> {
  await call((cb) => pm2.killDaemon(cb as never))
}

export async function loadEcosystem(): Promise<{ apps: object[]; devnetApps: object[]; agentApps: object[] }> {
  // A fresh import each time: the app list depends on the config written during start.
  const mod = await import(`${join(ROOT, 'ecosystem.config.js')}?t=${Date.now()}`)
  return mod
}
