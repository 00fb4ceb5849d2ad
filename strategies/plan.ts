import { formatUnits } from 'viem'
import { formatAmount } from '../core/amount'
import type { VenueKind } from '../config/schema'
import { BaseError } from '../core/errors'
import { movedUnitsScore, type Allocation, type Binding } from './allocate'
import type { AllocationTransfer } from './constraints'
import { bridgeCost, stepCost } from './costs'
import { maxSampleAgeBlocksOf, type StrategyPolicy } from './policy'
import { explainScore, type VenueScore } from './risk'

/**
 * A plan: the ordered steps from the current positions to the target. PURE.
 *
 * Withdrawals come first (each to the chain's idle collateral), then deposits (each from it), so
 * every deposit is funded when it runs and a plan stopped half-way leaves collateral idle, never
 * short. Withdrawals go worst score first (excluded venues first), deposits best score first; ties
 * by chain then venue id. The idle venue itself is never a step.
 *
 * Per step: expected gain per year = amount × (score of where the collateral goes − score of where
 * it comes from), with idle as the other side (an excluded venue counts as earning nothing), so the
 * steps' gains add up to the allocation's gain; cost = gas + slippage + queue (costs.ts). The plan
 * adds them up, with the net benefit over the horizon (gain × horizon − cost), the collateral moved,
 * and whether committee approval is needed (moved above `approvalThreshold`).
 *
 * Cross-chain (`transfers`, from the allocator's bridge routes): the steps become withdraw (every
 * chain) → bridge (source chain: its idle collateral leaves through the token bridge) → redeem
 * (destination chain: the transfer completes into its idle collateral) → deposit (every chain),
 * so a deposit never waits on collateral that has not landed. A bridge step carries the transfer's
 * cost (bridge fee, gas on both sides, yield forgone in flight) and its gain (received × the
 * destination idle's score − sent × the source idle's); its redeem step costs nothing more.
 *
 * Plans are refused (StaleSamplesError) when a chain's samples are more than `maxSampleAgeBlocks`
 * behind its head.
 */

export interface PlanVenue {
  id: string
  chain: string
  kind: VenueKind
  protocol?: string
}

export interface PlanChain {
  name: string
  decimals: number
  idleVenueId: string
  /** Block of the samples the scores and positions come from. */
  sampleBlock: bigint
  /** The chain's head when the plan is built. */
  headBlock: bigint
  /** Collateral symbol, for display (default "units"). */
  symbol?: string
  /** The collateral's price in its backing (AllocationChain.peg): a transfer's cost counts the depeg realised on leaving. */
  peg?: number | null
}

type Amounts = ReadonlyMap<string, bigint> | Readonly<Record<string, bigint>>

export interface BuildPlanInput {
  /** Venue id → raw amount now / wanted. Venues missing from `target` keep their amount. */
  current: Amounts
  target: Amounts
  scores: readonly VenueScore[]
  venues: readonly PlanVenue[]
  chains: readonly PlanChain[]
  policy: StrategyPolicy
  /** The allocator's binding constraints per venue (shown with the steps). */
  binding?: Readonly<Record<string, readonly Binding[]>>
  /** Cross-chain transfers (idle to idle); none: every chain's collateral is fixed. */
  transfers?: readonly AllocationTransfer[]
}

export interface PlanStep {
  index: number
  kind: 'withdraw' | 'deposit' | 'bridge' | 'redeem'
  chain: string
  venueId: string
  /** Raw units of the chain's collateral. */
  amount: bigint
  /** Collateral units per year. */
  expectedGainPerYear: number
  /** One-off, collateral units. */
  cost: number
  costs: { gas: number; slippage: number; queue: number; fee?: number; delay?: number }
  why: string
  binding: Binding[]
  /** bridge and redeem steps: the transfer (raw `amount` of `from`, `received` raw of `to`); its two steps share it. */
  transfer?: AllocationTransfer
}

