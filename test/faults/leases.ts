/**
 * The lease faults of issue 16 (a second instance of a singleton agent started beside the first;
 * the first SIGKILLed: takeover; the holder SIGSTOPped past its expiry and SIGCONTed: fencing),
 * with real agent processes over one real SQLite store. `leaseFaults` runs all three against one
 * agent and returns one row per fault; the tests (runtime/leases.local.test.ts) and
 * `npm run faults` call it.
 *
 * The caller gives the agent's file, its role, the environment (POOLWARDEN_CONFIG, keys,
 * POOLWARDEN_CHAIN…) and optionally `writes(store, pid)`: how many money/vote/sample writes that
 * process made, counted so that a stale holder's writes after SIGCONT would show.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import sqlite3 from 'sqlite3'
import { openStore, type Store } from '../../store'

export interface FaultRow {
  fault: string
  expected: string
  observed: string
  /** Nothing written twice or by a stale holder, nothing left without an active instance. */
  nothingLost: boolean
  passed: boolean
}

export interface LeaseFaultTarget {
  /** What the rows call it, e.g. "executor". */
  label: string
  /** The agent's entry file (absolute or relative to the repository root), e.g. agents/executor.ts. */
  file: string
  /** The lease's role (the agent's name: executor, governor, watcher-ethereum…). */
  role: string
  /** The agents' environment on top of process.env (POOLWARDEN_CONFIG at least). */
  env: Record<string, string>
  /** The store the config names. */
  storePath: string
  /** Writes by process `pid` that fencing must stop (default: none counted). */
  writes?: (store: Store, pid: number) => Promise<number>
  /** Longest wait for one expected event before the fault counts as failed, ms (default 60 000). */
  waitMs?: number
}

const ROOT = join(import.meta.dirname, '..', '..')

interface Proc {
  child: ChildProcess
  pid: number
  output(): string
  exited: Promise<number | null>
  code: number | null | undefined
}

function start(t: LeaseFaultTarget): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, t.file)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...t.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += String(d)))
  child.stderr!.on('data', (d) => (out += String(d)))
  const p: Proc = {
    child,
    pid: child.pid!,
    output: () => out,
    code: undefined,
    exited: new Promise((resolve) => child.on('exit', (code, sig) => resolve((p.code = code ?? (sig ? -1 : null))))),
  }
  return p
}

class WaitTimeout extends Error {}

