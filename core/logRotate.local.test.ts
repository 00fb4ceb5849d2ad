import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { rotateIfOver, rotatingWrite, rotationFromEnv } from './logRotate'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pw-logrotate-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('log rotation (copy and truncate, as PM2 appends to the file)', () => {
  it('leaves a file at or under the limit alone; rotates one over it: .1 holds the lines, the file is empty', () => {
    const f = join(dir, 'app.log')
    appendFileSync(f, 'x'.repeat(100))
    expect(rotateIfOver(f, { maxBytes: 100, keep: 2 })).toBe(false)
    appendFileSync(f, 'y')
    expect(rotateIfOver(f, { maxBytes: 100, keep: 2 })).toBe(true)
    expect(statSync(f).size).toBe(0)
    expect(readFileSync(`${f}.1`, 'utf8')).toBe(`${'x'.repeat(100)}y`)
    expect(rotateIfOver(join(dir, 'missing.log'), { maxBytes: 1, keep: 1 })).toBe(false)
  })

  it('keeps at most `keep` rotated files, newest in .1', () => {
    const f = join(dir, 'app.log')
    for (const c of ['a', 'b', 'c', 'd']) {
      appendFileSync(f, c.repeat(20))
      rotateIfOver(f, { maxBytes: 10, keep: 2 })
    }
    expect(readFileSync(`${f}.1`, 'utf8')).toBe('d'.repeat(20))
    expect(readFileSync(`${f}.2`, 'utf8')).toBe('c'.repeat(20))
    expect(existsSync(`${f}.3`)).toBe(false)
  })

  it('a writer appending through it (as PM2 would) never lets the file pass the limit by more than one check interval', () => {
    const f = join(dir, 'app.log')
    const maxBytes = 64 * 1024
    // The "stdout" here appends to the file directly, as PM2 does with the app's output.
    const write = rotatingWrite({ file: f, maxBytes, keep: 3 }, { write: (s: string) => appendFileSync(f, s) })
    const line = `${JSON.stringify({ level: 30, msg: 'a log line of some length', n: 0 }).padEnd(120, ' ')}\n`
    let largest = 0
    for (let i = 0; i < 10_000; i++) {
      write(line)
      largest = Math.max(largest, statSync(f).size)
    }
    // 1.2 MB written through a 64 KiB limit: rotated, bounded, at most 3 kept.
    expect(existsSync(`${f}.3`)).toBe(true)
    expect(existsSync(`${f}.4`)).toBe(false)
    expect(largest).toBeLessThanOrEqual(maxBytes + Math.max(4096, maxBytes / 10) + line.length)
  })

  it('reads its settings from the environment PM2 apps get (none without a file)', () => {
    expect(rotationFromEnv({})).toBeUndefined()
    expect(rotationFromEnv({ POOLWARDEN_LOG_FILE: '/x/app.log', POOLWARDEN_LOG_MAX_BYTES: '2048', POOLWARDEN_LOG_KEEP: '5' })).toEqual({ file: '/x/app.log', maxBytes: 2048, keep: 5 })
    expect(rotationFromEnv({ POOLWARDEN_LOG_FILE: '/x/app.log', POOLWARDEN_LOG_KEEP: '0' })).toBeUndefined()
  })
})