export interface Plan {
  steps: PlanStep[]
  /** Σ of the steps' gains, collateral units per year. */
  expectedGainPerYear: number
  /** Σ of the steps' costs, collateral units. */
  totalCost: number
  horizonDays: number
  /** expectedGainPerYear × horizonDays / 365 − totalCost. */
  netBenefit: number
  /** Collateral moved, collateral units (all chains). */
  moved: number
  needsApproval: boolean
  approval: { threshold: number; required: number; members: string[] }
  /** The samples it is based on, per chain. */
  basedOn: { chain: string; sampleBlock: bigint; headBlock: bigint }[]
  /** Scores of the venues involved (steps and idle), with their components: the "why". */
  scores: Record<string, VenueScore>
  /** Display units per chain. */
  units: Record<string, { decimals: number; symbol: string }>
}

export class StaleSamplesError extends BaseError {
  override name = 'StaleSamplesError'
  constructor(readonly stale: { chain: string; sampleBlock: bigint; headBlock: bigint; maxAgeBlocks: number }[]) {
    super(`plan refused: samples too old: ${stale.map((s) => `${s.chain} at block ${s.sampleBlock}, head ${s.headBlock} (${s.headBlock - s.sampleBlock} behind, max ${s.maxAgeBlocks} blocks)`).join('; ')}`)
  }
}

export class PlanInputError extends BaseError {
  override name = 'PlanInputError'
}

/** Throws StaleSamplesError when a chain's samples are more than its maxSampleAgeBlocks (policy, per chain) behind its head. */
export function assertFresh(chains: readonly PlanChain[], policy: StrategyPolicy): void {
  const stale = chains
    .map((c) => ({ chain: c.name, sampleBlock: c.sampleBlock, headBlock: c.headBlock, maxAgeBlocks: maxSampleAgeBlocksOf(policy, c.name) }))
    .filter((c) => c.headBlock - c.sampleBlock > BigInt(c.maxAgeBlocks))
  if (stale.length) throw new StaleSamplesError(stale)
}

const get = (m: Amounts, id: string): bigint | undefined => (m instanceof Map ? m.get(id) : (m as Record<string, bigint>)[id])
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : 'excluded')

