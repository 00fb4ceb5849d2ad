/**
 * `npm run transfers` as an operator runs it (a real process over a real SQLite file): list shows
 * a held transfer, release needs --as <operator>, clears the hold once and audits it.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openStore } from '../store'
import { createHeldTransfer } from '../telegram/testing'

const root = join(import.meta.dirname, '..')
const dir = mkdtempSync(join(tmpdir(), 'poolwarden-transfers-'))
const configPath = join(dir, 'config.json')
const storePath = join(dir, 'store.sqlite')
const env = { ...process.env, POOLWARDEN_CONFIG: configPath }
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'transfers.ts'), ...args], { cwd: root, encoding: 'utf8', env })
let id: string

beforeAll(async () => {
  const c = JSON.parse(readFileSync(join(root, 'config/profiles/mainnet.example.json'), 'utf8'))
  c.store = { path: storePath }
  c.telegram = { users: [{ id: 1, name: 'olga', role: 'operator' }, { id: 2, name: 'victor', role: 'viewer' }] }
  writeFileSync(configPath, JSON.stringify(c))
  const store = await openStore({ path: storePath })
  id = await createHeldTransfer(store)
  await store.close()
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('lists a held transfer, refuses a release without an operator, releases it once with an audit row', async () => {
  const list = run('list')
  expect(list.status).toBe(0)
  expect(list.stdout).toMatch(new RegExp(`^ID +STATE +ROUTE`))
  expect(list.stdout).toMatch(new RegExp(`\\n${id} +initiated +ethereum→arbitrum +5000000000000000000 +0 +HELD `))
  expect(list.stdout).toContain('  held: the redeem on arbitrum failed 3 time(s)')

  const noAs = run('release', id)
  expect(noAs.status).toBe(2)
  expect(noAs.stderr).toBe('release: --as <operator> is required (operators: olga)\n')
  const viewer = run('release', id, '--as', 'victor')
  expect(viewer.status).toBe(2)
  expect(viewer.stderr).toBe('release: --as "victor" is not an operator (operators: olga)\n')
  expect(run('release', 'p-nope:0', '--as', 'olga').stdout).toBe('no transfer "p-nope:0" (list them: npm run transfers -- list)\n')

  const ok = run('release', id, '--as', 'olga')
  expect(ok.stderr).toBe('')
  expect(ok.status).toBe(0)
  expect(ok.stdout).toMatch(new RegExp(`^released transfer ${id} \\(ethereum → arbitrum, initiated\\)`))
  const again = run('release', id, '--as', 'olga')
  expect(again.status).toBe(2)
  expect(again.stdout).toMatch(/is initiated and not held: nothing to release/)

  const store = await openStore({ path: storePath })
  try {
    const t = (await store.transfers.get(id))!
    expect(t.heldReason).toBeNull()
    expect(t.releasedAt).not.toBeNull()
    const audit = await store.audit.recent(10, { action: 'transfer.release' })
    expect(audit.map((a) => [a.actor, (a.detail as { id: string }).id, (a.detail as { heldReason: string }).heldReason])).toEqual([['cli:olga', id, 'the redeem on arbitrum failed 3 time(s)']])
  } finally {
    await store.close()
  }
}, 120_000)
