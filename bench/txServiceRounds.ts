/**
 * `npm run bench -- tx-service [--rounds N]` (opt-in, 40 rounds by default): the memory of the
 * devnet's Safe Transaction Service over committee plans — is the soak's step at the first plans a
 * leak or a one-time cost? The service runs as `npm start` runs it (the esbuild bundle, the agents'
 * node flags, MALLOC_ARENA_MAX=2, the deployment's Safe checked at start) beside a custody-"safe"
 * devnet of its own. Each round: a committee plan is stored and proposed through the service,
 * alice and bob confirm through api-kit, the executor reads the signatures back and executes, and
 * the transaction is read 20 times more; then the chain is reverted so every round starts alike.
 * Figures after start and after rounds 1, 2, 5, 10, … : RSS, V8 heap used/committed (after a
 * full GC, through bench/memReport.mjs), external memory, and the private part of RSS (USS: RSS
 * less the shared pages of the node binary and libraries) and of it the `[heap]` mapping (glibc's
 * main malloc arena). Target: after round 1, RSS within 10 %.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import SafeApiKit from '@safe-global/api-kit'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { committeeKey, devKey, ROLES } from '../devnet/accounts'
import { startLocalDevnet } from '../devnet/local'
import { waitForHttp } from '../devnet/ready'
import { signAndSubmit } from '../execution/committee/planSafeTx'
import { runCommitteePlan, type RunCommitteePlanDeps } from '../execution/committee/runCommitteePlan'
import { createTxSender } from '../execution/createTxSender'
import { chainClient, silentLogger } from '../execution/testing/devnetHelpers'
import { createTestPlan, rebalanceSteps } from '../execution/testing/plans'
import { openTempStore } from '../store/testing'
import { mallocHeapMb, procMem } from './procMem'

interface Mem { rss: number; heapUsed: number; heapTotal: number; external: number }
export interface TxServiceRoundFigure { after: string; rssMb: number; ussMb: number; mallocHeapMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number }

const MB = 1024 * 1024
const CHAIN = 'ethereum'
const REPORT_AT = [1, 2, 5, 10, 20, 40, 60, 80, 100, 150, 200]

async function memOf(child: ChildProcess): Promise<Mem> {
  return new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error('the service did not answer "mem" within 10 s')), 10_000)
    child.once('message', (m) => {
      clearTimeout(t)
      ok(m as Mem)
    })
    child.send('mem')
  })
}

export async function benchTxServiceRounds(opts: { rounds: number; basePort: number; root?: string }): Promise<TxServiceRoundFigure[]> {
  const root = resolve(opts.root ?? process.cwd())
  const { NODE_FLAGS, MALLOC_ENV } = (await import(join(root, 'ecosystem.config.js'))) as { NODE_FLAGS: string[]; MALLOC_ENV: Record<string, string> }
  // The allocator settings of the PM2 apps; MALLOC_* of the bench's own environment win (to try others).
  const mallocEnv = { ...MALLOC_ENV, ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))) }
  const out = join(root, '.devnet', 'bench-tx-service')
  const { bundle } = (await import(join(root, 'scripts/lib/bundle.ts'))) as { bundle(entries: Record<string, string>, outDir: string): Promise<void> }
  await bundle({ 'safe-tx-service': 'devnet/safe/txService.main.ts' }, out)
  const dir = await mkdtemp(join(tmpdir(), 'pw-tx-service-bench-'))
  const d = await startLocalDevnet({ basePort: opts.basePort, custody: 'safe' })
  let cleanup: (() => Promise<void>) | undefined
  let child: ChildProcess | undefined
  try {
    await writeFile(join(dir, 'deployment.json'), JSON.stringify(d.deployment, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
    const port = opts.basePort + 11
    child = fork(join(out, 'safe-tx-service.mjs'), [], {
      cwd: root,
      execArgv: [...NODE_FLAGS, '--expose-gc', '--import', join(root, 'bench/memReport.mjs')],
      env: { PATH: process.env.PATH ?? '', ...mallocEnv, NODE_ENV: 'development', LOG_LEVEL: 'warn', POOLWARDEN_SAFE_TX_SERVICE_PORT: String(port), POOLWARDEN_SAFE_TX_SERVICE_DB: join(dir, 'service.sqlite'), POOLWARDEN_DEPLOYMENT: join(dir, 'deployment.json') },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    const chainId = d.config.chains.find((c) => c.name === CHAIN)!.chainId
    const url = `http://127.0.0.1:${port}/${chainId}/api`
    await waitForHttp('the Safe tx service under the bench', `${url}/v1/about/`)
    const figures: TxServiceRoundFigure[] = []
    const sample = async (after: string) => {
      const m = await memOf(child!)
      const p = procMem(child!.pid!)
      figures.push({ after, rssMb: p.rssMb, ussMb: p.ussMb, mallocHeapMb: mallocHeapMb(child!.pid!), heapUsedMb: m.heapUsed / MB, heapTotalMb: m.heapTotal / MB, externalMb: m.external / MB })
    }
    await sample('start')
    const cc = chainClient(d.config, CHAIN)
    const service = () => new SafeApiKit({ chainId: BigInt(chainId), txServiceUrl: url })
    const committeeChain = { name: CHAIN, url: cc.config.rpc[0]!.url, client: cc.client }
    for (let i = 1; i <= opts.rounds; i++) {
      const snapshot = (await cc.client.request({ method: 'evm_snapshot' as never })) as Hex
      // A store per round (the executor's nonces are those of the reverted chain); amounts differ
      // by a few wei per round so that every round is a new SafeTx hash to the service.
      const opened = await openTempStore()
      const store = opened.store
      cleanup = opened.cleanup
      const deps = (): RunCommitteePlanDeps => ({
        common: { config: d.config, logger: silentLogger },
        store,
        chains: { [CHAIN]: cc },
        senders: { [CHAIN]: createTxSender({ common: { config: d.config, logger: silentLogger }, store, chain: cc, account: privateKeyToAccount(devKey(ROLES.pool)), options: { pollIntervalMs: 20 } }) },
        services: { [CHAIN]: service() },
      })
      const id = `bench-${i}`
      await createTestPlan(store, id, CHAIN, rebalanceSteps(CHAIN).map((s, j) => ({ ...s, amount: s.amount - BigInt(i) * (j === 0 ? 2n : 1n) })), { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 })
      await runCommitteePlan(deps(), id)
      for (const who of ['alice', 'bob'] as const) await signAndSubmit(d.config, committeeChain, (await store.safeTxs.get(id, CHAIN))!, committeeKey(who), service())
      const r = await runCommitteePlan(deps(), id)
      if (r.status !== 'completed') throw new Error(`round ${i}: the committee plan ended ${r.status}, not completed`)
      const hash = (await store.safeTxs.get(id, CHAIN))!.safeTxHash
      for (let k = 0; k < 20; k++) await service().getTransaction(hash)
      await cc.client.request({ method: 'evm_revert' as never, params: [snapshot] as never })
      await cleanup()
      cleanup = undefined
      if (REPORT_AT.includes(i) || i === opts.rounds) await sample(`round ${i}`)
    }
    return figures
  } finally {
    child?.kill('SIGTERM')
    await cleanup?.().catch(() => undefined)
    await d.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/** The printed table: each sample beside the figure after round 1. */
