/**
 * Ends every process of one network and checks that nothing is left listening: what `npm stop`
 * does, and what `npm start` does when it is interrupted (Ctrl-C, `npm stop`) or fails.
 *
 * By signals and /proc, not through PM2's API: the API needs a daemon that answers, and the
 * case to survive is the one where it is half up. Order: the daemon first (SIGTERM: it stops its
 * apps and exits; it must be gone before the apps are swept, or it would restart them), then
 * every app of that PM2_HOME still alive (SIGTERM, then SIGKILL) — orphans included — then the
 * ports are checked.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { alive, cmdOf, listenersOf, pm2Apps, pm2DaemonPid, type ProcEntry } from './procs'

export interface TeardownReport {
  /** Processes that were running and were ended (daemon and apps). */
  ended: ProcEntry[]
  /** Of those, the ones that needed SIGKILL. */
  killed: number[]
  /** Ports still listening afterwards, with who holds them. */
  stillListening: Array<{ port: number; what: string; pids: number[]; cmds: string[] }>
  /** Apps of this PM2_HOME still alive afterwards (should be none). */
  left: ProcEntry[]
}

const signal = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(pid, sig)
  } catch {
    /* gone meanwhile */
  }
}

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms
  let left = pids.filter(alive)
  while (left.length && Date.now() < deadline) {
    await sleep(100)
    left = left.filter(alive)
  }
  return left
}

export async function teardown(opts: {
  pm2Home: string
  ports: Array<{ port: number; what: string }>
  /** How long the daemon may take to stop its apps (default 20 s; apps get their kill_timeout). */
  daemonGraceMs?: number
  log?: (line: string) => void
}): Promise<TeardownReport> {
  const log = opts.log ?? (() => {})
  const ended: ProcEntry[] = []
  const killed: number[] = []
  const daemon = pm2DaemonPid(opts.pm2Home)
  const appsBefore = pm2Apps(opts.pm2Home)
  if (daemon) {
    ended.push({ pid: daemon, ppid: 0, cmd: cmdOf(daemon) })
    signal(daemon, 'SIGTERM')
    const left = await waitGone([daemon], opts.daemonGraceMs ?? 20_000)
    if (left.length) {
      log(`the PM2 daemon (pid ${daemon}) did not stop: SIGKILL`)
      signal(daemon, 'SIGKILL')
      killed.push(daemon)
      await waitGone([daemon], 2_000)
    }
  }
  // Apps the daemon did not stop, or started while it was going, or orphaned earlier.
  for (let round = 0; round < 3; round++) {
    const apps = pm2Apps(opts.pm2Home)
    if (!apps.length) break
    for (const a of apps) {
      if (!ended.some((e) => e.pid === a.pid)) ended.push(a)
      signal(a.pid, 'SIGTERM')
    }
    const left = await waitGone(
      apps.map((a) => a.pid),
      5_000,
    )
    for (const pid of left) {
      signal(pid, 'SIGKILL')
      killed.push(pid)
    }
    await waitGone(left, 2_000)
  }
  for (const a of appsBefore) if (!ended.some((e) => e.pid === a.pid)) ended.push(a)
  const stillListening = opts.ports
    .map((p) => ({ ...p, ...listenersOf(p.port) }))
    .filter((p) => p.listening)
    .map((p) => ({ port: p.port, what: p.what, pids: p.pids, cmds: p.pids.map(cmdOf) }))
  return { ended, killed, stillListening, left: pm2Apps(opts.pm2Home) }
}
