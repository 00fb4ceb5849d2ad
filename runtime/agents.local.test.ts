import { afterEach, expect, it } from 'vitest'
import { openStore, type Store } from '../store'
import { agentConfig, startAgentProcess, until } from '../test/agentProcess'

/** Agent processes on the runtime: start, beat, honour a pause, stop on SIGINT; a config error exits 1 with its line. */
let store: Store | undefined
let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await store?.close()
  await cleanup?.()
  store = cleanup = undefined
})

async function setup(): Promise<{ configPath: string; storePath: string }> {
  const c = await agentConfig('poolwarden-agents-')
  cleanup = c.cleanup
  return c
}

it('the strategist beats { paused, last }, sits out a pause, and exits 0 on SIGINT', async () => {
  const { configPath, storePath } = await setup()
  const agent = startAgentProcess('strategist', { POOLWARDEN_CONFIG: configPath })
  try {
    store = await openStore({ path: storePath })
    await until(async () => (await store!.heartbeats.get('strategist')) !== undefined)
    expect((await store.heartbeats.get('strategist'))!.info).toMatchObject({ paused: false, last: {}, hold: {}, periodMs: expect.any(Number), process: { rssBytes: expect.any(Number) } })
    await store.controls.set('pause:strategist', true, 'test')
    await until(async () => ((await store!.heartbeats.get('strategist'))!.info as { paused: boolean }).paused)
  } finally {
    agent.child.kill('SIGINT')
  }
  expect(await agent.exited).toBe(0)
}, 120_000)

it('the executor without its signer key exits 1 with the config line naming the variable', async () => {
  const { configPath } = await setup()
  const agent = startAgentProcess('executor', { POOLWARDEN_CONFIG: configPath, POOLWARDEN_EXECUTOR_KEY: '', POOLWARDEN_EXECUTOR_KEY_FILE: '' })
  expect(await agent.exited).toBe(1)
  expect(agent.output()).toMatch(/^config: secret POOLWARDEN_EXECUTOR_KEY: not set: export POOLWARDEN_EXECUTOR_KEY/m)
}, 120_000)
