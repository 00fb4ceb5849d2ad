import { spawnSync } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApps } from '../scripts/build'

/**
 * Every PM2 app runs an esbuild bundle (dist/), not the sources the other tests import: a bundle
 * can break where tsx does not (seen: the distributor's and the governor's bundles died at load
 * with "No layout registered for payload type TokenBridge:Transfer", because the Wormhole SDK is
 * marked side-effect free and the module that registers its layouts was dropped). Each bundle is
 * built here and started with a config path that does not exist: it must load and end with the
 * config error, never crash while loading.
 */
let out: string
beforeAll(async () => {
  // Inside the project: a bundle resolves its external packages (sqlite3, secp256k1…) from node_modules.
  out = join(import.meta.dirname, '..', '.devnet', 'test-build', `bundles-${process.pid}`)
  await buildApps(out)
}, 300_000)
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('the PM2 apps\' bundles load', () => {
  it('every bundle starts and stops on the missing config with the config error, not a load error', () => {
    // The agents (the devnet's services take no config and stay up: they are started by the devnet tests).
    const AGENTS = ['executor.mjs', 'governor.mjs', 'distributor.mjs', 'watcher.mjs', 'strategist.mjs', 'telegram.mjs', 'web.mjs', 'sentinel.mjs', 'metrics.mjs']
    expect(readdirSync(out)).toEqual(expect.arrayContaining(AGENTS))
    const bundles = AGENTS
    const crashed: string[] = []
    for (const b of bundles) {
      const r = spawnSync(process.execPath, [join(out, b)], { env: { PATH: process.env.PATH, POOLWARDEN_CONFIG: '/nonexistent/poolwarden.json', POOLWARDEN_CHAIN: 'ethereum', LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 })
      const text = `${r.stdout}${r.stderr}`
      if (/No layout registered|SyntaxError|ReferenceError|Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(text) || !text.includes('/nonexistent/poolwarden.json')) crashed.push(`${b}: exit ${r.status}: ${text.trim().split('\n').slice(-3).join(' | ')}`)
    }
    expect(crashed).toEqual([])
  }, 600_000)
})
