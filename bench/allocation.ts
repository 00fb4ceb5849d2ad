/**
 * Allocation benchmark (`npm run bench -- allocation` once wired in bench/index.ts): the time to
 * allocate a large pool and the gap to the optimum.
 *
 * Pools: seeded random pools (strategies/random.ts) with the default policy plus random venue,
 * chain and protocol caps, a random move budget and hysteresis, and some venues stuck, cooling
 * down, excluded or short of liquidity — the current allocation within every limit.
 *
 * Time: median wall time of `allocate` over `runs` runs per pool after warm-up runs (the same
 * input each time; pure function, no I/O), with the minimum beside it.
 *
 * Gap to the optimum: compared with an upper bound computed independently of the allocator's LP
 * (strategies/bound.ts): the Lagrangian dual L(λ, μ, π, β) of the problem as defined — conservation
 * per chain, chain and protocol caps, move budget relaxed with multipliers, every venue's box kept —
 * which bounds the best objective for ANY multipliers (weak duality); the allocator's shadow prices
 * are used as the multipliers. The objective of the allocator's rounded (bigint) targets is
 * evaluated from the definition too, including the gas per step (which the bound leaves out, so the
 * bound stays valid). gap = (bound − objective) / (current risk-adjusted yield + bound): the share
 * of the pool's risk-adjusted yield that could at most be missed. A greedy allocator (by score,
 * within the same limits) is measured the same way for comparison.
 */
import { cpus, loadavg } from 'node:os'
import { allocate, targetMap } from '../strategies/allocate'
import { allocationObjective, allocationUpperBound } from '../strategies/bound'
import { type AllocationInput, checkAllocation, investedBy, isExcluded, limitsOf } from '../strategies/constraints'
import { perYear, unitCost } from '../strategies/costs'
import { randomPool } from '../strategies/random'

export interface AllocationBenchCase {
  label: string
  chains: number
  venues: number
  pools: number
  runs: number
  medianMs: number
  minMs: number
  /** Simplex iterations and LP solves of one allocation (median pool). */
  iterations: number
  solves: number
  /** Worst pool: (bound − objective) / (current yield + bound), percent. */
  gapPct: number
  /** Worst pool: bound − objective, collateral units per year (pools hold ~5k units per chain). */
  gapAbs: number
  /** The same gap without gas in the objective: what the LP itself and the rounding leave, percent. */
  gapNoGasPct: number
  greedy: { gapPct: number; feasible: boolean }
}

export interface AllocationBenchResult {
  cases: AllocationBenchCase[]
  /** os.loadavg()[0] and CPU count when measured: times are wall times on a possibly shared machine. */
  load: number
  cpus: number
  targetMs: number
  targetGapPct: number
}

export interface AllocationBenchOptions {
  /** [chains, venues per chain] per case; default 200 venues over 10 chains, and 200 on each of 10. */
  sizes?: readonly (readonly [number, number])[]
  pools?: number
  runs?: number
  warmup?: number
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

export function benchAllocation(opts: AllocationBenchOptions = {}): AllocationBenchResult {
  const sizes = opts.sizes ?? [
    [10, 20],
    [10, 200],
  ]
  const pools = opts.pools ?? 3
  const runs = opts.runs ?? 11
  const warmup = opts.warmup ?? 3
  const cases: AllocationBenchCase[] = []
  for (const [chains, perChain] of sizes) {
    const times: number[] = []
    const its: number[] = []
    const solves: number[] = []
    let gapPct = 0
    let gapAbs = 0
    let gapNoGas = 0
    let greedyGap = 0
    let greedyFeasible = true
    for (let p = 0; p < pools; p++) {
      const input = randomPool(10_000 + p, { chains, venuesPerChain: perChain })
      for (let w = 0; w < warmup; w++) allocate(input)
      let a = allocate(input)
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now()
        a = allocate(input)
        times.push(performance.now() - t0)
      }
      its.push(a.solver.iterations)
      solves.push(a.solver.solves)
      if (a.warnings.length || checkAllocation(input, targetMap(a)).length) throw new Error(`bench: allocation of pool ${p} breaches a limit`)
      const obj = allocationObjective(input, targetMap(a), { gas: true })
      const bound = allocationUpperBound(input, a.shadowPrices)
      const scale = a.currentYield + bound
      gapPct = Math.max(gapPct, ((bound - obj) / scale) * 100)
      gapAbs = Math.max(gapAbs, bound - obj)
      gapNoGas = Math.max(gapNoGas, ((bound - allocationObjective(input, targetMap(a))) / scale) * 100)
      const g = greedy(input)
      greedyFeasible &&= checkAllocation(input, g).length === 0
      greedyGap = Math.max(greedyGap, ((bound - allocationObjective(input, g, { gas: true })) / scale) * 100)
    }
    cases.push({
      label: `${chains * perChain} venues on ${chains} chains`,
      chains,
      venues: chains * perChain,
      pools,
      runs,
      medianMs: median(times),
      minMs: Math.min(...times),
      iterations: median(its),
      solves: median(solves),
      gapPct,
      gapAbs,
      gapNoGasPct: gapNoGas,
      greedy: { gapPct: greedyGap, feasible: greedyFeasible },
    })
  }
  return { cases, targetMs: 100, targetGapPct: 0.1, load: loadavg()[0]!, cpus: cpus().length }
}

