import { formatUnits } from 'viem'
import type { VenueKind } from '../config/schema'
import type { Plan as StoredPlan, PlanStep as StoredStep } from '../store/types'
import { buildPlan, PlanInputError, StaleSamplesError, type Plan as StrategyPlan } from '../strategies/plan'
import { maxSampleAgeBlocksOf, type StrategyPolicy } from '../strategies/policy'
import type { VenueScore } from '../strategies/risk'
import { planFromExplanation } from './explanation'

/**
 * Re-validation of a plan before each of its steps, and the committee's "compared with now". PURE:
 * the latest samples come in as data (`PlanNow`, read by plans/planNow.ts), nothing is read here.
 *
 * `revalidatePlan` checks, in this order, the steps still to run (pending, from `stepIdx` on; a
 * redeem step whose transfer already left is never refused: funds in flight always land):
 *
 *   expire  the plan is older than `policy.planTtlSeconds` (wall clock since it was made).
 *   hold    data missing or stale: a chain without samples, samples more than
 *           `maxSampleAgeBlocks` behind the head, a venue of a step unreadable in its latest
 *           sample. Nothing moves; the plan stays as it is and is re-checked next round (the TTL
 *           bounds the wait).
 *   stop    evidence that a step would now do harm, naming the changed input:
 *           - a deposit target paused, depegged or otherwise excluded (`target venue X paused at block N`);
 *           - a deposit target whose exchange rate fell since the plan's block (slashing, a loss);
 *           - a deposit target whose withdrawable liquidity fell below the position it would hold;
 *           - a withdrawal from a paused venue, or of more than its withdrawable liquidity;
 *           - a remaining deposit into a venue that now scores no better than idle, or the
 *             remaining steps, re-scored with strategies/plan.ts on the latest scores, no longer
 *             gaining more than they cost over the horizon (`APY of X fell from 7.10 % to 3.00 %:
 *             the remaining steps gain -2.0 bps < 5.1 bps of costs over 30 d`). A plan whose
 *             remaining steps did not pay at plan time either (a move forced by a cap or the idle
 *             buffer, not made for yield) is not stopped on economics, only on health.
 *   go      otherwise.
 *
 * `compareWithNow` gives the committee the same inputs side by side: per venue APY, score and the
 * pool's position then and now, the remaining steps' gain then and now, the plan's age against its
 * TTL, and the verdict `revalidatePlan` would give.
 */

export interface VenueNow {
  venueId: string
  chain: string
  kind: VenueKind
  protocol: string
  /** Score on the latest samples (strategies/risk.ts). */
  score: VenueScore
  /** The pool's position now (raw). */
  position: bigint
  /** The pool's position at the plan's block (raw), null when the store has none. */
  positionThen: bigint | null
  /** Latest sample's exchange rate (1e18), null when unknown. */
  rateNow: bigint | null
  /** Exchange rate in the sample at the plan's block, null when unknown. */
  rateThen: bigint | null
}

export interface ChainNow {
  name: string
  decimals: number
  symbol: string
  idleVenueId: string
  /** Block of the latest samples. */
  sampleBlock: bigint
  /** The chain's head (null: unknown, e.g. a view that reads only the store). */
  headBlock: bigint | null
}

export interface PlanNow {
  /** ms, wall clock. */
  at: number
  chains: ChainNow[]
  venues: VenueNow[]
  /** Chains the plan touches that have no current view, and why. */
  missing: { chain: string; reason: string }[]
}

export type Revalidation =
  | { verdict: 'go' }
  | { verdict: 'hold'; reason: string }
  | { verdict: 'expire'; reason: string }
  | { verdict: 'stop'; reason: string; stepIdx: number | null; venueId: string | null }

export interface RevalidateInput {
  plan: Pick<StoredPlan, 'id' | 'createdAt' | 'basedOnBlock' | 'explanation'>
  steps: readonly Pick<StoredStep, 'idx' | 'kind' | 'chain' | 'venueId' | 'amount' | 'status' | 'detail'>[]
  /** The step about to run (the steps from it on are checked). Default: the first pending step. */
  stepIdx?: number
  now: PlanNow
  policy: StrategyPolicy
}

type Step = RevalidateInput['steps'][number]

