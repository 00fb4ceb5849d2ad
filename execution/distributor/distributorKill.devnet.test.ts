import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { erc20Abi, parseEther, type Address } from 'viem'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { devAccount, devKey, ROLES } from '../../devnet/accounts'
import { simLstAbi } from '../../devnet/abis'
import { distributorAbi } from '../../rewards/readChain'
import type { PublishedEpoch } from '../../rewards/tree'
import { openStore, type Store } from '../../store'
import { tempDir } from '../../store/testing'
import { useOwnDevnet } from '../../test/devnet'
import { testConfig } from '../testing/devnetHelpers'
import { epochWindow } from './closeEpoch'

/**
 * The real distributor agent (agents/distributor.ts, a child process) killed with SIGKILL by the
 * test between building the tree and publishing the root, and between the root and the funding
 * (it pauses there, after the stored state change, writing a marker file the test waits for);
 * restarted each time. The root and the funding each land on chain exactly once. Custody "safe"
 * (a devnet of its own): the agent holds only the distributor's key (no executor key in its
 * environment) and sends through the distributor's own Roles role.
 */
const devnet = useOwnDevnet(192, { custody: 'safe' })
const CLAIMS = 'ethereum'
const AGENT = join(import.meta.dirname, '../../agents/distributor.ts')
const CLI = join(import.meta.dirname, '../../scripts/rewards.ts')

let dir: string
let cleanup: () => Promise<void>
let store: Store
const children: ChildProcess[] = []
beforeEach(async () => {
  const t = await tempDir('poolwarden-distributor-kill-')
  dir = t.dir
  cleanup = t.cleanup
})
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  await store?.close()
  await cleanup()
})

