import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path, { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import SafeApiKit from '@safe-global/api-kit'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { committeeKey, devKey, ROLES } from '../../devnet/accounts'
import { startLocalDevnet, type LocalDevnet } from '../../devnet/local'
import { safeAbi } from '../../devnet/safe/deploySafe'
import { startSafeTxService, type SafeTxService } from '../../devnet/safe/txService'
import { bundle } from '../../scripts/lib/bundle'
import { openStore, type Store } from '../../store'
import { chainClient, silentLogger } from '../testing/devnetHelpers'
import { createTestPlan, rebalanceSteps } from '../testing/plans'
import { EXECUTION_SUCCESS, signAndSubmit } from './planSafeTx'
import { execIntentKey, runCommitteePlan } from './runCommitteePlan'

/**
 * The executor SIGKILLed (a real child process: testing/runCommittee.ts) between collecting the
 * last signature and execTransaction, and between execTransaction's broadcast and its receipt;
 * restarted each time. The Safe transaction must execute exactly once.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CHAIN = 'ethereum'
let d: LocalDevnet
let svc: SafeTxService
let dir: string
let runnerDir: string

beforeAll(async () => {
  d = await startLocalDevnet({ basePort: Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 100, custody: 'safe' })
  dir = await mkdtemp(path.join(os.tmpdir(), 'committee-kill-'))
  svc = await startSafeTxService({ dbPath: join(dir, 'service.sqlite'), chains: d.config.chains.map((c) => ({ chainId: c.chainId, rpcUrl: c.rpc[0]!.url })) })
  runnerDir = join(ROOT, '.devnet', 'test-build', `runCommittee-${process.pid}`)
  await bundle({ runCommittee: 'execution/committee/testing/runCommittee.ts' }, runnerDir)
}, 300_000)
afterAll(async () => {
  await svc?.close()
  await d?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
  if (runnerDir) rmSync(runnerDir, { recursive: true, force: true })
})

interface Run { killedAt?: string; result?: string; points: string[] }

function run(env: Record<string, string>, dieAt?: string): Promise<Run> {
  const child = spawn(process.execPath, [join(runnerDir, 'runCommittee.mjs')], { env: { ...process.env, ...env, ...(dieAt ? { POOLWARDEN_DIE_AT: dieAt } : {}), LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] })
  const r: Run = { points: [] }
  let stderr = ''
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('POINT ')) r.points.push(line.slice(6))
    else if (line.startsWith('DIE ')) {
      r.killedAt = line.slice(4)
      child.kill('SIGKILL')
    } else if (line.startsWith('RESULT ')) r.result = line.slice(7)
  })
  return new Promise((resolve, reject) => child.on('exit', () => (r.result?.startsWith('error') ? reject(new Error(`${r.result}\n${stderr}`)) : resolve(r))))
}

describe('committee plan: SIGKILL around execTransaction', () => {
  for (const dieAt of [`signatures-verified:${CHAIN}`, `broadcast:p-kill-b:safe:${CHAIN}`]) {
    it(`killed at ${dieAt.split(':')[0]}: restarted, the Safe transaction executes exactly once`, async () => {
      const planId = dieAt.startsWith('signatures') ? 'p-kill-a' : 'p-kill-b'
      const storePath = join(dir, `${planId}.sqlite`)
      const chainId = d.config.chains.find((c) => c.name === CHAIN)!.chainId
      const config = { ...d.config, store: { path: storePath }, custody: { ...d.config.custody, chains: d.config.custody.chains.map((c) => ({ ...c, txServiceUrl: svc.urlFor(d.config.chains.find((x) => x.name === c.chain)!.chainId) })) } }
      const configPath = join(dir, `${planId}.json`)
      await writeFile(configPath, JSON.stringify(config))
      const store: Store = await openStore({ path: storePath, logger: silentLogger })
      try {
        await createTestPlan(store, planId, CHAIN, rebalanceSteps(CHAIN), { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 })
        const cc = chainClient(d.config, CHAIN)
        const api = new SafeApiKit({ chainId: BigInt(chainId), txServiceUrl: svc.urlFor(chainId) })
        // The executor stores the Safe tx; alice and bob sign it.
        const senders = {} as Record<string, never>
        expect((await runCommitteePlan({ common: { config, logger: silentLogger }, store, chains: { [CHAIN]: cc }, senders, services: { [CHAIN]: api } }, planId)).status).toBe('awaiting-signatures')
        const st = (await store.safeTxs.get(planId, CHAIN))!
        const chain = { name: CHAIN, url: cc.config.rpc[0]!.url, client: cc.client }
        await signAndSubmit(config, chain, st, committeeKey('alice'), api)
        await signAndSubmit(config, chain, st, committeeKey('bob'), api)
        const nonce0 = (await cc.client.readContract({ address: d.deployment.custody!.safe, abi: safeAbi, functionName: 'nonce' })) as bigint

        const env = { POOLWARDEN_CONFIG: configPath, POOLWARDEN_EXECUTOR_KEY: devKey(ROLES.pool), POOLWARDEN_PLAN: planId }
        const first = await run(env, dieAt)
        expect(first.killedAt).toBe(dieAt)
        const nonceAfterKill = await cc.client.readContract({ address: d.deployment.custody!.safe, abi: safeAbi, functionName: 'nonce' })
        const intentAfterKill = await store.intents.get(execIntentKey(planId, CHAIN))
        if (dieAt.startsWith('broadcast')) {
          // Killed after execTransaction reached the chain (automine: it is in a block) and before its receipt was recorded.
          expect(nonceAfterKill).toBe(nonce0 + 1n)
          expect(intentAfterKill?.status).toBe('broadcast')
        } else {
          // Killed with the signatures verified and nothing sent.
          expect(nonceAfterKill).toBe(nonce0)
          expect(intentAfterKill).toBeUndefined()
          expect((await store.safeTxs.get(planId, CHAIN))!.status).toBe('proposed')
        }
        const second = await run(env)
        expect(second.result).toBe('completed')

        const logs = await cc.client.getLogs({ address: d.deployment.custody!.safe, event: EXECUTION_SUCCESS, args: { txHash: st.safeTxHash as Hex }, fromBlock: 0n, toBlock: 'latest' })
        expect(logs).toHaveLength(1)
        expect(await cc.client.readContract({ address: d.deployment.custody!.safe, abi: safeAbi, functionName: 'nonce' })).toBe(nonce0 + 1n)
        const intents = await store.intents.list({ keyPrefix: `${planId}:` })
        expect(intents.map((i) => [i.key, i.status])).toEqual([[execIntentKey(planId, CHAIN), 'confirmed']])
        expect(intents[0]!.txHash).toBe(logs[0]!.transactionHash)
        expect((await store.safeTxs.get(planId, CHAIN))!.status).toBe('executed')
        expect((await store.plans.get(planId))!.status).toBe('completed')
        // Killed after the broadcast: the restart found the same signed tx, it did not sign another.
        if (dieAt.startsWith('broadcast')) expect(second.points.filter((p) => p.startsWith('signed:'))).toEqual([])
      } finally {
        await store.close()
      }
    })
  }
})
