import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { decodeFunctionData, type Address } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../store'
import { useDevnet } from '../test/devnet'
import { erc20ApproveAbi, slippageRouterAbi } from './abis'
import { readPosition } from './readPosition'
import { bundleRunner } from './testing/bundleRunner'
import { chainClient, setPoolAllowance, testConfig, txsFrom } from './testing/devnetHelpers'
import { createTestPlan, rebalanceSteps } from './testing/plans'

/**
 * The issue's headline fault test: the executor (a real child process: execution/testing/runPlan.ts)
 * is SIGKILLed at every step boundary and at every point inside each step's transactions, and
 * restarted each time. The plan must complete with each step's transaction on chain exactly once.
 */

const devnet = useDevnet()
const CHAIN = 'ethereum'
const pool = devnet.accounts.pool.address

let runner: { file: string; remove(): void }
beforeAll(async () => {
  runner = await bundleRunner(`runPlan-kill-${process.pid}`)
})
afterAll(() => runner?.remove())

interface Run {
  /** The point it was killed at, if it got there. */
  killedAt?: string
  result?: string
  code: number | null
  signal: NodeJS.Signals | null
  points: string[]
}

interface Runner {
  /**
   * Starts the plan. `dieAt`: the runner stops at that point and is SIGKILLed there.
   * `killAfterMs`: SIGKILLed that long after it reports its first point (inside the plan's work).
   */
  go(dieAt?: string, killAfterMs?: number): Promise<Run>
  kill(): void
}

/**
 * A runner process, loaded and waiting for GO on stdin: the next one is spawned while the
 * current one runs, so a restart costs no module loading.
 */
function spawnRunner(env: Record<string, string>): Runner {
  const child = spawn(process.execPath, [runner.file], {
    env: { ...process.env, ...env, POOLWARDEN_WAIT_GO: '1', LOG_LEVEL: 'silent' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const run: Run = { code: null, signal: null, points: [] }
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  let killAfter: number | undefined
  let killer: NodeJS.Timeout | undefined
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('POINT ')) {
      run.points.push(line.slice(6))
      if (killAfter !== undefined && !killer) killer = setTimeout(() => child.kill('SIGKILL'), killAfter)
    } else if (line.startsWith('DIE ')) {
      run.killedAt = line.slice(4)
      child.kill('SIGKILL') // the test kills it, mid-flight
    } else if (line.startsWith('RESULT ')) run.result = line.slice(7)
    else if (line.startsWith('TRACE ') && process.env.KILL_TRACE) console.log(line)
  })
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(killer)
      run.code = code
      run.signal = signal
      resolve()
    }),
  )
  return {
    async go(dieAt, killAfterMs) {
      killAfter = killAfterMs
      child.stdin.end(`GO${dieAt ? ` ${dieAt}` : ''}\n`)
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
      if (!run.killedAt && run.signal !== 'SIGKILL' && run.code !== 0) throw new Error(`runner exited ${run.code ?? run.signal}: ${run.result ?? ''} ${stderr}`)
      if (run.signal === 'SIGKILL' && !run.killedAt && killAfterMs === undefined) throw new Error(`runner did not finish in 20 s (die at ${dieAt}); points: ${run.points.join(' ')}`)
      return run
    },
    kill: () => child.kill('SIGKILL'),
  }
}

/** Runs the plan in fresh processes one after another, each spawned while the previous one works. */
function runners(env: Record<string, string>): { next(): Runner; close(): void } {
  let spare = spawnRunner(env)
  return {
    next() {
      const r = spare
      spare = spawnRunner(env)
      return r
    },
    close: () => spare.kill(),
  }
}

/**
 * The kill points of the plan's execution, in order: the step boundaries and, for each tx, every
 * stored state (created, signed, mined, confirmed) plus one of the two windows around the
 * broadcast, alternating from tx to tx: 'sent' (the node has the tx, the store still says signed:
 * the restart finds the receipt) or 'broadcast' (stored as broadcast, no receipt read yet). One
 * run cannot stop in both windows of one tx: after a kill at 'sent' the restart goes straight
 * from signed to mined. Points that leave the same store state as another are left out: a
 * step's last 'confirmed' is its 'step-txs-confirmed', and 'step-start' of the next step is the
 * previous 'step-done'.
 */
function killPoints(planId: string, intentsPerStep: number[]): string[] {
  const out: string[] = ['step-start:0']
  let tx = 0
  intentsPerStep.forEach((n, step) => {
    for (let i = 0; i < n; i++, tx++) {
      const points = ['created', 'signed', tx % 2 === 0 ? 'sent' : 'broadcast', 'mined', ...(i < n - 1 ? ['confirmed'] : [])]
      for (const p of points) out.push(`${p}:${planId}:${step}:${i}`)
    }
    out.push(`step-txs-confirmed:${step}`, `step-done:${step}`)
  })
  return out
}

interface World {
  env: Record<string, string>
  /** Asserts the end state: the plan completed, each of its six txs on chain exactly once, positions moved once. */
  verify(planId: string): Promise<void>
  cleanup(): Promise<void>
}

