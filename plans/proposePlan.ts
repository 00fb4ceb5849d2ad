import type { Config } from '../config/schema'
import type { Logger } from '../core/logger'
import type { Store } from '../store'
import type { Plan as StoredPlan, PlanStep as StoredStep } from '../store/types'
import { allocate, type Allocation } from '../strategies/allocate'
import type { AllocationInput, AllocationRoute } from '../strategies/constraints'
import { buildPlan, StaleSamplesError, type Plan } from '../strategies/plan'
import { holdReasons, holdText, withTimes, type HoldReason } from '../strategies/hold'
import type { StrategyPolicy } from '../strategies/policy'
import { stepGasCost, withGasCosts, type FeeHistoryReading, type StepGasCost } from '../strategies/gasPrice'
import { approvalsOf } from './decide'
import { expirePlan } from './expire'
import { toExplanation } from './explanation'
import { readPlanNow } from './planNow'
import { idleVenueOf, readChain, type ChainView } from './readChain'
import { replanVerdict, venueDeltas, type ReplanVerdict } from './replan'
import { compareWithNow, expiry } from './revalidate'
import { makePreview, toStoredPreview, type StepPreview } from './slippage'
import { formatAmount } from '../core/amount'
import { poolUnit } from '../watch/units'

export { idleVenueOf, readChain, type ChainView }

export type ProposeOutcome =
  | { chain: string; status: 'created'; planId: string; plan: Plan; superseded: string[] }
  /** `kept`: the open plan stays although the new proposal differs, and why (strategy.replan, plans/replan.ts). */
  | { chain: string; status: 'unchanged'; planId: string; kept?: string }
  | { chain: string; status: 'hold'; superseded: string[]; reason: string; reasons: HoldReason[]; frozen?: FrozenVenue[] }
  | { chain: string; status: 'skipped'; reason: string }

/** A venue held where it is because its readings do not cover its APY window. */
export interface FrozenVenue {
  venueId: string
  chain: string
  reason: string
}

/** "a (held: …), b (held: …)": the frozen venues in a hold reason. */
export const frozenText = (f: readonly FrozenVenue[]): string => f.map((v) => `${v.venueId} (${v.reason})`).join(', ')

const OPEN: StoredPlan['status'][] = ['proposed', 'awaiting_approval', 'approved']

/** How close two plans' steps must be to count as the same (config `plans`; default 1 % of the step or 0.1 % of the largest). */
export interface SameStepTolerance {
  sameStepBps: number
  sameStepOfLargestBps: number
}

const DEFAULT_SAME_STEP: SameStepTolerance = { sameStepBps: 100, sameStepOfLargestBps: 10 }

/** `part` ≤ `whole` × bps / 10 000, in integers (bps may have up to two decimals). */
const within = (part: bigint, whole: bigint, bps: number) => part * 1_000_000n <= whole * BigInt(Math.round(bps * 100))

/**
 * Same steps (kind, venue) with amounts within `sameStepBps` of the step or `sameStepOfLargestBps`
 * of the plan's largest step (accrual moves amounts a little every block; small steps must not
 * make every block a new plan).
 */
export function sameSteps(a: readonly Pick<StoredStep, 'kind' | 'venueId' | 'amount'>[], b: readonly Pick<StoredStep, 'kind' | 'venueId' | 'amount'>[], tol: SameStepTolerance = DEFAULT_SAME_STEP): boolean {
  if (a.length !== b.length) return false
  const largest = [...a, ...b].reduce((m, s) => (s.amount > m ? s.amount : m), 0n)
  return a.every((x, i) => {
    const y = b[i]!
    if (x.kind !== y.kind || x.venueId !== y.venueId) return false
    const diff = x.amount > y.amount ? x.amount - y.amount : y.amount - x.amount
    const big = x.amount > y.amount ? x.amount : y.amount
    return within(diff, big, tol.sameStepBps) || within(diff, largest, tol.sameStepOfLargestBps)
  })
}

/**
 * The strategist's decision for one chain, from the store only: score every venue on its recent
 * samples, allocate under the policy's constraints, turn the allocation into ordered steps, and
 * write the plan (approved below the approval threshold, else awaiting approval) unless an open
 * plan already says the same. Open plans that no longer match are superseded. Each new plan
 * raises an alert.
 */
