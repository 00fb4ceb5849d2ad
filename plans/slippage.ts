import type { PlanStepKind } from '../store/types'

/**
 * Slippage bounds of a plan step, pure. Every deposit, withdrawal and supply goes through the
 * chain's SlippageRouter (contracts/SlippageRouter.sol) with a bound the router enforces in the
 * same transaction:
 *
 *   venue    step      what is previewed                      bound (tolerance b = slippageBps)
 *   erc4626  deposit   shares out  = amount × 1e18 / rate      minSharesOut = ⌊preview × (1 − b)⌋
 *   erc4626  withdraw  shares in   = ⌈amount × 1e18 / rate⌉    maxSharesIn  = ⌈preview × (1 + b)⌉
 *   aave-v3  deposit   aTokens out = amount                    minATokenOut = ⌊preview × (1 − b)⌋
 *   aave-v3  withdraw  assets out  = amount                    minAssetsOut = ⌊preview × (1 − b)⌋
 *   lst      —         nothing (collateral held idle: no transaction)
 *
 * `rate` is the vault's `convertToAssets(1e18)` — the exchange rate the watcher samples at the
 * decision block (and the executor reads again at re-validation). The preview is stored with the
 * step when the plan is written (`decisionPreview`), so the bound is what the plan decided on, not
 * whatever the chain says when the step finally runs.
 */

export type PreviewWhat = 'sharesOut' | 'sharesIn' | 'aTokenOut' | 'assetsOut'

export interface StepPreview {
  what: PreviewWhat
  /** The previewed amount (raw units of the shares, aTokens or assets). */
  amount: bigint
  /** The bound the router enforces: a minimum for "…Out", a maximum for "sharesIn". */
  bound: bigint
  slippageBps: number
  /** Where the preview was read: the sample block at decision, or the block the executor read. */
  block: bigint
  source: 'decision' | 'execution'
}

/** As stored in a step's detail (`detail.preview`): bigints as decimal strings. */
export interface StoredPreview {
  what: PreviewWhat
  amount: string
  bound: string
  slippageBps: number
  block: string
  source: 'decision' | 'execution'
}

const WAD = 10n ** 18n
const BPS = 10_000n

/** What a step previews, or undefined (an idle LST step, a bridge or redeem step). */
export function previewWhat(venueKind: string, kind: PlanStepKind): PreviewWhat | undefined {
  if (kind !== 'deposit' && kind !== 'withdraw') return undefined
  if (venueKind === 'erc4626') return kind === 'deposit' ? 'sharesOut' : 'sharesIn'
  if (venueKind === 'aave-v3') return kind === 'deposit' ? 'aTokenOut' : 'assetsOut'
  return undefined
}

/** The previewed amount from the vault's exchange rate (assets per 1e18 shares); aave is 1:1. */
export function previewAmount(what: PreviewWhat, amount: bigint, rate: bigint | null): bigint | undefined {
  if (what === 'aTokenOut' || what === 'assetsOut') return amount
  if (rate === null || rate <= 0n) return undefined
  if (what === 'sharesOut') return (amount * WAD) / rate
  return (amount * WAD + rate - 1n) / rate
}

/** The bound of a preview at a tolerance (bps): floor for a minimum out, ceiling for a maximum in. */
export function boundOf(what: PreviewWhat, preview: bigint, slippageBps: number): bigint {
  const b = BigInt(Math.round(slippageBps * 100))
  const scale = BPS * 100n
  if (what === 'sharesIn') return (preview * (scale + b) + scale - 1n) / scale
  return (preview * (scale - b)) / scale
}

/** Whether `actual` honours the bound (at least a minimum; at most a maximum). */
export function withinBound(what: PreviewWhat, bound: bigint, actual: bigint): boolean {
  return what === 'sharesIn' ? actual <= bound : actual >= bound
}

export function makePreview(input: { venueKind: string; kind: PlanStepKind; amount: bigint; rate: bigint | null; slippageBps: number; block: bigint; source: StepPreview['source'] }): StepPreview | undefined {
  const what = previewWhat(input.venueKind, input.kind)
  if (!what) return undefined
  const amount = previewAmount(what, input.amount, input.rate)
  if (amount === undefined) return undefined
  return { what, amount, bound: boundOf(what, amount, input.slippageBps), slippageBps: input.slippageBps, block: input.block, source: input.source }
}

export const toStoredPreview = (p: StepPreview): StoredPreview => ({ what: p.what, amount: p.amount.toString(), bound: p.bound.toString(), slippageBps: p.slippageBps, block: p.block.toString(), source: p.source })

/** The preview in a step's detail, or undefined when absent or malformed. */
export function storedPreviewOf(detail: unknown): StepPreview | undefined {
  const p = (detail as { preview?: Partial<StoredPreview> } | null | undefined)?.preview
  if (!p || typeof p !== 'object') return undefined
  const ok = (s: unknown): s is string => typeof s === 'string' && /^\d+$/.test(s)
  if (!['sharesOut', 'sharesIn', 'aTokenOut', 'assetsOut'].includes(p.what as string) || !ok(p.amount) || !ok(p.bound) || !ok(p.block) || typeof p.slippageBps !== 'number') return undefined
  return { what: p.what!, amount: BigInt(p.amount), bound: BigInt(p.bound), slippageBps: p.slippageBps, block: BigInt(p.block), source: p.source === 'execution' ? 'execution' : 'decision' }
}

const LABEL: Record<PreviewWhat, string> = { sharesOut: 'shares out', sharesIn: 'shares in', aTokenOut: 'aTokens out', assetsOut: 'assets out' }

/** One line naming the step, the preview, the bound and what the chain gives now. */
export function describeSlippage(step: { idx: number; kind: string; venueId: string }, p: StepPreview, actual: bigint, at: string): string {
  const dir = p.what === 'sharesIn' ? 'maximum' : 'minimum'
  return `step ${step.idx} (${step.kind} ${step.venueId}): ${LABEL[p.what]} previewed ${p.amount} at block ${p.block} (${p.source}), ${dir} ${p.bound} at ${p.slippageBps} bps; actual ${actual} ${at}: beyond the tolerance, the step was not made`
}
