import { apyWindowSecondsOf, type Config } from '../config/schema'
import type { Store } from '../store'
import type { Plan as StoredPlan } from '../store/types'
import type { AllocationChain, AllocationVenue } from '../strategies/constraints'
import { venueLiquidity } from '../strategies/liquidity'
import { periodBlocksOf, scoreWindowSecondsOf, unfinalisedLagOf } from '../strategies/policy'
import { scoreVenue, type VenueScore } from '../strategies/risk'

/**
 * One chain's side of the allocation as the strategist reads it from the store (scores on the
 * latest final samples, positions, cooldowns, the period's moves). Its own module so that both the
 * strategist (plans/proposePlan.ts) and the latest view of a plan (plans/planNow.ts) use it.
 */

/** The chain's collateral LST venue: idle collateral, the liquidity buffer. */
export function idleVenueOf(config: Config, chain: string): string | undefined {
  const token = config.pool.collateral.find((c) => c.chain === chain)?.token.toLowerCase()
  return config.venues.find((v) => v.chain === chain && v.kind === 'lst' && v.address.toLowerCase() === token)?.id
}

export interface ChainView {
  chain: AllocationChain & { sampleBlock: bigint; symbol: string; budgetFreesAtBlock?: bigint }
  venues: AllocationVenue[]
  scores: VenueScore[]
}

/** One chain's side of the allocation, from the store: scores, positions, cooldowns, the period's moves. */
export async function readChain(config: Config, store: Store, chain: string): Promise<ChainView | string> {
  const policy = config.strategy
  const idle = idleVenueOf(config, chain)
  if (!idle) return `no lst venue holds the collateral token of ${chain}`
  const stored = await store.cursors.get(chain)
  if (!stored) return 'no samples yet'
  // strategy.maxUnfinalisedBlocks: the plan is made at a block final enough, never above it.
  const lag = BigInt(unfinalisedLagOf(policy, config.chains.find((c) => c.name === chain)?.finalityDepth ?? 0))
  if (stored.blockNumber < lag) return `no sample final enough yet (strategy.maxUnfinalisedBlocks: ${lag} block(s) below the newest)`
  const cursor = { blockNumber: stored.blockNumber - lag }
  const collateral = config.pool.collateral.find((c) => c.chain === chain)!
  const venues = config.venues.filter((v) => v.chain === chain)

  // Moves of completed or running plans: cooldowns and the period's move budget. A plan that ended
  // part-way (stopped by re-validation, expired between steps, failed) counts its confirmed steps.
  const moving: StoredPlan['status'][] = ['completed', 'executing', 'stopped', 'expired', 'failed']
  const recent = [...(await store.plans.list({ status: moving, chain, limit: 50 })), ...(await store.plans.list({ status: moving, chain: null, limit: 50 }))]
  const lastMoved = new Map<string, bigint>()
  let movedThisPeriod = 0n
  let budgetFreesAtBlock: bigint | undefined
  for (const p of recent) {
    const at = p.basedOnBlock[chain] ?? 0n
    const sides = { withdraw: 0n, deposit: 0n }
    const partial = p.status !== 'completed' && p.status !== 'executing'
    for (const s of await store.plans.steps(p.id)) {
      if (partial && s.status !== 'confirmed') continue
      if (s.chain !== chain || s.venueId === idle || (s.kind !== 'withdraw' && s.kind !== 'deposit')) continue
      if ((lastMoved.get(s.venueId) ?? -1n) < at) lastMoved.set(s.venueId, at)
      sides[s.kind] += s.amount
    }
    // What left positions, idle included: the larger side of the plan.
    const period = BigInt(periodBlocksOf(policy, chain))
    if (cursor.blockNumber - at < period) {
      const m = sides.withdraw > sides.deposit ? sides.withdraw : sides.deposit
      movedThisPeriod += m
      // The budget starts to free when the period's earliest counted move leaves it.
      if (m > 0n && (budgetFreesAtBlock === undefined || at + period < budgetFreesAtBlock)) budgetFreesAtBlock = at + period
    }
  }

  const window = { seconds: apyWindowSecondsOf(config, chain) }
  const scores: VenueScore[] = []
  const allocVenues: AllocationVenue[] = []
  const read = async (id: string) => ({
    samples: await store.history.span(id, scoreWindowSecondsOf(policy, chain), { beforeBlock: cursor.blockNumber + 1n }),
    position: (await store.history.positionAtBlock(id, lag > 0n ? cursor.blockNumber : undefined))?.amount ?? 0n,
  })
  const score = (v: (typeof venues)[number], r: Awaited<ReturnType<typeof read>>, assetApy?: number) =>
    scoreVenue({ venue: { id: v.id, chain, kind: v.kind, protocol: v.protocol, risk: v.risk }, samples: r.samples, position: r.position, now: r.samples[0]?.blockTime ?? 0, assetApy, window }, policy)
  // Idle first: vaults and lending markets over the collateral earn their APY on top of the
  // collateral's own staking yield, which idle earns alone.
  const idleRead = await read(idle)
  const idleScore = score(venues.find((v) => v.id === idle)!, idleRead)
  // The collateral's latest price in its backing: a transfer out of a depegged chain realises the gap (costs.ts pegLoss).
  const idleLatest = idleRead.samples.reduce<(typeof idleRead.samples)[number] | undefined>((m, x) => (!m || x.blockNumber > m.blockNumber ? x : m), undefined)
  for (const v of venues) {
    // An LST other than the collateral holds another asset (valued in its own units): swaps are
    // not part of rebalancing, so it stays out of the allocation.
    if (v.kind === 'lst' && v.id !== idle) continue
    const r = v.id === idle ? idleRead : await read(v.id)
    const s = v.id === idle ? idleScore : score(v, r, idleScore.grossApy ?? 0)
    scores.push(s)
    const latest = r.samples.reduce<(typeof r.samples)[number] | undefined>((m, x) => (!m || x.blockNumber > m.blockNumber ? x : m), undefined)
    const liq = v.id === idle ? { liquidity: null, perDeposit: 1 } : venueLiquidity(v.kind, latest, r.position)
    allocVenues.push({
      id: v.id,
      chain,
      protocol: v.protocol,
      kind: v.kind,
      current: r.position,
      score: s.score,
      excluded: s.excluded,
      stuck: s.stuck,
      frozen: s.frozen ?? null,
      withdrawable: s.withdrawable,
      atPosition: s.atPosition ?? null,
      liquidity: liq.liquidity,
      liquidityPerDeposit: liq.perDeposit,
      lastMovedBlock: lastMoved.get(v.id) ?? null,
      caps: v.caps,
    })
  }
  return {
    chain: {
      name: chain,
      decimals: collateral.decimals,
      idleVenueId: idle,
      blockNumber: cursor.blockNumber,
      movedThisPeriod,
      sampleBlock: cursor.blockNumber,
      symbol: collateral.symbol,
      peg: idleLatest?.available ? idleLatest.peg : null,
      ...(budgetFreesAtBlock !== undefined ? { budgetFreesAtBlock } : {}),
    },
    venues: allocVenues,
    scores,
  }
}

