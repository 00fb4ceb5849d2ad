import { availableParallelism, loadavg } from 'node:os'
import { fastForwardBacktest } from '../devnet/fastForward'
import { loadScenario } from '../devnet/scenario'
import { renderBacktest, type BacktestInput, type BacktestResult } from '../strategies/backtest'

/**
 * `npm run bench -- backtest`: the 90-day scenario in fast-forward (devnet/fastForward.ts: the
 * market model and the pure strategy, no chain), printed side by side with its targets: under
 * 60 s; poolwarden ahead of holding and of the naive APY chaser net of costs; at least 50 % of the
 * cost-paying oracle's gain over holding. A missed target is printed as missed. When the scenario
 * has slashing events (backtest-90d: three strategy losses on the boost vaults, its risk premium:
 * part of their higher APY is expected loss), the same run without them is printed after the targets.
 */
export async function benchBacktest(scenarioName = 'backtest-90d'): Promise<string[]> {
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const scenario = await loadScenario(scenarioName)
  const run = fastForwardBacktest(scenario)
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6
  const r = run.result
  const mark = (ok: boolean) => (ok ? 'met' : 'MISSED')
  const bps = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(Math.abs(x) < 1 ? 3 : 1)} bps` // a near tie shows as one
  const vsHold = r.strategy.yieldBps - r.hold.yieldBps
  const vsChaser = r.strategy.yieldBps - r.chaser.yieldBps
  // The scenario's slashing event was added so that some regime costs a concentrated position
  // principal; the same run without it shows what it changes (nobody has to take it on trust).
  const slashes = scenario.shocks.filter((sh) => sh.kind === 'slash')
  const without: string[] = []
  if (slashes.length) {
    const t1 = performance.now()
    const w = fastForwardBacktest({ ...scenario, shocks: scenario.shocks.filter((sh) => sh.kind !== 'slash') }).result
    without.push(
      `\nthe same scenario WITHOUT its slashing event${slashes.length > 1 ? 's' : ''} (${slashes.map((sh) => `${sh.lossBps} bps on ${sh.venue}`).join(', ')}), ${((performance.now() - t1) / 1000).toFixed(1)} s:`,
      ...renderBacktest(w, 'wstETH'),
      oracleLine(w),
      `poolwarden − hold          : ${bps(w.strategy.yieldBps - w.hold.yieldBps)}`,
      `poolwarden − APY chaser    : ${bps(w.strategy.yieldBps - w.chaser.yieldBps)}`,
      `share of the oracle's gain : ${w.captured === null ? '—' : `${(w.captured * 100).toFixed(1)} %`}`,
    )
  }
  return [
    `\n## Backtest: ${run.scenario}, ${r.days.toFixed(0)} days in fast-forward (${r.steps} samples, a decision every ${(run.stepBlocks * run.blockSeconds * run.rebalanceEvery) / 3600} h, 3 chains with bridge routes, the same costs for every contender)`,
    `shocks: ${run.windows.map((w) => `${w.kind}@${w.venue} day ${((w.start * run.blockSeconds) / 86_400).toFixed(0)}${w.kind === 'slash' ? ` (${w.shock.kind === 'slash' ? w.shock.lossBps : 0} bps, permanent)` : `–${((w.end * run.blockSeconds) / 86_400).toFixed(0)}`}`).join(', ')}`,
    `yield dilution (scenario backtest.dilution): ${dilutionText(run.input.dilution)}`,
    ...(slashes.length
      ? [`(the slashing events are the scenario's risk premium — part of the boost vaults' higher APY is expected loss; the result without them follows the targets)`]
      : []),
    ...renderBacktest(r, 'wstETH'),
    oracleLine(r),
    `run time                   : ${seconds.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU, load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs   (target < 60 s: ${mark(seconds < 60)})`,
    `poolwarden − hold          : ${bps(vsHold)}   (target > 0: ${mark(vsHold > 0)})`,
    `poolwarden − APY chaser    : ${bps(vsChaser)}   (target > 0: ${mark(vsChaser > 0)})`,
    `share of the oracle's gain : ${r.captured === null ? '—' : `${(r.captured * 100).toFixed(1)} %`}   (target ≥ 50 %: ${mark(r.captured !== null && r.captured >= 0.5)})`,
    ...without,
  ]
}

/** The oracle family: every look-ahead's yield; the best is the table's oracle. */
function oracleLine(r: BacktestResult): string {
  return `oracle look-aheads (each pays the same costs; the best is the oracle above): ${r.oracles.map((o) => `${o.horizonDays} d ${o.leg.yieldBps >= 0 ? '+' : ''}${o.leg.yieldBps.toFixed(1)} bps`).join(', ')}`
}

function dilutionText(d: BacktestInput['dilution']): string {
  const kinds = Object.entries(d ?? {}).filter(([, x]) => (x ?? 0) > 0)
  if (kinds.length === 0) return 'none (the samples\' rates whatever the pool holds)'
  return `${kinds.map(([k, x]) => `${k} ${x}`).join(', ')} of a venue's own yield is an income its whole TVL shares — a contender holding P where the samples had P0 earns rate × (T + P0)/(T + P) on it`
}
