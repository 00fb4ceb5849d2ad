import { fastForwardBacktest } from './devnet/fastForward'
import { loadScenario } from './devnet/scenario'
const main = async () => {
  const sc = await loadScenario('backtest-90d')
  const t0 = performance.now()
  const run = fastForwardBacktest(sc)
  console.log('s', ((performance.now() - t0) / 1000).toFixed(1))
  const r = run.result
  for (const o of r.oracles) console.log('oracle', o.horizonDays, o.leg.yieldBps.toFixed(1), o.leg.moves, o.leg.moved.toFixed(0))
  for (const l of [r.chaser, r.strategy, r.oracle]) {
    const b = new Map<string, { n: number; amt: number }>()
    for (const p of l.paid) {
      const bucket = p.kind + ' ' + (p.amount < 1 ? '<1' : p.amount < 10 ? '<10' : p.amount < 100 ? '<100' : '>=100')
      const x = b.get(bucket) ?? { n: 0, amt: 0 }
      x.n++; x.amt += p.amount; b.set(bucket, x)
    }
    console.log(l.name, l.yieldBps.toFixed(1), 'rebalances', l.rebalances, [...b].sort().map(([k, v]) => `${k}: ${v.n} (${v.amt.toFixed(0)})`).join('; '))
  }
}
main()
