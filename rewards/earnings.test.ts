import { describe, expect, it } from 'vitest'
import { epochEarnings, implausibleGain, type EarningsInput } from './earnings'

const base: EarningsInput = { valueStart: 1_000_000n, valueEnd: 1_000_000n, deposits: 0n, withdrawals: 0n, rewardsFunded: 0n, costs: 0n, commissionBps: 1000, carriedLoss: 0n, carriedRemainder: 0n }

describe('epoch earnings', () => {
  it('a gain of 10 000 at 10 % commission: 1 000 to the fee recipient, 9 000 to the delegators, 10 000 funded', () => {
    const e = epochEarnings({ ...base, valueEnd: 1_010_000n })
    expect(e).toMatchObject({ gain: 10_000n, losing: false, commission: 1_000n, distributable: 9_000n, funding: 10_000n, carriedLoss: 0n })
  })

  it('principal flows are not earnings: a deposit of 50 000 with a 2 000 gain is a 2 000 gain; a withdrawal likewise', () => {
    expect(epochEarnings({ ...base, valueEnd: 1_052_000n, deposits: 50_000n }).gain).toBe(2_000n)
    expect(epochEarnings({ ...base, valueEnd: 952_000n, withdrawals: 50_000n }).gain).toBe(2_000n)
  })

  it('rewards funded to the distributor and costs paid: funding is added back, costs taken off', () => {
    expect(epochEarnings({ ...base, valueEnd: 995_000n, rewardsFunded: 8_000n, costs: 1_000n }).gain).toBe(2_000n)
  })

  it('a losing epoch distributes nothing and carries the loss; the next gain first refills it (high-water mark)', () => {
    const lose = epochEarnings({ ...base, valueEnd: 990_000n, carriedRemainder: 3n })
    expect(lose).toMatchObject({ losing: true, commission: 0n, distributable: 0n, funding: 0n, carriedLoss: 10_000n })
    const partly = epochEarnings({ ...base, valueStart: 990_000n, valueEnd: 996_000n, carriedLoss: lose.carriedLoss })
    expect(partly).toMatchObject({ losing: true, distributable: 0n, carriedLoss: 4_000n })
    const above = epochEarnings({ ...base, valueStart: 996_000n, valueEnd: 1_006_000n, carriedLoss: partly.carriedLoss, carriedRemainder: 3n })
    expect(above).toMatchObject({ losing: false, net: 6_000n, commission: 600n, distributable: 5_403n, funding: 6_000n, carriedLoss: 0n })
  })

  it('commission rounds down; bad inputs name the field', () => {
    expect(epochEarnings({ ...base, valueEnd: 1_000_019n, commissionBps: 500 }).commission).toBe(0n)
    expect(() => epochEarnings({ ...base, commissionBps: 10_001 })).toThrow(/commissionBps/)
    expect(() => epochEarnings({ ...base, costs: -1n })).toThrow(/costs/)
  })
})

describe('implausibleGain', () => {
  const W = 10n ** 18n
  it('passes a realistic epoch and refuses one no staking pool earns', () => {
    // 2,000 wstETH, a 180 s epoch: 0.000194 wstETH gained is 1.7 %/yr (the live calm devnet).
    expect(implausibleGain(194_000_000_000_000n, 2_000n * W, 180, 1)).toBeNull()
    // The live misread: 200.5 wstETH in 180 s on 2,000 = 10.025 % per epoch × 175,200 epochs a year = 1,756,380 %/yr.
    expect(implausibleGain(200_500_000_000_000_000_000n, 2_000n * W, 180, 1)).toMatch(/^the epoch's gain annualises to 1,756,380 % of the pool's value, above rewards.maxEpochApy 100 %/)
    // The bound itself: exactly 100 %/yr over a 365-day epoch passes, one wei more does not.
    expect(implausibleGain(2_000n * W, 2_000n * W, 365 * 24 * 3600, 1)).toBeNull()
    expect(implausibleGain(2_000n * W + 1n, 2_000n * W, 365 * 24 * 3600, 1)).not.toBeNull()
    // A losing or empty epoch is not this check's business.
    expect(implausibleGain(-5n, 2_000n * W, 180, 1)).toBeNull()
  })
})
