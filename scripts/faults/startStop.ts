/**
 * Fault cases for item 7 of issue 16: `npm stop` at a moment of `npm start`, and Ctrl-C of
 * `npm start`, on a network of its own (ports POOLWARDEN_DEVNET_PORTS, data in .devnet/<tag>,
 * a private PM2_HOME), never the operator's. What must hold afterwards: the start has ended, no
 * process of that network is left (PM2 daemon, apps — orphans included — or the start itself),
 * none of its ports listens, the lock is released, and the next start succeeds.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { devnetPorts, namedPorts } from '../../devnet/ports'
import { ROOT } from '../lib/pm2'
import { listenersOf, pm2Apps, pm2DaemonPid, startProcesses } from '../lib/procs'
import { readLock } from '../lib/runLock'
import type { FaultResult } from './types'

export interface TestNetwork {
  tag: string
  base: number
  pm2Home: string
  /** POOLWARDEN_DEVNET_DIR (relative to the project root). */
  devnetDirEnv: string
  lockFile: string
  env: Record<string, string>
  ports: Array<{ port: number; what: string }>
  /** Removes its PM2 home and data directory (after a final stop). */
  remove(): void
}

/** A network of its own at port `base` (+0…+13), data in .devnet/<tag>. */
export function testNetwork(tag: string, base: number): TestNetwork {
  const pm2Home = mkdtempSync(join(tmpdir(), `pm2-${tag}-`))
  const devnetDirEnv = join('.devnet', tag)
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PM2_HOME: pm2Home,
    POOLWARDEN_DEVNET_PORTS: String(base),
    POOLWARDEN_DEVNET_DIR: devnetDirEnv,
    LOG_LEVEL: 'warn',
  }
  delete env.POOLWARDEN_CONFIG
  const ports = namedPorts(devnetPorts(env), ['ethereum', 'arbitrum', 'base'])
  return {
    tag,
    base,
    pm2Home,
    devnetDirEnv,
    lockFile: join(ROOT, devnetDirEnv, 'run.lock'),
    env,
    ports,
    remove() {
      rmSync(pm2Home, { recursive: true, force: true })
      rmSync(join(ROOT, devnetDirEnv), { recursive: true, force: true })
    },
  }
}

interface Started {
  child: ChildProcess
  output: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  t0: number
}

/** `npm start` in its own process group (as from a terminal: Ctrl-C reaches the whole group). */
function spawnStart(net: TestNetwork, args: string[] = []): Started {
  const child = spawn('npm', ['start', ...(args.length ? ['--', ...args] : [])], { cwd: ROOT, env: net.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return { child, output: () => out, exited, t0: Date.now() }
}

/** `npm stop` of the network: its exit code and output. */
export function runStop(net: TestNetwork): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['stop'], { cwd: ROOT, env: net.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => resolve({ code, output: out }))
  })
}

/** What is left of the network: processes (daemon, apps, starts), listening ports, the lock. */
export function leftovers(net: TestNetwork): { processes: string[]; listening: number[]; lock: boolean } {
  const daemon = pm2DaemonPid(net.pm2Home)
  const processes = [
    ...(daemon ? [`PM2 daemon ${daemon}`] : []),
    ...pm2Apps(net.pm2Home).map((p) => `${p.pid} ${p.cmd.slice(0, 80)}`),
    ...startProcesses(ROOT, net.pm2Home, net.devnetDirEnv).map((p) => `start ${p.pid}`),
  ]
  const listening = net.ports.filter((p) => listenersOf(p.port).listening).map((p) => p.port)
  return { processes, listening, lock: existsSync(net.lockFile) }
}

const lastLine = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('>'))
    .at(-1)
    ?.trim() ?? ''

/** How far the start got: the step its lock showed last, or its last printed step. */
const lastStep = (s: string) => /▸ ([^\n]*?)\s+\(\d+\.\d+s\)\n(?![\s\S]*▸ )/.exec(s)?.[1] ?? 'loading (nothing printed yet)'

export interface InterruptOptions {
  /** Interrupt this long after `npm start` was launched… */
  afterMs?: number
  /** …or once its lock shows a step matching this (checked every 100 ms; capped at 240 s). */
  atStep?: RegExp
  how: 'npm stop' | 'ctrl-c'
}

/**
 * Launches `npm start`, interrupts it as told, waits for it to end (at most 120 s), and reports
 * what is left. Passes when the start ended, `npm stop` (if used) exited 0 and said nothing is
 * left, no process of the network is alive, no port listens, and the lock is gone.
 */