export function txServiceRoundLines(figures: TxServiceRoundFigure[]): string[] {
  const base = figures.find((f) => f.after === 'round 1')
  const lines = [`${'after'.padEnd(10)} ${'RSS MB'.padStart(7)} ${'vs round 1'.padStart(10)} ${'private'.padStart(8)} ${'[heap]'.padStart(7)} ${'heap used'.padStart(10)} ${'committed'.padStart(10)} ${'external'.padStart(9)}`]
  for (const f of figures) {
    const vs = base && f.after !== 'start' ? `${f.rssMb >= base.rssMb ? '+' : ''}${(((f.rssMb - base.rssMb) / base.rssMb) * 100).toFixed(1)} %` : ''
    lines.push(`${f.after.padEnd(10)} ${f.rssMb.toFixed(1).padStart(7)} ${vs.padStart(10)} ${f.ussMb.toFixed(1).padStart(8)} ${f.mallocHeapMb.toFixed(1).padStart(7)} ${f.heapUsedMb.toFixed(1).padStart(10)} ${f.heapTotalMb.toFixed(1).padStart(10)} ${f.externalMb.toFixed(1).padStart(9)}`)
  }
  const last = figures.at(-1)
  if (base && last && last !== base) {
    const growth = ((last.rssMb - base.rssMb) / base.rssMb) * 100
    lines.push(`RSS from round 1 to ${last.after}: ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} % (target ≤ 10 %: ${growth <= 10 ? 'met' : 'NOT met'}); heap used ${base.heapUsedMb.toFixed(1)} → ${last.heapUsedMb.toFixed(1)} MB`)
  }
  return lines
}