export type Computed =
  | {
      status: 'computed'
      chain: string
      /** chain: the steps of `chain` only; pool: a cross-chain plan (every chain's steps, withdraw → bridge → redeem → deposit). */
      scope: 'chain' | 'pool'
      plan: Plan
      allocation: Allocation
      sampleBlock: bigint
      idle: string
      symbol: string
      decimals: number
      /** When the plan has no step: the binding reasons the pool holds (strategies/hold.ts). */
      hold?: HoldReason[]
      /** Venues held for lack of data (every chain of the allocation): no step touches them. */
      frozen: FrozenVenue[]
      /** With strategy.costs.gas.source "fee-history": each chain's step cost as estimated (strategies/gasPrice.ts). */
      gas?: Extract<StepGasCost, { ok: true }>[]
    }
  | { status: 'skipped'; chain: string; reason: string }
  /** No plan: a chain's gas cost is unknown (fee history missing or stale). */
  | { status: 'hold'; chain: string; reason: string; reasons: HoldReason[] }

/** Bridge routes: every ordered pair of the chains in config.wormhole (none without it). */
export function bridgeRoutesOf(config: Config, chains: readonly string[]): AllocationRoute[] {
  const wh = new Set((config.wormhole?.chains ?? []).map((c) => c.chain))
  const names = chains.filter((c) => wh.has(c))
  return names.flatMap((from) => names.filter((to) => to !== from).map((to) => ({ from, to })))
}

/**
 * The slippage preview of each deposit and withdrawal of a plan at its decision block
 * (plans/slippage.ts): shares out / in from the venue's exchange rate sampled at that block (the
 * latest sample at or before it); aave 1:1. By step index; a step without one is previewed by the
 * executor when it re-validates (source "execution").
 */
export async function decisionPreviews(config: Config, store: Store, plan: Plan, blocks: Readonly<Record<string, bigint>>): Promise<Map<number, StepPreview>> {
  const out = new Map<number, StepPreview>()
  for (const [i, s] of plan.steps.entries()) {
    if (s.kind !== 'deposit' && s.kind !== 'withdraw') continue
    const v = config.venues.find((x) => x.id === s.venueId)
    const block = blocks[s.chain]
    if (!v || v.kind === 'lst' || block === undefined) continue
    const sample = (await store.history.window(v.id, 1, { beforeBlock: block + 1n, availableOnly: true }))[0]
    if (!sample) continue
    const p = makePreview({ venueKind: v.kind, kind: s.kind, amount: s.amount, rate: sample.exchangeRate, slippageBps: config.execution.slippageBps, block: sample.blockNumber, source: 'decision' })
    if (p) out.set(i, p)
  }
  return out
}

/** Plan steps as stored: a bridge step carries its transfer; a redeem step also names its bridge step; a move its slippage preview. */
export function storedSteps(plan: Plan, previews: ReadonlyMap<number, StepPreview> = new Map()): { kind: Plan['steps'][number]['kind']; chain: string; venueId: string; amount: bigint; detail: Record<string, unknown> }[] {
  return plan.steps.map((s, i) => {
    const detail: Record<string, unknown> = { why: s.why }
    const p = previews.get(i)
    if (p) detail.preview = toStoredPreview(p)
    if (s.transfer) {
      detail.transfer = { from: s.transfer.from, to: s.transfer.to, amount: s.transfer.amount.toString(), received: s.transfer.received.toString() }
      if (s.kind === 'redeem') detail.bridgeStep = plan.steps.find((b) => b.kind === 'bridge' && b.transfer?.from === s.transfer!.from && b.transfer?.to === s.transfer!.to)?.index
    }
    return { kind: s.kind, chain: s.chain, venueId: s.venueId, amount: s.amount, detail }
  })
}

/**
 * Reads the store and computes the chain's plan without writing anything (the dry run). The
 * allocation is solved for the whole pool — every chain with samples, each chain's total fixed —
 * so share caps (per venue, chain, protocol) are shares of the pool's collateral; the plan keeps
 * the steps of `chain`.
 */
export interface ComputeOptions {
  headBlock?: bigint
  /** ms, for the hold reasons' estimated times and the fee readings' age (default: the clock). */
  now?: number
  /** Per chain, its eth_feeHistory reading (strategy.costs.gas.source "fee-history"; chains/feeHistory.ts reads them). */
  feeHistory?: Readonly<Record<string, FeeHistoryReading | null>>
}

