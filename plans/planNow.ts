import type { Config } from '../config/schema'
import type { Store } from '../store'
import type { Plan, PlanStep } from '../store/types'
import { readChain } from './readChain'
import { compareWithNow, renderComparison, type PlanNow, type VenueNow } from './revalidate'

interface TransferDetail {
  to?: string
}

/** The chains a plan's steps touch (a bridge step's destination too). */
export function chainsOfPlan(plan: Pick<Plan, 'basedOnBlock'>, steps: readonly Pick<PlanStep, 'kind' | 'chain' | 'detail'>[]): string[] {
  const names = new Set<string>(Object.keys(plan.basedOnBlock))
  for (const s of steps) {
    names.add(s.chain)
    const to = s.kind === 'bridge' ? (s.detail as { transfer?: TransferDetail } | null)?.transfer?.to : undefined
    if (to) names.add(to)
  }
  return [...names].sort()
}

/**
 * The latest view of a plan's chains, from the store only: every venue scored on its latest
 * samples exactly as the strategist scores it (proposePlan's readChain), the pool's positions now
 * and at the plan's block, exchange rates now and at the plan's block. `heads` (chain → head
 * block) comes from the caller when it has chain clients (the executor); views that read only
 * the store (CLI, Telegram) leave it out.
 */
export async function readPlanNow(
  deps: { config: Config; store: Store },
  plan: Pick<Plan, 'basedOnBlock'>,
  steps: readonly Pick<PlanStep, 'kind' | 'chain' | 'detail'>[],
  opts: { at?: number; heads?: Readonly<Record<string, bigint>> } = {},
): Promise<PlanNow> {
  const { config, store } = deps
  const now: PlanNow = { at: opts.at ?? Date.now(), chains: [], venues: [], missing: [] }
  for (const name of chainsOfPlan(plan, steps)) {
    if (!config.chains.some((c) => c.name === name)) {
      now.missing.push({ chain: name, reason: `chain "${name}" is not in the config` })
      continue
    }
    const view = await readChain(config, store, name)
    if (typeof view === 'string') {
      now.missing.push({ chain: name, reason: view })
      continue
    }
    now.chains.push({
      name,
      decimals: view.chain.decimals,
      symbol: view.chain.symbol,
      idleVenueId: view.chain.idleVenueId,
      sampleBlock: view.chain.sampleBlock,
      headBlock: opts.heads?.[name] ?? null,
    })
    const then = plan.basedOnBlock[name]
    for (const v of view.venues) {
      const score = view.scores.find((s) => s.venueId === v.id)!
      const latest = (await store.history.window(v.id, 1, { beforeBlock: view.chain.sampleBlock + 1n }))[0]
      const venue: VenueNow = {
        venueId: v.id,
        chain: name,
        kind: v.kind,
        protocol: v.protocol,
        score,
        position: v.current,
        positionThen: then === undefined ? null : ((await store.history.positionAtBlock(v.id, then))?.amount ?? null),
        rateNow: latest?.exchangeRate ?? null,
        // The plan's block is stored (its samples were the plan's evidence); else the newest stored before it.
        rateThen: then === undefined ? null : ((await store.history.window(v.id, 1, { beforeBlock: then + 1n }))[0]?.exchangeRate ?? null),
      }
      now.venues.push(venue)
    }
  }
  return now
}

/** Plans the committee may still act on: they get a "compared with now". */
const LIVE: readonly Plan['status'][] = ['proposed', 'awaiting_approval', 'approved', 'executing']

/**
 * "Compared with now" for a plan that is still live (proposed, awaiting approval, approved,
 * executing): the latest samples read from the store, the comparison computed by the one pure
 * function (plans/revalidate.ts compareWithNow) and rendered. Null for a finished plan. Used by
 * `npm run plan -- show` and the Telegram plan view.
 */
export async function comparedWithNowText(deps: { config: Config; store: Store }, plan: Plan, steps: readonly PlanStep[], at: number = Date.now()): Promise<string | null> {
  if (!LIVE.includes(plan.status)) return null
  const now = await readPlanNow(deps, plan, steps, { at })
  const c = compareWithNow({ plan, steps, now, policy: deps.config.strategy })
  const unit = (chain: string) => {
    const k = now.chains.find((x) => x.name === chain)
    return k ? { decimals: k.decimals, symbol: k.symbol } : { decimals: 18, symbol: 'units' }
  }
  return renderComparison(c, unit)
}
