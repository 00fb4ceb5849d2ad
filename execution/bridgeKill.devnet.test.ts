import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseEther } from 'viem'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openStore } from '../store'
import { useDevnet } from '../test/devnet'
import { bundleRunner } from './testing/bundleRunner'
import { callsTo, createBridgePlan, idleBalances, startBridgeWorld, sum18, type BridgeWorld } from './testing/bridgeDevnet'

/**
 * The bridge's crash test: the executor (a real child process, execution/testing/runPlan.ts) is
 * SIGKILLed right after the source tx, after the VAA is fetched and after the redeem (and at the
 * points in between), and restarted each time. Every plan ends completed with exactly one
 * transferTokens and one completeTransfer on chain, and the pool's collateral summed over the
 * chains is what it was (the token bridge charges no fee on a manual transfer; gas is paid in ETH).
 */

const devnet = useDevnet()
const FROM = 'ethereum'
const TO = 'arbitrum'
const pool = devnet.accounts.pool.address

let runner: { file: string; remove(): void }
let world: BridgeWorld
beforeAll(async () => {
  runner = await bundleRunner(`runPlan-bridge-${process.pid}`)
  world = await startBridgeWorld(devnet)
})
afterAll(async () => {
  runner?.remove()
  await world?.stop()
})
let stopTicker: () => Promise<void>
beforeEach(() => {
  stopTicker = world.tick(100)
})
afterEach(() => stopTicker())

interface Run {
  killedAt?: string
  result?: string
  points: string[]
}

/** One runner process on the plan; SIGKILLed at `dieAt` if it gets there. */
function runOnce(env: Record<string, string>, dieAt?: string): Promise<Run> {
  const child = spawn(process.execPath, [runner.file], { env: { ...process.env, ...env, LOG_LEVEL: 'silent', ...(dieAt ? { POOLWARDEN_DIE_AT: dieAt } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] })
  const run: Run = { points: [] }
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('POINT ')) run.points.push(line.slice(6))
    else if (line.startsWith('DIE ')) {
      run.killedAt = line.slice(4)
      child.kill('SIGKILL')
    } else if (line.startsWith('RESULT ')) run.result = line.slice(7)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (run.killedAt && signal === 'SIGKILL') return resolve(run)
      if (code === 0) return resolve(run)
      reject(new Error(`runner exited ${code ?? signal} (die at ${dieAt ?? '-'}): ${run.result ?? ''} ${stderr.slice(-2000)}; points: ${run.points.join(' ')}`))
    })
  })
}

async function setUp(planId: string) {
  const dir = await mkdtemp(join(tmpdir(), 'poolwarden-bridge-kill-'))
  const storePath = join(dir, 'poolwarden.sqlite')
  const config = world.config(storePath)
  const configPath = join(dir, 'config.json')
  await writeFile(configPath, JSON.stringify(config))
  const store = await openStore({ path: storePath })
  try {
    await createBridgePlan(store, config, planId, { from: FROM, to: TO, amount: parseEther('4') })
  } finally {
    await store.close()
  }
  const wh = (c: string) => config.wormhole!.chains.find((x) => x.chain === c)!
  const start = { from: await devnet.chain(FROM).public.getBlockNumber({ cacheTime: 0 }), to: await devnet.chain(TO).public.getBlockNumber({ cacheTime: 0 }) }
  const before = sum18(config, await idleBalances(devnet, config))
  return {
    env: { POOLWARDEN_CONFIG: configPath, POOLWARDEN_EXECUTOR_KEY: devnet.poolKey, POOLWARDEN_PLAN: planId, POOLWARDEN_POLL_MS: '20' },
    async verify() {
      expect(await callsTo(devnet, FROM, pool, wh(FROM).tokenBridge, start.from)).toHaveLength(1)
      expect(await callsTo(devnet, TO, pool, wh(TO).tokenBridge, start.to)).toHaveLength(1) // exactly one redeem
      expect(sum18(config, await idleBalances(devnet, config))).toBe(before) // conserved: nothing lost, nothing twice
      const check = await openStore({ path: storePath })
      try {
        const plan = await check.plans.getWithSteps(planId)
        expect(plan?.plan.status).toBe('completed')
        const [t] = await check.transfers.list({ planId })
        expect(t?.state).toBe('deposited')
        expect(t?.destTx).toMatch(/^0x/)
        const intents = await check.intents.list({ keyPrefix: `${planId}:` })
        expect(intents.filter((i) => i.key.startsWith(`${planId}:1:`)).map((i) => [i.key, i.status])).toEqual([[`${planId}:1:0`, 'confirmed']])
      } finally {
        await check.close()
      }
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

describe('bridge kill test (devnet, child process)', () => {
  for (const [name, point] of [
    ['right after the source tx', 'confirmed:{p}:0:1'],
    ['after the VAA is fetched', 'bridge-vaa-signed:{p}:0'],
    ['after the redeem', 'bridge-redeem-confirmed:{p}:0'],
  ] as const) {
    it(`SIGKILL ${name}, restart: exactly one redeem, collateral conserved`, async () => {
      const planId = `k-${point.split(':')[0]}`
      const w = await setUp(planId)
      try {
        const p = point.replace('{p}', planId)
        const killed = await runOnce(w.env, p)
        expect(killed.killedAt).toBe(p)
        expect((await runOnce(w.env)).result).toBe('completed')
        await w.verify()
      } finally {
        await w.cleanup()
      }
    })
  }

  it('SIGKILL at every point of the transfer in turn (source intents, initiated, VAA, redeem intent, redeemed), restart each time: same end state', async () => {
    const planId = 'kall'
    const w = await setUp(planId)
    try {
      const t = `${planId}:0`
      const points = [
        `signed:${planId}:0:1`,
        `sent:${planId}:0:1`,
        `confirmed:${planId}:0:1`,
        `bridge-source-confirmed:${t}`,
        `bridge-initiated:${t}`,
        `step-done:0`,
        `bridge-vaa-signed:${t}`,
        `signed:${planId}:1:0`,
        `sent:${planId}:1:0`,
        `mined:${planId}:1:0`,
        `bridge-redeem-confirmed:${t}`,
        `bridge-redeemed:${t}`,
        `step-done:1`,
      ]
      const killed: string[] = []
      for (const p of points) {
        const run = await runOnce(w.env, p)
        expect(run.killedAt, `meant to die at ${p}; points: ${run.points.join(' ')}`).toBe(p)
        killed.push(run.killedAt!)
      }
      expect(killed).toEqual(points)
      expect((await runOnce(w.env)).result).toBe('completed')
      await w.verify()
    } finally {
      await w.cleanup()
    }
  })
})
