/**
 * The processes of one poolwarden network, found from /proc (Linux): its PM2 daemon, the apps that
 * daemon launched (PM2 puts `PM2_HOME` and `pm_id` in every app's environment, so they are found
 * even when orphaned by a daemon that died), a `npm start` still running, and whoever listens on
 * a port. Used by `npm start`'s teardown and `npm stop` (scripts/lib/teardown.ts).
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs'
import { join } from 'node:path'

export interface ProcEntry {
  pid: number
  ppid: number
  cmd: string
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
}

/** The environment of `pid` (empty when unreadable: another user's process, or gone). */
export function environOf(pid: number): Map<string, string> {
  const raw = read(`/proc/${pid}/environ`) ?? ''
  const env = new Map<string, string>()
  for (const kv of raw.split('\0')) {
    const i = kv.indexOf('=')
    if (i > 0) env.set(kv.slice(0, i), kv.slice(i + 1))
  }
  return env
}

export function cmdOf(pid: number): string {
  return (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean).join(' ')
}

export function parentOf(pid: number): number {
  const stat = read(`/proc/${pid}/stat`)
  if (!stat) return 0
  // pid (comm) state ppid …; comm may hold spaces and parentheses, so split after the last ')'.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0)
}

export function alive(pid: number): boolean {
  if (!(pid > 0)) return false
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  // A zombie answers kill(0) but is gone for every purpose here.
  const stat = read(`/proc/${pid}/stat`)
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
}

/** This process and its ancestors: never swept (they may carry the same PM2_HOME). */
function selfAndAncestors(): Set<number> {
  const out = new Set<number>()
  for (let p = process.pid; p > 1 && !out.has(p); p = parentOf(p)) out.add(p)
  return out
}

const entry = (pid: number): ProcEntry => ({ pid, ppid: parentOf(pid), cmd: cmdOf(pid) })

/** The PM2 apps launched by the daemon of `pm2Home` (alive, orphaned or not). */
export function pm2Apps(pm2Home: string): ProcEntry[] {
  const skip = selfAndAncestors()
  return allPids()
    .filter((pid) => !skip.has(pid))
    .filter((pid) => {
      const env = environOf(pid)
      return env.get('PM2_HOME') === pm2Home && env.has('pm_id')
    })
    .filter(alive)
    .map(entry)
}

/**
 * The daemon of `pm2Home` when it is alive: its pid from `$PM2_HOME/pm2.pid`, or else a process
 * of that PM2_HOME that is a daemon (`node …/pm2/lib/Daemon.js` while it loads, "PM2 vX: God
 * Daemon (home)" once up). The daemon writes its pid file only when it is up: an `npm start`
 * interrupted while PM2's client was launching the daemon found no pid file, said "nothing had
 * started" and left the daemon running (seen in CI: `npm stop` 3 s into `npm start`).
 */
export function pm2DaemonPid(pm2Home: string): number | undefined {
  const pid = Number((read(join(pm2Home, 'pm2.pid')) ?? '').trim())
  if (alive(pid)) return pid
  const skip = selfAndAncestors()
  return allPids().find((p) => {
    if (skip.has(p) || !/God Daemon|pm2\/lib\/Daemon\.js/.test(cmdOf(p))) return false
    const env = environOf(p)
    return env.get('PM2_HOME') === pm2Home && !env.has('pm_id') && alive(p)
  })
}

const real = (p: string): string => {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

/**
 * `npm start` processes of this checkout and network (cwd = root, same PM2_HOME and devnet dir):
 * the node process running scripts/start.ts and the tsx/npm wrappers around it.
 */
export function startProcesses(root: string, pm2Home: string, devnetDir: string | undefined): ProcEntry[] {
  const skip = selfAndAncestors()
  const rootReal = real(root)
  return allPids()
    .filter((pid) => !skip.has(pid))
    .filter((pid) => {
      if (!/scripts\/start\.ts|\bnpm(-cli\.js)?\s+(run(-script)?\s+)?start\b/.test(cmdOf(pid))) return false
      let cwd: string
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`)
      } catch {
        return false
      }
      if (real(cwd) !== rootReal) return false
      const env = environOf(pid)
      return (env.get('PM2_HOME') ?? join(root, '.pm2')) === pm2Home && (env.get('POOLWARDEN_DEVNET_DIR')?.trim() || undefined) === devnetDir
    })
    .filter(alive)
    .map(entry)
}

/** Of `procs`, those none of whose children is among them: the node process itself, not its npm/tsx wrappers. */
export function leaves(procs: ProcEntry[]): ProcEntry[] {
  const parents = new Set(procs.map((p) => p.ppid))
  return procs.filter((p) => !parents.has(p.pid))
}

/** Socket inodes listening on `port` (IPv4 and IPv6, any address). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>()
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (read(file) ?? '').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 10) continue
      const localPort = parseInt(f[1]!.split(':').at(-1)!, 16)
      if (localPort === port && f[3] === '0A') inodes.add(f[9]!)
    }
  }
  return inodes
}

/** Who listens on `port`: the pids holding a listening socket there (own user's processes only), or [] if none. */
export function listenersOf(port: number): { listening: boolean; pids: number[] } {
  const inodes = listeningInodes(port)
  if (inodes.size === 0) return { listening: false, pids: [] }
  const pids: number[] = []
  for (const pid of allPids()) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      let target: string
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      } catch {
        continue
      }
      const m = /^socket:\[(\d+)\]$/.exec(target)
      if (m && inodes.has(m[1]!)) {
        pids.push(pid)
        break
      }
    }
  }
  return { listening: true, pids }
}
