import { riskFacts } from '../config/schema'
import { backtest, type BacktestInput, type BacktestResult, type BacktestVenue } from '../strategies/backtest'
import { toRaw, type AllocationRoute } from '../strategies/constraints'
import { strategyPolicySchema, type StrategyPolicy } from '../strategies/policy'
import { DEFAULT_DEVNET_CHAINS, devnetVenueFacts, devnetVenueModels, venueIds } from './deploy'
import { checkScenario, marketSamples, scenarioLength, scenarioSchema, shockWindows, type Scenario, type ShockWindow } from './market'

/**
 * Fast-forward backtest: the devnet's market model (market.ts, the per-block model behind the
 * simulator) sampled every `stepBlocks` without a chain, the devnet's venues with their config
 * facts (deploy.ts), the pool's starting positions and the venues' TVL from the scenario's
 * `backtest` section, and the strategy policy — then `backtest` (strategies/backtest.ts): hold,
 * the naive APY chaser, poolwarden and the hindsight oracle, all paying the same costs. PURE.
 *
 * As on the devnet with Wormhole, collateral may move between the three chains (every ordered
 * pair is a bridge route). Other LSTs than the collateral (rETH) are left out, as the strategist
 * leaves them out. The venues' TVL is the other depositors' funds (the pool's own position is added
 * when the strategy scores concentration).
 */

export interface FastForwardRun {
  scenario: string
  stepBlocks: number
  blockSeconds: number
  /** Decisions every `rebalanceEvery` steps. */
  rebalanceEvery: number
  windows: ShockWindow[]
  input: BacktestInput
  result: BacktestResult
}

/** Start of the simulated timeline (unix seconds, 2026-01-01): protocol ages are measured from it. */
export const FAST_FORWARD_START = 1_767_225_600

export function fastForwardInput(
  scenario: Scenario,
  opts: { policy?: StrategyPolicy; stepBlocks?: number; rebalanceEvery?: number; chains?: readonly string[] } = {},
): Omit<FastForwardRun, 'result'> {
  const chains = opts.chains ?? DEFAULT_DEVNET_CHAINS.map((c) => c.name)
  const problems = checkScenario(scenario, devnetVenueModels(chains), { fastForward: true })
  if (problems.length > 0) throw new Error(problems.join('\n'))
  const bt = scenario.backtest ?? scenarioSchema.shape.backtest.unwrap().parse({})
  const stepBlocks = opts.stepBlocks ?? bt.stepBlocks
  const collateral = new Set(chains.map((c) => venueIds(c).wstETH))
  const keep = (v: { id: string; kind: string }) => v.kind !== 'lst' || collateral.has(v.id)
  const models = devnetVenueModels(chains).filter(keep)
  const facts = new Map(devnetVenueFacts(chains).map((f) => [f.id, f]))
  const idleOf = (chain: string) => venueIds(chain).wstETH
  const chainOf = (id: string) => facts.get(id)!.chain
  const steps = Math.floor(scenarioLength(scenario) / stepBlocks) + 1
  // Risk facts: the scenario's (backtest.risk) where it lists a venue, else the devnet config's.
  const riskOf = (id: string) => {
    const given = bt.risk[id]
    if (given === undefined) return riskFacts.parse(facts.get(id)!.risk)
    const r = riskFacts.safeParse(given)
    if (!r.success) throw new Error(`scenario ${scenario.name}: backtest.risk.${id}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`)
    return r.data
  }
  const samples = marketSamples(
    scenario,
    models.map((m) => ({ model: m, chain: chainOf(m.id), pegVenueId: idleOf(chainOf(m.id)), uptime: bt.risk[m.id] === undefined ? undefined : riskOf(m.id).uptime })),
    { steps, stepBlocks, blockSeconds: bt.blockSeconds, startTime: FAST_FORWARD_START, tvl: bt.tvl },
  )
  const venues: BacktestVenue[] = models.map((m) => {
    const f = facts.get(m.id)!
    const chain = f.chain
    return { id: m.id, chain, protocol: f.protocol!, kind: m.kind, risk: riskOf(m.id), caps: f.caps ?? {}, ...(m.kind === 'lst' ? {} : { assetVenueId: idleOf(chain) }) }
  })
  const initial: Record<string, bigint> = {}
  for (const v of venues) initial[v.id] = toRaw(bt.positions[v.id] ?? 0, 18)
  const routes: AllocationRoute[] = chains.flatMap((from) => chains.filter((to) => to !== from).map((to) => ({ from, to })))
  const rebalanceEvery = opts.rebalanceEvery ?? 1
  return {
    scenario: scenario.name,
    stepBlocks,
    blockSeconds: bt.blockSeconds,
    rebalanceEvery,
    windows: shockWindows(scenario),
    input: {
      steps: samples,
      venues,
      chains: chains.map((name) => ({ name, decimals: 18, idleVenueId: idleOf(name) })),
      initial,
      policy: opts.policy ?? strategyPolicySchema.parse({}),
      rebalanceEvery,
      routes,
      tvlExcludesPool: true,
      dilution: bt.dilution,
    },
  }
}

/** Builds the input and runs the backtest. */
export function fastForwardBacktest(scenario: Scenario, opts: Parameters<typeof fastForwardInput>[1] = {}): FastForwardRun {
  const run = fastForwardInput(scenario, opts)
  return { ...run, result: backtest(run.input) }
}
