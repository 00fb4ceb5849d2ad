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

  it('a slash on a vault (fast-forward only) cuts its share price once, for good: a position there loses principal', () => {
    const slashed = parseScenario({
      name: 'vault-slash',
      seed: 11,
      blocks: 4 * 3_600,
      noise: { aprBps: 0, pegBps: 0, utilisationBps: 0, idleBps: 0 },
      drift: { aprBps: 0, pegBps: 0, utilisationBps: 0, idleBps: 0, periodBlocks: 3_600 },
      shocks: [{ kind: 'slash', venue: 'arbitrum-vault-boost', start: 7_200, duration: 3_600, lossBps: 50 }],
      backtest: { stepBlocks: 3_600, positions: { 'arbitrum-vault-boost': 100 } },
    })
    const calm = { ...slashed, shocks: [] }
    const rate = (r: ReturnType<typeof fastForwardBacktest>, k: number) => Number(r.input.steps[k]!.find((s) => s.venueId === 'arbitrum-vault-boost')!.exchangeRate) / 1e18
    const a = fastForwardBacktest(slashed)
    const b = fastForwardBacktest(calm)
    // Before the slash both markets agree; from its step on the share price is 0.5 % lower, and stays so.
    expect(rate(a, 1)).toBe(rate(b, 1))
    for (const k of [2, 3, 4]) expect(rate(a, k) / rate(b, k)).toBeCloseTo(0.995, 9)
    // Holding 100 in the vault loses 0.5 % of it against the calm market (50 bps of the whole pool here).
    expect(b.result.hold.yieldBps - a.result.hold.yieldBps).toBeCloseTo(50 * (b.result.hold.finalValue / 100), 1)
  })
})
