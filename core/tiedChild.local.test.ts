import { spawn, spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { findSetpriv, spawnTied, tiedCommand, type Tie } from './tiedChild'

/**
 * core/tiedChild.ts with real processes (`sh`, `setpriv`, `sleep`): the tie's shell runs the command
 * as itself (same pid) while its parent lives, and refuses or kills it once the parent is not there.
 * The SIGKILL of a real parent holding a real anvil is execution/committee/forkLeak.devnet.test.ts.
 */

const ties: Tie[] = findSetpriv() ? ['pdeathsig', 'watchdog'] : ['watchdog']

/** A pid that is certainly dead: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''])
  await new Promise((r) => child.once('exit', r))
  return child.pid!
}

describe('a tied child', () => {
  it.each(ties)('%s: runs the command as the child itself: its output, its exit code, its pid', async (tie) => {
    const child = spawnTied('/bin/sh', ['-c', 'echo "pid $$ args $*"; exit 7', 'x', 'a b', 'c'], { tie, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))
    expect(code).toBe(7)
    expect(out).toBe(`pid ${child.pid} args a b c\n`)
  })

  it.each(ties)('%s: a command whose parent is already gone is not left running', async (tie) => {
    // The tie's shell sees a parent other than the one it was told: pdeathsig refuses to run the
    // command (the parent died before the signal was armed), the watchdog kills it at its first look.
    const line = tiedCommand(tie, await deadPid(), '/bin/sh', ['-c', 'echo ran; exec sleep 60'])
    const r = spawnSync(line.file, line.args, { encoding: 'utf8', timeout: 120_000 })
    if (tie === 'pdeathsig') {
      expect(r.status).toBe(125)
      expect(r.stdout).toBe('')
    } else {
      expect(r.signal).toBe('SIGKILL')
      expect(r.status).toBeNull()
    }
  })

  it('pdeathsig runs the shell through setpriv --pdeathsig KILL, and is refused without setpriv', () => {
    expect(() => tiedCommand('watchdog', 1, 'true', [])).not.toThrow()
    if (findSetpriv()) expect(tiedCommand('pdeathsig', 1, 'true', []).args.slice(0, 3)).toEqual(['--pdeathsig', 'KILL', '--'])
    else expect(() => tiedCommand('pdeathsig', 1, 'true', [])).toThrow(/setpriv/)
  })
})
