import type { VenueKind } from '../config/schema'
import { BaseError } from '../core/errors'
import { liquidityBound } from './liquidity'
import { chainShareCapBps, cooldownBlocksOf, protocolShareCapBps, type StrategyPolicy } from './policy'

/**
 * The allocation problem's input and its hard constraints, exactly, in bigint. `allocate` solves
 * it; `checkAllocation` verifies any allocation against it (tests, and the allocator itself before
 * returning). Every amount is raw units of the chain's collateral token; caps given in collateral
 * units (policy, venue config) are converted with the chain's decimals and rounded down (a cap) or
 * up (the idle buffer), so the rounding never loosens a constraint.
 */

export interface AllocationVenue {
  id: string
  chain: string
  protocol: string
  kind: VenueKind
  /** The pool's position now, raw units of the chain's collateral (a venue holding another asset, e.g. rETH, is valued in collateral by the caller). */
  current: bigint
  /** Risk-adjusted APY (fraction, from scoreVenue); −Infinity or `excluded` = may not receive collateral. */
  score: number
  excluded?: string | null
  /** Paused or unreadable: the position cannot move. */
  stuck?: boolean
  /** Readings do not cover the window (scoreVenue's `frozen`): held exactly where it is — no withdrawal, no deposit. An idle venue frozen holds its whole chain. */
  frozen?: string | null
  /** What can be withdrawn now (raw); null/undefined = all of the position. */
  withdrawable?: bigint | null
  /**
   * The venue's withdrawable liquidity now (raw): what all its holders together could withdraw, the
   * pool's position included; null/undefined = unknown (no liquidity-share bound). See liquidity.ts.
   */
  liquidity?: bigint | null
  /** The share of a deposit into the venue that stays withdrawable (0..1; default 1: all of it). */
  liquidityPerDeposit?: number
  /**
   * The score's position-dependent penalties at `current` (risk.ts `VenueScore.atPosition`): when
   * given, the allocator charges concentration at the target position and liquidity at the margin
   * instead of the current position's per-unit figures (allocate.ts). Absent: `score` is taken as
   * the same for every unit (tests, callers without samples).
   */
  atPosition?: { tvl: bigint | null; concentrationBps: number; liquidityBps: number; dilutingApy?: number } | null
  /** Block (of the venue's chain) of the last step in this venue; null = never. */
  lastMovedBlock?: bigint | null
  /** From the venue config: `maxAmount` in collateral units, `maxShareBps` of the pool's collateral. */
  caps?: { maxAmount?: number | undefined; maxShareBps?: number | undefined }
}

export interface AllocationChain {
  name: string
  /** Decimals of the chain's collateral token. */
  decimals: number
  /** The chain's collateral LST venue: idle collateral, the liquidity buffer; every step goes through it. */
  idleVenueId: string
  /** Current block of the chain (cooldowns are counted in it). */
  blockNumber: bigint
  /** Collateral moved on this chain during the current period (raw), counted against the move budget. */
  movedThisPeriod?: bigint
  /**
   * Collateral in flight TO this chain (bridged, not yet redeemed), raw units of this chain: a venue
   * of its own — counted in the pool's collateral (share caps), never allocated or moved.
   */
  inFlight?: bigint
  /**
   * The chain's collateral price in its backing asset (the idle LST's latest peg reading; absent or
   * null = unknown): a transfer to a chain priced higher sells this chain's collateral at it, a
   * one-off loss the allocator counts as part of the transfer's cost (costs.ts `pegLoss`).
   */
  peg?: number | null
  // The chain's total is Σ current positions (one conservation row per chain in the LP); bridge
  // routes add transfer variables between these rows.
}

/** A bridge route the allocator may use: collateral leaves `from`'s idle venue and lands in `to`'s. */
export interface AllocationRoute {
  from: string
  to: string
}

/** A transfer between chains: `amount` raw units of `from`'s collateral leave, `received` raw units of `to`'s arrive. */
export interface AllocationTransfer {
  from: string
  to: string
  amount: bigint
  received: bigint
}

export interface AllocationInput {
  chains: readonly AllocationChain[]
  venues: readonly AllocationVenue[]
  policy: StrategyPolicy
  /** Bridge routes (none: each chain's collateral is fixed). */
  routes?: readonly AllocationRoute[]
  /**
   * The watcher's `alerts.liquidityCoverage` (default 1): the allocation is checked not to raise the
   * "withdrawable liquidity below the pool's position" alert itself (liquidity.ts).
   */
  liquidityCoverage?: number
}

