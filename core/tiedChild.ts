import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import path from 'node:path'

/**
 * A long-lived child process tied to this process's life: it dies when this process dies, even by
 * SIGKILL (no exit hook runs then), so a killed executor or test worker leaves no anvil behind.
 *
 * How (no native addon can call prctl from node):
 * - `pdeathsig` (Linux with util-linux's `setpriv`, on Debian in the essential util-linux package):
 *   `setpriv --pdeathsig KILL` sets PR_SET_PDEATHSIG, then execs `/bin/sh`, which checks that its
 *   parent is still this process and execs the command. The kernel sends SIGKILL when the parent
 *   dies: immediate, no polling, nothing else running. Caveats, each handled or harmless here:
 *   the signal fires on the death of the parent *thread* that forked (node forks from the JS thread
 *   that calls spawn: the main thread, which lives as long as the process, or a worker_threads
 *   worker, whose end then also ends the child: its caller is gone as well); a parent dying between
 *   fork and prctl would be missed, hence the `$PPID` check after prctl (exit 125 if orphaned
 *   already); the setting is dropped on exec of set-uid or file-capability binaries (anvil is not).
 * - `watchdog` (elsewhere: not Linux, no setpriv, or one without `--pdeathsig`): `/bin/sh` forks a small loop that checks the
 *   parent every second (`kill -0`) and SIGKILLs the command when the parent is gone (and stops when
 *   the command has exited), then execs the command. Up to a second late, and a pid reused within
 *   that second could fool it: the fallback, not the default.
 * In both, the shell execs the command: the child's pid is the command's own (signals from `kill`
 * reach it directly, `exit` is its exit). Children still running when this process exits normally
 * are SIGKILLed by one `exit` hook.
 */

export type Tie = 'pdeathsig' | 'watchdog'

export interface SpawnTiedOptions {
  stdio?: StdioOptions
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** How the child is tied (default: `pdeathsig` where setpriv is found on Linux, else `watchdog`). */
  tie?: Tie
}

// Exit 125 when the parent is not this process any more (it died before PR_SET_PDEATHSIG was set).
const PDEATHSIG_SCRIPT = '[ "$PPID" = "$1" ] || exit 125; shift; exec "$@"'
// $$ is the shell's pid, which the command keeps after exec; the loop ends with the command. Its
// output goes nowhere (it must not hold the child's pipes open).
const WATCHDOG_SCRIPT =
  'p=$1; shift; ( while kill -0 $$ 2>/dev/null; do kill -0 "$p" 2>/dev/null || { kill -KILL $$; exit 0; }; sleep 1; done ) </dev/null >/dev/null 2>&1 & exec "$@"'

let setprivPath: string | null | undefined
/**
 * `setpriv` on PATH (or in /usr/bin, /bin), Linux only, that takes `--pdeathsig` (util-linux 2.33 and
 * later: tried once); null if there is none.
 */
export function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath
  setprivPath = null
  if (process.platform !== 'linux') return setprivPath
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/bin', '/bin']
  for (const dir of dirs) {
    const p = path.join(dir, 'setpriv')
    try {
      accessSync(p, constants.X_OK)
    } catch {
      continue
    }
    if (spawnSync(p, ['--pdeathsig', 'KILL', '--', '/bin/sh', '-c', ':'], { stdio: 'ignore', timeout: 10_000 }).status === 0) return (setprivPath = p)
  }
  return setprivPath
}

export function defaultTie(): Tie {
  return findSetpriv() ? 'pdeathsig' : 'watchdog'
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  child.once('error', () => live.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL')
  })
}

/** The command line that runs `command args` tied to the process `parentPid` (its parent) by `tie`. */
export function tiedCommand(tie: Tie, parentPid: number, command: string, args: readonly string[]): { file: string; args: string[] } {
  const shArgs = ['-c', tie === 'pdeathsig' ? PDEATHSIG_SCRIPT : WATCHDOG_SCRIPT, 'sh', String(parentPid), command, ...args]
  if (tie === 'watchdog') return { file: '/bin/sh', args: shArgs }
  const setpriv = findSetpriv()
  if (!setpriv) throw new Error('spawnTied: tie "pdeathsig" needs util-linux setpriv on Linux (not found)')
  return { file: setpriv, args: ['--pdeathsig', 'KILL', '--', '/bin/sh', ...shArgs] }
}

/** Spawns `command args` tied to this process (see above). Errors of the command itself show as its exit (127: not found). */
export function spawnTied(command: string, args: readonly string[], opts: SpawnTiedOptions = {}): ChildProcess {
  const line = tiedCommand(opts.tie ?? defaultTie(), process.pid, command, args)
  const child = spawn(line.file, line.args, { stdio: opts.stdio, env: opts.env, cwd: opts.cwd })
  track(child)
  return child
}
