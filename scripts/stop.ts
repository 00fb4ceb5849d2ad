/**
 * `npm stop`: stops every poolwarden process of this network (agents, the devnet's services, the
 * anvil chains, the PM2 daemon) at any moment — also while `npm start` is still starting it — and
 * checks that none is left and no devnet port is still listening.
 *
 * The lock file (scripts/lib/runLock.ts) says what is in progress:
 * - a start: it is sent SIGTERM and ends itself and everything it launched (scripts/start.ts);
 *   if it has not ended after 60 s it is killed and its processes are ended here;
 * - another stop: this one waits for it, then checks;
 * - a running network (or no lock but a live daemon, or a start too young to have written the
 *   lock): ended here.
 * Either way the teardown (scripts/lib/teardown.ts) runs last and finds orphans by /proc.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { network } from './lib/network'
import { alive, leaves, pm2Apps, pm2DaemonPid, startProcesses } from './lib/procs'
import { acquireLock, describeLock, readLock, releaseLock, updateLock, type RunLockState } from './lib/runLock'
import { teardown } from './lib/teardown'
import { quietOnClosedPipe } from './lib/cli'

const net = network()

async function waitExit(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms
  let left = pids.filter(alive)
  while (left.length && Date.now() < deadline) {
    await sleep(100)
    left = left.filter(alive)
  }
  return left
}

const kill = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig)
  } catch {
    /* gone */
  }
}

async function main(): Promise<number> {
  const held = readLock(net.lockFile)
  // Starts of this network: the one in the lock, and any too young to have taken it yet.
  const starts = leaves(startProcesses(net.root, net.pm2Home, net.devnetDirEnv))
  if (held && held.phase === 'stopping' && alive(held.pid) && held.pid !== process.pid) {
    console.log(`${describeLock(held)}: waiting for it to finish…`)
    await waitExit([held.pid], 120_000)
  } else if ((held?.phase === 'starting' && alive(held.pid)) || starts.length) {
    const pids = [...new Set([...(held?.phase === 'starting' && alive(held.pid) ? [held.pid] : []), ...starts.map((s) => s.pid)])]
    console.log(held?.phase === 'starting' ? `${describeLock(held)}: interrupting it…` : `a start is in progress (pid ${pids.join(', ')}): interrupting it…`)
    for (const pid of pids) kill(pid, 'SIGTERM')
    const left = await waitExit(pids, 60_000)
    for (const pid of left) {
      console.log(`the start (pid ${pid}) did not end its teardown: SIGKILL, ending its processes here`)
      kill(pid, 'SIGKILL')
    }
    await waitExit(left, 5_000)
  } else if (!pm2DaemonPid(net.pm2Home) && pm2Apps(net.pm2Home).length === 0) {
    if (held) releaseLock(net.lockFile, held.pid)
    console.log('poolwarden is not running.')
    return 0
  }

  // Whatever is left is ended here, under the lock (a start arriving now is told a stop runs).
  const mine: RunLockState = { phase: 'stopping', pid: process.pid, pm2Home: net.pm2Home, since: new Date().toISOString() }
  const got = acquireLock(net.lockFile, mine)
  if (!got.ok) {
    if (got.held.phase === 'running' || got.held.phase === 'starting') updateLock(net.lockFile, mine) // we end it either way
    else {
      console.log(`${describeLock(got.held)}: waiting for it to finish…`)
      await waitExit([got.held.pid], 120_000)
      updateLock(net.lockFile, mine)
    }
  }
  try {
    const report = await teardown({ pm2Home: net.pm2Home, ports: net.named, log: (l) => console.log(l) })
    for (const p of report.stillListening) console.log(`! port ${p.port} (${p.what}) is still in use by ${p.pids.length ? p.pids.map((pid, i) => `pid ${pid} (${p.cmds[i]})`).join(', ') : 'a process of another user'}`)
    for (const a of report.left) console.log(`! still running: pid ${a.pid} ${a.cmd}`)
    const clean = report.stillListening.length === 0 && report.left.length === 0
    const n = report.ended.length
    console.log(`${n ? `stopped ${n} process(es)${report.killed.length ? ` (${report.killed.length} needed SIGKILL)` : ''}` : 'nothing was left to stop'}${clean ? '; nothing left running.' : '; something is left (above).'}`)
    return clean ? 0 : 1
  } finally {
    releaseLock(net.lockFile)
  }
}

quietOnClosedPipe()
main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`npm stop: ${(err as Error).message}`)
    process.exit(1)
  },
)