const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(2)} %`)
const bps = (x: number) => `${x.toFixed(1)} bps`

function duration(s: number): string {
  const v = Math.max(0, Math.floor(s))
  if (v < 120) return `${v} s`
  if (v < 7200) return `${Math.floor(v / 60)} min`
  return `${(v / 3600).toFixed(1)} h`
}

/** The steps still to run from `stepIdx` on; a redeem whose bridge step is done stays out (it always runs). */
export function remainingSteps(steps: readonly Step[], stepIdx?: number): Step[] {
  const from = stepIdx ?? steps.find((s) => s.status === 'pending')?.idx ?? Infinity
  const rest = steps.filter((s) => s.idx >= from && s.status === 'pending')
  return rest.filter((s) => {
    if (s.kind !== 'redeem') return true
    const b = (s.detail as { bridgeStep?: number } | null)?.bridgeStep
    return b !== undefined && rest.some((r) => r.idx === b)
  })
}

interface Rescored {
  /** Σ gain per year and Σ cost of the remaining steps, collateral units. */
  gainPerYear: number
  cost: number
  /** Over the horizon: gainPerYear × horizon / 365 − cost. */
  net: number
  moved: number
  horizonDays: number
  /** Per stored step idx. */
  steps: Map<number, { gainPerYear: number; cost: number }>
}

interface TransferDetail {
  from: string
  to: string
  amount: string
  received: string
}

/** The remaining steps re-scored with strategies/plan.ts on the latest scores. Throws StaleSamplesError / PlanInputError. */
function rescore(rest: readonly Step[], now: PlanNow, policy: StrategyPolicy): Rescored {
  const chainOf = new Map(now.chains.map((c) => [c.name, c]))
  const involved = new Set<string>()
  const current = new Map<string, bigint>()
  const target = new Map<string, bigint>()
  const add = (m: Map<string, bigint>, id: string, v: bigint) => m.set(id, (m.get(id) ?? 0n) + v)
  const transfers: { from: string; to: string; amount: bigint; received: bigint }[] = []
  for (const s of rest) {
    const c = chainOf.get(s.chain)
    if (!c) throw new PlanInputError(`no current view of chain ${s.chain}`)
    involved.add(s.chain)
    if (s.kind === 'withdraw' || s.kind === 'deposit') {
      if (s.venueId === c.idleVenueId) continue
      if (s.kind === 'withdraw') {
        add(current, s.venueId, s.amount)
        add(target, c.idleVenueId, s.amount)
      } else {
        add(target, s.venueId, s.amount)
        add(current, c.idleVenueId, s.amount)
      }
    } else if (s.kind === 'bridge') {
      const t = (s.detail as { transfer?: TransferDetail } | null)?.transfer
      if (!t) throw new PlanInputError(`bridge step ${s.idx} has no transfer`)
      const to = chainOf.get(t.to)
      if (!to) throw new PlanInputError(`no current view of chain ${t.to}`)
      involved.add(t.to)
      const tr = { from: t.from, to: t.to, amount: BigInt(t.amount), received: BigInt(t.received) }
      transfers.push(tr)
      add(current, c.idleVenueId, tr.amount)
      add(target, to.idleVenueId, tr.received)
    }
  }
  const chains = now.chains.filter((c) => involved.has(c.name))
  const venues = now.venues.filter((v) => involved.has(v.chain))
  // buildPlan keeps a venue missing from `target` where it is: every venue gets both sides.
  for (const v of venues) {
    if (!current.has(v.venueId)) current.set(v.venueId, 0n)
    if (!target.has(v.venueId)) target.set(v.venueId, 0n)
  }
  const plan: StrategyPlan = buildPlan({
    current,
    target,
    scores: venues.map((v) => v.score),
    venues: venues.map((v) => ({ id: v.venueId, chain: v.chain, kind: v.kind, protocol: v.protocol })),
    chains: chains.map((c) => ({ name: c.name, decimals: c.decimals, idleVenueId: c.idleVenueId, sampleBlock: c.sampleBlock, headBlock: c.headBlock ?? c.sampleBlock, symbol: c.symbol })),
    policy,
    transfers,
  })
  const byStep = new Map<number, { gainPerYear: number; cost: number }>()
  const used = new Set<number>()
  for (const s of rest) {
    const i = plan.steps.findIndex((p, j) => !used.has(j) && p.kind === s.kind && p.chain === s.chain && p.venueId === s.venueId)
    if (i < 0) continue
    used.add(i)
    byStep.set(s.idx, { gainPerYear: plan.steps[i]!.expectedGainPerYear, cost: plan.steps[i]!.cost })
  }
  return { gainPerYear: plan.expectedGainPerYear, cost: plan.totalCost, net: plan.netBenefit, moved: plan.moved, horizonDays: plan.horizonDays, steps: byStep }
}

/** The remaining steps' gain and cost as the plan computed them when it was made (its stored why), or null. */
function thenFigures(plan: RevalidateInput['plan'], rest: readonly Step[]): (Omit<Rescored, 'moved'> & { scores: Record<string, VenueScore> }) | null {
  const e = planFromExplanation(plan.explanation)
  if (!e) return null
  const steps = new Map<number, { gainPerYear: number; cost: number }>()
  let gain = 0
  let cost = 0
  for (const s of rest) {
    const p = e.plan.steps[s.idx]
    if (!p || p.kind !== s.kind || p.venueId !== s.venueId) return null
    steps.set(s.idx, { gainPerYear: p.expectedGainPerYear, cost: p.cost })
    gain += p.expectedGainPerYear
    cost += p.cost
  }
  return { gainPerYear: gain, cost, net: (gain * e.plan.horizonDays) / 365 - cost, horizonDays: e.plan.horizonDays, steps, scores: e.plan.scores }
}

/**
 * The input whose change hurts the remaining steps most: per venue, Δscore × its signed weight in
 * the steps (a deposit target and a withdrawal's idle count +, a withdrawal source and a deposit's
 * idle −), described by its APY when that moved, else by the penalty that grew most.
 */
function changedInput(rest: readonly Step[], now: PlanNow, then: Record<string, VenueScore>): { text: string; venueId: string } | null {
  const chainOf = new Map(now.chains.map((c) => [c.name, c]))
  const weight = new Map<string, number>()
  const w = (id: string, x: number) => weight.set(id, (weight.get(id) ?? 0) + x)
  for (const s of rest) {
    const c = chainOf.get(s.chain)
    if (!c || s.kind === 'bridge' || s.kind === 'redeem' || s.venueId === c.idleVenueId) continue
    const units = Number(formatUnits(s.amount, c.decimals))
    if (s.kind === 'deposit') {
      w(s.venueId, units)
      w(c.idleVenueId, -units)
    } else {
      w(s.venueId, -units)
      w(c.idleVenueId, units)
    }
  }
  const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : 0)
  let worst: { venueId: string; effect: number } | null = null
  for (const [id, wt] of weight) {
    const a = then[id]
    const b = now.venues.find((v) => v.venueId === id)?.score
    if (!a || !b) continue
    const effect = wt * (finite(b.score) - finite(a.score))
    if (effect < 0 && (!worst || effect < worst.effect)) worst = { venueId: id, effect }
  }
  if (!worst) return null
  const a = then[worst.venueId]!
  const b = now.venues.find((v) => v.venueId === worst.venueId)!.score
  const block = b.sampleBlock !== null ? ` at block ${b.sampleBlock}` : ''
  if (a.grossApy !== null && b.grossApy !== null && Math.abs(a.grossApy - b.grossApy) >= 1e-4) {
    return { venueId: worst.venueId, text: `APY of ${worst.venueId} ${b.grossApy < a.grossApy ? 'fell' : 'rose'} from ${pct(a.grossApy)} to ${pct(b.grossApy)}${block}` }
  }
  let comp: { k: string; d: number } | null = null
  for (const [k, c] of Object.entries(b.components)) {
    const d = c.penaltyBps - (a.components[k]?.penaltyBps ?? 0)
    const signed = (weight.get(worst.venueId) ?? 0) > 0 ? d : -d
    if (signed > 0 && (!comp || Math.abs(d) > Math.abs(comp.d))) comp = { k, d }
  }
  if (comp) {
    const c = b.components[comp.k]!
    return { venueId: worst.venueId, text: `${comp.k} penalty of ${worst.venueId} ${comp.d > 0 ? 'rose' : 'fell'} from ${bps(a.components[comp.k]?.penaltyBps ?? 0)} to ${bps(c.penaltyBps)}${block} (${c.why})` }
  }
  return { venueId: worst.venueId, text: `score of ${worst.venueId} ${b.score < a.score ? 'fell' : 'rose'} from ${pct(a.score)} to ${pct(b.score)}${block}` }
}

/** Why a plan is expired at `at` (ms), or null while it is younger than `ttlSeconds`. */
export function expiry(plan: Pick<StoredPlan, 'id' | 'createdAt'>, at: number, ttlSeconds: number): string | null {
  const ageS = (at - plan.createdAt) / 1000
  if (ageS <= ttlSeconds) return null
  return `plan ${plan.id} is ${duration(ageS)} old, past its TTL of ${duration(ttlSeconds)} (strategy.planTtlSeconds): made ${new Date(plan.createdAt).toISOString()}, never executed further; a fresh plan is proposed from the latest samples`
}

/** See the module comment. */
export function revalidatePlan(input: RevalidateInput): Revalidation {
  const { plan, now, policy } = input
  const expired = expiry(plan, now.at, policy.planTtlSeconds)
  if (expired) return { verdict: 'expire', reason: expired }
  const rest = remainingSteps(input.steps, input.stepIdx)
  if (rest.length === 0) return { verdict: 'go' }
  const chainOf = new Map(now.chains.map((c) => [c.name, c]))
  const venueOf = new Map(now.venues.map((v) => [v.venueId, v]))
  const chainsTouched = new Set(rest.flatMap((s) => [s.chain, ...(s.kind === 'bridge' ? [(s.detail as { transfer?: TransferDetail } | null)?.transfer?.to ?? s.chain] : [])]))

  // ── data: missing or stale → hold ──
  for (const name of chainsTouched) {
    const m = now.missing.find((x) => x.chain === name)
    if (m) return { verdict: 'hold', reason: `no current samples on ${name}: ${m.reason}; waiting` }
    const c = chainOf.get(name)
    if (!c) return { verdict: 'hold', reason: `no current samples on ${name}; waiting` }
    const maxAge = maxSampleAgeBlocksOf(policy, name)
    if (c.headBlock !== null && c.headBlock - c.sampleBlock > BigInt(maxAge)) {
      return { verdict: 'hold', reason: `samples of ${name} are from block ${c.sampleBlock}, ${c.headBlock - c.sampleBlock} blocks behind the head ${c.headBlock} (max ${maxAge}, strategy.maxSampleAgeBlocks): waiting for the watcher` }
    }
  }
  for (const s of rest) {
    const c = chainOf.get(s.chain)!
    const ids = s.kind === 'bridge' || s.kind === 'redeem' || s.venueId === c.idleVenueId ? [c.idleVenueId] : [s.venueId, c.idleVenueId]
    for (const id of ids) {
      const v = venueOf.get(id)
      if (!v) return { verdict: 'hold', reason: `step ${s.idx}: no current score for ${id}; waiting` }
      if (v.score.sampleBlock === null || v.score.excluded?.startsWith('unavailable') || v.score.excluded === 'no sample yet') {
        return { verdict: 'hold', reason: `step ${s.idx}: ${id} is unreadable (${v.score.excluded ?? 'no sample'}); waiting for a reading` }
      }
    }
  }

  // ── health: evidence → stop ──
  const stop = (s: Step, reason: string): Revalidation => ({ verdict: 'stop', reason: `step ${s.idx} (${s.kind} ${s.venueId}): ${reason}`, stepIdx: s.idx, venueId: s.venueId })
  const thenScores = planFromExplanation(plan.explanation)?.plan.scores ?? {}
  for (const s of rest) {
    const c = chainOf.get(s.chain)!
    if (s.venueId === c.idleVenueId || s.kind === 'bridge' || s.kind === 'redeem') continue
    const v = venueOf.get(s.venueId)!
    const at = v.score.sampleBlock
    const fmt = (raw: bigint) => `${Number(formatUnits(raw, c.decimals)).toFixed(4)} ${c.symbol}`
    if (s.kind === 'deposit') {
      if (v.score.excluded) return stop(s, `target venue ${s.venueId} ${v.score.excluded}`)
      // More than 1 ppm lower (share rounding is not a loss).
      if (v.rateThen !== null && v.rateNow !== null && v.rateNow * 1_000_000n < v.rateThen * 999_999n) {
        const lost = Number(((v.rateThen - v.rateNow) * 10_000_000n) / v.rateThen) / 1000
        return stop(s, `target venue ${s.venueId} lost ${lost.toFixed(2)} bps of its exchange rate since block ${plan.basedOnBlock[s.chain] ?? '?'} (slashing or a loss event), seen at block ${at}`)
      }
      const need = v.position + s.amount
      const before = thenScores[s.venueId]?.withdrawable
      if (v.score.withdrawable !== null && v.score.withdrawable < need && (before === undefined || before === null || before >= need)) {
        return stop(s, `withdrawable liquidity of ${s.venueId} fell${before != null ? ` from ${fmt(before)}` : ''} to ${fmt(v.score.withdrawable)} at block ${at}: the position after the deposit (${fmt(need)}) could not be taken out again`)
      }
    } else {
      if (v.score.excluded?.startsWith('paused')) return stop(s, `venue ${s.venueId} ${v.score.excluded}: the withdrawal cannot run`)
      if (v.score.withdrawable !== null && v.score.withdrawable < s.amount) {
        return stop(s, `only ${fmt(v.score.withdrawable)} withdrawable from ${s.venueId} at block ${at}, the step withdraws ${fmt(s.amount)}`)
      }
    }
  }

  // ── economics: re-scored on the latest samples ──
  let nowFig: Rescored
  try {
    nowFig = rescore(rest, now, policy)
  } catch (err) {
    if (err instanceof StaleSamplesError) return { verdict: 'hold', reason: `${err.message}; waiting for the watcher` }
    if (err instanceof PlanInputError) return { verdict: 'hold', reason: `cannot re-score the remaining steps: ${err.message}` }
    throw err
  }
  const then = thenFigures(plan, rest)
  const change = changedInput(rest, now, thenScores)
  for (const s of rest) {
    if (s.kind !== 'deposit') continue
    const g = nowFig.steps.get(s.idx)
    const was = then?.steps.get(s.idx)
    if (g && g.gainPerYear <= 0 && (!was || was.gainPerYear > 0)) {
      const c = chainOf.get(s.chain)!
      const a = venueOf.get(s.venueId)!.score
      const b = venueOf.get(c.idleVenueId)!.score
      return stop(s, `${change ? `${change.text}: ` : ''}${s.venueId} now scores ${pct(a.score)}, no better than idle ${c.idleVenueId}'s ${pct(b.score)}: the deposit gains ${g.gainPerYear.toFixed(6)} ${c.symbol}/yr`)
    }
  }
  if (nowFig.net <= 0 && (!then || then.net > 0)) {
    const h = nowFig.horizonDays
    const moved = nowFig.moved > 0 ? nowFig.moved : 1
    const gainBps = ((nowFig.gainPerYear * h) / 365 / moved) * 1e4
    const costBps = (nowFig.cost / moved) * 1e4
    const first = rest[0]!
    return {
      verdict: 'stop',
      reason: `${change ? change.text : 'the latest samples'}: the remaining steps (${rest.map((s) => s.idx).join(', ')}) gain ${bps(gainBps)} ≤ ${bps(costBps)} of costs over ${h} d${then ? ` (at plan time: net ${then.net.toFixed(6)}, now ${nowFig.net.toFixed(6)})` : ''}`,
      stepIdx: first.idx,
      venueId: change?.venueId ?? null,
    }
  }
  return { verdict: 'go' }
}

