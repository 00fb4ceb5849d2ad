import { formatAmount } from '../core/amount'

/**
 * Whether a new proposal replaces an open plan (proposed, awaiting approval, or approved and not
 * started) — config `strategy.replan`. PURE: the open plan's validity and its net benefit re-scored
 * on the latest samples come in as data (plans/proposePlan.ts reads them).
 *
 * Without this the strategist superseded an autonomous plan waiting for the executor every block
 * with slightly different amounts (17 of 23 plans superseded in a live run): a committee or an
 * operator watching `/plans` saw a new plan id every second. The open plan stays unless:
 *
 *   1. it became invalid: re-validation on the latest samples would stop or expire it (a venue it
 *      touches paused, depegged, slashed or short of liquidity; its steps no longer worth their
 *      costs; past its TTL), or it touches a venue now frozen for lack of data;
 *   2. it has committee signatures: then only (1), or — when `signedMinGainChangeBps` is set — a
 *      gain of at least that much more. Signatures are people's decisions on the exact calls that
 *      will run; replacing the plan throws them away and asks the committee to sign again, and a
 *      plan that would now do harm is already caught by (1) here and by the executor's
 *      re-validation before every step. What the pool forgoes by keeping a valid signed plan is
 *      bounded by its TTL, and the committee can reject it to let a newer proposal through;
 *   3. the new proposal is materially different: its net benefit over the horizon, annualised,
 *      beats the open plan's (re-scored on the same samples) by at least `minGainChangeBps` of the
 *      pool per year, or it places at least `minAmountChangeBps` of the moved amount differently
 *      (half the sum over venues of |Δnew − Δopen|, idle included, against the larger of the two
 *      moved amounts).
 */

export interface ReplanPolicy {
  minGainChangeBps: number
  minAmountChangeBps: number
  signedMinGainChangeBps: number | null
}

/** A plan's step as the comparison reads it (stored steps and strategies steps both fit). */
export interface StepLike {
  kind: 'withdraw' | 'deposit' | 'bridge' | 'redeem'
  chain: string
  venueId: string
  amount: bigint
}

/**
 * Net change per venue of a plan's steps, in collateral units: a withdrawal takes from its venue
 * into the chain's idle venue, a deposit the other way; a bridge takes from the source chain's idle,
 * a redeem adds to the destination's. Steps on the idle venue itself are implied by the others.
 */
export function venueDeltas(steps: readonly StepLike[], chains: (chain: string) => { decimals: number; idleVenueId: string } | undefined): Map<string, number> {
  const out = new Map<string, number>()
  const add = (id: string, x: number) => out.set(id, (out.get(id) ?? 0) + x)
  for (const s of steps) {
    const c = chains(s.chain)
    if (!c) continue
    const units = Number(s.amount) / 10 ** c.decimals
    if (s.kind === 'bridge') add(c.idleVenueId, -units)
    else if (s.kind === 'redeem') add(c.idleVenueId, units)
    else if (s.venueId !== c.idleVenueId) {
      const sign = s.kind === 'deposit' ? 1 : -1
      add(s.venueId, sign * units)
      add(c.idleVenueId, -sign * units)
    }
  }
  return out
}

/** What a plan moves: half the sum of |Δ| over venues (idle included). */
export function movedOf(d: ReadonlyMap<string, number>): number {
  let t = 0
  for (const x of d.values()) t += Math.abs(x)
  return t / 2
}

/** Collateral placed differently by two plans: half the sum over venues of |a − b|. */
export function placedDifferently(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let t = 0
  for (const id of new Set([...a.keys(), ...b.keys()])) t += Math.abs((a.get(id) ?? 0) - (b.get(id) ?? 0))
  return t / 2
}

export interface ReplanInput {
  open: {
    id: string
    /** Committee signatures (approvals, or Safe confirmations) it has. */
    signatures: number
    /** Why it is no longer valid (re-validation's stop/expire reason, a frozen venue), or null. */
    invalid: string | null
    /** Its net benefit over the horizon re-scored on the latest samples (collateral units); null when it could not be re-scored. */
    netNow: number | null
    deltas: ReadonlyMap<string, number>
  }
  /** The new proposal (a hold: no deltas, net 0). */
  proposal: { net: number; deltas: ReadonlyMap<string, number> }
  /** The collateral the gain is measured against (the pool, collateral units). */
  poolTotal: number
  horizonDays: number
  symbol: string
  policy: ReplanPolicy
}

export interface ReplanVerdict {
  keep: boolean
  /** One line: why it is kept (for the heartbeat / hold reason) or why it is replaced. */
  text: string
  /** The new proposal's annualised net gain over the open plan's, bps of the pool per year (null: not comparable). */
  gainBps: number | null
  /** Collateral placed differently and its share of the larger moved amount (bps). */
  amount: number
  amountShareBps: number
}

const fmtBps = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} bps/yr`

/** See the module comment. */
export function replanVerdict(input: ReplanInput): ReplanVerdict {
  const { open, proposal, policy, symbol } = input
  const amount = placedDifferently(open.deltas, proposal.deltas)
  const base = Math.max(movedOf(open.deltas), movedOf(proposal.deltas))
  const amountShareBps = base > 0 ? (amount / base) * 10_000 : 0
  const gainBps = open.netNow === null || input.poolTotal <= 0 ? null : (((proposal.net - open.netNow) * 365) / input.horizonDays / input.poolTotal) * 10_000
  const diff = `new proposal differs by ${gainBps === null ? 'an unknown gain' : `${fmtBps(gainBps)} of the pool`} / ${formatAmount(amount, symbol)} placed differently (${(amountShareBps / 100).toFixed(1)} % of the moved amount)`
  const out = (keep: boolean, text: string): ReplanVerdict => ({ keep, text, gainBps, amount, amountShareBps })
  if (open.invalid) return out(false, `plan ${open.id} replaced: ${open.invalid}`)
  if (open.signatures > 0) {
    const min = policy.signedMinGainChangeBps
    if (min !== null && gainBps !== null && gainBps >= min) return out(false, `plan ${open.id} replaced despite ${open.signatures} signature(s): ${diff}, at least strategy.replan.signedMinGainChangeBps ${min}`)
    return out(
      true,
      `kept plan ${open.id} (${open.signatures} committee signature(s)): ${diff}; ${min === null ? 'a signed plan is replaced only when it becomes invalid (strategy.replan.signedMinGainChangeBps null)' : `below strategy.replan.signedMinGainChangeBps ${min}`} — reject it to let a new plan through`,
    )
  }
  if (gainBps === null) return out(false, `plan ${open.id} replaced: it could not be re-scored on the latest samples`)
  if (gainBps >= policy.minGainChangeBps) return out(false, `plan ${open.id} replaced: ${diff}; the gain is at least strategy.replan.minGainChangeBps ${policy.minGainChangeBps}`)
  if (amountShareBps >= policy.minAmountChangeBps) return out(false, `plan ${open.id} replaced: ${diff}; the amount is at least strategy.replan.minAmountChangeBps ${policy.minAmountChangeBps}`)
  return out(true, `kept plan ${open.id}: ${diff}, below strategy.replan (minGainChangeBps ${policy.minGainChangeBps}, minAmountChangeBps ${policy.minAmountChangeBps})`)
}
