import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { configSchema } from '../config/schema'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { createLogger } from '../core/logger'
import type { FeeHistoryReading } from '../strategies/gasPrice'
import { computePlan, holdOf, proposePlan } from './proposePlan'

/**
 * The dry run's hold reason against a real SQLite store: with 360 wstETH idle at 3 % beside a
 * 7.6 % vault and the period's move budget spent by a completed plan, `computePlan` says the move
 * budget holds the pool (and when it frees) — not "the best allocation worth its costs".
 */

const WST = '0x00000000000000000000000000000000000000a1'
const VAULT = '0x00000000000000000000000000000000000000c3'
const E = 10n ** 18n
const config = configSchema.parse({
  chains: [{ name: 'ethereum', chainId: 1, rpc: [{ url: 'http://127.0.0.1:1' }] }],
  pool: { account: WST, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: WST }] },
  venues: [
    { id: 'ethereum-wsteth', chain: 'ethereum', kind: 'lst', protocol: 'lido', address: WST, rateMethod: 'stEthPerToken' },
    { id: 'ethereum-vault', chain: 'ethereum', kind: 'erc4626', protocol: 'x', address: VAULT },
  ],
  // A one-hour APY window, which every sample's APY covers (apySpanSeconds): no venue is frozen.
  watch: { apyWindowSeconds: 3_600, minApySpanSeconds: 600 },
  strategy: { allocation: { cooldownBlocks: 0, maxMovePerPeriodBps: 2_500, periodBlocks: 7_200 } },
})

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  for (let b = 41n; b <= 50n; b++) {
    const base = { chain: 'ethereum', blockNumber: b, blockHash: `0x${b.toString(16).padStart(2, '0')}` as const, blockTime: 1_800_000_000 + Number(b) * 12, available: true }
    await store.cursors.commitBlock({
      chain: 'ethereum',
      blockNumber: b,
      blockHash: base.blockHash,
      samples: [
        { ...base, venueId: 'ethereum-wsteth', apy: 0.03, apySpanSeconds: 3_600, exchangeRate: E, withdrawable: 360n * E },
        { ...base, venueId: 'ethereum-vault', apy: 0.076, apySpanSeconds: 3_600, exchangeRate: E, tvl: 10_000n * E, withdrawable: 640n * E },
      ],
      positions: [
        { chain: 'ethereum', venueId: 'ethereum-wsteth', blockNumber: b, amount: 360n * E },
        { chain: 'ethereum', venueId: 'ethereum-vault', blockNumber: b, amount: 640n * E },
      ],
    })
  }
})
afterEach(() => cleanup())

describe('dry run: why the pool holds', () => {
  it('without moves this period it plans a deposit into the 7.6 % vault (the control)', async () => {
    const r = await computePlan({ config, store }, 'ethereum')
    expect(r.status).toBe('computed')
    if (r.status !== 'computed') return
    expect(r.plan.steps.map((s) => [s.kind, s.venueId])).toEqual([['deposit', 'ethereum-vault']])
    expect(r.hold).toBeUndefined()
  })

  it('with the period’s budget spent by a completed plan: the move budget, until the block it frees', async () => {
    await store.plans.create({
      id: 'p-ethereum-40',
      chain: 'ethereum',
      status: 'approved',
      basedOnBlock: { ethereum: 40n },
      totalAmount: 250n * E,
      expectedGain: 0n,
      cost: 0n,
      needsApproval: false,
      approvalsRequired: 0,
      steps: [{ kind: 'deposit', chain: 'ethereum', venueId: 'ethereum-vault', amount: 250n * E }],
    })
    await store.plans.transition('p-ethereum-40', 'approved', 'executing')
    await store.plans.transition('p-ethereum-40', 'executing', 'completed')
    // 7190 blocks to go at the config's 12 s block time: 86 280 s after now.
    const r = await computePlan({ config, store }, 'ethereum', { now: Date.UTC(2026, 11, 2, 0, 0) })
    expect(r.status).toBe('computed')
    if (r.status !== 'computed') return
    expect(r.plan.steps).toEqual([])
    expect(r.hold?.map((h) => h.kind)).toEqual(['move-budget'])
    expect(r.hold![0]!.until).toEqual({ chain: 'ethereum', block: '7240', time: Date.UTC(2026, 11, 2, 0, 0) / 1000 + 86_280 })
    expect(r.hold![0]!.text).toMatch(/^move budget spent: 0\.000 wstETH left this period .* frees at ethereum block 7240 \(≈ 2026-12-02 23:58 UTC\)$/)
    // The same completed plan 10 blocks back, with a period of 5 blocks on this chain (allocation.periodBlocksByChain): it no longer counts.
    const shortPeriod = configSchema.parse({ ...config, strategy: { allocation: { ...config.strategy.allocation, periodBlocksByChain: { ethereum: 5 } } } })
    const freed = await computePlan({ config: shortPeriod, store }, 'ethereum')
    expect(freed.status === 'computed' && freed.plan.steps.map((s) => [s.kind, s.venueId])).toEqual([['deposit', 'ethereum-vault']])
  })

  it('a plan kept while it awaits the committee is the reason the pool waits; an approved one is not', async () => {
    await store.plans.create({
      id: 'p-ethereum-49',
      chain: 'ethereum',
      status: 'awaiting_approval',
      basedOnBlock: { ethereum: 49n },
      totalAmount: 300n * E,
      expectedGain: 0n,
      cost: 0n,
      needsApproval: true,
      approvalsRequired: 2,
      steps: [{ kind: 'deposit', chain: 'ethereum', venueId: 'ethereum-vault', amount: 300n * E }],
    })
    const unchanged = { chain: 'ethereum', status: 'unchanged' as const, planId: 'p-ethereum-49' }
    expect(await holdOf(store, unchanged)).toEqual([{ kind: 'committee', text: 'committee plan p-ethereum-49 pending: 0/2 approvals' }])
    await store.plans.transition('p-ethereum-49', 'awaiting_approval', 'approved')
    expect(await holdOf(store, unchanged)).toEqual([])
    expect(await holdOf(store, { chain: 'ethereum', status: 'skipped', reason: 'a plan is executing' })).toEqual([{ kind: 'skipped', text: 'a plan is executing' }])
  })
})

