import { formatAmount } from '../core/amount'
import { allocate, type Allocation } from './allocate'
import { bridgeCost, stepCost } from './costs'
import type { AllocationInput } from './constraints'
import { cooldownBlocksOf, periodBlocksOf, type StrategyPolicy } from './policy'

/**
 * Why the pool holds: when an allocation moves nothing, the limit that stopped it — computed, not
 * guessed. PURE: each candidate limit is lifted in a re-solve of the same input (allocate is
 * deterministic), and the limits without which a move appears are the binding ones.
 *
 *   1. lift every candidate at once: no move even then → "nothing better" (the allocation is the
 *      best one even without budget, cooldowns, liquidity share, hysteresis and costs);
 *   2. else put each back in turn (budget, cooldown, liquidity share, hysteresis, costs): a limit
 *      whose return leaves a move is not binding and stays back; the ones left are binding,
 *      each necessary given the others, and are reported with what they stopped;
 *   3. a binding limit may hold only together with limits left in place (its "partners": lifting
 *      one of them instead would move — gas with the hysteresis, gas with a nearly spent budget,
 *      hysteresis with a venue in cooldown): its figures are those of the move the partners allow,
 *      and the partners are named with them ("the best move within the move budget (0.100 wstETH
 *      left) gains …"; costs with the hysteresis: the threshold's claim on the gain, then what is
 *      left for the costs). Never a figure of a move no limit in place would allow.
 *
 * Reasons computed outside the strategy (frozen venues, a committee plan pending) use the same
 * `HoldReason` shape and are listed first by the caller (`kind` is an open string).
 */

export type HoldKind = 'move-budget' | 'cooldown' | 'liquidity-share' | 'hysteresis' | 'costs' | 'nothing-better' | 'empty' | 'solver' | 'committee' | 'frozen' | (string & {})

export interface HoldReason {
  kind: HoldKind
  /** One line for the heartbeat, dry-run, status and Telegram. */
  text: string
  /** When the limit lifts by itself, where known (a block of `chain`; `time`: its estimated unix seconds, added by the caller). */
  until?: { chain: string; block: string; time?: number }
  /** The venues it concerns (cooldown, liquidity share, frozen). */
  venues?: string[]
}

export interface HoldOptions {
  /** Only moves on this chain (its venues, transfers from or to it) count; default: any. */
  chain?: string
  /** Per chain, the block at which the period's earliest counted move stops counting against the budget. */
  budgetFreesAtBlock?: Readonly<Record<string, bigint>>
  /** Collateral symbol for amounts (default "units"). */
  symbol?: string
  /**
   * Reasons decided outside the allocation (frozen venues, …): listed first, and when any is given
   * the "nothing better" verdict is not claimed for venues the allocation never saw move.
   */
  extra?: readonly HoldReason[]
}

type Relax = 'move-budget' | 'cooldown' | 'liquidity-share' | 'hysteresis' | 'costs'
const ORDER: readonly Relax[] = ['move-budget', 'cooldown', 'liquidity-share', 'hysteresis', 'costs']

function relaxed(input: AllocationInput, lifted: ReadonlySet<Relax>): AllocationInput {
  const p = input.policy
  const policy: StrategyPolicy = {
    ...p,
    allocation: {
      ...p.allocation,
      ...(lifted.has('move-budget') ? { maxMovePerPeriodBps: 10_000 } : {}),
      ...(lifted.has('liquidity-share') ? { maxWithdrawableShareBps: 10_000 } : {}),
      ...(lifted.has('hysteresis') ? { hysteresisBps: 0 } : {}),
      ...(lifted.has('cooldown') ? { cooldownBlocks: 0, cooldownBlocksByVenue: {} } : {}),
    },
    costs: lifted.has('costs')
      ? {
          ...p.costs,
          gasPerStep: 0,
          gasPerStepByChain: {},
          byKind: {
            lst: { slippageBps: 0, withdrawalDelayDays: 0 },
            erc4626: { slippageBps: 0, withdrawalDelayDays: 0 },
            'aave-v3': { slippageBps: 0, withdrawalDelayDays: 0 },
          },
          bridge: { ...p.costs.bridge, feeBps: 0, fixedFee: 0, delayMinutes: 0 },
        }
      : p.costs,
  }
  return {
    ...input,
    policy,
    chains: lifted.has('move-budget') ? input.chains.map((c) => ({ ...c, movedThisPeriod: 0n })) : input.chains,
  }
}

/** Does the allocation move anything (on `chain`, when given)? */
export function moves(a: Allocation, chain?: string): boolean {
  const onChain = (c: string) => chain === undefined || c === chain
  return a.targets.some((t) => onChain(t.chain) && t.delta !== 0n) || a.transfers.some((x) => onChain(x.from) || onChain(x.to))
}

const bps = (x: number) => `${(x * 1e4).toFixed(1)} bps`

/**
 * The binding reasons for holding. Empty when `allocation` (of `input`) moves something on the
 * chain; else at least one reason.
 */