/** Lines for `npm run bench`. */
export function formatAllocationBench(r: AllocationBenchResult): string[] {
  const out = [
    `\n## Allocation: exact LP (median of ${r.cases[0]?.runs ?? 0} runs × ${r.cases[0]?.pools ?? 0} random pools, load ${r.load.toFixed(1)} on ${r.cpus} CPUs)`,
    `gap = (independent Lagrangian upper bound − objective of the rounded targets, gas included) / the pool's risk-adjusted yield; worst pool`,
  ]
  for (const c of r.cases) {
    out.push(
      `${c.label.padEnd(25)} ${c.medianMs.toFixed(1).padStart(6)} ms (min ${c.minMs.toFixed(1)})  target < ${r.targetMs} ms   ` +
        `gap ${c.gapPct.toExponential(1)} % (${c.gapNoGasPct.toExponential(1)} % without gas)  target < ${r.targetGapPct} %   ` +
        `${c.iterations} simplex iterations, ${c.solves} LP solve(s);  greedy by score: gap ${c.greedy.gapPct.toFixed(2)} %${c.greedy.feasible ? '' : ' (INFEASIBLE)'}`,
    )
  }
  return out
}

/**
 * Baseline: greedy by score within the same limits. Drains excluded venues and leaves venues
 * scoring below idle (worst first), then fills the best venues from idle (best first), each step
 * as large as every limit allows at that moment.
 */
export function greedy(input: AllocationInput): Map<string, bigint> {
  const L = limitsOf(input)
  const { policy } = input
  const h = policy.allocation.hysteresisBps / 10_000
  const A = perYear(policy)
  const t = new Map(input.venues.map((v) => [v.id, v.current]))
  const idleOf = new Map(input.chains.map((c) => [c.name, c.idleVenueId]))
  const scoreOf = new Map(input.venues.map((v) => [v.id, v.score]))
  const idleScore = (chain: string) => scoreOf.get(idleOf.get(chain)!)!
  // Running totals (common decimals): invested per chain and protocol, moved per chain.
  const invChain = investedBy(input, L, (v) => v.chain)
  const invProt = investedBy(input, L, (v) => v.protocol)
  const withdrawn = new Map<string, bigint>()
  const deposited = new Map<string, bigint>()
  const movedNow = () => {
    let m = 0n
    for (const c of input.chains) {
      const w = withdrawn.get(c.name) ?? 0n
      const d = deposited.get(c.name) ?? 0n
      m += (w > d ? w : d) * L.scale.get(c.name)!
    }
    return m
  }
  const move = (v: (typeof input.venues)[number], x: bigint) => {
    const sc = L.scale.get(v.chain)!
    const idle = idleOf.get(v.chain)!
    t.set(v.id, t.get(v.id)! + x)
    t.set(idle, t.get(idle)! - x)
    invChain.set(v.chain, invChain.get(v.chain)! + x * sc)
    invProt.set(v.protocol, invProt.get(v.protocol)! + x * sc)
    if (x < 0n) withdrawn.set(v.chain, (withdrawn.get(v.chain) ?? 0n) - x)
    else deposited.set(v.chain, (deposited.get(v.chain) ?? 0n) + x)
  }
  const movable = input.venues.filter((v) => !L.idleIds.has(v.id) && !L.fixed.has(v.id))
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  // Out: excluded first, then worst score.
  const outs = movable
    .filter((v) => isExcluded(v) || v.score < idleScore(v.chain) - h - unitCost(policy, v.kind, 'withdraw', 0) * A)
    .sort((a, b) => (isExcluded(a) ? -1 : a.score) - (isExcluded(b) ? -1 : b.score) || byId(a, b))
  for (const v of outs) {
    const sc = L.scale.get(v.chain)!
    let x = v.withdrawable != null && v.withdrawable < v.current ? v.withdrawable : v.current
    const room = (L.budget - movedNow()) / sc
    if (room < x) x = room
    if (x > 0n) move(v, -x)
  }
  // In: best score first, each as large as every limit allows.
  const ins = movable.filter((v) => !isExcluded(v) && v.score > idleScore(v.chain) + h + unitCost(policy, v.kind, 'deposit', 0) * A).sort((a, b) => b.score - a.score || byId(a, b))
  for (const v of ins) {
    const sc = L.scale.get(v.chain)!
    let x = t.get(idleOf.get(v.chain)!)! - L.minIdle.get(v.chain)!
    const cap = L.venueCap.get(v.id)
    if (cap && cap.raw - t.get(v.id)! < x) x = cap.raw - t.get(v.id)!
    const limits = [
      (L.chainCap.get(v.chain)! - invChain.get(v.chain)!) / sc,
      (L.protocolCap.get(v.protocol)! - invProt.get(v.protocol)!) / sc,
      // Deposits funded by this chain's withdrawals are free; beyond them idle's outflow spends budget.
      (L.budget - movedNow()) / sc + ((withdrawn.get(v.chain) ?? 0n) > (deposited.get(v.chain) ?? 0n) ? (withdrawn.get(v.chain) ?? 0n) - (deposited.get(v.chain) ?? 0n) : 0n),
    ]
    for (const r of limits) if (r < x) x = r
    if (x > 0n) move(v, x)
  }
  return t
}
