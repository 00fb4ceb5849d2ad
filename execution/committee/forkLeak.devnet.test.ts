import { spawn } from 'node:child_process'
import { readFileSync, readlinkSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findFreePort, startAnvil, type AnvilInstance } from '../../devnet/anvil'
import { findSetpriv, type Tie } from '../../core/tiedChild'
import { forkAnvilPath } from './forkSimulate'

/**
 * The committee's fork anvil (forkSimulate.ts's startFork) does not outlive its caller: a real
 * process (test/anvilHolder.ts through tsx) forks a real anvil chain and is SIGKILLed without
 * stopping it; the fork's anvil is gone afterwards and its port no longer listens. Both ties of
 * core/tiedChild.ts: the kernel's parent-death signal (setpriv) and the polling fallback. The same
 * for a devnet chain (devnet/anvil.ts's startAnvil: test runs, devnet scripts).
 */

const root = path.join(import.meta.dirname, '../..')
const HOLDER = path.join(root, 'test/anvilHolder.ts')
/** Generous: only a bound for a poll, never a timing claim. */
const GONE_WITHIN_MS = 30_000

let source: AnvilInstance
beforeAll(async () => {
  const port = await findFreePort(Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 200)
  source = await startAnvil({ port, chainId: 31337, timestampInterval: 1 })
}, 60_000)
afterAll(async () => {
  await source?.stop()
})

/** /proc/<pid>/stat: state and start time (field 3 and 22), or undefined if there is no such process. */
function procStat(pid: number): { state: string; ppid: number; start: string } | undefined {
  let raw: string
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ') // after "pid (comm) "
  return { state: f[0]!, ppid: Number(f[1]), start: f[19]! }
}

/** The process that was `pid` (started at `start`) is no more: no such pid, a zombie (no memory, no port), or another process. */
function gone(pid: number, start: string): boolean {
  const s = procStat(pid)
  return s === undefined || s.state === 'Z' || s.start !== start
}

const listens = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1')
    sock.once('connect', () => (sock.destroy(), resolve(true)))
    sock.once('error', () => resolve(false))
  })

async function startHolder(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /^(ANVIL|ERROR) .*$/m.exec(out)
      if (m) resolve(m[0])
    })
    void exited.then(() => reject(new Error(`the holder exited before its anvil started: ${out}`)))
  })
  const m = /^ANVIL (\d+) (\d+)$/.exec(line)
  if (!m) throw new Error(`the holder's anvil did not start: ${line} ${out}`)
  return { child, exited, anvilPid: Number(m[1]), port: Number(m[2]) }
}

const ties: Tie[] = findSetpriv() ? ['pdeathsig', 'watchdog'] : ['watchdog']

/** Starts the holder, checks its anvil runs and listens, SIGKILLs the holder, then asserts the anvil is gone and its port closed. */
async function killHolderAndCheck(args: string[]): Promise<void> {
  const h = await startHolder(args)
  const before = procStat(h.anvilPid)
  try {
    // The pid is the anvil itself (the tie's shell exec'ed it), a child of the holder, listening.
    expect(before?.state).toBeDefined()
    expect(before!.state).not.toBe('Z')
    expect(before!.ppid).toBe(h.child.pid)
    expect(readlinkSync(`/proc/${h.anvilPid}/exe`)).toBe(forkAnvilPath(undefined))
    expect(await listens(h.port)).toBe(true)

    h.child.kill('SIGKILL')
    await h.exited
    for (let waited = 0; !gone(h.anvilPid, before!.start) && waited < GONE_WITHIN_MS; waited += 50) await delay(50)
    expect(gone(h.anvilPid, before!.start)).toBe(true)
    expect(await listens(h.port)).toBe(false)
  } finally {
    h.child.kill('SIGKILL')
    // A failed case leaves nothing behind.
    if (before && !gone(h.anvilPid, before.start)) process.kill(h.anvilPid, 'SIGKILL')
  }
}

describe('an anvil dies with the process that started it', () => {
  it.each(ties)('the committee fork, %s: the holder is SIGKILLed: the fork anvil is gone and its port closed', async (tie) => {
    await killHolderAndCheck(['fork', source.url, tie])
  })

  it('a devnet chain (startAnvil): the holder is SIGKILLed: the anvil is gone and its port closed', async () => {
    const port = await findFreePort(source.port + 1)
    await killHolderAndCheck(['devnet', String(port)])
  })
})