/** A temp store and config file, the deposit approvals revoked, and an approved 3-step plan. */
async function setUp(planId: string): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'poolwarden-kill-'))
  const storePath = join(dir, 'poolwarden.sqlite')
  const config = testConfig(devnet, { storePath })
  const configPath = join(dir, 'config.json')
  await writeFile(configPath, JSON.stringify(config))
  const venues = devnet.deployment.chains[CHAIN]!.venues
  // Revoke the deployment's max approvals: the deposit steps need approve + deposit/supply.
  await setPoolAllowance(devnet, CHAIN, (venues.find((v) => v.id === `${CHAIN}-vault-boost`) as { vault: Address }).vault, 0n)
  await setPoolAllowance(devnet, CHAIN, (venues.find((v) => v.id === `${CHAIN}-aave`) as { market: Address }).market, 0n)

  const chain = chainClient(config, CHAIN)
  const startBlock = await chain.client.getBlockNumber({ cacheTime: 0 })
  const venue = (id: string) => config.venues.find((v) => v.id === id)!
  const ids = [`${CHAIN}-vault-core`, `${CHAIN}-vault-boost`, `${CHAIN}-aave`]
  const before = await Promise.all(ids.map((id) => readPosition(chain.client, venue(id), pool, startBlock)))
  const store = await openStore({ path: storePath })
  try {
    await createTestPlan(store, planId, CHAIN, rebalanceSteps(CHAIN))
  } finally {
    await store.close()
  }

  return {
    env: {
      POOLWARDEN_CONFIG: configPath,
      POOLWARDEN_EXECUTOR_KEY: devnet.poolKey,
      POOLWARDEN_PLAN: planId,
      POOLWARDEN_POLL_MS: '20',
      ...(process.env.KILL_TRACE ? { POOLWARDEN_TRACE: '1' } : {}),
    },
    async verify() {
      // On chain: exactly the plan's six transactions (each step: approve(router) + its bounded router call), in order, consecutive nonces, all successful.
      const txs = await txsFrom(devnet, CHAIN, pool, startBlock)
      const fn = (input: `0x${string}`) => {
        for (const abi of [slippageRouterAbi, erc20ApproveAbi]) {
          try {
            return decodeFunctionData({ abi, data: input }).functionName
          } catch {
            /* next */
          }
        }
        return '?'
      }
      expect(txs.map((t) => fn(t.input))).toEqual(['approve', 'withdrawChecked', 'approve', 'depositChecked', 'approve', 'supplyChecked'])
      expect(txs.map((t) => t.nonce - txs[0]!.nonce)).toEqual([0, 1, 2, 3, 4, 5])
      for (const t of txs) expect((await chain.client.getTransactionReceipt({ hash: t.hash })).status).toBe('success')

      const check = await openStore({ path: storePath })
      try {
        const intents = await check.intents.list({ keyPrefix: `${planId}:` })
        expect(intents.map((i) => [i.key, i.status, i.attempts])).toEqual(
          ['0:0', '0:1', '1:0', '1:1', '2:0', '2:1'].map((k) => [`${planId}:${k}`, 'confirmed', 1]),
        )
        expect(intents.map((i) => i.txHash)).toEqual(txs.map((t) => t.hash))
        const plan = await check.plans.getWithSteps(planId)
        expect(plan?.plan.status).toBe('completed')
        expect(plan?.steps.map((s) => s.status)).toEqual(['confirmed', 'confirmed', 'confirmed'])
      } finally {
        await check.close()
      }

      // Positions moved once: −40 core, +25 boost, +15 Aave (plus a few blocks of interest).
      const head = await chain.client.getBlockNumber({ cacheTime: 0 })
      const now = await Promise.all(ids.map((id) => readPosition(chain.client, venue(id), pool, head)))
      const moved = now.map((a, i) => Number(a - before[i]!) / 1e18)
      expect(moved[0]).toBeCloseTo(-40, 2)
      expect(moved[1]).toBeCloseTo(25, 2)
      expect(moved[2]).toBeCloseTo(15, 2)
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  }
}

describe('kill test (devnet, child process)', () => {
  it('SIGKILL at every step boundary and at every point of every tx (34 kills), restart each time: the plan completes, every tx exactly once', async () => {
    const world = await setUp('pk')
    try {
      const points = killPoints('pk', [2, 2, 2])
      expect(points).toHaveLength(34)
      const killed: string[] = []
      const procs = runners(world.env)
      try {
        for (const p of points) {
          const run = await procs.next().go(p)
          expect(run.signal, `run meant to die at ${p}: ${run.result ?? ''}`).toBe('SIGKILL')
          killed.push(run.killedAt!)
        }
        expect(killed).toEqual(points) // every point was reached, and the process killed there
        expect((await procs.next().go()).result).toBe('completed')
      } finally {
        procs.close()
      }
      await world.verify('pk')
    } finally {
      await world.cleanup()
    }
    // 34 child processes started and killed in turn (one more tx per step since the slippage router): more than the project's default.
  }, 240_000)

  it('SIGKILL at arbitrary moments (inside store transactions, between RPC calls), restart each time: same end state', async () => {
    const world = await setUp('pr')
    try {
      // Kills at deterministic delays after the runner starts on the plan: where they land differs
      // from one machine to another (inside a store transaction, between an RPC call and the
      // store write, ...); the end state must not.
      let seed = 20240902
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
      let killedMidway = 0
      let last: Run | undefined
      const procs = runners(world.env)
      try {
        for (let i = 0; i < 30; i++) {
          const run = await procs.next().go(undefined, i < 8 ? Math.floor(rand() * 120) : undefined)
          if (run.signal === 'SIGKILL' && !run.result) killedMidway++
          if (run.result === 'completed') {
            last = run
            break
          }
        }
      } finally {
        procs.close()
      }
      expect(last?.result).toBe('completed')
      expect(killedMidway).toBeGreaterThanOrEqual(4)
      await world.verify('pr')
    } finally {
      await world.cleanup()
    }
  })
})