async function mineAt(time: number) {
  for (const c of devnet.allChains()) {
    const head = await c.public.getBlock({ blockTag: 'latest' })
    await c.test.setNextBlockTimestamp({ timestamp: BigInt(Math.max(time, Number(head.timestamp) + 1)) })
    await c.test.mine({ blocks: 1 })
  }
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, child?: { output: () => string }, ms = 90_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await f()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${child?.output() ?? ''}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('the distributor process SIGKILLed mid-epoch', () => {
  it('killed -9 after the tree is stored, then after the root: restarted, one setRoot and one funding on chain; the verify CLI says MATCH, and MISMATCH on a tampered tree JSON', async () => {
    const storePath = join(dir, 'poolwarden.sqlite')
    const base = testConfig(devnet, { storePath })
    // 10 wstETH minted as the epoch's earnings: far above a believable APY (rewards.maxEpochApy lifted).
    const config = { ...base, runtime: { ...base.runtime, leaseSeconds: 1 }, rewards: { ...base.rewards!, maxEpochApy: 1e9 } }
    const configPath = join(dir, 'config.json')
    await writeFile(configPath, JSON.stringify(config))
    const r = config.rewards!
    const eth = devnet.chain(CLAIMS)
    const collateral = devnet.deployment.chains[CLAIMS]!.collateral
    const pool = devnet.deployment.custody!.safe

    // One winning epoch on the chains' clock: the pool's idle collateral grows by 10.
    const t0 = Math.max(...(await Promise.all(devnet.allChains().map(async (c) => Number((await c.public.getBlock({ blockTag: 'latest' })).timestamp)))))
    const epoch = Math.floor(t0 / r.epochSeconds) + 1
    const w = epochWindow(r.epochSeconds, epoch)
    store = await openStore({ path: storePath })
    await store.rewards.initMeta('firstEpoch', String(epoch))
    await mineAt(w.startTime + 1)
    await eth.wallet(0).writeContract({ address: collateral, abi: simLstAbi, functionName: 'mint', args: [pool, parseEther('10')] }).then((h) => eth.public.waitForTransactionReceipt({ hash: h }))
    await mineAt(w.endTime + 5)
    const startBlock = await eth.public.getBlockNumber({ cacheTime: 0 })
    const now = String(w.endTime + r.settleSeconds + 1)

    const start = (env: Record<string, string>) => {
      // Only the distributor's key: the executor's is removed from what the test's env passes on.
      const { POOLWARDEN_EXECUTOR_KEY: _x, POOLWARDEN_EXECUTOR_KEY_FILE: _xf, ...inherited } = process.env
      const child = spawn(process.execPath, ['--import', 'tsx', AGENT], {
        env: { ...inherited, POOLWARDEN_CONFIG: configPath, POOLWARDEN_DISTRIBUTOR_KEY: devKey(ROLES.distributor), POOLWARDEN_DISTRIBUTOR_NOW: now, POOLWARDEN_POLL_MS: '200', LOG_LEVEL: 'info', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.push(child)
      let output = ''
      child.stdout!.on('data', (d) => (output += String(d)))
      child.stderr!.on('data', (d) => (output += String(d)))
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)))
      return { child, exited, output: () => output }
    }
    const rootSets = async () => (await eth.public.getContractEvents({ address: r.distributor, abi: distributorAbi, eventName: 'RootSet', fromBlock: startBlock })).filter((l) => l.args.epoch === BigInt(epoch))
    const fundings = async () => eth.public.getContractEvents({ address: collateral, abi: erc20Abi, eventName: 'Transfer', args: { from: pool, to: r.distributor as Address }, fromBlock: startBlock })
    const status = async () => (await store.rewards.get(epoch))?.status

    // 1. Paused right after the tree is stored: kill -9.
    for (const point of ['built', 'rooted'] as const) {
      const marker = join(dir, `paused-${point}`)
      const p = start({ POOLWARDEN_DISTRIBUTOR_PAUSE_AT: point, POOLWARDEN_DISTRIBUTOR_MARKER: marker })
      await waitFor(`the distributor to pause at ${point}`, () => existsSync(marker), p)
      expect(readFileSync(marker, 'utf8').trim()).toBe(`${point} ${epoch}`)
      p.child.kill('SIGKILL')
      expect(await p.exited).toBe('SIGKILL')
      expect(await status()).toBe(point)
      if (point === 'built') expect(await rootSets()).toHaveLength(0)
      else {
        expect(await rootSets()).toHaveLength(1)
        expect(await fundings()).toHaveLength(0)
      }
    }

    // 2. A clean restart finishes the epoch: funded, and nothing sent twice.
    const last = start({})
    await waitFor('the epoch to be funded', async () => (await status()) === 'funded', last)
    last.child.kill('SIGINT')
    expect(await last.exited).toBe(0)
    const e = (await store.rewards.get(epoch))!
    const roots = await rootSets()
    expect(roots).toHaveLength(1)
    expect(roots[0]!.args.root).toBe(e.root)
    expect(await eth.public.readContract({ address: r.distributor, abi: distributorAbi, functionName: 'rootOf', args: [BigInt(epoch)] })).toBe(e.root)
    const funds = await fundings()
    expect(funds).toHaveLength(1)
    expect(funds[0]!.args.value).toBe(e.funding)
    expect(e.funding > 0n).toBe(true)
    // 3. `npm run rewards -- verify` as a delegator runs it (the CLI, a process of its own):
    //    MATCH from chain reads alone; a tampered tree JSON: MISMATCH naming the leaf (exit 1).
    const published = JSON.parse(readFileSync(join(dir, 'rewards', `epoch-${epoch}.json`), 'utf8')) as PublishedEpoch
    const cli = async (args: string[]) => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, POOLWARDEN_CONFIG: configPath, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (d) => (out += String(d)))
      child.stderr.on('data', (d) => (out += String(d)))
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
      return { code, out }
    }
    const urls = config.chains.flatMap((c) => ['--rpc', `${c.name}=${c.rpc[0]!.url}`])
    const ok = await cli(['verify', String(epoch), ...urls])
    expect(ok.out).toMatch(/^MATCH: /m)
    expect(ok.code).toBe(0)
    const victim = published.leaves.find((l) => BigInt(l.cumulative) > 0n)!
    const tampered = { ...published, leaves: published.leaves.map((l) => (l === victim ? { ...l, cumulative: String(BigInt(l.cumulative) + 1n) } : l)) }
    const tamperedFile = join(dir, 'tampered.json')
    await writeFile(tamperedFile, JSON.stringify(tampered))
    const bad = await cli(['verify', String(epoch), '--tree', tamperedFile])
    expect(bad.out).toContain(`MISMATCH: leaf ${victim.account}: recomputed ${victim.cumulative}, published ${BigInt(victim.cumulative) + 1n}`)
    expect(bad.code).toBe(1)

    const intents = await store.intents.list({ keyPrefix: `rewards:${epoch}:` })
    // Both from the distributor's own key, to the Roles modifier (its own role).
    const me = devAccount(ROLES.distributor).address.toLowerCase()
    const roles = devnet.deployment.custody!.roles.toLowerCase()
    expect(intents.map((i) => [i.key, i.status, i.from, i.to])).toEqual([
      [`rewards:${epoch}:root`, 'confirmed', me, roles],
      [`rewards:${epoch}:fund`, 'confirmed', me, roles],
    ])
  }, 240_000)
})
