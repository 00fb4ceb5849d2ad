/**
 * Measures what the watchers would push to the operator during the calm scenario, the way
 * `npm start` runs it: three anvil chains mining a block every second (interval mining, so the
 * simulator can miss a block), the market simulator in run mode, and the three watchers in
 * their run loops. Two sets of watchers read the same chains into two stores:
 *
 * - "persistence": the configured `alerts.persistence` (defaults: warnings 3 blocks, criticals 1);
 * - "one block": every rule at 1 block, i.e. the behaviour before persistence existed.
 *
 * Prints the alert rows each store holds (each one a Telegram push to the operator chat, which
 * takes warning and critical) and the glitches the persistent watchers counted instead.
 *
 *   npx tsx scripts/calmAlerts.ts [--minutes 5] [--port 20300] [--scenario calm]
 *
 * Starts its own anvils on free ports from --port (default $POOLWARDEN_TEST_PORT or 20300) and
 * uses temporary stores; leaves nothing running.
 */
import { createChainClient } from '../chains/createChainClient'
import { configSchema, type Config, type ConfigInput } from '../config/schema'
import { createLogger } from '../core/logger'
import { findFreePort, startAnvil, type AnvilInstance } from '../devnet/anvil'
import { compileContracts } from '../devnet/compile'
import { DEFAULT_DEVNET_CHAINS, deployDevnet } from '../devnet/deploy'
import { loadScenario } from '../devnet/scenario'
import { createSimulator } from '../devnet/simulator'
import type { Store } from '../store'
import { tempDir } from '../store/testing'
import { openStore } from '../store/db'
import { createWatcher } from '../watch/createWatcher'
import { quietOnClosedPipe } from './lib/cli'

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt
}