export async function computePlan(deps: { config: Config; store: Store }, chain: string, opts: ComputeOptions = {}): Promise<Computed> {
  const { config, store } = deps
  let policy: StrategyPolicy = config.strategy
  if ((await store.plans.list({ status: 'executing', chain, limit: 1 })).length > 0) return { chain, status: 'skipped', reason: 'a plan is executing' }
  if ((await store.plans.list({ status: 'executing', chain: null, limit: 1 })).length > 0) return { chain, status: 'skipped', reason: 'a cross-chain plan is executing' }
  const own = await readChain(config, store, chain)
  if (typeof own === 'string') return { chain, status: 'skipped', reason: own }
  const views = [own]
  for (const c of config.chains) {
    if (c.name === chain) continue
    const v = await readChain(config, store, c.name)
    if (typeof v !== 'string') views.push(v)
  }

  // Gas priced from each chain's fee history: never planned on a cost that is not known.
  let gas: Extract<StepGasCost, { ok: true }>[] | undefined
  if (policy.costs.gas.source === 'fee-history') {
    const nowMs = opts.now ?? Date.now()
    const est = views.map((v) => stepGasCost(policy, v.chain.name, opts.feeHistory?.[v.chain.name], { headBlock: v.chain.blockNumber, nowMs }))
    const unknown = est.filter((e) => !e.ok)
    if (unknown.length) {
      const reasons: HoldReason[] = unknown.map((e) => ({ kind: 'gas-price', text: `${e.reason}: no plan until it is read again` }))
      return { chain, status: 'hold', reason: holdText(reasons), reasons }
    }
    gas = est.filter((e) => e.ok)
    policy = withGasCosts(policy, gas)
  }

  // Funds in flight (bridged, not yet redeemed) count in the pool on their destination chain.
  const inFlight = await store.transfers.inFlightByChain()
  for (const v of views) if (inFlight.get(v.chain.name)) v.chain.inFlight = inFlight.get(v.chain.name)
  const routes = inFlight.size ? [] : bridgeRoutesOf(config, views.map((v) => v.chain.name))

  const frozen: FrozenVenue[] = views.flatMap((v) => v.scores.filter((s) => s.frozen).map((s) => ({ venueId: s.venueId, chain: s.chain, reason: s.frozen! })))
  let allocation: Allocation
  let plan: Plan
  let input: AllocationInput
  try {
    input = { chains: views.map((v) => v.chain), venues: views.flatMap((v) => v.venues), policy, routes, liquidityCoverage: config.alerts.liquidityCoverage }
    allocation = allocate(input)
    if (allocation.transfers.length) {
      // A cross-chain plan: every chain's steps, withdraw → bridge → redeem → deposit.
      for (const c of config.chains) {
        if (c.name !== chain && (await store.plans.list({ status: 'executing', chain: c.name, limit: 1 })).length > 0) return { chain, status: 'skipped', reason: `a plan is executing on ${c.name}` }
      }
      plan = buildPlan({
        current: new Map(allocation.targets.map((t) => [t.venueId, t.current])),
        target: new Map(allocation.targets.map((t) => [t.venueId, t.target])),
        venues: allocation.targets.map((t) => ({ id: t.venueId, chain: t.chain, kind: t.kind, protocol: t.protocol })),
        binding: Object.fromEntries(allocation.targets.map((t) => [t.venueId, t.binding])),
        transfers: allocation.transfers,
        scores: views.flatMap((v) => v.scores),
        chains: views.map((v) => ({ name: v.chain.name, decimals: v.chain.decimals, idleVenueId: v.chain.idleVenueId, sampleBlock: v.chain.sampleBlock, headBlock: v.chain.name === chain ? (opts.headBlock ?? v.chain.sampleBlock) : v.chain.sampleBlock, symbol: v.chain.symbol, peg: v.chain.peg ?? null })),
        policy,
      })
      return { status: 'computed', scope: 'pool', chain, plan, allocation, sampleBlock: own.chain.sampleBlock, idle: own.chain.idleVenueId, symbol: own.chain.symbol, decimals: own.chain.decimals, frozen, ...(gas ? { gas } : {}) }
    }
    const mine = allocation.targets.filter((t) => t.chain === chain)
    plan = buildPlan({
      current: new Map(mine.map((t) => [t.venueId, t.current])),
      target: new Map(mine.map((t) => [t.venueId, t.target])),
      venues: mine.map((t) => ({ id: t.venueId, chain: t.chain, kind: t.kind, protocol: t.protocol })),
      binding: Object.fromEntries(mine.map((t) => [t.venueId, t.binding])),
      scores: own.scores,
      chains: [{ name: chain, decimals: own.chain.decimals, idleVenueId: own.chain.idleVenueId, sampleBlock: own.chain.sampleBlock, headBlock: opts.headBlock ?? own.chain.sampleBlock, symbol: own.chain.symbol }],
      policy,
    })
  } catch (err) {
    if (err instanceof StaleSamplesError) return { chain, status: 'skipped', reason: err.message }
    throw err
  }
  // A deposit of dust (under plans.dustPpm of the plan's largest step, default a millionth) is not
  // worth a transaction: it stays idle. (Withdrawals are kept: the deposits after them count on what they bring.)
  const largest = plan.steps.reduce((m, st) => (st.amount > m ? st.amount : m), 0n)
  const dustPpm = BigInt(Math.round(config.plans.dustPpm * 1_000))
  const kept = plan.steps.filter((st) => !(st.kind === 'deposit' && st.amount * 1_000_000_000n < largest * dustPpm))
  if (kept.length !== plan.steps.length) plan = { ...plan, steps: kept.map((st, index) => ({ ...st, index })) }
  let hold: HoldReason[] | undefined
  if (plan.steps.length === 0) {
    const budgetFreesAtBlock = Object.fromEntries(views.filter((v) => v.chain.budgetFreesAtBlock !== undefined).map((v) => [v.chain.name, v.chain.budgetFreesAtBlock!]))
    hold = holdReasons(input, allocation, { chain, budgetFreesAtBlock, symbol: own.chain.symbol })
    const heads = Object.fromEntries(views.map((v) => [v.chain.name, { head: v.chain.blockNumber, blockTimeMs: config.chains.find((c) => c.name === v.chain.name)?.blockTimeMs ?? 12_000 }]))
    hold = withTimes(hold, heads, Math.floor((opts.now ?? Date.now()) / 1000))
    if (hold.length === 0) hold = [{ kind: 'dust', text: 'the only moves are dust deposits, not worth a transaction' }]
  }
  return { status: 'computed', scope: 'chain', chain, plan, allocation, sampleBlock: own.chain.sampleBlock, idle: own.chain.idleVenueId, symbol: own.chain.symbol, decimals: own.chain.decimals, frozen, ...(hold ? { hold } : {}), ...(gas ? { gas } : {}) }
}

