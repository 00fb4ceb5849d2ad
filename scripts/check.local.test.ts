import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { checkConfig } from './check'

const root = join(import.meta.dirname, '..')
const EXAMPLE = join(root, 'config/profiles/mainnet.example.json')
const dir = mkdtempSync(join(tmpdir(), 'poolwarden-check-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The mainnet example with four problems, one per kind: bad address, unknown chain, duplicate id, unknown key. */
function brokenCopy(): string {
  const c = JSON.parse(readFileSync(EXAMPLE, 'utf8'))
  c.pool.account = '0x1234'
  c.venues[0].chain = 'arbitrun'
  c.venues[1].id = c.venues[2].id
  c.venu = []
  const file = join(dir, 'broken.json')
  writeFileSync(file, JSON.stringify(c, null, 2))
  return file
}

const BROKEN_LINES = [
  'config: pool.account: malformed address "0x1234": expected 0x followed by 40 hex digits',
  'config: venues[0].chain: unknown chain "arbitrun" (known: ethereum, arbitrum, base)',
  'config: venues[2].id: duplicate venue id "aave-v3-wsteth-ethereum" (also venues[1]): venue ids must be unique',
  'config: venu: unknown key "venu" (known: profile, store, chains, pool, venues, alerts, watch, execution, plans, strategy, governance, telegram, wormhole, custody, web): remove it or fix its name',
]

describe('checkConfig (offline)', () => {
  it('passes the mainnet example profile', async () => {
    const r = await checkConfig({ path: EXAMPLE })
    expect(r.problems).toEqual([])
    expect(r.summary).toBe('3 chain(s), 6 venue(s), offline checks')
  })

  it('a broken copy: one line per problem, schema and cross-field alike', async () => {
    expect((await checkConfig({ path: brokenCopy() })).problems).toEqual(BROKEN_LINES)
  })

  it('names a missing file and invalid JSON with its line', async () => {
    expect((await checkConfig({ path: join(dir, 'nope.json') })).problems).toEqual([`config: no config file at ${join(dir, 'nope.json')}: check the path`])
    writeFileSync(join(dir, 'bad.json'), '{\n  "chains": [],\n}')
    expect((await checkConfig({ path: 'bad.json', cwd: dir })).problems).toEqual(["config: bad.json:3:1: invalid JSON: expected a property name, got '}' (a trailing comma before it?)"])
  })
})

describe('npm run check (the script)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/check.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, POOLWARDEN_CONFIG: '' } })

  it('exits 0 on the example and 1 with the problem lines on stdout for the broken copy', () => {
    const ok = run('config/profiles/mainnet.example.json')
    expect(ok.status).toBe(0)
    expect(ok.stdout).toBe('')
    expect(ok.stderr).toMatch(/mainnet\.example\.json: ok \(3 chain\(s\), 6 venue\(s\), offline checks\)/)
    const bad = run(brokenCopy())
    expect(bad.status).toBe(1)
    expect(bad.stdout.trimEnd().split('\n')).toEqual(BROKEN_LINES)
    expect(bad.stderr).toMatch(/broken\.json: 4 problem\(s\)/)
  }, 120_000)
})