async function main(): Promise<void> {
  const minutes = Number(arg('minutes', '5'))
  const basePort = Number(arg('port', process.env.POOLWARDEN_TEST_PORT ?? '20300'))
  const scenarioName = arg('scenario', 'calm')
  if (!(minutes > 0)) throw new Error(`--minutes: expected a positive number, got ${arg('minutes', '')}`)
  const logger = createLogger({ script: 'calm-alerts' }, (process.env.LOG_LEVEL as 'info' | undefined) ?? 'warn')

  const nodes: AnvilInstance[] = []
  const stores: Store[] = []
  const dirs: { cleanup(): Promise<void> }[] = []
  const abort = new AbortController()
  try {
    const used: number[] = []
    for (const c of DEFAULT_DEVNET_CHAINS) {
      const port = await findFreePort(Math.max(basePort, ...used.map((p) => p + 1)), { exclude: used })
      used.push(port)
      nodes.push(await startAnvil({ port, chainId: c.chainId, blockTime: 1 }))
    }
    const scenario = await loadScenario(scenarioName)
    const chains = DEFAULT_DEVNET_CHAINS.map((c, i) => ({ name: c.name, chainId: c.chainId, url: nodes[i]!.url }))
    console.log(`chains up on ${chains.map((c) => c.url).join(', ')} (1 s blocks); deploying…`)
    const { deployment, config: devConfig } = await deployDevnet({ chains, artifacts: await compileContracts(), scenario, blockTimeMs: 1_000 })

    const withPersistence = configSchema.parse(structuredClone(devConfig) as ConfigInput)
    const oneBlockInput = structuredClone(devConfig) as ConfigInput
    oneBlockInput.alerts = { ...oneBlockInput.alerts, persistence: { warning: { blocks: 1 }, critical: { blocks: 1 } } }
    const oneBlock = configSchema.parse(oneBlockInput)

    const sets: { name: string; config: Config; store: Store }[] = []
    for (const [name, config] of [
      ['persistence', withPersistence],
      ['one block', oneBlock],
    ] as const) {
      const dir = await tempDir('poolwarden-calm-')
      dirs.push(dir)
      const store = await openStore({ path: `${dir.dir}/poolwarden.sqlite` })
      stores.push(store)
      sets.push({ name, config, store })
    }

    const sim = createSimulator({ deployment, scenario, logger })
    const running: Promise<void>[] = [sim.run(abort.signal)]
    for (const s of sets) {
      for (const c of s.config.chains) {
        const watcher = createWatcher({ common: { config: s.config, logger }, store: s.store, chain: createChainClient({ chain: c }) })
        running.push(watcher.run(abort.signal))
      }
    }
    console.log(`scenario ${scenarioName}: simulator and ${running.length - 1} watchers running for ${minutes} min…`)
    const started = Date.now()
    while (Date.now() - started < minutes * 60_000) {
      await new Promise((r) => setTimeout(r, 30_000))
      const counts = await Promise.all(sets.map(async (s) => `${s.name}: ${(await s.store.alerts.recent(10_000)).length} rows`))
      console.log(`  ${((Date.now() - started) / 60_000).toFixed(1)} min: ${counts.join(', ')}`)
    }
    abort.abort()
    await Promise.allSettled(running)

    for (const s of sets) {
      const rows = (await s.store.alerts.recent(10_000)).reverse()
      const pushed = rows.filter((r) => r.severity === 'warning' || r.severity === 'critical')
      const blocks = await Promise.all(s.config.chains.map(async (c) => `${c.name} ${(await s.store.cursors.get(c.name))?.blockNumber ?? '?'}`))
      console.log(`\n[${s.name}] operator pushes: ${pushed.length} (${pushed.filter((r) => r.kind === 'open').length} alerts, ${pushed.filter((r) => r.kind === 'recovery').length} recoveries); watched up to ${blocks.join(', ')}`)
      for (const r of pushed) console.log(`  ${r.chain} block ${r.blockNumber} ${r.kind} ${r.severity} ${r.rule}: ${r.title}`)
      const glitches = await s.store.alerts.glitches()
      if (glitches.length) console.log(`  glitches counted, not pushed: ${glitches.map((g) => `${g.agent} ${g.rule} ${g.count}`).join(', ')}`)
      const beats = await Promise.all(s.config.chains.map(async (c) => `${c.name} ${JSON.stringify(((await s.store.heartbeats.get(`watcher-${c.name}`))?.info as { glitches?: unknown } | undefined)?.glitches ?? {})}`))
      console.log(`  heartbeat glitches: ${beats.join(', ')}`)
      const pending = (await Promise.all(s.config.chains.map((c) => s.store.alerts.pending(`watcher-${c.name}`)))).flat()
      if (pending.length) console.log(`  streaks under way at the end: ${pending.map((p) => `${p.dedupKey} ${p.toward} ${p.blocks}`).join(', ')}`)
    }

    // The two watcher sets read the same blocks: any sample they disagree on was a bad read.
    const [a, b] = sets as [(typeof sets)[number], (typeof sets)[number]]
    let compared = 0
    const differ: string[] = []
    for (const v of a.config.venues) {
      const other = new Map((await b.store.history.window(v.id, 100_000)).map((x) => [x.blockNumber, x]))
      for (const x of await a.store.history.window(v.id, 100_000)) {
        const y = other.get(x.blockNumber)
        if (!y) continue
        compared++
        if (x.available !== y.available || x.exchangeRate !== y.exchangeRate || x.apy !== y.apy || x.withdrawable !== y.withdrawable)
          differ.push(`${v.chain} block ${x.blockNumber} ${v.id}: [${a.name}] ${x.available ? `apy ${x.apy}` : x.error} vs [${b.name}] ${y.available ? `apy ${y.apy}` : y.error}`)
      }
    }
    console.log(`\nsamples read by both sets: ${compared}, differing: ${differ.length}`)
    for (const d of differ.slice(0, 40)) console.log(`  ${d}`)
  } finally {
    abort.abort()
    for (const s of stores) await s.close().catch(() => undefined)
    for (const d of dirs) await d.cleanup()
    await Promise.all(nodes.map((n) => n.stop()))
  }
}

quietOnClosedPipe()
main().catch((err) => {
  console.error(err)
  process.exit(1)
})