// ── compared with now ────────────────────────────────────────────────────────────────────────

export interface VenueComparison {
  venueId: string
  chain: string
  apyThen: number | null
  apyNow: number | null
  scoreThen: number | null
  scoreNow: number
  positionThen: bigint | null
  positionNow: bigint
  excludedNow: string | null
}

export interface PlanComparison {
  ageSeconds: number
  ttlSeconds: number
  /** Negative once expired. */
  expiresInSeconds: number
  basedOn: { chain: string; then: bigint; now: bigint | null }[]
  venues: VenueComparison[]
  /** The remaining steps over the horizon, collateral units (then: as the plan computed it). */
  gain: { then: { gainPerYear: number; cost: number; net: number } | null; now: { gainPerYear: number; cost: number; net: number } | null; horizonDays: number | null }
  /** What re-validation would decide now. */
  verdict: Revalidation
}

/** What changed since the plan was made: one function for `npm run plan -- show` and the Telegram plan view. */
export function compareWithNow(input: RevalidateInput): PlanComparison {
  const { plan, now, policy } = input
  const rest = remainingSteps(input.steps, input.stepIdx)
  const e = planFromExplanation(plan.explanation)
  const thenScores = e?.plan.scores ?? {}
  const chainOf = new Map(now.chains.map((c) => [c.name, c]))
  const ids = new Set<string>()
  for (const s of rest) {
    const c = chainOf.get(s.chain)
    ids.add(s.venueId)
    if (c) ids.add(c.idleVenueId)
  }
  const venues: VenueComparison[] = []
  for (const id of [...ids].sort()) {
    const v = now.venues.find((x) => x.venueId === id)
    if (!v) continue
    const t = thenScores[id]
    venues.push({
      venueId: id,
      chain: v.chain,
      apyThen: t?.grossApy ?? null,
      apyNow: v.score.grossApy,
      scoreThen: t ? t.score : null,
      scoreNow: v.score.score,
      positionThen: v.positionThen,
      positionNow: v.position,
      excludedNow: v.score.excluded,
    })
  }
  let nowFig: Rescored | null = null
  try {
    if (rest.length) nowFig = rescore(rest, now, policy)
  } catch (err) {
    if (!(err instanceof StaleSamplesError || err instanceof PlanInputError)) throw err
  }
  const then = rest.length ? thenFigures(plan, rest) : null
  const ageSeconds = (now.at - plan.createdAt) / 1000
  return {
    ageSeconds,
    ttlSeconds: policy.planTtlSeconds,
    expiresInSeconds: policy.planTtlSeconds - ageSeconds,
    basedOn: Object.entries(plan.basedOnBlock).map(([chain, b]) => ({ chain, then: b, now: chainOf.get(chain)?.sampleBlock ?? null })),
    venues,
    gain: {
      then: then ? { gainPerYear: then.gainPerYear, cost: then.cost, net: then.net } : null,
      now: nowFig ? { gainPerYear: nowFig.gainPerYear, cost: nowFig.cost, net: nowFig.net } : null,
      horizonDays: nowFig?.horizonDays ?? then?.horizonDays ?? null,
    },
    verdict: revalidatePlan(input),
  }
}