/** Build the plan. See the module comment. */
export function buildPlan(input: BuildPlanInput): Plan {
  const { policy } = input
  assertFresh(input.chains, policy)
  const chains = new Map(input.chains.map((c) => [c.name, c]))
  const scores = new Map(input.scores.map((s) => [s.venueId, s]))
  const problems: string[] = []
  for (const v of input.venues) if (!chains.has(v.chain)) problems.push(`venue "${v.id}": unknown chain "${v.chain}"`)
  for (const c of input.chains) if (!input.venues.some((v) => v.id === c.idleVenueId)) problems.push(`chain "${c.name}": idle venue "${c.idleVenueId}" missing`)
  const sums = new Map<string, bigint>()
  for (const v of input.venues) {
    const cur = get(input.current, v.id) ?? 0n
    const tgt = get(input.target, v.id) ?? cur
    if (tgt < 0n || cur < 0n) problems.push(`venue "${v.id}": negative amount`)
    sums.set(v.chain, (sums.get(v.chain) ?? 0n) + tgt - cur)
  }
  for (const t of input.transfers ?? []) {
    if (!chains.has(t.from) || !chains.has(t.to)) problems.push(`transfer ${t.from} → ${t.to}: unknown chain`)
    else if (t.amount <= 0n || t.received <= 0n) problems.push(`transfer ${t.from} → ${t.to}: amount must be positive`)
    sums.set(t.from, (sums.get(t.from) ?? 0n) + t.amount)
    sums.set(t.to, (sums.get(t.to) ?? 0n) - t.received)
  }
  for (const [c, d] of sums) if (d !== 0n) problems.push(`chain "${c}": targets differ from current positions by ${d} (a chain's collateral changes only by its transfers)`)
  if (problems.length) throw new PlanInputError(`plan input: ${problems.join('; ')}`)

  const idleIds = new Set(input.chains.map((c) => c.idleVenueId))
  const scoreOf = (id: string) => scores.get(id)?.score ?? 0
  const earning = (id: string) => (Number.isFinite(scoreOf(id)) ? scoreOf(id) : 0)
  const best = new Map<string, number>()
  for (const v of input.venues) if (Number.isFinite(scoreOf(v.id))) best.set(v.chain, Math.max(best.get(v.chain) ?? 0, scoreOf(v.id)))
  /**
   * The score of the units a venue's change moves: with position-dependent penalties (a score's
   * `atPosition`), concentration is charged where the position ends up (as the allocator does), so a
   * deposit into a venue it makes concentrated gains what it will earn there, not today's score.
   */
  const movedScore = (id: string) => {
    const sc = scores.get(id)
    const cur = get(input.current, id) ?? 0n
    const tgt = get(input.target, id) ?? cur
    if (!sc || !Number.isFinite(sc.score) || !sc.atPosition) return earning(id)
    return movedUnitsScore({ current: cur, score: sc.score, atPosition: sc.atPosition, withdrawable: sc.withdrawable }, tgt, policy)
  }
  const human = (raw: bigint, chain: string) => Number(formatUnits(raw, chains.get(chain)!.decimals))
  const sym = (chain: string) => chains.get(chain)!.symbol ?? 'units'
  const fmt = (raw: bigint, chain: string) => `${human(raw, chain).toLocaleString('en-US', { maximumFractionDigits: 6 })} ${sym(chain)}`

  type Draft = Omit<PlanStep, 'index'> & { score: number }
  const withdrawals: Draft[] = []
  const deposits: Draft[] = []
  for (const v of input.venues) {
    if (idleIds.has(v.id)) continue
    const cur = get(input.current, v.id) ?? 0n
    const tgt = get(input.target, v.id) ?? cur
    if (tgt === cur) continue
    const kind = tgt < cur ? 'withdraw' : 'deposit'
    const amount = kind === 'withdraw' ? cur - tgt : tgt - cur
    const chain = chains.get(v.chain)!
    const idleId = chain.idleVenueId
    const sIdle = movedScore(idleId)
    const s = movedScore(v.id)
    const units = human(amount, v.chain)
    const gain = kind === 'withdraw' ? units * (sIdle - s) : units * (s - sIdle)
    const atTarget = Math.abs(s - earning(v.id)) > 1e-6 ? ` (${pct(s)} for the units moved: concentration charged at the target)` : ''
    const c = stepCost(policy, { chain: v.chain, kind: v.kind, direction: kind, amount: units, bestScore: best.get(v.chain) ?? 0 })
    const sc = scores.get(v.id)
    const binding = [...(input.binding?.[v.id] ?? [])]
    const reason =
      kind === 'withdraw'
        ? sc?.excluded
          ? `${v.id} is excluded (${sc.excluded}): move to idle ${idleId}`
          : `${v.id} scores ${pct(scoreOf(v.id))}${atTarget} against idle ${idleId}'s ${pct(sIdle)}${tgt > 0n ? `; keeps ${fmt(tgt, v.chain)}` : ''}`
        : `${v.id} scores ${pct(scoreOf(v.id))}${atTarget} against idle ${idleId}'s ${pct(sIdle)}`
    const held = binding.map((b) => `${b.constraint}: ${b.detail}`)
    const why =
      `${kind === 'withdraw' ? 'withdraw' : 'deposit'} ${fmt(amount, v.chain)} ${kind === 'withdraw' ? 'from' : 'into'} ${v.id}: ${reason}; ` +
      `${gain >= 0 ? '+' : ''}${gain.toFixed(6)} ${sym(v.chain)}/yr for ${c.total.toFixed(6)} ${sym(v.chain)} of costs` +
      (held.length ? ` [${held.join('; ')}]` : '')
    const d: Draft = { kind, chain: v.chain, venueId: v.id, amount, expectedGainPerYear: gain, cost: c.total, costs: { gas: c.gas, slippage: c.slippage, queue: c.queue }, why, binding, score: sc?.excluded ? -Infinity : scoreOf(v.id) }
    ;(kind === 'withdraw' ? withdrawals : deposits).push(d)
  }
  withdrawals.sort((a, b) => a.score - b.score || cmp(a.chain, b.chain) || cmp(a.venueId, b.venueId))
  deposits.sort((a, b) => b.score - a.score || cmp(a.chain, b.chain) || cmp(a.venueId, b.venueId))
  const bridges: Draft[] = []
  const redeems: Draft[] = []
  for (const t of [...(input.transfers ?? [])].sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to))) {
    const from = chains.get(t.from)!
    const to = chains.get(t.to)!
    const sent = human(t.amount, t.from)
    const got = human(t.received, t.to)
    const gain = got * movedScore(to.idleVenueId) - sent * movedScore(from.idleVenueId)
    const c = bridgeCost(policy, { from: t.from, to: t.to, amount: sent, bestScoreTo: best.get(t.to) ?? 0, pegFrom: from.peg, pegTo: to.peg })
    const transfer = { from: t.from, to: t.to, amount: t.amount, received: t.received }
    bridges.push({
      kind: 'bridge',
      chain: t.from,
      venueId: from.idleVenueId,
      amount: t.amount,
      expectedGainPerYear: gain,
      cost: c.total,
      costs: { gas: c.gas, slippage: 0, queue: 0, fee: c.fee, delay: c.delay },
      why:
        `bridge ${fmt(t.amount, t.from)} from ${t.from} to ${t.to} (arrives as ${fmt(t.received, t.to)} in ${to.idleVenueId}): ` +
        `the pool's target puts more collateral on ${t.to} (its venues up to ${pct(best.get(t.to) ?? 0)}; ${t.from} up to ${pct(best.get(t.from) ?? 0)}, within caps and budget); ` +
        `${gain >= 0 ? '+' : ''}${gain.toFixed(6)} ${sym(t.to)}/yr for ${c.total.toFixed(6)} of costs (fee ${c.fee.toFixed(6)}, gas on both chains ${c.gas.toFixed(6)}, ` +
        `${policy.costs.bridge.delayMinutes} min in flight ${c.delay.toFixed(6)})`,
      binding: [],
      transfer,
      score: 0,
    })
    redeems.push({
      kind: 'redeem',
      chain: t.to,
      venueId: to.idleVenueId,
      amount: t.received,
      expectedGainPerYear: 0,
      cost: 0,
      costs: { gas: 0, slippage: 0, queue: 0 },
      why: `redeem the transfer from ${t.from}: ${fmt(t.received, t.to)} land in ${to.idleVenueId} (its gas is in the bridge step's cost)`,
      binding: [],
      transfer,
      score: 0,
    })
  }
  const steps: PlanStep[] = [...withdrawals, ...bridges, ...redeems, ...deposits].map(({ score: _score, ...s }, index) => ({ index, ...s }))

  const gain = steps.reduce((a, s) => a + s.expectedGainPerYear, 0)
  const cost = steps.reduce((a, s) => a + s.cost, 0)
  // Collateral moved: what leaves positions (idle included) or what enters them, the larger (on one
  // chain the two are equal; a transfer counts once).
  let out = 0
  let into = 0
  for (const v of input.venues) {
    const cur = get(input.current, v.id) ?? 0n
    const tgt = get(input.target, v.id) ?? cur
    if (tgt < cur) out += human(cur - tgt, v.chain)
    else into += human(tgt - cur, v.chain)
  }
  const moved = Math.max(out, into)
  const involved = new Set([...steps.map((s) => s.venueId), ...idleIds])
  const planScores: Record<string, VenueScore> = {}
  for (const id of [...involved].sort(cmp)) {
    const s = scores.get(id)
    if (s) planScores[id] = s
  }
  return {
    steps,
    expectedGainPerYear: gain,
    totalCost: cost,
    horizonDays: policy.allocation.horizonDays,
    netBenefit: (gain * policy.allocation.horizonDays) / 365 - cost,
    moved,
    needsApproval: moved > policy.approvalThreshold,
    approval: { threshold: policy.approvalThreshold, required: policy.committee.required, members: [...policy.committee.members] },
    basedOn: [...input.chains].sort((a, b) => cmp(a.name, b.name)).map((c) => ({ chain: c.name, sampleBlock: c.sampleBlock, headBlock: c.headBlock })),
    scores: planScores,
    units: Object.fromEntries(input.chains.map((c) => [c.name, { decimals: c.decimals, symbol: c.symbol ?? 'units' }])),
  }
}