/** An open plan judged against a new proposal (strategy.replan). */
export interface JudgedPlan {
  plan: StoredPlan
  verdict: ReplanVerdict
  /** Re-validation would stop or expire it, or it touches a frozen venue. */
  invalid: boolean
  /** Committee signatures it has. */
  signatures: number
}

/**
 * Each open plan against the new proposal (plans/replan.ts): re-validated and re-scored on the
 * latest samples exactly as the executor would before its first step (plans/revalidate.ts), its
 * signatures counted, its venue-by-venue moves compared with the proposal's. A proposal without
 * steps (a hold) moves nothing and gains nothing.
 */
export async function judgeOpenPlans(
  deps: { config: Config; store: Store },
  open: readonly StoredPlan[],
  proposal: { plan: Plan; allocation: Allocation; frozen: readonly FrozenVenue[]; gas?: Extract<StepGasCost, { ok: true }>[]; symbol: string; at?: number },
): Promise<JudgedPlan[]> {
  const { config, store } = deps
  if (open.length === 0) return []
  const chainInfo = (name: string) => {
    const col = config.pool.collateral.find((x) => x.chain === name)
    const idle = idleVenueOf(config, name)
    return col && idle ? { decimals: col.decimals, idleVenueId: idle } : undefined
  }
  const poolTotal = proposal.allocation.targets.reduce((a, t) => a + Number(t.current) / 10 ** (chainInfo(t.chain)?.decimals ?? 18), 0)
  const mine = { net: proposal.plan.steps.length ? proposal.plan.netBenefit : 0, deltas: venueDeltas(proposal.plan.steps, chainInfo) }
  const policy = proposal.gas ? withGasCosts(config.strategy, proposal.gas) : config.strategy
  const frozenIds = new Set(proposal.frozen.map((f) => f.venueId))
  const out: JudgedPlan[] = []
  for (const p of open) {
    const steps = await store.plans.steps(p.id)
    const now = await readPlanNow(deps, p, steps, proposal.at !== undefined ? { at: proposal.at } : {})
    const cmp = compareWithNow({ plan: p, steps, now, policy })
    const frozenHit = [...new Set(steps.filter((s) => frozenIds.has(s.venueId)).map((s) => s.venueId))]
    const v = cmp.verdict
    const invalid = v.verdict === 'stop' || v.verdict === 'expire' ? `re-validation on the latest samples: ${v.reason}` : frozenHit.length ? `it touches venue(s) now frozen for lack of data: ${frozenHit.join(', ')}` : null
    const signatures = p.needsApproval ? await approvalsOf(config, store, p) : 0
    const verdict = replanVerdict({
      open: { id: p.id, signatures, invalid, netNow: cmp.gain.now?.net ?? null, deltas: venueDeltas(steps, chainInfo) },
      proposal: mine,
      poolTotal,
      horizonDays: config.strategy.allocation.horizonDays,
      symbol: proposal.symbol,
      policy: config.strategy.replan,
    })
    out.push({ plan: p, verdict, invalid: invalid !== null, signatures })
  }
  // Of several kept, the one the committee already put most work into first.
  return out.sort((a, b) => b.signatures - a.signatures)
}

