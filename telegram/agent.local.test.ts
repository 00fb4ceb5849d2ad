import { afterEach, expect, it } from 'vitest'
import { startBotApi, type BotApiServer } from '../devnet/telegram/botApi'
import { openStore, type Store } from '../store'
import { agentConfig, startAgentProcess } from '../test/agentProcess'
import { COMMANDS } from './commands'
import { OPERATOR, OPS_CHAT } from './testing'

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
  const { configPath, storePath, cleanup: done } = await agentConfig('poolwarden-tg-agent-', {
    telegram: {
      enabled: true,
      mode: 'devnet',
      apiRoot: server.url,
      users: [{ id: OPERATOR.id, name: 'olga', role: 'operator' }],
      chats: [{ id: OPS_CHAT, alerts: ['warning', 'critical'] }],
      delivery: { pollMs: 200 },
      rateLimits: { privateMinGapMs: 0 },
    },
  })
  cleanup = done
  store = await openStore({ path: storePath })
  await store.alerts.raise({ dedupKey: 'k', agent: 'watcher-ethereum', chain: 'ethereum', rule: 'depeg', subject: 's', severity: 'critical', title: 'depeg on ethereum' })
  const { child, exited, output } = startAgentProcess('telegram', { POOLWARDEN_CONFIG: configPath })
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
  expect(output()).not.toContain(server.token.split(':')[1])
}, 60_000)
