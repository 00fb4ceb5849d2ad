/**
 * The CLI scripts as a user runs them (real processes over a real SQLite file): a closed pipe,
 * --help, usage errors and the tally list. Config: the mainnet example with a temp store.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../store'

const root = join(import.meta.dirname, '..')
const dir = mkdtempSync(join(tmpdir(), 'poolwarden-cli-'))
const configPath = join(dir, 'config.json')
const env = { ...process.env, POOLWARDEN_CONFIG: configPath }
const script = (name: string) => join(root, 'scripts', `${name}.ts`)
const run = (name: string, ...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', script(name), ...args], { cwd: root, encoding: 'utf8', env })

beforeAll(async () => {
  const c = JSON.parse(readFileSync(join(root, 'config/profiles/mainnet.example.json'), 'utf8'))
  c.store = { path: join(dir, 'store.sqlite') }
  writeFileSync(configPath, JSON.stringify(c))
  const store = await openStore({ path: c.store.path })
  const A = '0x8f3a9c2e11d04b7a6c5e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e'
  await store.governance.upsertProposal({ key: `snapshot:upstream-dao.eth:${A}`, source: 'snapshot', space: 'upstream-dao.eth', chain: null, governor: null, upstreamId: A, type: 'single-choice', title: 'Raise the cap', choices: ['Yes', 'No'], start: 1_799_000_000, end: 1_800_086_400, snapshot: '1', snapshotTime: null })
  await store.governance.upsertProposal({ key: 'governor:ethereum:0xgov:42', source: 'governor', space: null, chain: 'ethereum', governor: '0x0000000000000000000000000000000000000001', upstreamId: '42', type: 'basic', title: 'Treasury swap', choices: ['Against', 'For', 'Abstain'], start: 1_799_000_000, end: 1_800_000_000, snapshot: '1', snapshotTime: null })
  await store.close()
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('CLI scripts', () => {
  it('npm run status survives a closed pipe: exit 0, nothing on stderr', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', script('status')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
    // The reader goes away before the script writes anything (as `| head` does after its lines).
    child.stdout.destroy()
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
    expect(stderr).toBe('')
    expect(code).toBe(0)
  }, 60_000)

  it('plan --help prints the usage on stdout and exits 0', () => {
    const r = run('plan', '--help')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^usage: npm run plan -- list \| show <id>/)
    expect(r.stderr).toBe('')
  }, 60_000)

  it('usage errors are not config problems: no config: prefix, exit 2', () => {
    const unknown = run('plan', 'frobnicate')
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/^unknown command "frobnicate": usage: npm run plan -- /)
    const flag = run('plan', 'list', '--frob')
    expect(flag.status).toBe(2)
    expect(flag.stderr).toMatch(/^plan: Unknown option '--frob'/)
    const tally = run('tally', 'a', 'b')
    expect(tally.status).toBe(2)
    expect(tally.stderr).toMatch(/^usage: npm run tally -- /)
    for (const r of [unknown, flag, tally]) expect(r.stderr).not.toMatch(/config:/)
  }, 60_000)

  it('the tally list has a header and aligned columns; the short id it shows finds the proposal', () => {
    const r = run('tally')
    expect(r.status).toBe(0)
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      'ID           STATUS  ENDS (UTC)        TALLY  WHERE              TITLE',
      '0x8f3a9c2e…  seen    2027-01-16 08:00  -      upstream-dao.eth   Raise the cap',
      '42           seen    2027-01-15 08:00  -      ethereum governor  Treasury swap',
    ])
    const byShort = run('tally', '0x8f3a9c2e…')
    expect(byShort.stderr.trim()).toBe('proposal 0x8f3a9c2e11d04b7a6c5e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e: no tally yet (status seen)')
    expect(byShort.status).toBe(2)
  }, 60_000)
})