/** The token bridge carries at most 8 decimals (Wormhole normalises amounts; wrapped tokens have min(decimals, 8)). */
export const BRIDGE_MAX_DECIMALS = 8

/** Decimals a transfer between two chains is carried in: the coarser side, at most 8. */
export const bridgeDecimals = (fromDecimals: number, toDecimals: number): number => Math.min(fromDecimals, toDecimals, BRIDGE_MAX_DECIMALS)

/** What arrives for `amount` raw units of `from` (rounded down to the bridge's decimals), in raw units of `to`. */
export function bridgeReceived(amount: bigint, fromDecimals: number, toDecimals: number): bigint {
  const d = bridgeDecimals(fromDecimals, toDecimals)
  const carried = amount / pow10(fromDecimals - d)
  return carried * pow10(toDecimals - d)
}

/** `amount` rounded down to what the bridge carries (the rest stays on the source chain). */
export function bridgeSendable(amount: bigint, fromDecimals: number, toDecimals: number): bigint {
  const unit = pow10(fromDecimals - bridgeDecimals(fromDecimals, toDecimals))
  return (amount / unit) * unit
}

export class AllocationInputError extends BaseError {
  override name = 'AllocationInputError'
}

export const pow10 = (n: number): bigint => 10n ** BigInt(n)

/** floor(x · 10^decimals) for a non-negative amount in token units (exact on the double's decimal expansion). */
export function toRaw(x: number, decimals: number): bigint {
  if (!Number.isFinite(x) || x < 0) throw new RangeError(`toRaw: ${x}`)
  if (x >= 1e21) return BigInt(Math.floor(x)) * pow10(decimals)
  const [int, frac = ''] = x.toFixed(Math.min(100, Math.max(decimals, 0) + 2)).split('.')
  return BigInt(int!) * pow10(decimals) + (decimals > 0 ? BigInt(frac.slice(0, decimals).padEnd(decimals, '0')) : 0n)
}

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b

/** Why a venue has no variables: stuck (paused, unreadable), frozen (incomplete window), cooldown. */
export type FixedKind = 'stuck' | 'frozen' | 'cooldown'

/** The derived, exact constants of an input: pool total, caps, buffers, budget. */
export interface Limits {
  /** Common decimals for cross-chain sums (max of the chains'). */
  decimals: number
  /** raw × scale[chain] = amount in common decimals. */
  scale: Map<string, bigint>
  /** Pool collateral (in flight included), common decimals. */
  poolTotal: bigint
  chainTotal: Map<string, bigint>
  /** Venue caps (raw, own chain), Infinity-free: undefined = no cap. */
  venueCap: Map<string, { raw: bigint; by: 'cap' | 'share-cap' } | undefined>
  minIdle: Map<string, bigint>
  /**
   * Largest target the venue's liquidity allows (raw, own chain; liquidity.ts `liquidityBound`):
   * undefined = no bound (liquidity unknown, idle venue, or the share is 10 000 bps).
   */
  liquidityCap: Map<string, bigint | undefined>
  /** Invested (non-idle) collateral per chain / per protocol, common decimals. */
  chainCap: Map<string, bigint>
  protocolCap: Map<string, bigint>
  /** What may still move this period, common decimals. */
  budget: bigint
  /** Why a venue cannot move at all (stuck, cooldown, chain frozen), by venue id. */
  fixed: Map<string, { constraint: FixedKind; detail: string }>
  idleIds: Set<string>
}

/** Invested (non-idle) collateral summed by `key` (chain, protocol), common decimals, of each venue's `amountOf` (default: its current position). */
export function investedBy(
  input: AllocationInput,
  L: Pick<Limits, 'idleIds' | 'scale'>,
  key: (v: AllocationVenue) => string,
  amountOf: (v: AllocationVenue) => bigint = (v) => v.current,
): Map<string, bigint> {
  const out = new Map<string, bigint>()
  for (const v of input.venues) {
    if (L.idleIds.has(v.id)) continue
    const k = key(v)
    out.set(k, (out.get(k) ?? 0n) + amountOf(v) * L.scale.get(v.chain)!)
  }
  return out
}

