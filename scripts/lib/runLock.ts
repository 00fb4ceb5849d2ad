/**
 * The start/stop lock of one network: `<devnet dir>/run.lock` (live: `logs/run.lock`). It says
 * what is in progress — a start (and at which step), a stop, or a running network — so a second
 * `npm start` or `npm stop` can tell the operator, instead of racing the first. Created with
 * O_EXCL, so two starts cannot both take it; a lock whose owner died is stale and replaced.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { alive } from './procs'

export type RunPhase = 'starting' | 'running' | 'stopping'

export interface RunLockState {
  phase: RunPhase
  /** The process doing the phase (start or stop); for `running`, the start that finished. */
  pid: number
  pm2Home: string
  since: string
  /** The start's current step (shown to a second start or stop). */
  step?: string
  ports?: number[]
}

export function readLock(file: string): RunLockState | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as RunLockState
    return typeof s?.phase === 'string' && typeof s.pid === 'number' ? s : undefined
  } catch {
    return undefined
  }
}

/** True when the lock's owner is gone while it claimed to be starting or stopping. */
export function isStale(s: RunLockState): boolean {
  return s.phase !== 'running' && !alive(s.pid)
}

/** Takes the lock for `state`; returns what holds it instead when it is taken (not stale). */
export function acquireLock(file: string, state: RunLockState): { ok: true } | { ok: false; held: RunLockState } {
  mkdirSync(dirname(file), { recursive: true })
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644)
      writeSync(fd, `${JSON.stringify(state)}\n`)
      closeSync(fd)
      return { ok: true }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const held = readLock(file)
      if (held && !isStale(held)) return { ok: false, held }
      rmSync(file, { force: true }) // stale or unreadable: its owner is gone
    }
  }
  const held = readLock(file)
  return held ? { ok: false, held } : { ok: true }
}

/** Rewrites the lock (atomically: a reader never sees half a file). */
export function updateLock(file: string, state: RunLockState): void {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(state)}\n`)
  renameSync(tmp, file)
}

export function releaseLock(file: string, ownerPid = process.pid): void {
  const s = readLock(file)
  if (!s || s.pid === ownerPid || isStale(s)) rmSync(file, { force: true })
}

/** One line for an operator: what the lock says is in progress. */
export function describeLock(s: RunLockState): string {
  const since = `since ${s.since.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`
  if (s.phase === 'starting') return `a start is in progress (pid ${s.pid}, ${since}${s.step ? `, at: ${s.step}` : ''})`
  if (s.phase === 'stopping') return `a stop is in progress (pid ${s.pid}, ${since})`
  return `poolwarden is running (started by pid ${s.pid}, ${since})`
}