describe('strategy.maxUnfinalisedBlocks: never planned on data less final than that', () => {
  it('finalityDepth 4 and at most 1 unfinalised block: the plan is made at block 48 of 51 (0 unfinalised: 47), with the positions of that block', async () => {
    // Block 48 (unfinalised) moved 100 wstETH into the vault: a plan made on it would deposit less.
    await store.cursors.commitBlock({
      chain: 'ethereum',
      blockNumber: 51n,
      blockHash: '0x33',
      samples: [],
      positions: [
        { chain: 'ethereum', venueId: 'ethereum-wsteth', blockNumber: 51n, amount: 260n * E },
        { chain: 'ethereum', venueId: 'ethereum-vault', blockNumber: 51n, amount: 740n * E },
      ],
    })
    const at = (maxUnfinalisedBlocks: number | null) =>
      configSchema.parse({ ...config, chains: [{ ...config.chains[0]!, finalityDepth: 4 }], strategy: { ...config.strategy, maxUnfinalisedBlocks } })
    const newest = await computePlan({ config: at(null), store }, 'ethereum')
    const finalish = await computePlan({ config: at(1), store }, 'ethereum')
    const final = await computePlan({ config: at(0), store }, 'ethereum')
    expect(newest.status).toBe('computed')
    expect(finalish.status).toBe('computed')
    expect(final.status).toBe('computed')
    if (newest.status !== 'computed' || finalish.status !== 'computed' || final.status !== 'computed') return
    expect(newest.plan.basedOn.map((b) => b.sampleBlock)).toEqual([51n])
    expect(finalish.plan.basedOn.map((b) => b.sampleBlock)).toEqual([48n])
    expect(final.plan.basedOn.map((b) => b.sampleBlock)).toEqual([47n])
    // The positions of the block planned on: 360 idle at 47 and 48, 260 at 51.
    const idleAt = (r: typeof newest & { status: 'computed' }) => r.allocation.targets.find((t) => t.venueId === 'ethereum-wsteth')!.current
    expect(idleAt(newest)).toBe(260n * E)
    expect(idleAt(finalish)).toBe(360n * E)
    expect(idleAt(final)).toBe(360n * E)
  })
})

describe('gas priced from the fee history (strategy.costs.gas.source "fee-history")', () => {
  const feeConfig = configSchema.parse({ ...config, strategy: { ...config.strategy, costs: { gas: { source: 'fee-history' } } } })
  const NOW = Date.UTC(2026, 11, 2, 0, 0)
  const silentLogger = createLogger({ test: 'computePlan' }, 'silent')
  /** Blocks 46..50 at `gwei` base fee (and the next block's), no tip. */
  const fees = (gwei: bigint): FeeHistoryReading => ({ oldestBlock: 46n, baseFeePerGas: Array.from({ length: 6 }, () => gwei * 1_000_000_000n), reward: Array.from({ length: 5 }, () => [0n]), readAtMs: NOW - 5_000 })

  it('no reading: the pool holds with the reason, and nothing is written', async () => {
    const r = await computePlan({ config: feeConfig, store }, 'ethereum', { now: NOW })
    const text = 'no fee history for ethereum: the gas cost of a step is unknown: no plan until it is read again'
    expect(r).toEqual({ chain: 'ethereum', status: 'hold', reason: text, reasons: [{ kind: 'gas-price', text }] })
    const p = await proposePlan({ config: feeConfig, store, logger: silentLogger }, 'ethereum', { now: NOW, feeHistory: { ethereum: null } })
    expect(p).toMatchObject({ status: 'hold', superseded: [], reason: text })
    expect(await store.plans.list({})).toEqual([])
    // A stale reading (read 10 minutes ago; costs.gas.maxAgeSeconds 300) holds the same way.
    const stale = await computePlan({ config: feeConfig, store }, 'ethereum', { now: NOW, feeHistory: { ethereum: { ...fees(1n), readAtMs: NOW - 600_000 } } })
    expect(stale.status === 'hold' && stale.reasons[0]!.text).toMatch(/^fee history for ethereum is stale: read 600 s ago/)
  })

  it('cheap gas (1 gwei): the deposit into the vault is planned; at 20 000 gwei the step costs more than it earns and the pool holds on costs', async () => {
    const cheap = await computePlan({ config: feeConfig, store }, 'ethereum', { now: NOW, feeHistory: { ethereum: fees(1n) } })
    expect(cheap.status).toBe('computed')
    if (cheap.status !== 'computed') return
    expect(cheap.plan.steps.map((s) => [s.kind, s.venueId])).toEqual([['deposit', 'ethereum-vault']])
    // 275 000 gas × 1 gwei = 0.000275 wstETH per step.
    expect(cheap.gas?.[0]?.perStep).toBeCloseTo(0.000275, 12)
    // 275 000 gas × 20 000 gwei = 5.5 wstETH per step, × 365/30 per year: more than the ~14 wstETH/year the move gains.
    const dear = await computePlan({ config: feeConfig, store }, 'ethereum', { now: NOW, feeHistory: { ethereum: fees(20_000n) } })
    expect(dear.status).toBe('computed')
    if (dear.status !== 'computed') return
    expect(dear.plan.steps).toEqual([])
    expect(dear.hold?.map((h) => h.kind)).toContain('costs')
  })
})