/** Validates the input's shape and derives the exact limits. Throws AllocationInputError. */
export function limitsOf(input: AllocationInput): Limits {
  const { policy } = input
  const problems: string[] = []
  const chains = new Map(input.chains.map((c) => [c.name, c]))
  if (chains.size !== input.chains.length) problems.push('duplicate chain name')
  const ids = new Set<string>()
  for (const v of input.venues) {
    if (ids.has(v.id)) problems.push(`duplicate venue id "${v.id}"`)
    ids.add(v.id)
    if (!chains.has(v.chain)) problems.push(`venue "${v.id}": unknown chain "${v.chain}"`)
    if (v.current < 0n) problems.push(`venue "${v.id}": negative position`)
    if (v.withdrawable != null && v.withdrawable < 0n) problems.push(`venue "${v.id}": negative withdrawable`)
    if (v.liquidity != null && v.liquidity < 0n) problems.push(`venue "${v.id}": negative liquidity`)
    if (v.liquidityPerDeposit !== undefined && !(v.liquidityPerDeposit >= 0 && v.liquidityPerDeposit <= 1)) problems.push(`venue "${v.id}": liquidityPerDeposit ${v.liquidityPerDeposit} (0..1)`)
  }
  const idleIds = new Set<string>()
  for (const c of input.chains) {
    const idle = input.venues.find((v) => v.id === c.idleVenueId)
    if (!idle) problems.push(`chain "${c.name}": idle venue "${c.idleVenueId}" is not among the venues`)
    else if (idle.chain !== c.name) problems.push(`chain "${c.name}": idle venue "${c.idleVenueId}" is on chain "${idle.chain}"`)
    idleIds.add(c.idleVenueId)
    if (!Number.isInteger(c.decimals) || c.decimals < 0 || c.decimals > 36) problems.push(`chain "${c.name}": decimals ${c.decimals}`)
  }
  for (const r of input.routes ?? []) {
    if (!chains.has(r.from) || !chains.has(r.to)) problems.push(`route ${r.from} → ${r.to}: unknown chain`)
    else if (r.from === r.to) problems.push(`route ${r.from} → ${r.to}: same chain`)
  }
  for (const c of input.chains) if ((c.inFlight ?? 0n) < 0n) problems.push(`chain "${c.name}": negative in-flight amount`)
  if (problems.length) throw new AllocationInputError(`allocation input: ${problems.join('; ')}`)

  const decimals = Math.max(0, ...input.chains.map((c) => c.decimals))
  const scale = new Map(input.chains.map((c) => [c.name, pow10(decimals - c.decimals)]))
  const chainTotal = new Map(input.chains.map((c) => [c.name, 0n]))
  for (const v of input.venues) chainTotal.set(v.chain, chainTotal.get(v.chain)! + v.current)
  let poolTotal = 0n
  for (const c of input.chains) poolTotal += (chainTotal.get(c.name)! + (c.inFlight ?? 0n)) * scale.get(c.name)!

  const venueCap = new Map<string, { raw: bigint; by: 'cap' | 'share-cap' } | undefined>()
  for (const v of input.venues) {
    if (idleIds.has(v.id)) {
      venueCap.set(v.id, undefined)
      continue
    }
    const c = chains.get(v.chain)!
    let cap: { raw: bigint; by: 'cap' | 'share-cap' } | undefined
    if (v.caps?.maxAmount !== undefined) cap = { raw: toRaw(v.caps.maxAmount, c.decimals), by: 'cap' }
    if (v.caps?.maxShareBps !== undefined) {
      const raw = (poolTotal * BigInt(Math.round(v.caps.maxShareBps * 100))) / 1_000_000n / scale.get(v.chain)!
      if (!cap || raw < cap.raw) cap = { raw, by: 'share-cap' }
    }
    venueCap.set(v.id, cap)
  }
  const liquidityCap = new Map<string, bigint | undefined>()
  for (const v of input.venues) {
    const b = idleIds.has(v.id) ? null : liquidityBound(v.current, v.liquidity, policy.allocation.maxWithdrawableShareBps, v.liquidityPerDeposit)
    liquidityCap.set(v.id, b ?? undefined)
  }
  const minIdle = new Map(input.chains.map((c) => [c.name, ceilDiv(chainTotal.get(c.name)! * BigInt(policy.allocation.minIdleBps), 10_000n)]))
  const chainCap = new Map(input.chains.map((c) => [c.name, (poolTotal * BigInt(chainShareCapBps(policy, c.name))) / 10_000n]))
  const protocolCap = new Map<string, bigint>()
  for (const v of input.venues) if (!idleIds.has(v.id)) protocolCap.set(v.protocol, (poolTotal * BigInt(protocolShareCapBps(policy, v.protocol))) / 10_000n)
  let budget = (poolTotal * BigInt(policy.allocation.maxMovePerPeriodBps)) / 10_000n
  for (const c of input.chains) budget -= (c.movedThisPeriod ?? 0n) * scale.get(c.name)!
  if (budget < 0n) budget = 0n

  const fixed = new Map<string, { constraint: FixedKind; detail: string }>()
  const frozenChains = new Map<string, { constraint: FixedKind; detail: string }>()
  for (const c of input.chains) {
    const idle = input.venues.find((v) => v.id === c.idleVenueId)!
    if (idle.stuck) frozenChains.set(c.name, { constraint: 'stuck', detail: `idle venue ${idle.id} cannot move (paused or unreadable): the chain is frozen` })
    else if (idle.frozen) frozenChains.set(c.name, { constraint: 'frozen', detail: `idle venue ${idle.id} ${idle.frozen}: the chain is held` })
  }
  for (const v of input.venues) {
    const c = chains.get(v.chain)!
    const frozen = frozenChains.get(v.chain)
    if (v.stuck) fixed.set(v.id, { constraint: 'stuck', detail: v.excluded ? `cannot be withdrawn: ${v.excluded}` : 'paused or unreadable: the position cannot move' })
    else if (v.frozen) fixed.set(v.id, { constraint: 'frozen', detail: v.frozen })
    else if (frozen) fixed.set(v.id, frozen)
    else if (!idleIds.has(v.id) && v.lastMovedBlock != null) {
      const cd = BigInt(cooldownBlocksOf(policy, v.id))
      const until = v.lastMovedBlock + cd
      if (c.blockNumber < until) fixed.set(v.id, { constraint: 'cooldown', detail: `moved at block ${v.lastMovedBlock}; cooldown until block ${until}` })
    }
  }
  return { decimals, scale, poolTotal, chainTotal, venueCap, minIdle, liquidityCap, chainCap, protocolCap, budget, fixed, idleIds }
}

