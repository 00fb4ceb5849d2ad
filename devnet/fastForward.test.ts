import { describe, expect, it } from 'vitest'
import { fastForwardBacktest } from './fastForward'
import { parseScenario } from './market'

describe('fastForwardBacktest', () => {
  const scenario = parseScenario({
    name: 'two-days',
    seed: 11,
    blocks: 2 * 86_400,
    shocks: [{ kind: 'pause', venue: 'arbitrum-vault-boost', start: 86_400, duration: 7_200 }],
    backtest: { stepBlocks: 3_600, positions: { 'ethereum-wsteth': 100, 'base-vault-core': 50 }, tvl: { 'base-vault-core': 500 } },
  })
  const run = fastForwardBacktest(scenario)

  it('drives the collateral venues of the three chains (rETH left out) with bridge routes between them', () => {
    const ids = run.input.venues.map((v) => v.id)
    expect(ids).toHaveLength(12)
    expect(ids.some((id) => id.endsWith('-reth'))).toBe(false)
    expect(run.input.chains.map((c) => c.idleVenueId)).toEqual(['ethereum-wsteth', 'arbitrum-wsteth', 'base-wsteth'])
    expect(run.input.routes).toHaveLength(6)
    // Vaults and markets earn on top of their chain's collateral LST.
    expect(run.input.venues.find((v) => v.id === 'base-vault-core')!.assetVenueId).toBe('base-wsteth')
    expect(run.input.venues.find((v) => v.id === 'base-wsteth')!.assetVenueId).toBeUndefined()
  })

  it('samples hourly over the scenario, starts from its positions and reports the four contenders', () => {
    expect(run.input.steps).toHaveLength(49)
    expect(run.input.steps[24]!.find((s) => s.venueId === 'arbitrum-vault-boost')!.paused).toBe(true)
    expect(run.input.initial['ethereum-wsteth']).toBe(100n * 10n ** 18n)
    expect(run.input.initial['ethereum-aave']).toBe(0n)
    const r = run.result
    expect(r.initialValue).toBeCloseTo(150, 9)
    expect(r.days).toBe(2)
    expect(r.legs.map((l) => l.name)).toEqual(['hold', 'chaser', 'poolwarden', 'oracle'])
    // Two days are shorter than the 30-day cost horizon.
    expect(r.warnings[0]).toContain('costs dominate short horizons')
  })
})
