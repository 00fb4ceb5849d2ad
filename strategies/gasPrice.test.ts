import { describe, expect, it } from 'vitest'
import { bridgeCost, stepCost } from './costs'
import { newestBlockOf, stepGasCost, withGasCosts, type FeeHistoryReading } from './gasPrice'
import { gasPerStepOf, strategyPolicySchema } from './policy'

const GWEI = 1_000_000_000n
const NOW = 1_800_000_000_000

/** A reading of `base.length - 1` blocks from block 100, read at NOW. */
const reading = (base: bigint[], reward?: bigint[][]): FeeHistoryReading => ({ oldestBlock: 100n, baseFeePerGas: base, ...(reward ? { reward } : {}), readAtMs: NOW })
const at = { headBlock: 104n, nowMs: NOW }

describe('a step’s gas cost from the fee history', () => {
  it('prices the step at the next block’s base fee + the median tip, in collateral units', () => {
    const policy = strategyPolicySchema.parse({ costs: { gas: { source: 'fee-history', nativePerCollateral: 1.2 } } })
    // Base fees of blocks 100..104 and the next block's (10 gwei); tips 3, 1, 2, 9, 2 gwei → median 2.
    const r = stepGasCost(policy, 'ethereum', reading([8n * GWEI, 9n * GWEI, 12n * GWEI, 11n * GWEI, 10n * GWEI, 10n * GWEI], [[3n * GWEI], [1n * GWEI], [2n * GWEI], [9n * GWEI], [2n * GWEI]]), at)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    // 275 000 gas × 12 gwei = 0.0033 ETH = 0.00275 wstETH at 1.2 ETH per wstETH.
    expect(r.perStep).toBeCloseTo(0.00275, 12)
    expect(r).toMatchObject({ baseFeeWei: 10n * GWEI, priorityFeeWei: 2n * GWEI, priorityFrom: 'fee-history', newestBlock: 104n })
  })

  it('an L2: its own gas per step, the fallback tip when the node gives no rewards, plus the L1 data fee', () => {
    const policy = strategyPolicySchema.parse({
      costs: { gas: { source: 'fee-history', gasPerStepByChain: { base: 128_000 }, fallbackPriorityFeeGwei: 0.01, extraPerStepByChain: { base: 0.00001 } } },
    })
    const r = stepGasCost(policy, 'base', reading([5_000_000n, 5_000_000n]), { headBlock: 100n, nowMs: NOW })
    expect(r.ok).toBe(true)
    if (!r.ok) return
    // 128 000 gas × (0.005 + 0.01) gwei = 1 920 gwei = 0.00000192 ETH, + 0.00001.
    expect(r.perStep).toBeCloseTo(0.00001192, 14)
    expect(r.priorityFrom).toBe('fallback')
    // Even count of tips: the mean of the middle two (1 and 3 gwei → 2 gwei).
    const even = stepGasCost(policy, 'base', reading([GWEI, GWEI, GWEI], [[3n * GWEI], [1n * GWEI]]), { headBlock: 101n, nowMs: NOW })
    expect(even.ok && even.priorityFeeWei).toBe(2n * GWEI)
  })

  it('refuses a missing, empty, old or lagging reading with the reason (no plan on an unknown cost)', () => {
    const policy = strategyPolicySchema.parse({ costs: { gas: { source: 'fee-history', maxAgeSeconds: 300, maxLagBlocks: 20 } } })
    const ok = reading([GWEI, GWEI, GWEI, GWEI, GWEI, GWEI])
    expect(stepGasCost(policy, 'ethereum', null, at)).toEqual({ ok: false, chain: 'ethereum', reason: 'no fee history for ethereum: the gas cost of a step is unknown' })
    expect(stepGasCost(policy, 'ethereum', undefined, at).ok).toBe(false)
    expect(stepGasCost(policy, 'ethereum', reading([]), at).ok).toBe(false)
    const old = stepGasCost(policy, 'ethereum', { ...ok, readAtMs: NOW - 600_000 }, at)
    expect(old.ok || old.reason).toBe('fee history for ethereum is stale: read 600 s ago (costs.gas.maxAgeSeconds 300)')
    expect(newestBlockOf(ok)).toBe(104n)
    const behind = stepGasCost(policy, 'ethereum', ok, { headBlock: 125n, nowMs: NOW })
    expect(behind.ok || behind.reason).toBe('fee history for ethereum is stale: its newest block 104 is 21 blocks behind 125 (costs.gas.maxLagBlocks 20)')
    // 20 behind is still fresh.
    expect(stepGasCost(policy, 'ethereum', ok, { headBlock: 124n, nowMs: NOW }).ok).toBe(true)
  })

  it('the estimates replace the flat gas per step in the step and bridge costs', () => {
    const policy = strategyPolicySchema.parse({ costs: { gasPerStep: 0.0002, gas: { source: 'fee-history' } } })
    const eth = stepGasCost(policy, 'ethereum', reading([20n * GWEI, 20n * GWEI], [[0n]]), { headBlock: 100n, nowMs: NOW })
    const arb = stepGasCost(policy, 'arbitrum', reading([10_000_000n, 10_000_000n], [[0n]]), { headBlock: 100n, nowMs: NOW })
    if (!eth.ok || !arb.ok) throw new Error('expected estimates')
    const p = withGasCosts(policy, [eth, arb])
    // 275 000 × 20 gwei = 0.0055; 275 000 × 0.01 gwei = 0.00000275.
    expect(gasPerStepOf(p, 'ethereum')).toBeCloseTo(0.0055, 12)
    expect(gasPerStepOf(p, 'arbitrum')).toBeCloseTo(0.00000275, 14)
    expect(gasPerStepOf(p, 'base')).toBe(0.0002) // not estimated: the flat value
    expect(stepCost(p, { chain: 'ethereum', kind: 'erc4626', direction: 'deposit', amount: 10, bestScore: 0.03 }).gas).toBeCloseTo(0.0055, 12)
    // Bridge ethereum → arbitrum: 2 source txs + 1 destination tx.
    expect(bridgeCost(p, { from: 'ethereum', to: 'arbitrum', amount: 0, bestScoreTo: 0 }).gas).toBeCloseTo(0.01100275, 12)
    expect(policy.costs.gasPerStepByChain).toEqual({}) // the configured policy is untouched
  })

  it('config: defaults keep today’s flat cost; bad values name the field', () => {
    const d = strategyPolicySchema.parse({})
    expect(d.costs.gas.source).toBe('flat')
    expect(d.costs.gas.gasPerStep).toBe(275_000)
    const r = strategyPolicySchema.safeParse({ costs: { gas: { source: 'oracle', priorityPercentile: 101 } } })
    expect(r.success).toBe(false)
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['costs.gas.source', 'costs.gas.priorityPercentile'])
  })
})