export function holdReasons(input: AllocationInput, allocation: Allocation, opts: HoldOptions = {}): HoldReason[] {
  if (moves(allocation, opts.chain)) return []
  const extra = [...(opts.extra ?? [])]
  const own = ownReasons(input, allocation, opts)
  return extra.length ? [...extra, ...own.filter((r) => r.kind !== 'nothing-better')] : own
}

function ownReasons(input: AllocationInput, allocation: Allocation, opts: HoldOptions): HoldReason[] {
  const sym = opts.symbol ?? 'units'
  if (allocation.solver.status === 'empty') return [{ kind: 'empty', text: 'no collateral to allocate' }]
  if (allocation.solver.status !== 'optimal' && allocation.solver.status !== 'hold') {
    return [{ kind: 'solver', text: `the allocation could not be solved (${allocation.solver.status}${allocation.warnings.length ? `: ${allocation.warnings.join('; ')}` : ''})` }]
  }
  const warn = allocation.warnings.find((w) => /liquidity alert itself|rounding breached/.test(w))
  if (warn) return [{ kind: 'liquidity-share', text: warn }]

  const all = new Set<Relax>(ORDER)
  let free = allocate(relaxed(input, all))
  if (!moves(free, opts.chain)) {
    return [{ kind: 'nothing-better', text: 'the current allocation is the best one: no move gains, even without budget, cooldowns, hysteresis or costs' }]
  }
  const lifted = new Set<Relax>(all)
  for (const r of ORDER) {
    lifted.delete(r)
    const a = allocate(relaxed(input, lifted))
    if (moves(a, opts.chain)) free = a
    else lifted.add(r)
  }
  // `free` is the allocation with exactly the binding limits lifted.
  const changed = free.targets.filter((t) => t.delta !== 0n && (opts.chain === undefined || t.chain === opts.chain))
  const byId = new Map(input.venues.map((v) => [v.id, v]))
  const chainOf = new Map(input.chains.map((c) => [c.name, c]))
  const days = input.policy.allocation.horizonDays
  const threshold = input.policy.allocation.hysteresisBps
  // Limits left in place that a binding limit holds only together with (lifting that one instead
  // would move): the figures quoted for it are of the move they allow, and they are named with it.
  const partnersOf = (r: Relax): Relax[] =>
    ORDER.filter((n) => n !== 'costs' && !lifted.has(n)).filter((n) => moves(allocate(relaxed(input, new Set([...[...lifted].filter((x) => x !== r), n]))), opts.chain))
  const cooling = input.venues.filter(
    (v) => (opts.chain === undefined || v.chain === opts.chain) && v.lastMovedBlock != null && chainOf.get(v.chain)!.blockNumber < v.lastMovedBlock + BigInt(cooldownBlocksOf(input.policy, v.id)),
  )
  const within = (ps: readonly Relax[]): string =>
    ps
      .map((n) =>
        n === 'move-budget'
          ? ` within the move budget (${formatAmount(allocation.moveBudget, sym)} left this period)`
          : n === 'cooldown'
            ? ` outside the venues in cooldown (${cooling.map((v) => `${v.id} until ${v.chain} block ${v.lastMovedBlock! + BigInt(cooldownBlocksOf(input.policy, v.id))}`).join(', ') || 'moved recently'})`
            : n === 'liquidity-share'
              ? ` within ${input.policy.allocation.maxWithdrawableShareBps} bps of what the venues could pay back`
              : '',
      )
      .join(',')
  /** The one-off costs of the free move (gas, slippage, bridge), collateral units. */
  const freeCost = (): number => {
    let cost = 0
    for (const t of free.targets) {
      if (t.delta === 0n || t.idle) continue
      const amount = Number(t.delta < 0n ? -t.delta : t.delta) / 10 ** chainOf.get(t.chain)!.decimals
      cost += stepCost(input.policy, { chain: t.chain, kind: t.kind, direction: t.delta > 0n ? 'deposit' : 'withdraw', amount, bestScore: Math.max(0, t.score) }).total
    }
    for (const x of free.transfers) cost += bridgeCost(input.policy, { from: x.from, to: x.to, amount: Number(x.amount) / 10 ** chainOf.get(x.from)!.decimals, bestScoreTo: 0 }).total
    return cost
  }
  const out: HoldReason[] = []
  for (const r of ORDER) {
    if (!lifted.has(r)) continue
    if (r === 'move-budget') {
      const moved = allocation.moveBudget
      const frees = Object.entries(opts.budgetFreesAtBlock ?? {})
        .filter(([c]) => opts.chain === undefined || c === opts.chain || (chainOf.get(c)?.movedThisPeriod ?? 0n) > 0n)
        .sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0))[0]
      out.push({
        kind: 'move-budget',
        text: `move budget spent: ${formatAmount(moved, sym)} left this period (${input.policy.allocation.maxMovePerPeriodBps} bps of the pool per ${periodBlocksOf(input.policy, frees?.[0] ?? opts.chain ?? '')} blocks${frees?.[0] ?? opts.chain ? ` of ${frees?.[0] ?? opts.chain}` : ''}), a move needs ${formatAmount(free.moved, sym)}${frees ? `; frees at ${frees[0]} block ${frees[1]}` : ''}`,
        ...(frees ? { until: { chain: frees[0], block: frees[1].toString() } } : {}),
      })
    } else if (r === 'cooldown') {
      const cooling = changed
        .map((t) => byId.get(t.venueId)!)
        .filter((v) => v.lastMovedBlock != null && chainOf.get(v.chain)!.blockNumber < v.lastMovedBlock + BigInt(cooldownBlocksOf(input.policy, v.id)))
      const untilOf = (v: (typeof cooling)[number]) => v.lastMovedBlock! + BigInt(cooldownBlocksOf(input.policy, v.id))
      const first = [...cooling].sort((a, b) => (untilOf(a) < untilOf(b) ? -1 : 1))[0]
      out.push({
        kind: 'cooldown',
        text: `cooldown: ${cooling.map((v) => `${v.id} until ${v.chain} block ${untilOf(v)}`).join(', ') || 'a venue moved recently'}`,
        venues: cooling.map((v) => v.id),
        ...(first ? { until: { chain: first.chain, block: untilOf(first).toString() } } : {}),
      })
    } else if (r === 'liquidity-share') {
      const held = changed.filter((t) => t.delta > 0n).map((t) => t.venueId)
      out.push({ kind: 'liquidity-share', text: `liquidity: ${held.join(', ') || 'the better venues'} at ${input.policy.allocation.maxWithdrawableShareBps} bps of what they could pay back`, venues: held })
    } else if (r === 'hysteresis') {
      // The move that the limits left in place allow (every binding one lifted); the ones it binds
      // together with are named, so the figure is that move's, not one no limit would allow.
      const perUnit = free.moved > 0 ? free.gainPerYear / free.moved : 0
      const scope = within(partnersOf('hysteresis'))
      const text = perUnit * 10_000 < threshold
        ? `hysteresis: the best move${scope} gains ${bps(perUnit)}/yr per unit moved < the ${threshold} bps threshold`
        : `hysteresis: the ${threshold} bps threshold holds back what the other limits leave (the best move${scope}, with the other binding limits lifted, gains ${bps(perUnit)}/yr per unit moved)`
      out.push({ kind: 'hysteresis', text })
    } else {
      const partners = partnersOf('costs')
      const cost = freeCost()
      const gain = free.gainPerYear * (days / 365)
      const fmt = (x: number) => formatAmount(x, sym, { digits: 6 })
      let text = `costs: the best move${within(partners)} gains ${fmt(gain)} over ${days} d`
      if (lifted.has('hysteresis') || !partners.includes('hysteresis')) text += ` for ${fmt(cost)} of gas, slippage and bridge costs`
      else {
        // Costs bind only together with the hysteresis: the move must gain the threshold on every unit moved on top of its costs.
        const claim = (threshold / 10_000) * free.moved * (days / 365)
        text += `; the ${threshold} bps/yr hysteresis on the ${formatAmount(free.moved, sym)} it moves claims ${fmt(claim)} of that, leaving ${fmt(gain - claim)} for ${fmt(cost)} of gas, slippage and bridge costs`
      }
      out.push({ kind: 'costs', text })
    }
  }
  return out
}