/** The awaiting-approval plan to keep instead of a new plan with net benefit `newNet`, if any. */
export async function awaitingPlanToKeep(store: Pick<Store, 'plans'>, newNet: bigint, replaceBps: number, exclude: ReadonlySet<string> = new Set()): Promise<string | undefined> {
  for (const p of await store.plans.list({ status: 'awaiting_approval', order: 'newest' })) {
    if (exclude.has(p.id)) continue
    const oldNet = p.expectedGain - p.cost
    if (oldNet > 0n && newNet * 10_000n <= oldNet * BigInt(10_000 + replaceBps)) return p.id
  }
  return undefined
}

/**
 * Plans not yet approved that are older than strategy.planTtlSeconds become `expired` (alert): they
 * no longer hold back a fresh plan. (Approved ones the executor expires before running them.)
 */
export async function expireStalePlans(store: Store, config: Config, agent: string, at: number = Date.now()): Promise<string[]> {
  const out: string[] = []
  for (const p of await store.plans.list({ status: ['proposed', 'awaiting_approval'], order: 'oldest' })) {
    const reason = expiry(p, at, config.strategy.planTtlSeconds)
    if (reason && (await expirePlan(store, { planId: p.id, chain: p.chain, reason, agent, from: ['proposed', 'awaiting_approval'] }))) out.push(p.id)
  }
  return out
}