export const isExcluded = (v: AllocationVenue): boolean => !!v.excluded || !Number.isFinite(v.score)

/** Collateral moved on a chain: Σ of what leaves positions (= Σ of what enters them). */
export function movedOf(venues: readonly AllocationVenue[], target: ReadonlyMap<string, bigint>, chain: string): bigint {
  let moved = 0n
  for (const v of venues) {
    if (v.chain !== chain) continue
    const t = target.get(v.id) ?? v.current
    if (t < v.current) moved += v.current - t
  }
  return moved
}

export interface Violation {
  constraint: 'conservation' | 'transfer' | 'negative' | 'fixed' | 'excluded' | 'liquidity' | 'liquidity-share' | 'venue-cap' | 'min-idle' | 'chain-cap' | 'protocol-cap' | 'move-budget' | 'unknown-venue'
  subject: string
  detail: string
}

/**
 * Every hard constraint of an allocation `target` (venue id → raw amount; missing = unchanged).
 * A limit the current allocation already breaches is checked as "no worse than now".
 */
export function checkAllocation(
  input: AllocationInput,
  target: ReadonlyMap<string, bigint>,
  limits: Limits = limitsOf(input),
  transfers: readonly AllocationTransfer[] = [],
): Violation[] {
  const out: Violation[] = []
  const L = limits
  const t = (v: AllocationVenue) => target.get(v.id) ?? v.current
  const known = new Set(input.venues.map((v) => v.id))
  for (const id of target.keys()) if (!known.has(id)) out.push({ constraint: 'unknown-venue', subject: id, detail: 'not an input venue' })
  const flow = new Map<string, bigint>()
  const decimalsOf = new Map(input.chains.map((c) => [c.name, c.decimals]))
  for (const x of transfers) {
    const subject = `${x.from}→${x.to}`
    if (!(input.routes ?? []).some((r) => r.from === x.from && r.to === x.to)) out.push({ constraint: 'transfer', subject, detail: 'not an offered route' })
    else if (x.amount <= 0n) out.push({ constraint: 'transfer', subject, detail: `amount ${x.amount}` })
    else if (x.received !== bridgeReceived(x.amount, decimalsOf.get(x.from)!, decimalsOf.get(x.to)!) || x.amount !== bridgeSendable(x.amount, decimalsOf.get(x.from)!, decimalsOf.get(x.to)!)) {
      out.push({ constraint: 'transfer', subject, detail: `${x.amount} sent does not arrive as ${x.received} (bridge decimals)` })
    }
    flow.set(x.from, (flow.get(x.from) ?? 0n) - x.amount)
    flow.set(x.to, (flow.get(x.to) ?? 0n) + x.received)
  }
  for (const c of input.chains) {
    let sum = 0n
    for (const v of input.venues) if (v.chain === c.name) sum += t(v)
    const want = L.chainTotal.get(c.name)! + (flow.get(c.name) ?? 0n)
    if (sum !== want) out.push({ constraint: 'conservation', subject: c.name, detail: `targets sum to ${sum}, chain holds ${L.chainTotal.get(c.name)}${flow.get(c.name) ? ` ${flow.get(c.name)! > 0n ? '+' : '−'} ${flow.get(c.name)! > 0n ? flow.get(c.name) : -flow.get(c.name)!} bridged` : ''}` })
  }
  for (const v of input.venues) {
    const x = t(v)
    const idle = L.idleIds.has(v.id)
    if (x < 0n) out.push({ constraint: 'negative', subject: v.id, detail: `target ${x}` })
    if (L.fixed.has(v.id) && x !== v.current) out.push({ constraint: 'fixed', subject: v.id, detail: `${L.fixed.get(v.id)!.detail}, yet ${v.current} → ${x}` })
    if (!idle && isExcluded(v) && x > v.current) out.push({ constraint: 'excluded', subject: v.id, detail: `excluded (${v.excluded ?? 'score −∞'}), yet ${v.current} → ${x}` })
    if (v.withdrawable != null && v.current - x > v.withdrawable) out.push({ constraint: 'liquidity', subject: v.id, detail: `withdraws ${v.current - x}, only ${v.withdrawable} withdrawable` })
    const liq = L.liquidityCap.get(v.id)
    if (liq !== undefined && x > liq && x > v.current) {
      out.push({ constraint: 'liquidity-share', subject: v.id, detail: `target ${x} above ${liq}, the ${input.policy.allocation.maxWithdrawableShareBps} bps of the venue's liquidity ${v.liquidity} after the plan` })
    }
    const cap = L.venueCap.get(v.id)
    if (cap) {
      const lim = v.current > cap.raw ? v.current : cap.raw
      if (x > lim) out.push({ constraint: 'venue-cap', subject: v.id, detail: `target ${x} above ${cap.by} ${cap.raw}${v.current > cap.raw ? ` (now ${v.current})` : ''}` })
    }
    if (idle) {
      // The buffer is kept on the chain's total after the plan (its transfers in and out); a chain
      // already below it may stay where it is.
      const min = L.minIdle.get(v.chain)!
      const total = L.chainTotal.get(v.chain)! + (flow.get(v.chain) ?? 0n)
      const after = total <= 0n ? 0n : ceilDiv(total * BigInt(input.policy.allocation.minIdleBps), 10_000n)
      const lim = v.current < min ? v.current : after
      if (x < lim) out.push({ constraint: 'min-idle', subject: v.id, detail: `idle ${x} below buffer ${after}` })
    }
  }
  const groupCheck = (constraint: 'chain-cap' | 'protocol-cap', key: (v: AllocationVenue) => string, caps: Map<string, bigint>) => {
    const now = investedBy(input, L, key)
    const next = investedBy(input, L, key, t)
    for (const [k, cap] of caps) {
      const n = now.get(k) ?? 0n
      const x = next.get(k) ?? 0n
      const lim = n > cap ? n : cap
      if (x > lim) out.push({ constraint, subject: k, detail: `invested ${x} above cap ${cap}${n > cap ? ` (now ${n})` : ''}` })
    }
  }
  groupCheck('chain-cap', (v) => v.chain, L.chainCap)
  groupCheck('protocol-cap', (v) => v.protocol, L.protocolCap)
  let moved = 0n
  for (const c of input.chains) moved += movedOf(input.venues, target, c.name) * L.scale.get(c.name)!
  if (moved > L.budget) out.push({ constraint: 'move-budget', subject: 'pool', detail: `moves ${moved}, budget left ${L.budget}` })
  return out
}
