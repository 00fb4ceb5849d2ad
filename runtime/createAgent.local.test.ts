import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { parseConfig } from '../config/load'
import { tempDir } from '../store/testing'
import { createAgent, type Agent } from './createAgent'

const ADDR = '0x00000000000000000000000000000000000000a1'
let agent: Agent | undefined
let cleanup: (() => Promise<void>) | undefined
afterEach(async () => {
  await agent?.shutdown.shutdown()
  await cleanup?.()
  agent = cleanup = undefined
})

async function start(name = 'probe'): Promise<Agent> {
  const tmp = await tempDir('poolwarden-runtime-')
  cleanup = tmp.cleanup
  const config = parseConfig({
    store: { path: join(tmp.dir, 'poolwarden.sqlite') },
    chains: [
      { name: 'ethereum', chainId: 1, blockTimeMs: 12_000, rpc: [{ url: 'http://127.0.0.1:1/' }] },
      { name: 'base', chainId: 8453, blockTimeMs: 2_000, rpc: [{ url: 'http://127.0.0.1:2/' }] },
    ],
    pool: { account: ADDR, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: ADDR }] },
  })
  agent = await createAgent({ identity: name, config, handleSignals: false, logLevel: 'silent' })
  return agent
}

/** The agent's own heartbeat fields: without what the runtime adds to every beat (period, rounds, process and RPC counters). */
function own(info: unknown): unknown {
  if (info === undefined) return undefined
  const { process: _p, rpc: _r, periodMs: _m, rounds: _n, ...rest } = info as Record<string, unknown>
  return rest
}

/** Resolves once `cond` holds, polling the store (no timing asserted: the test timeout is the bound). */
async function until(cond: () => Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 10))
}

it('polls at half the fastest block time and names the store rows after the agent', async () => {
  const a = await start('probe')
  expect(a.pollMs).toBe(1_000)
  await a.beat({ hello: 1 })
  const info = (await a.store.heartbeats.get('probe'))?.info as Record<string, unknown>
  expect(own(info)).toEqual({ hello: 1 })
  // Every beat carries the process's own counters for the metrics exporter (core/metrics.ts).
  const proc = info.process as { cpuSeconds: number; rssBytes: number }
  expect(proc.cpuSeconds).toBeGreaterThan(0)
  expect(proc.rssBytes).toBeGreaterThan(1_000_000)
  expect(info.rpc).toEqual({})
})

it('loop: skips rounds while paused, runs them after, beats { paused, last }, survives a failing round, ends on shutdown', async () => {
  const a = await start('probe')
  await a.store.controls.set('pause:probe', true, 'test')
  let rounds = 0
  const loop = a.loop({
    everyMs: 5,
    round: async () => {
      rounds++
      if (rounds === 2) throw new Error('boom')
      return { rounds }
    },
  })
  await until(async () => (await a.store.heartbeats.get('probe')) !== undefined)
  expect(own((await a.store.heartbeats.get('probe'))?.info)).toEqual({ paused: true })
  expect((await a.store.heartbeats.get('probe'))?.info).toMatchObject({ periodMs: 5, rounds: { n: 0, failed: 0 } })
  expect(rounds).toBe(0)

  await a.store.controls.clear('pause:probe')
  await until(async () => rounds >= 3)
  await a.store.controls.set('pause:all', true, 'test')
  await until(async () => ((await a.store.heartbeats.get('probe'))?.info as { paused?: boolean }).paused === true)
  const frozen = rounds
  // A paused agent beats but does not work: after more beats the round count has not moved.
  const before = (await a.store.heartbeats.get('probe'))!.beatAt
  await until(async () => (await a.store.heartbeats.get('probe'))!.beatAt > before)
  expect(rounds).toBe(frozen)

  await a.shutdown.shutdown('test')
  await loop
  agent = undefined
  // The store is closed by the shutdown hook: the loop ended and nothing else runs.
  await expect(a.store.heartbeats.get('probe')).rejects.toThrow()
})

it('loop: a failed round is logged and beaten as { error }, and the next round still runs', async () => {
  const a = await start('probe')
  let rounds = 0
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const loop = a.loop({
    everyMs: 5,
    pausable: false,
    round: async () => {
      rounds++
      if (rounds === 1) throw new Error('boom', { cause: new Error('rpc down') })
      await gate
      return 'ok'
    },
  })
  const info = async () => JSON.stringify(own((await a.store.heartbeats.get('probe'))?.info))
  await until(async () => (await info()) === JSON.stringify({ last: { error: 'boom <- rpc down' } }))
  release()
  await until(async () => (await info()) === JSON.stringify({ last: 'ok' }))
  expect(rounds).toBeGreaterThanOrEqual(2)
  // The runtime counts rounds and failed rounds for the exporter: the first one failed.
  expect((await a.store.heartbeats.get('probe'))?.info).toMatchObject({ rounds: { failed: 1 } })
  await a.shutdown.shutdown('test')
  await loop
})
