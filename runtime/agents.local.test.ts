import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { openStore, type Store } from '../store'
import { tempDir } from '../store/testing'

/** Agent processes on the runtime: start, beat, honour a pause, stop on SIGINT; a config error exits 1 with its line. */
const root = join(import.meta.dirname, '..')
const ADDR = '0x00000000000000000000000000000000000000a1'
let store: Store | undefined
let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await store?.close()
  await cleanup?.()
  store = cleanup = undefined
})

async function setup(): Promise<{ configPath: string; storePath: string }> {
  const tmp = await tempDir('poolwarden-agents-')
  cleanup = tmp.cleanup
  const storePath = join(tmp.dir, 'poolwarden.sqlite')
  const configPath = join(tmp.dir, 'config.json')
  writeFileSync(
    configPath,
    JSON.stringify({
      store: { path: storePath },
      // No node listens there: the agents must keep running (and beating) anyway.
      chains: [{ name: 'ethereum', chainId: 1, blockTimeMs: 500, rpc: [{ url: 'http://127.0.0.1:1/' }] }],
      pool: { account: ADDR, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: ADDR }] },
    }),
  )
  return { configPath, storePath }
}

function start(agent: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'agents', `${agent}.ts`)], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (d) => (output += String(d)))
  child.stderr.on('data', (d) => (output += String(d)))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, exited, output: () => output }
}

async function until(cond: () => Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 100))
}

it('the strategist beats { paused, last }, sits out a pause, and exits 0 on SIGINT', async () => {
  const { configPath, storePath } = await setup()
  const agent = start('strategist', { POOLWARDEN_CONFIG: configPath })
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
  const agent = start('executor', { POOLWARDEN_CONFIG: configPath, POOLWARDEN_EXECUTOR_KEY: '', POOLWARDEN_EXECUTOR_KEY_FILE: '' })
  expect(await agent.exited).toBe(1)
  expect(agent.output()).toMatch(/^config: secret POOLWARDEN_EXECUTOR_KEY: not set: export POOLWARDEN_EXECUTOR_KEY/m)
}, 120_000)