async function until(what: string, waitMs: number, cond: () => Promise<boolean> | boolean): Promise<void> {
  const end = Date.now() + waitMs
  while (!(await cond())) {
    if (Date.now() > end) throw new WaitTimeout(`gave up waiting ${waitMs} ms for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Whether a write transaction can start on the store right now (one try, 1 s of SQLite busy wait). */
async function writable(path: string): Promise<boolean> {
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(d)))
  })
  try {
    db.configure('busyTimeout', 1000)
    return await new Promise<boolean>((resolve) => db.exec('BEGIN IMMEDIATE; ROLLBACK', (err) => resolve(!err)))
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()))
  }
}

const pidOf = (holder: string | undefined) => (holder ? Number(holder.split(':').at(-2)) : undefined)

/** Runs the three lease faults against `t`; every process it started is gone when it returns. */
export async function leaseFaults(t: LeaseFaultTarget): Promise<FaultRow[]> {
  const waitMs = t.waitMs ?? 60_000
  const rows: FaultRow[] = []
  const procs: Proc[] = []
  const store = await openStore({ path: t.storePath })
  const run = () => {
    const p = start(t)
    procs.push(p)
    return p
  }
  const holderPid = async () => pidOf((await store.leases.get(t.role))?.holder)
  const writes = (pid: number) => (t.writes ? t.writes(store, pid) : Promise.resolve(0))
  const standby = (p: Proc) => p.output().includes(`standby: lease ${t.role} is held by`)
  const fail = (fault: string, expected: string, err: unknown): FaultRow => ({ fault, expected, observed: err instanceof Error ? err.message : String(err), nothingLost: false, passed: false })

  try {
    // 1. A second instance beside the first waits.
    const f1 = `second ${t.label} started beside the first`
    const e1 = 'the second waits as the standby; the first keeps the lease and alone acts'
    const a = run()
    let b: Proc | undefined
    try {
      await until(`${t.role} to take its lease`, waitMs, async () => (await holderPid()) === a.pid)
      b = run()
      await until(`the second ${t.label} to report standby`, waitMs, () => standby(b!) || b!.code !== undefined)
      // Let the standby retry a few times: it must still not take the lease nor write.
      await new Promise((r) => setTimeout(r, 1_500))
      const holder = await holderPid()
      const bWrites = await writes(b.pid)
      const beat = await store.heartbeats.get(t.role)
      const ok = holder === a.pid && b.code === undefined && bWrites === 0 && beat?.pid !== b.pid
      rows.push({ fault: f1, expected: e1, observed: `lease held by the first (pid ${holder}); second ${b.code === undefined ? 'running' : `exited ${b.code}`} as standby, ${bWrites} write(s), heartbeat pid ${beat?.pid ?? 'none'}`, nothingLost: ok, passed: ok })
    } catch (err) {
      rows.push(fail(f1, e1, err))
      return rows
    }

    // 2. The first SIGKILLed: the standby takes over.
    const f2 = `first ${t.label} SIGKILLed`
    const e2 = 'the standby takes the lease (next fencing token) within a few seconds and acts'
    try {
      const before = (await store.leases.get(t.role))!
      const killedAt = Date.now()
      a.child.kill('SIGKILL')
      await a.exited
      await until(`the standby ${t.label} to take over`, waitMs, async () => (await holderPid()) === b!.pid)
      const took = Date.now() - killedAt
      const after = (await store.leases.get(t.role))!
      const ok = after.token === before.token + 1
      rows.push({ fault: f2, expected: e2, observed: `standby pid ${b.pid} took token ${after.token} (was ${before.token}) ${(took / 1000).toFixed(1)} s after the kill`, nothingLost: ok, passed: ok })
    } catch (err) {
      rows.push(fail(f2, e2, err))
      return rows
    }

    // 3. The holder SIGSTOPped past its expiry, then SIGCONTed: fencing.
    const f3 = `${t.label} SIGSTOPped past its lease, then SIGCONTed`
    const e3 = 'a standby takes over; the resumed one writes nothing, logs the lost lease and exits 75'
    try {
      const c = run()
      await until(`a third ${t.label} to report standby`, waitMs, () => standby(c) || c.code !== undefined)
      // SIGSTOP lands wherever the holder is. Inside a write transaction it would keep SQLite's
      // write lock: then no lease can change hands at all (the store itself is stuck — the
      // sentinel's direct page, sentinel/directPage.ts —, not what fencing is about). So the
      // holder is stopped at a moment it holds no write lock: resumed and stopped again otherwise.
      for (let i = 0; ; i++) {
        b.child.kill('SIGSTOP')
        if (await writable(t.storePath)) break
        b.child.kill('SIGCONT')
        if (i >= 20) throw new Error(`the holder held the store's write lock at each of ${i + 1} SIGSTOPs`)
        await new Promise((r) => setTimeout(r, 150 + 50 * i))
      }
      await until(`the standby ${t.label} to take over from the stopped one`, waitMs, async () => (await holderPid()) === c.pid)
      const stale = await writes(b.pid)
      b.child.kill('SIGCONT')
      const code = await Promise.race([b.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), waitMs))])
      const staleAfter = await writes(b.pid)
      const logged = b.output().includes(`lease ${t.role} lost`)
      // The new holder goes on acting.
      const cBefore = await writes(c.pid)
      if (t.writes) await until(`the new holder ${t.label} to write`, waitMs, async () => (await writes(c.pid)) > cBefore)
      const holder = await holderPid()
      const ok = code === 75 && staleAfter === stale && logged && holder === c.pid
      rows.push({
        fault: f3,
        expected: e3,
        observed: `resumed pid ${b.pid}: ${staleAfter - stale} write(s) after SIGCONT, ${logged ? 'logged "lease lost"' : 'no "lease lost" log'}, exit ${code}; lease with pid ${holder}`,
        nothingLost: staleAfter === stale && holder === c.pid,
        passed: ok,
      })
      c.child.kill('SIGINT')
      await c.exited
    } catch (err) {
      rows.push(fail(f3, e3, err))
    }
    return rows
  } finally {
    for (const p of procs) {
      if (p.code === undefined) {
        p.child.kill('SIGCONT')
        p.child.kill('SIGKILL')
        await p.exited
      }
    }
    await store.close()
  }
}