/** The plan for an allocation: its current → target, with its binding constraints. */
export function planFromAllocation(a: Allocation, o: Omit<BuildPlanInput, 'current' | 'target' | 'binding' | 'venues'>): Plan {
  return buildPlan({
    ...o,
    current: new Map(a.targets.map((t) => [t.venueId, t.current])),
    target: new Map(a.targets.map((t) => [t.venueId, t.target])),
    venues: a.targets.map((t) => ({ id: t.venueId, chain: t.chain, kind: t.kind, protocol: t.protocol })),
    binding: Object.fromEntries(a.targets.map((t) => [t.venueId, t.binding])),
    transfers: a.transfers,
  })
}

/** Dry run: the plan as text, without acting. `verbose` adds every involved venue's score components. */
export function renderPlan(plan: Plan, opts: { verbose?: boolean } = {}): string {
  const out: string[] = []
  const unit = (chain: string) => plan.units[chain] ?? { decimals: 18, symbol: 'units' }
  const num = (x: number, d = 6) => x.toLocaleString('en-US', { minimumFractionDigits: Math.min(d, 3), maximumFractionDigits: d })
  // Plan-wide sums (moved, gain, cost) are in the collateral of every chain: one symbol.
  const poolSym = [...new Set(Object.values(plan.units).map((u) => u.symbol))].join('/') || 'units'
  if (plan.steps.length === 0) out.push('Plan: nothing to do (the current allocation is the target).')
  else {
    const approval = plan.needsApproval
      ? `needs ${plan.approval.required} of ${plan.approval.members.length || '?'} committee approvals${plan.approval.members.length ? ` (${plan.approval.members.join(', ')})` : ''}: moves more than ${num(plan.approval.threshold, 2)}`
      : `below the approval threshold (${num(plan.approval.threshold, 2)}): runs without approval`
    out.push(`Plan: ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'}, moves ${formatAmount(plan.moved, poolSym, { digits: 4 })}; ${approval}`)
    out.push(
      `Expected gain ${formatAmount(plan.expectedGainPerYear, poolSym, { digits: 6 })}/yr, one-off cost ${formatAmount(plan.totalCost, poolSym, { digits: 6 })}, net over ${plan.horizonDays} d: ${plan.netBenefit >= 0 ? '+' : ''}${formatAmount(plan.netBenefit, poolSym, { digits: 6 })}`,
    )
  }
  out.push(`Based on: ${plan.basedOn.map((b) => `${b.chain} block ${b.sampleBlock} (head ${b.headBlock})`).join(', ')}`)
  if (plan.steps.length) {
    out.push('')
    const rows = plan.steps.map((s) => ({
      i: String(s.index),
      kind: s.kind,
      chain: s.chain,
      venue: s.venueId,
      amount: formatAmount(s.amount, unit(s.chain), { digits: 6 }),
      gain: formatAmount(s.expectedGainPerYear, unit(s.chain).symbol, { digits: 6 }),
      cost: formatAmount(s.cost, unit(s.chain).symbol, { digits: 6 }),
    }))
    const head = { i: '#', kind: 'STEP', chain: 'CHAIN', venue: 'VENUE', amount: 'AMOUNT', gain: 'GAIN/YR', cost: 'COST' }
    const keys = Object.keys(head) as (keyof typeof head)[]
    const right = new Set(['i', 'amount', 'gain', 'cost'])
    const w = Object.fromEntries(keys.map((k) => [k, Math.max(head[k].length, ...rows.map((r) => r[k].length))])) as Record<keyof typeof head, number>
    const line = (r: Record<keyof typeof head, string>) => keys.map((k) => (right.has(k) ? r[k].padStart(w[k]) : r[k].padEnd(w[k]))).join('  ').trimEnd()
    out.push(line(head))
    for (const r of rows) out.push(line(r))
    out.push('')
    for (const s of plan.steps) out.push(`${s.index}. ${s.why}`)
  }
  if (opts.verbose) {
    out.push('')
    out.push('Scores:')
    for (const s of Object.values(plan.scores)) out.push(explainScore(s))
  }
  return out.join('\n')
}
