import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBotApi } from '../devnet/telegram/botApi'
import { buildApps } from '../scripts/build'
import { agentConfig, until } from './agentProcess'

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

describe('the bundled Telegram bot reaches the Bot API', () => {
  // Seen live: bundling renamed abort-controller's class to "AbortSignal2", and node-fetch (under
  // grammY) refuses a signal whose constructor is not named "AbortSignal": every Bot API call of
  // the bundled bot failed ("Expected signal to be an instanceof AbortSignal") while the tests of
  // the sources passed. The bundle, started as PM2 starts it, must register its commands.
  it('dist/telegram.mjs registers its commands on the local Bot API server', async () => {
    const server = await startBotApi({ chats: [{ id: -100100, type: 'supergroup', title: 'ops' }] })
    const c = await agentConfig('poolwarden-bundle-tg-', {
      telegram: { enabled: true, mode: 'devnet', apiRoot: server.url, users: [{ id: 4242, name: 'olga', role: 'operator' }], chats: [{ id: -100100, alerts: ['warning', 'critical'] }] },
    })
    const child = spawn(process.execPath, [join(out, 'telegram.mjs')], { env: { PATH: process.env.PATH, POOLWARDEN_CONFIG: c.configPath, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => (output += String(d)))
    child.stderr.on('data', (d) => (output += String(d)))
    const exited = new Promise((r) => child.on('exit', r))
    try {
      await until(() => server.calls('setMyCommands').length > 0 || output.includes('instanceof AbortSignal') || child.exitCode !== null)
      expect(output).not.toContain('instanceof AbortSignal')
      expect(server.calls('setMyCommands').length).toBeGreaterThan(0)
    } finally {
      child.kill('SIGINT')
      await exited
      await server.close()
      await c.cleanup()
    }
  }, 120_000)
})