/** The reasons as one line. */
export const holdText = (reasons: readonly HoldReason[]): string => reasons.map((r) => r.text).join('; ')

/** The strategist heartbeat's hold reasons per chain (`info.hold`), tolerant of older heartbeats. */
export function holdFromHeartbeat(info: unknown): Record<string, HoldReason[]> {
  const h = (info as { hold?: unknown } | null)?.hold
  if (!h || typeof h !== 'object') return {}
  const out: Record<string, HoldReason[]> = {}
  for (const [chain, rs] of Object.entries(h as Record<string, unknown>)) {
    if (Array.isArray(rs)) out[chain] = rs.filter((r): r is HoldReason => !!r && typeof (r as HoldReason).text === 'string' && typeof (r as HoldReason).kind === 'string')
  }
  return out
}

/** "Why the pool holds" lines from the strategist's heartbeat info: one per holding chain (none when every chain has a plan). */
export function holdLines(info: unknown, indent = '  '): string[] {
  return Object.entries(holdFromHeartbeat(info))
    .filter(([, rs]) => rs.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([chain, rs]) => `${indent}${chain}: ${holdText(rs)}`)
}

/**
 * Adds the estimated time to every reason that lifts at a block: `now` (unix s) plus the blocks to
 * go at the chain's block time, appended to the text as "(≈ 2026-12-02 01:10 UTC)".
 */
export function withTimes(reasons: readonly HoldReason[], chains: Readonly<Record<string, { head: bigint; blockTimeMs: number }>>, now: number): HoldReason[] {
  return reasons.map((r) => {
    const c = r.until ? chains[r.until.chain] : undefined
    if (!r.until || !c) return r
    const blocks = BigInt(r.until.block) - c.head
    const time = Math.round(now + (Number(blocks > 0n ? blocks : 0n) * c.blockTimeMs) / 1000)
    const iso = new Date(time * 1000).toISOString().slice(0, 16).replace('T', ' ')
    return { ...r, until: { ...r.until, time }, text: `${r.text} (≈ ${iso} UTC)` }
  })
}
