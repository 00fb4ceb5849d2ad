import { describe, expect, it } from 'vitest'
import { chainShareCapBps, cooldownBlocksOf, defaultStrategyPolicy, gasPerStepOf, maxSampleAgeBlocksOf, periodBlocksOf, protocolShareCapBps, strategyPolicySchema } from './policy'

describe('strategyPolicySchema', () => {
  it('has a default for everything', () => {
    const p = defaultStrategyPolicy()
    expect(p.allocation.minIdleBps).toBe(500)
    expect(p.costs.byKind.lst.slippageBps).toBe(5)
    expect(p.risk.commissionInApy.erc4626).toBe(true)
    expect(p.committee).toEqual({ members: [], required: 1 })
    expect(p.maxSampleAgeBlocks).toBe(10)
  })

  it('a partial section keeps the other defaults', () => {
    const p = strategyPolicySchema.parse({ allocation: { minIdleBps: 300 }, risk: { depeg: { weight: 2 } }, costs: { byKind: { lst: { withdrawalDelayDays: 5 } } } })
    expect(p.allocation.minIdleBps).toBe(300)
    expect(p.allocation.hysteresisBps).toBe(10)
    expect(p.risk.depeg).toEqual({ weight: 2, excludeAboveBps: 500 })
    expect(p.costs.byKind.lst).toEqual({ slippageBps: 5, withdrawalDelayDays: 5 })
  })

  it('per chain / protocol / venue values fall back to the default', () => {
    const p = strategyPolicySchema.parse({
      allocation: { maxChainShareBps: 6_000, maxChainShareBpsByChain: { base: 2_000 }, maxProtocolShareBpsByProtocol: { aave: 4_000 }, cooldownBlocksByVenue: { v: 5 } },
      costs: { gasPerStepByChain: { ethereum: 0.003 } },
      maxSampleAgeBlocksByChain: { arbitrum: 480 },
    })
    const periods = strategyPolicySchema.parse({ allocation: { periodBlocksByChain: { arbitrum: 345_600 } } })
    expect(periodBlocksOf(periods, 'arbitrum')).toBe(345_600)
    expect(periodBlocksOf(periods, 'ethereum')).toBe(7_200)
    expect(maxSampleAgeBlocksOf(p, 'arbitrum')).toBe(480)
    expect(maxSampleAgeBlocksOf(p, 'ethereum')).toBe(10)
    expect(chainShareCapBps(p, 'base')).toBe(2_000)
    expect(chainShareCapBps(p, 'arbitrum')).toBe(6_000)
    expect(protocolShareCapBps(p, 'aave')).toBe(4_000)
    expect(protocolShareCapBps(p, 'lido')).toBe(10_000)
    expect(cooldownBlocksOf(p, 'v')).toBe(5)
    expect(cooldownBlocksOf(p, 'w')).toBe(100)
    expect(gasPerStepOf(p, 'ethereum')).toBe(0.003)
    expect(gasPerStepOf(p, 'base')).toBe(0.0002)
  })

  it('refuses bad values with the field path', () => {
    const r = strategyPolicySchema.safeParse({ allocation: { minIdleBps: 12_000 }, committee: { members: ['ann', 'ann'], required: 3 } })
    expect(r.success).toBe(false)
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    expect(issues).toContainEqual(expect.stringMatching(/^allocation\.minIdleBps: /))
    expect(issues).toContain('committee.members.1: duplicate committee member "ann": list each member once')
    expect(issues).toContain('committee.required: 3 approvals required but only 2 members: lower "required" or add members')
  })
})
