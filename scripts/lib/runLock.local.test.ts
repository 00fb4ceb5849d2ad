import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireLock, describeLock, isStale, readLock, releaseLock, updateLock, type RunLockState } from './runLock'

let dir: string
let lock: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-runlock-'))
  lock = join(dir, 'run.lock')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const state = (over: Partial<RunLockState> = {}): RunLockState => ({ phase: 'starting', pid: process.pid, pm2Home: '/tmp/pm2-x', since: '2026-12-02T03:00:00.000Z', ...over })

/** A pid that is certainly dead: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  await new Promise((r) => child.on('exit', r))
  return child.pid!
}

describe('the start/stop lock', () => {
  it('one holder at a time: a second start is refused and told what is in progress and where', () => {
    expect(acquireLock(lock, state({ step: 'deploy ethereum: venues' }))).toEqual({ ok: true })
    const second = acquireLock(lock, state({ pid: process.pid }))
    expect(second.ok).toBe(false)
    if (second.ok) return
    expect(describeLock(second.held)).toBe(`a start is in progress (pid ${process.pid}, since 2026-12-02 03:00:00 UTC, at: deploy ethereum: venues)`)
  })

  it('the step and phase are rewritten in place; a stop and a running network describe themselves', () => {
    acquireLock(lock, state())
    updateLock(lock, state({ step: 'chains up' }))
    expect(readLock(lock)?.step).toBe('chains up')
    updateLock(lock, state({ phase: 'stopping' }))
    expect(describeLock(readLock(lock)!)).toMatch(/^a stop is in progress \(pid \d+, since 2026-12-02 03:00:00 UTC\)$/)
    expect(describeLock(state({ phase: 'running' }))).toMatch(/^poolwarden is running \(started by pid \d+/)
  })

  it('a lock whose start or stop died is stale and taken over; a running network’s lock is not stale by its pid', async () => {
    const dead = await deadPid()
    writeFileSync(lock, JSON.stringify(state({ pid: dead })))
    expect(isStale(readLock(lock)!)).toBe(true)
    expect(acquireLock(lock, state())).toEqual({ ok: true })
    expect(readLock(lock)?.pid).toBe(process.pid)
    expect(isStale(state({ phase: 'running', pid: dead }))).toBe(false)
  })

  it('an unreadable lock file is replaced; release removes only its own (or a stale) lock', async () => {
    writeFileSync(lock, 'not json')
    expect(acquireLock(lock, state())).toEqual({ ok: true })
    releaseLock(lock, 12345678)
    expect(existsSync(lock)).toBe(true) // held by this process, not by 12345678
    releaseLock(lock)
    expect(existsSync(lock)).toBe(false)
  })
})
