import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { alive, pm2DaemonPid } from './procs'
import { ROOT } from './pm2'
import { teardown } from './teardown'

/**
 * A PM2 daemon caught while it is still loading (what an `npm start` interrupted during PM2's
 * connect leaves): the real daemon script of node_modules/pm2, stopped right after exec, before
 * it could write its pid file. CI saw `npm stop` 3 s into `npm start` say "nothing had started"
 * and leave exactly such a daemon running.
 */
const home = mkdtempSync(join(tmpdir(), 'pm2-loading-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))

describe('a PM2 daemon that has not written its pid file yet', () => {
  it('is found by its PM2_HOME and ended by the teardown', async () => {
    const daemon = spawn(process.execPath, [join(ROOT, 'node_modules/pm2/lib/Daemon.js')], {
      env: { PATH: process.env.PATH, PM2_HOME: home, SILENT: 'true' },
      detached: true,
      stdio: 'ignore',
    })
    const pid = daemon.pid!
    try {
      process.kill(pid, 'SIGSTOP') // node has not loaded yet: no pid file can exist
      expect(existsSync(join(home, 'pm2.pid'))).toBe(false)
      expect(pm2DaemonPid(home)).toBe(pid)
      // Another PM2_HOME's lookup does not take it.
      expect(pm2DaemonPid(join(home, 'other'))).toBeUndefined()

      process.kill(pid, 'SIGCONT')
      const report = await teardown({ pm2Home: home, ports: [], daemonGraceMs: 15_000 })
      expect(report.ended.map((p) => p.pid)).toContain(pid)
      expect(alive(pid)).toBe(false)
      expect(pm2DaemonPid(home)).toBeUndefined()
    } finally {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        /* gone */
      }
    }
  }, 60_000)
})