/** The comparison as text lines (CLI and Telegram). `units` per chain for positions. */
export function renderComparison(c: PlanComparison, units: (chain: string) => { decimals: number; symbol: string }): string {
  const out: string[] = []
  const age = c.expiresInSeconds >= 0 ? `made ${duration(c.ageSeconds)} ago, expires in ${duration(c.expiresInSeconds)} (TTL ${duration(c.ttlSeconds)})` : `made ${duration(c.ageSeconds)} ago: EXPIRED (TTL ${duration(c.ttlSeconds)})`
  out.push(`Compared with now — ${age}`)
  out.push(`  samples: ${c.basedOn.map((b) => `${b.chain} block ${b.then} → ${b.now ?? '—'}`).join(', ')}`)
  const amt = (raw: bigint | null, chain: string) => (raw === null ? '—' : `${Number(formatUnits(raw, units(chain).decimals)).toFixed(3)} ${units(chain).symbol}`)
  for (const v of c.venues) {
    const score = `score ${pct(v.scoreThen)} → ${v.excludedNow ? `excluded (${v.excludedNow})` : pct(v.scoreNow)}`
    out.push(`  ${v.venueId}: APY ${pct(v.apyThen)} → ${pct(v.apyNow)}; ${score}; position ${amt(v.positionThen, v.chain)} → ${amt(v.positionNow, v.chain)}`)
  }
  const g = (x: { gainPerYear: number; cost: number; net: number } | null) => (x ? `${x.net >= 0 ? '+' : ''}${x.net.toFixed(6)} (gain ${x.gainPerYear.toFixed(6)}/yr, cost ${x.cost.toFixed(6)})` : '—')
  out.push(`  net of the remaining steps over ${c.gain.horizonDays ?? '?'} d: ${g(c.gain.then)} → ${g(c.gain.now)}`)
  const v = c.verdict
  out.push(`  re-validation now: ${v.verdict === 'go' ? 'would run' : v.verdict === 'hold' ? `would wait — ${v.reason}` : v.verdict === 'expire' ? 'would expire it' : `would stop it — ${v.reason}`}`)
  return out.join('\n')
}
