/**
 * `npm stop`: stops every poolwarden process (agents, simulator, anvil chains) and the project's
 * PM2 daemon, then checks that none is left behind.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, killDaemon, list } from './lib/pm2'
import { quietOnClosedPipe } from './lib/cli'

const home = process.env.PM2_HOME!
const pidFile = join(home, 'pm2.pid')

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function main() {
  if (!existsSync(pidFile) || !alive(Number(readFileSync(pidFile, 'utf8')))) {
    console.log('poolwarden is not running.')
    return
  }
  await connect()
  const procs = await list()
  const pids = procs.map((p) => p.pid).filter((p) => p > 0)
  await killDaemon()
  const deadline = Date.now() + 10_000
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
  const left = pids.filter(alive)
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      /* gone meanwhile */
    }
  }
  console.log(`stopped ${procs.length} process(es)${left.length ? ` (${left.length} needed SIGKILL)` : ''}; nothing left running.`)
}

quietOnClosedPipe()
main().then(
  () => process.exit(0),
  (err) => {
    console.error(`npm stop: ${(err as Error).message}`)
    process.exit(1)
  },
)
