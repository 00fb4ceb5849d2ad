/** The web agent as a process: serves the dashboard on web.host:web.port, beats, stops on SIGINT; a bad port names the field. */
import { createServer } from 'node:net'
import { afterEach, expect, it } from 'vitest'
import { openStore, type Store } from '../store'
import { agentConfig, startAgentProcess } from '../test/agentProcess'

let store: Store | undefined
let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await store?.close()
  await cleanup?.()
  store = cleanup = undefined
})

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

async function setup(web: unknown): Promise<{ configPath: string; storePath: string }> {
  const c = await agentConfig('poolwarden-web-', { web })
  cleanup = c.cleanup
  return c
}

const start = (configPath: string) => startAgentProcess('web', { LOG_LEVEL: 'info', POOLWARDEN_CONFIG: configPath })

it('serves the dashboard on the configured port, beats a heartbeat, and exits 0 on SIGINT', { timeout: 60_000 }, async () => {
  const port = await freePort()
  const { configPath, storePath } = await setup({ port })
  const agent = start(configPath)
  try {
    let res: Response | undefined
    while (!res) {
      res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined)
      if (!res) await new Promise((r) => setTimeout(r, 200))
    }
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<h1>Overview</h1>')
    expect(agent.output()).toContain(`dashboard at http://127.0.0.1:${port}/`)
    store = await openStore({ path: storePath })
    while (!(await store.heartbeats.get('web'))) await new Promise((r) => setTimeout(r, 100))
    expect((await store.heartbeats.get('web'))!.info).toMatchObject({ last: { url: `http://127.0.0.1:${port}/` } })
  } finally {
    agent.child.kill('SIGINT')
  }
  expect(await agent.exited).toBe(0)
})

it('a port out of range exits 1 naming the field and the fix', { timeout: 60_000 }, async () => {
  const { configPath } = await setup({ port: 70_000 })
  const agent = start(configPath)
  expect(await agent.exited).toBe(1)
  expect(agent.output()).toContain('web.port: a port is 1..65535, e.g. 3320')
})