export async function proposePlan(deps: { config: Config; store: Store; logger: Logger; agent?: string }, chain: string, opts: ComputeOptions = {}): Promise<ProposeOutcome> {
  const { store, config } = deps
  const agent = deps.agent ?? 'strategist'
  const expired = await expireStalePlans(store, config, agent, opts.now)
  if (expired.length) deps.logger.info({ expired }, 'plans expired before the committee decided')
  const c = await computePlan(deps, chain, opts)
  if (c.status === 'skipped') return c
  // Gas cost unknown: nothing is written and open plans are left as they are.
  if (c.status === 'hold') return { chain, status: 'hold', superseded: [], reason: c.reason, reasons: c.reasons }
  const { plan, allocation } = c
  // A plan is made only when every venue it touches has a complete window (the allocator holds
  // frozen venues and frozen chains; this is the last guard before anything is written).
  const frozenIds = new Set(c.frozen.map((f) => f.venueId))
  const touched = plan.steps.filter((st) => frozenIds.has(st.venueId))
  if (touched.length) {
    const text = `held: the plan would touch frozen venue(s) ${frozenText(c.frozen.filter((f) => touched.some((t) => t.venueId === f.venueId)))}`
    return { chain, status: 'hold', superseded: [], frozen: c.frozen, reason: text, reasons: [{ kind: 'frozen', text, venues: touched.map((t) => t.venueId) }] }
  }
  const cursor = { blockNumber: c.sampleBlock }
  const collateral = { decimals: c.decimals, symbol: c.symbol }
  const pool = c.scope === 'pool'
  const planChain = pool ? null : chain
  const open = await store.plans.list({ status: OPEN, chain: planChain })
  /** The other scope's open plans (a cross-chain plan against every chain's own, or the reverse). */
  const othersOpen = async () => (pool ? (await Promise.all(config.chains.map((ch) => store.plans.list({ status: OPEN, chain: ch.name })))).flat() : await store.plans.list({ status: OPEN, chain: null }))
  /** The other scope's open plans are stale: the pool's decision changed between one chain and all. */
  const supersedeOthers = async () => {
    const ids: string[] = []
    if (pool) for (const ch of config.chains) ids.push(...(await store.plans.supersedeOpen(ch.name)))
    else ids.push(...(await store.plans.supersedeOpen(null)))
    return ids
  }
  /** Why each open plan is replaced (strategy.replan), for the superseded notice. */
  const replacedWhy = new Map<string, string>()
  const closeSuperseded = async (ids: string[]) => {
    for (const sid of ids) await store.alerts.resolve(`plan:${sid}`, { agent, title: `Plan ${sid} superseded`, body: replacedWhy.get(sid) ?? 'newer samples changed the target allocation' })
  }
  if (plan.steps.length > 0) {
    for (const p of open) {
      if (sameSteps(await store.plans.steps(p.id), plan.steps, config.plans)) return { chain, status: 'unchanged', planId: p.id }
    }
  }
  // strategy.replan: an open plan (this scope's or the other's) stays unless the new proposal — a
  // hold is a proposal that moves nothing — is materially different, or the open plan became invalid.
  const judged = await judgeOpenPlans({ config, store }, [...open, ...(await othersOpen())], { plan, allocation, frozen: c.frozen, gas: c.gas, symbol: pool ? poolUnit(config).symbol : c.symbol, at: opts.now })
  const keep = judged.find((j) => j.verdict.keep)
  for (const j of judged) if (!j.verdict.keep) replacedWhy.set(j.plan.id, j.verdict.text)
  const invalid = new Set(judged.filter((j) => j.invalid).map((j) => j.plan.id))
  if (keep) deps.logger.debug({ plan: keep.plan.id, why: keep.verdict.text }, 'open plan kept')
  if (plan.steps.length === 0) {
    const why = c.hold ?? []
    const frozenReasons: HoldReason[] = c.frozen.length ? [{ kind: 'frozen', text: `held for lack of data: ${frozenText(c.frozen)}`, venues: c.frozen.map((f) => f.venueId) }] : []
    const reasons = [...frozenReasons, ...why]
    if (keep) {
      const withKept: HoldReason[] = [{ kind: 'kept-plan', text: keep.verdict.text }, ...reasons]
      return { chain, status: 'hold', superseded: [], reason: holdText(withKept), reasons: withKept, frozen: c.frozen }
    }
    // Holding is not materially better than a plan the committee is looking at: that one stays.
    const waiting = await awaitingPlanToKeep(store, 0n, config.strategy.replaceAwaitingPlanBps, invalid)
    if (waiting) {
      const withCommittee: HoldReason[] = [{ kind: 'committee', text: `committee plan ${waiting} pending: it stays until a materially better plan comes` }, ...reasons]
      return { chain, status: 'hold', superseded: [], reason: holdText(withCommittee), reasons: withCommittee, frozen: c.frozen }
    }
    const superseded = [...(open.length ? await store.plans.supersedeOpen(planChain) : []), ...(await supersedeOthers())]
    await closeSuperseded(superseded)
    return { chain, status: 'hold', superseded, reason: reasons.length ? holdText(reasons) : `allocation ${allocation.solver.status}`, reasons, frozen: c.frozen }
  }
  if (keep) return { chain, status: 'unchanged', planId: keep.plan.id, kept: keep.verdict.text }
  // A plan the committee is looking at stays until a materially better one comes (its stored net
  // benefit over the horizon against the new one's, in the collateral's units), unless it became invalid.
  const kept = await awaitingPlanToKeep(store, BigInt(Math.round(plan.netBenefit * 10 ** collateral.decimals)), config.strategy.replaceAwaitingPlanBps, invalid)
  if (kept) return { chain, status: 'unchanged', planId: kept }

  // An expired, stopped or failed plan of the same block keeps its id: the fresh one gets a suffix.
  const base = pool ? `p-pool-${chain}-${cursor.blockNumber}` : `p-${chain}-${cursor.blockNumber}`
  let id = base
  for (let n = 2; ; n++) {
    const existing = await store.plans.get(id)
    if (!existing || OPEN.includes(existing.status) || existing.status === 'executing' || existing.status === 'completed') break
    id = `${base}-${n}`
  }
  // Collateral moved: every step goes through idle, so the larger of the two sides.
  const side = (k: 'withdraw' | 'deposit') => plan.steps.filter((s) => s.kind === k).reduce((a, s) => a + s.amount, 0n)
  // A cross-chain plan spans decimals: its moved collateral in this chain's units.
  // A cross-chain plan's amounts are in the pool's unit (watch/units.ts poolUnit: the collateral in
  // the chains' finest decimals), which is how `plan list`, `/plans` and `/plan` read them back.
  const decimals = pool ? poolUnit(config).decimals : collateral.decimals
  const totalAmount = pool ? BigInt(Math.round(plan.moved * 10 ** decimals)) : side('withdraw') > side('deposit') ? side('withdraw') : side('deposit')
  const unit = 10 ** decimals
  const sym = pool ? poolUnit(config).symbol : collateral.symbol
  const basedOnBlock = pool ? Object.fromEntries(plan.basedOn.map((b) => [b.chain, b.sampleBlock])) : { [chain]: cursor.blockNumber }
  const previews = await decisionPreviews(config, store, plan, basedOnBlock)
  const { inserted, superseded } = await store.transaction(async () => {
    const superseded = [...(await store.plans.supersedeOpen(planChain)), ...(await supersedeOthers())]
    const r = await store.plans.create({
      id,
      chain: planChain,
      status: plan.needsApproval ? 'awaiting_approval' : 'approved',
      basedOnBlock,
      totalAmount,
      expectedGain: BigInt(Math.round(((plan.expectedGainPerYear * plan.horizonDays) / 365) * unit)),
      cost: BigInt(Math.round(plan.totalCost * unit)),
      needsApproval: plan.needsApproval,
      approvalsRequired: plan.needsApproval ? plan.approval.required : 0,
      explanation: toExplanation(plan, allocation),
      steps: storedSteps(plan, previews),
    })
    if (r.inserted) {
      await store.alerts.raise({
        dedupKey: `plan:${id}`,
        agent,
        chain,
        rule: 'plan',
        subject: id,
        severity: plan.needsApproval ? 'warning' : 'info',
        title: `New ${pool ? 'cross-chain ' : ''}plan ${id}: ${plan.steps.length} step(s), ${formatAmount(plan.moved, pool ? poolUnit(config).symbol : collateral.symbol)} moved${pool ? ` (${allocation.transfers.map((t) => `${t.from} → ${t.to}`).join(', ')})` : ''}${plan.needsApproval ? ` — needs ${plan.approval.required} committee approval(s)` : ', executing'}`,
        body: `expected +${formatAmount(plan.expectedGainPerYear, sym, { digits: 4 })}/year, cost ${formatAmount(plan.totalCost, sym, { digits: 4 })}, net over ${plan.horizonDays} d ${formatAmount(plan.netBenefit, sym, { digits: 4 })}; \`npm run plan -- show ${id}\``,
        blockNumber: cursor.blockNumber,
      })
    }
    return { inserted: r.inserted, superseded }
  })
  await closeSuperseded(superseded)
  if (!inserted) return { chain, status: 'unchanged', planId: id }
  deps.logger.info({ plan: id, steps: plan.steps.length, needsApproval: plan.needsApproval, superseded }, 'plan proposed')
  return { chain, status: 'created', planId: id, plan, superseded }
}

/** Why an outcome made no plan, as hold reasons (empty when a plan was created or kept). */
export function heldBecause(r: ProposeOutcome): HoldReason[] {
  if (r.status === 'hold') return r.reasons.length ? r.reasons : [{ kind: 'hold', text: r.reason }]
  if (r.status === 'skipped') return [{ kind: 'skipped', text: r.reason }]
  return []
}

/** As `heldBecause`, and an unchanged plan still awaiting the committee is a reason too: the pool waits for it. */
export async function holdOf(store: Pick<Store, 'plans' | 'approvals'>, r: ProposeOutcome): Promise<HoldReason[]> {
  if (r.status !== 'unchanged') return heldBecause(r)
  const kept: HoldReason[] = r.kept ? [{ kind: 'kept-plan', text: r.kept }] : []
  const p = await store.plans.get(r.planId)
  if (p?.status !== 'awaiting_approval') return kept
  const yes = (await store.approvals.count(p.id)).approve
  return [{ kind: 'committee', text: `committee plan ${p.id} pending: ${yes}/${p.approvalsRequired} approvals` }, ...kept]
}