export async function interruptStart(net: TestNetwork, opts: InterruptOptions): Promise<FaultResult & { output: string }> {
  const s = spawnStart(net)
  let stepSeen = ''
  if (opts.atStep) {
    const deadline = Date.now() + 240_000
    while (Date.now() < deadline) {
      stepSeen = readLock(net.lockFile)?.step ?? ''
      if (opts.atStep.test(stepSeen)) break
      if (s.child.exitCode !== null) break
      await sleep(100)
    }
  } else await sleep(Math.max(0, (opts.afterMs ?? 0) - (Date.now() - s.t0)))
  const at = ((Date.now() - s.t0) / 1000).toFixed(1)
  let stop: { code: number | null; output: string } | undefined
  if (opts.how === 'npm stop') stop = await runStop(net)
  else {
    try {
      process.kill(-s.child.pid!, 'SIGINT') // the terminal's Ctrl-C: the whole foreground group
    } catch {
      /* already gone */
    }
  }
  let ended = await Promise.race([s.exited, sleep(120_000).then(() => undefined)])
  // npm (and its shell) may return at Ctrl-C before the start's own node process has finished
  // its teardown (as a terminal gives the prompt back): the start has ended when that one has.
  const deadline = Date.now() + 120_000
  while (ended && startProcesses(ROOT, net.pm2Home, net.devnetDirEnv).length && Date.now() < deadline) await sleep(200)
  if (startProcesses(ROOT, net.pm2Home, net.devnetDirEnv).length) ended = undefined
  if (!ended) {
    try {
      process.kill(-s.child.pid!, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  const left = leftovers(net)
  const clean = left.processes.length === 0 && left.listening.length === 0 && !left.lock
  const stopOk = !stop || (stop.code === 0 && /nothing left running|not running/.test(stop.output))
  const passed = Boolean(ended) && clean && stopOk
  const observed = [
    `${opts.how} at ${at} s (start at: ${stepSeen || lastStep(s.output())})`,
    ended ? `start ended (${ended.signal ?? `exit ${ended.code}`})` : 'start still running after 120 s',
    stop ? `stop: "${lastLine(stop.output)}" (exit ${stop.code})` : undefined,
    left.processes.length ? `left: ${left.processes.join('; ')}` : 'no process left',
    left.listening.length ? `listening: ${left.listening.join(', ')}` : 'ports free',
    left.lock ? 'lock still there' : undefined,
  ]
    .filter(Boolean)
    .join('; ')
  return { observed, passed, nothingLost: clean, output: `${s.output()}\n--- npm stop ---\n${stop?.output ?? ''}` }
}

/**
 * A whole start on the same network after the interruptions (it must succeed: every venue
 * sampled, the lock says running), then `npm stop`, which must leave nothing.
 */
export async function startThenStop(net: TestNetwork): Promise<FaultResult & { output: string }> {
  const s = spawnStart(net)
  const ended = await Promise.race([s.exited, sleep(300_000).then(() => undefined)])
  const out = s.output()
  const lock = readLock(net.lockFile)
  const started = ended?.code === 0 && /watching: every venue sampled/.test(out) && lock?.phase === 'running'
  const stop = await runStop(net)
  const left = leftovers(net)
  const clean = left.processes.length === 0 && left.listening.length === 0 && !left.lock
  const passed = started && stop.code === 0 && clean
  const observed = [
    started ? `start succeeded (${lastStep(out)})` : `start did not succeed (${ended ? `exit ${ended.code}` : 'still running after 300 s'}: ${lastLine(out)})`,
    started ? undefined : missingModule(out),
    `stop: "${lastLine(stop.output)}" (exit ${stop.code})`,
    left.processes.length ? `left: ${left.processes.join('; ')}` : 'no process left',
    left.listening.length ? `listening: ${left.listening.join(', ')}` : 'ports free',
  ]
    .filter(Boolean)
    .join('; ')
  return { observed, passed, nothingLost: clean, output: `${out}\n--- npm stop ---\n${stop.output}` }
}

/**
 * A start that died loading a module (CI once saw node resolve viem's abitype to a
 * `node_modules/viem/node_modules/abitype` that the lock file does not have): what is on disk at
 * that path now, to tell a file-system race from a broken install.
 */
function missingModule(out: string): string | undefined {
  const m = /Cannot find (?:package|module) '([^']+)'/.exec(out)
  if (!m) return undefined
  const dir = m[1]!.replace(/\/(index\.js|package\.json)$/, '')
  let seen: string
  try {
    seen = existsSync(dir) ? `now holds [${readdirSync(dir).slice(0, 8).join(', ')}]` : 'does not exist now'
  } catch (e) {
    seen = `unreadable (${(e as Error).message})`
  }
  return `module not found: ${m[1]} (${dir} ${seen})`
}

/** The start/stop cases of the fault list, in the order they run (the last one starts for real). */
export const START_STOP_CASES: Array<{ id: string; fault: string; opts?: InterruptOptions }> = [
  { id: 'stop-during-start-1s', fault: '`npm stop` 1 s into `npm start`', opts: { afterMs: 1_000, how: 'npm stop' } },
  { id: 'stop-during-start-3s', fault: '`npm stop` 3 s into `npm start`', opts: { afterMs: 3_000, how: 'npm stop' } },
  { id: 'stop-during-start-5s', fault: '`npm stop` 5 s into `npm start`', opts: { afterMs: 5_000, how: 'npm stop' } },
  { id: 'stop-during-start-10s', fault: '`npm stop` 10 s into `npm start`', opts: { afterMs: 10_000, how: 'npm stop' } },
  { id: 'stop-while-deploying', fault: '`npm stop` while `npm start` deploys the contracts', opts: { atStep: /^deploy /, how: 'npm stop' } },
  { id: 'ctrl-c-while-apps-start', fault: 'Ctrl-C of `npm start` while it starts the PM2 apps', opts: { atStep: /^started |^services answer/, how: 'ctrl-c' } },
  { id: 'start-after-interruptions', fault: 'a whole `npm start` after the interruptions above, then `npm stop`' },
]

export const START_STOP_EXPECTED = 'the start ends with every process it launched; no process left, no port listening, lock released'
export const START_AFTER_EXPECTED = 'the start succeeds (every venue sampled); `npm stop` then leaves nothing running or listening'
