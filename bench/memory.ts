import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, disconnect, list, ROOT } from '../scripts/lib/pm2'

export interface MemoryFigure {
  name: string
  rssMb: number
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

/**
 * Resident memory of the whole network as `npm start` runs it: starts it (unless it is already
 * running), lets it watch for `settleMs`, reads every process's RSS from /proc, and stops what it
 * started.
 */
export async function benchMemory(settleMs = 20_000): Promise<{ figures: MemoryFigure[]; startedByBench: boolean }> {
  await connect()
  let running = (await list()).filter((p) => p.status === 'online')
  disconnect()
  const startedByBench = running.length === 0
  const tsx = join(ROOT, 'node_modules/.bin/tsx')
  if (startedByBench) execFileSync(tsx, [join(ROOT, 'scripts/start.ts')], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, POOLWARDEN_CONFIG: '' } })
  try {
    await new Promise((r) => setTimeout(r, settleMs))
    await connect()
    running = (await list()).filter((p) => p.status === 'online')
    disconnect()
    const figures = running.map((p) => ({ name: p.name, rssMb: rssMb(p.pid) }))
    const daemonPid = join(process.env.PM2_HOME!, 'pm2.pid')
    if (existsSync(daemonPid)) figures.push({ name: 'pm2 daemon', rssMb: rssMb(Number(readFileSync(daemonPid, 'utf8'))) })
    return { figures, startedByBench }
  } finally {
    if (startedByBench) execFileSync(tsx, [join(ROOT, 'scripts/stop.ts')], { cwd: ROOT, stdio: 'ignore' })
  }
}
