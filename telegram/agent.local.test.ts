import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { startBotApi, type BotApiServer } from '../devnet/telegram/botApi'
import { openStore, type Store } from '../store'
import { tempDir } from '../store/testing'
import { COMMANDS } from './commands'
import { ADDR, OPERATOR, OPS_CHAT } from './testing'

let server: BotApiServer | undefined
let store: Store | undefined
let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await store?.close()
  await server?.close()
  await cleanup?.()
})

it('the agent process registers its commands, answers, delivers alerts, beats, and stops on SIGINT', async () => {
  server = await startBotApi({ chats: [{ id: OPS_CHAT, type: 'supergroup', title: 'ops' }] })
  const tmp = await tempDir('poolwarden-tg-agent-')
  cleanup = tmp.cleanup
  const storePath = join(tmp.dir, 'poolwarden.sqlite')
  const configPath = join(tmp.dir, 'config.json')
  writeFileSync(
    configPath,
    JSON.stringify({
      store: { path: storePath },
      chains: [{ name: 'ethereum', chainId: 31337, rpc: [{ url: 'http://127.0.0.1:1/' }] }],
      pool: { account: ADDR, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: ADDR }] },
      telegram: {
        enabled: true,
        mode: 'devnet',
        apiRoot: server.url,
        users: [{ id: OPERATOR.id, name: 'olga', role: 'operator' }],
        chats: [{ id: OPS_CHAT, alerts: ['warning', 'critical'] }],
        delivery: { pollMs: 200 },
        rateLimits: { privateMinGapMs: 0 },
      },
    }),
  )
  store = await openStore({ path: storePath })
  await store.alerts.raise({ dedupKey: 'k', agent: 'watcher-ethereum', chain: 'ethereum', rule: 'depeg', subject: 's', severity: 'critical', title: 'depeg on ethereum' })
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../agents/telegram.ts')], {
    env: { ...process.env, POOLWARDEN_CONFIG: configPath, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += String(d)))
  child.stderr.on('data', (d) => (output += String(d)))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    await server.waitFor(() => server!.calls('setMyCommands').length > 0 && server!.sent(OPS_CHAT).length > 0, 30_000)
    expect(server.calls('setMyCommands')[0]!.params.commands).toEqual(COMMANDS)
    expect(server.sent(OPS_CHAT)[0]!.text).toMatch(/^🚨 <b>CRITICAL<\/b> · depeg on ethereum/)
    for (let i = 0; i < 100 && !(await store.heartbeats.get('telegram')); i++) await new Promise((r) => setTimeout(r, 100))
    server.injectMessage({ from: OPERATOR, text: '/status' })
    await server.waitFor(() => server!.sent(OPERATOR.id).length > 0, 10_000)
    expect(server.sent(OPERATOR.id)[0]!.text).toMatch(/^Agents:\n {2}✓ telegram — beat/)
    expect((await store.alerts.undelivered()).length).toBe(0)
  } finally {
    child.kill('SIGINT')
  }
  expect(await exited).toBe(0)
  expect(output).not.toContain(server.token.split(':')[1])
}, 60_000)
