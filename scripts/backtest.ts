/**
 * `npm run backtest -- --scenario <name|file.json> [--every K] [--step N]`: fast-forward — runs the
 * devnet's market model (no chain, no waiting) and the pure strategy over the scenario (e.g. the
 * 90-day `backtest-90d`), hold, the naive APY chaser, poolwarden and the hindsight oracle side by
 * side, all paying the same costs (devnet/fastForward.ts, strategies/backtest.ts).
 *
 * `npm run backtest -- [chain] [--blocks N] [--every K]`: the same comparison over the samples the
 * watcher recorded in the store (one chain at a time). A window shorter than the policy's cost
 * horizon prints a warning: costs dominate short horizons.
 */
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load'
import { UsageError } from '../core/errors'
import { runCli } from './lib/cli'
import { fastForwardBacktest } from '../devnet/fastForward'
import { loadScenario } from '../devnet/scenario'
import { idleVenueOf } from '../plans/proposePlan'
import { openStore } from '../store'
import type { Sample } from '../store/types'
import { backtest, renderBacktest } from '../strategies/backtest'

const positiveInt = (name: string, raw: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined => {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name}: expected an integer from 1 to ${max}, got "${raw}"`)
  return n
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { blocks: { type: 'string' }, every: { type: 'string' }, scenario: { type: 'string' }, step: { type: 'string' } },
  })
  const every = positiveInt('every', values.every)
  if (values.scenario !== undefined) {
    if (values.blocks !== undefined || positionals.length > 0) throw new UsageError('--scenario runs the devnet market in fast-forward over all chains: drop --blocks and the chain')
    const t0 = performance.now()
    const run = fastForwardBacktest(await loadScenario(values.scenario), { rebalanceEvery: every, stepBlocks: positiveInt('step', values.step) })
    const r = run.result
    const hours = (run.stepBlocks * run.blockSeconds) / 3600
    console.log(
      `── ${run.scenario}: ${r.days.toFixed(1)} days in fast-forward, ${r.steps} samples every ${hours} h, a decision every ${hours * run.rebalanceEvery} h, ` +
        `${r.initialValue.toFixed(3)} wstETH on ${run.input.chains.length} chains (bridge routes between them); ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    )
    if (run.windows.length) console.log(`   shocks: ${run.windows.map((w) => `${w.kind}@${w.venue} day ${((w.start * run.blockSeconds) / 86_400).toFixed(1)}–${((w.end * run.blockSeconds) / 86_400).toFixed(1)}`).join(', ')}`)
    for (const line of renderBacktest(r, 'wstETH')) console.log(`  ${line}`)
    return
  }
  if (values.step !== undefined) throw new UsageError('--step: only with --scenario (recorded samples come one per block)')
  const blocks = values.blocks === undefined ? 600 : Number(values.blocks)
  if (!Number.isInteger(blocks) || blocks < 2 || blocks > 100_000) throw new UsageError(`--blocks: expected an integer from 2 to 100000, got "${values.blocks}"`)
  const config = loadConfig()
  const chains = config.chains.filter((c) => !positionals[0] || c.name === positionals[0])
  if (chains.length === 0) throw new UsageError(`unknown chain "${positionals[0]}" (known: ${config.chains.map((c) => c.name).join(', ')})`)
  const store = await openStore({ path: config.store.path })
  try {
    for (const chain of chains) {
      const idle = idleVenueOf(config, chain.name)
      if (!idle) continue
      // Other LSTs hold another asset; they are left out, as the strategist does.
      const venues = config.venues.filter((v) => v.chain === chain.name && (v.kind !== 'lst' || v.id === idle))
      const byBlock = new Map<bigint, Sample[]>()
      for (const v of venues) for (const s of await store.history.window(v.id, blocks)) (byBlock.get(s.blockNumber) ?? byBlock.set(s.blockNumber, []).get(s.blockNumber)!).push(s)
      const ordered = [...byBlock.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))
      if (ordered.length < 2) {
        console.log(`── ${chain.name}: not enough samples yet`)
        continue
      }
      const first = ordered[0]![0]
      const initial: Record<string, bigint> = {}
      for (const v of venues) initial[v.id] = (await store.history.positionAtBlock(v.id, first))?.amount ?? 0n
      const collateral = config.pool.collateral.find((c) => c.chain === chain.name)!
      const r = backtest({
        steps: ordered.map(([, s]) => s),
        venues: venues.map((v) => ({ id: v.id, chain: v.chain, protocol: v.protocol, kind: v.kind, risk: v.risk, caps: v.caps, assetVenueId: v.kind === 'lst' ? undefined : idle })),
        chains: [{ name: chain.name, decimals: collateral.decimals, idleVenueId: idle }],
        initial,
        policy: config.strategy,
        rebalanceEvery: every ?? 10,
      })
      console.log(
        `── ${chain.name}: ${r.steps} blocks from ${first} (${(r.days * 24).toFixed(2)} h), a decision every ${every ?? 10} blocks, ${r.initialValue.toFixed(3)} ${collateral.symbol}`,
      )
      for (const line of renderBacktest(r, collateral.symbol)) console.log(`  ${line}`)
    }
  } finally {
    await store.close()
  }
}

runCli('backtest', main, { usage: 'usage: npm run backtest -- --scenario <name|file.json> [--every K] [--step N]\n       npm run backtest -- [chain] [--blocks N] [--every K]' })
