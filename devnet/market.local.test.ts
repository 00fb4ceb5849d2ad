import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { alerts } from '../config/schema'
import { devnetVenueModels } from './deploy'
import {
  bpsToRay,
  bpsToWad,
  checkScenario,
  marketSamples,
  marketAt,
  mulberry32,
  parseScenario,
  scenarioLength,
  shockWindows,
  slashBpsBetween,
  venueParamsAt,
  type Scenario,
  type VenueModel,
  type VenueParams,
} from './market'
import { SCENARIO_DIR } from './scenario'

const read = (name: string): Scenario => parseScenario(JSON.parse(readFileSync(path.join(SCENARIO_DIR, `${name}.json`), 'utf8')))
const calm = read('calm')
const stress = read('stress')
const venues = devnetVenueModels()
const byId = new Map(venues.map((v) => [v.id, v]))
const thresholds = alerts.parse({})

const venue = (id: string): VenueModel => {
  const v = byId.get(id)
  if (!v) throw new Error(`no venue ${id}`)
  return v
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const withoutShocks = (s: Scenario): Scenario => ({ ...s, shocks: [] })

describe('market model', () => {
  it('is deterministic from the seed and random-access', () => {
    const forward = Array.from({ length: 200 }, (_, i) => marketAt(calm, venues, i))
    const backward = Array.from({ length: 200 }, (_, k) => marketAt(calm, venues, 199 - k)).reverse()
    expect(backward).toEqual(forward)
    expect(marketAt(read('calm'), venues, 123)).toEqual(forward[123])
  })

  it('differs with another seed', () => {
    const other = { ...calm, seed: 'another seed' }
    const a = marketAt(calm, venues, 50).map((p) => p.aprBps)
    const b = marketAt(other, venues, 50).map((p) => p.aprBps)
    expect(a).not.toEqual(b)
  })

  it('mulberry32 is a seeded stream', () => {
    const a = mulberry32(7)
    const b = mulberry32(7)
    const xs = Array.from({ length: 5 }, () => a())
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs)
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true)
    expect(mulberry32(8)()).not.toBe(xs[0])
  })

  it('calm: drift and noise stay within their amplitudes and far under the alert thresholds', () => {
    const N = 1_200
    const maxApr = calm.drift.aprBps + calm.noise.aprBps
    const maxPeg = calm.drift.pegBps + calm.noise.pegBps
    for (const v of venues) {
      const series: VenueParams[] = Array.from({ length: N }, (_, i) => venueParamsAt(calm, v, i))
      const aprs = series.map((p) => p.aprBps)
      // Bounded around the base…
      for (const a of aprs) expect(Math.abs(a - v.base.aprBps)).toBeLessThanOrEqual(maxApr + 1e-9)
      // …and never far below the trailing median of 20 samples (the watcher's APY baseline).
      let worstDrop = 0
      for (let i = 20; i < N; i++) worstDrop = Math.max(worstDrop, median(aprs.slice(i - 20, i)) - aprs[i]!)
      expect(worstDrop).toBeLessThan(thresholds.apyDropBps / 4)
      // It does move: drift and noise are there.
      expect(Math.max(...aprs) - Math.min(...aprs)).toBeGreaterThan(calm.noise.aprBps)
      for (const p of series) {
        expect(p.shocks).toEqual([])
        if (p.kind === 'lst') {
          expect(Math.abs(p.priceBps - 10_000)).toBeLessThanOrEqual(maxPeg + 1e-9)
          expect(10_000 - p.priceBps).toBeLessThan(thresholds.depegBps / 4)
          expect(p.slashBps).toBe(0)
        }
        if (p.kind === 'erc4626' && v.kind === 'erc4626') {
          expect(p.paused).toBe(false)
          expect(Math.abs(p.idleBps - v.base.idleBps)).toBeLessThanOrEqual(calm.drift.idleBps + calm.noise.idleBps + 1e-9)
        }
        if (p.kind === 'aave-v3' && v.kind === 'aave-v3') {
          expect(p.paused).toBe(false)
          expect(Math.abs(p.utilisationBps - v.base.utilisationBps)).toBeLessThanOrEqual(calm.drift.utilisationBps + calm.noise.utilisationBps + 1e-9)
        }
      }
    }
  })

  it('shocks act exactly inside their window and the parameter recovers after it', () => {
    const base = withoutShocks(stress)
    for (const w of shockWindows(stress)) {
      const v = venue(w.venue)
      const at = (i: number) => venueParamsAt(stress, v, i)
      const calmAt = (i: number) => venueParamsAt(base, v, i)
      // Before and after the window: identical to the unshocked market (recovery is complete).
      for (const i of [w.start - 5, w.start - 1, w.end, w.end + 1, w.end + 20]) {
        expect(at(i), `${w.kind}@${w.venue} index ${i}`).toEqual(calmAt(i))
      }
      for (let i = w.start; i < w.end; i++) {
        const p = at(i)
        const q = calmAt(i)
        expect(p.shocks).toEqual([w.kind])
        const sh = w.shock
        switch (sh.kind) {
          case 'depeg':
            expect(p.kind === 'lst' && q.kind === 'lst' && q.priceBps - p.priceBps).toBeCloseTo(sh.dropBps, 9)
            break
          case 'pause':
            expect(p.kind !== 'lst' && p.paused).toBe(true)
            break
          case 'apyCollapse':
            expect(p.aprBps).toBe(sh.aprBps)
            break
          case 'utilisationSpike':
            if (p.kind === 'aave-v3') expect(p.utilisationBps).toBe(sh.utilisationBps)
            else if (p.kind === 'erc4626') expect(p.idleBps).toBe(sh.idleBps)
            else throw new Error('utilisationSpike on an lst')
            break
          case 'slash':
            // The cut happens once, at the start; the APR is untouched.
            expect(p.kind === 'lst' && p.slashBps).toBe(i === w.start ? sh.lossBps : 0)
            expect(p.aprBps).toBe(q.aprBps)
            break
        }
      }
    }
  })

  it('slashes over a skipped range are applied once', () => {
    const slash = stress.shocks.find((s) => s.kind === 'slash')!
    expect(slashBpsBetween(stress, slash.venue, 0, slash.start - 1)).toBe(0)
    expect(slashBpsBetween(stress, slash.venue, slash.start, slash.start)).toBeCloseTo(50, 9)
    expect(slashBpsBetween(stress, slash.venue, 0, 10_000)).toBeCloseTo(50, 9)
    expect(slashBpsBetween(stress, slash.venue, slash.start + 1, 10_000)).toBe(0)
    const twice = parseScenario({ ...stress, shocks: [slash, { ...slash, start: slash.start + 100 }] })
    // Two 0.5 % cuts compound: 1 − 0.995².
    expect(slashBpsBetween(twice, slash.venue, 0, 10_000)).toBeCloseTo((1 - 0.995 ** 2) * 10_000, 9)
  })

  it('stress.json: every shock kind once or more, on a fitting venue, separated and sized to alert', () => {
    expect(checkScenario(stress, venues)).toEqual([])
    expect(checkScenario(calm, venues)).toEqual([])
    const ws = shockWindows(stress)
    expect(new Set(ws.map((w) => w.kind))).toEqual(new Set(['depeg', 'pause', 'apyCollapse', 'utilisationSpike', 'slash']))
    expect(ws[0]!.start).toBeGreaterThanOrEqual(20)
    expect(ws[0]!.start).toBeLessThanOrEqual(40)
    ws.forEach((w, i) => {
      expect(w.end - w.start).toBeGreaterThanOrEqual(10)
      expect(w.end - w.start).toBeLessThanOrEqual(20)
      if (i > 0) {
        const gap = w.start - ws[i - 1]!.end
        expect(gap, `${w.kind}@${w.venue} starts ${gap} blocks after the previous shock`).toBeGreaterThanOrEqual(20)
      }
      const v = venue(w.venue)
      const sh = w.shock
      if (sh.kind === 'depeg') expect(sh.dropBps).toBeGreaterThan(2 * thresholds.depegBps)
      if (sh.kind === 'apyCollapse') expect(v.base.aprBps - sh.aprBps).toBeGreaterThan(2 * thresholds.apyDropBps)
    })
    expect(scenarioLength(stress)).toBeGreaterThanOrEqual(ws.at(-1)!.end + 20)
  })

  it('checkScenario names unknown venues, wrong kinds and overlaps', () => {
    const bad = parseScenario({
      name: 'bad',
      seed: 1,
      shocks: [
        { kind: 'depeg', venue: 'ethereum-aave', start: 1, duration: 5 },
        { kind: 'pause', venue: 'nowhere', start: 1, duration: 5 },
        { kind: 'pause', venue: 'base-vault-core', start: 10, duration: 5 },
        { kind: 'utilisationSpike', venue: 'base-vault-core', start: 12, duration: 5 },
      ],
      overrides: { 'mars-vault': { aprBps: 1 } },
    })
    const problems = checkScenario(bad, venues)
    expect(problems).toHaveLength(4)
    expect(problems.join('\n')).toMatch(/overrides\.mars-vault: unknown venue/)
    expect(problems.join('\n')).toMatch(/a depeg shock needs a lst venue, "ethereum-aave" is aave-v3/)
    expect(problems.join('\n')).toMatch(/unknown venue "nowhere" \(known: ethereum-wsteth/)
    expect(problems.join('\n')).toMatch(/shocks\[2\] and shocks\[3\] overlap on venue "base-vault-core"/)
  })

  it('parseScenario reports bad fields by path', () => {
    expect(() => parseScenario({ name: 'x', seed: 1, shocks: [{ kind: 'meteor', venue: 'a', start: 0, duration: 1 }] })).toThrow(/shocks\.0\.kind|unknown shock kind/)
    expect(() => parseScenario({ name: 'x', seed: 1, shocks: [{ kind: 'pause', venue: 'a', start: -1, duration: 1 }] })).toThrow(/shocks\.0\.start/)
  })

  it('overrides replace base parameters', () => {
    const s = parseScenario({ name: 'o', seed: 1, noise: { aprBps: 0, pegBps: 0, utilisationBps: 0, idleBps: 0 }, drift: { aprBps: 0, pegBps: 0, utilisationBps: 0, idleBps: 0 }, overrides: { 'ethereum-vault-core': { aprBps: 1234, idleBps: 42 } } })
    expect(venueParamsAt(s, venue('ethereum-vault-core'), 7)).toMatchObject({ aprBps: 1234, idleBps: 42, paused: false })
    expect(venueParamsAt(s, venue('ethereum-wsteth'), 7)).toMatchObject({ aprBps: venue('ethereum-wsteth').base.aprBps, priceBps: 10_000 })
  })

  it('converts bps to wad and ray exactly', () => {
    expect(bpsToWad(10_000)).toBe(10n ** 18n)
    expect(bpsToWad(300)).toBe(3n * 10n ** 16n)
    expect(bpsToWad(0.5)).toBe(5n * 10n ** 13n)
    expect(bpsToRay(250)).toBe(25n * 10n ** 24n)
  })
})

describe('backtest-90d.json and the fast-forward samples', () => {
  const bt = read('backtest-90d')

  it('validates: at least 90 days, hourly, every regime on a known venue, positions and TVL of known venues', () => {
    expect(checkScenario(bt, venues, { fastForward: true })).toEqual([])
    // Its three vault slashes (strategy losses of the boost vaults) exist in fast-forward only: the live check names each.
    expect(checkScenario(bt, venues)).toEqual(
      ['ethereum-vault-boost', 'base-vault-boost', 'arbitrum-vault-boost'].map((v) => expect.stringMatching(new RegExp(`a slash shock needs a lst venue, "${v}" is erc4626 \\(.*fast-forward backtest only`))),
    )
    const cfg = bt.backtest!
    expect(cfg).toBeDefined()
    expect(scenarioLength(bt) * cfg.blockSeconds).toBeGreaterThanOrEqual(90 * 86_400)
    expect(cfg.stepBlocks * cfg.blockSeconds).toBe(3_600)
    expect(Math.floor(scenarioLength(bt) / cfg.stepBlocks)).toBe(2_160)
    const kinds = new Set(shockWindows(bt).map((w) => w.kind))
    for (const k of ['depeg', 'pause', 'apyDecay', 'utilisationSpike', 'slash'] as const) expect(kinds.has(k), k).toBe(true)
    // Calm before the first regime and between them, every shock over before the end.
    const ws = shockWindows(bt)
    expect(ws[0]!.start * cfg.blockSeconds).toBeGreaterThanOrEqual(7 * 86_400)
    for (let i = 1; i < ws.length; i++) expect(ws[i]!.start).toBeGreaterThan(ws[i - 1]!.end)
    expect(ws.at(-1)!.end).toBeLessThan(scenarioLength(bt))
    for (const id of Object.keys(cfg.positions)) expect(byId.has(id), id).toBe(true)
    for (const id of Object.keys(cfg.tvl)) expect(byId.has(id), id).toBe(true)
  })

  it('a backtest section naming an unknown venue is refused by name', () => {
    const s = parseScenario({ name: 'x', seed: 1, backtest: { positions: { 'ethereum-nope': 1 } } })
    expect(checkScenario(s, venues)).toEqual([expect.stringContaining('backtest.positions.ethereum-nope: unknown venue')])
  })

  it('apyDecay slides the APR linearly to its target over the window, then the APR recovers', () => {
    const s = parseScenario({ name: 'decay', seed: 7, shocks: [{ kind: 'apyDecay', venue: 'base-vault-boost', start: 100, duration: 10, aprBps: 100 }] })
    const calmOf = withoutShocks(s)
    const v = venue('base-vault-boost')
    const modelled = (i: number) => venueParamsAt(calmOf, v, i).aprBps
    // Index 100 is the first of 10: 1/10 of the way; index 109 is the target.
    expect(venueParamsAt(s, v, 100).aprBps).toBeCloseTo(modelled(100) + (100 - modelled(100)) * 0.1, 9)
    expect(venueParamsAt(s, v, 104).aprBps).toBeCloseTo(modelled(104) + (100 - modelled(104)) * 0.5, 9)
    expect(venueParamsAt(s, v, 109).aprBps).toBeCloseTo(100, 9)
    expect(venueParamsAt(s, v, 109).shocks).toEqual(['apyDecay'])
    expect(venueParamsAt(s, v, 110)).toEqual(venueParamsAt(calmOf, v, 110))
    expect(venueParamsAt(s, v, 99)).toEqual(venueParamsAt(calmOf, v, 99))
  })

  it('marketSamples: the watcher’s readings from the model — rate APY, pause, peg of the collateral, liquidity of the TVL', () => {
    const s = parseScenario({
      name: 'ff',
      seed: 3,
      noise: { aprBps: 0, pegBps: 0, utilisationBps: 0, idleBps: 0 },
      drift: { aprBps: 0, pegBps: 0, utilisationBps: 0, idleBps: 0 },
      shocks: [
        { kind: 'pause', venue: 'ethereum-vault-core', start: 3_600, duration: 3_600 },
        { kind: 'depeg', venue: 'ethereum-wsteth', start: 7_200, duration: 3_600, dropBps: 250 },
        { kind: 'slash', venue: 'ethereum-wsteth', start: 9_000, duration: 1, lossBps: 100 },
      ],
    })
    const ff = ['ethereum-wsteth', 'ethereum-vault-core', 'ethereum-aave'].map((id) => ({ model: venue(id), chain: 'ethereum', pegVenueId: 'ethereum-wsteth' }))
    const out = marketSamples(s, ff, { steps: 4, stepBlocks: 3_600, blockSeconds: 1, startTime: 1_000, tvl: { 'ethereum-vault-core': 400, 'ethereum-aave': 900 } })
    expect(out).toHaveLength(4)
    const [lst, core, aave] = [0, 1, 2].map((i) => out.map((step) => step[i]!))
    expect(core!.map((x) => x.blockNumber)).toEqual([0n, 3_600n, 7_200n, 10_800n])
    expect(core!.map((x) => x.blockTime)).toEqual([1_000, 4_600, 8_200, 11_800])
    // Base APRs (deploy.ts profile of the first chain): wstETH 3.00 %, core 4.20 %, aave 2.40 %, per-second compounding.
    const apy = (bps: number) => Math.pow(1 + bps / 1e4 / (365 * 86_400), 365 * 86_400) - 1
    expect(core![1]!.apy).toBeCloseTo(apy(420), 9)
    expect(aave![2]!.apy).toBeCloseTo(apy(240), 9)
    expect(Number(core![1]!.exchangeRate!) / 1e18).toBeCloseTo(Math.pow(1 + 0.042 / (365 * 86_400), 3_600), 12)
    // The pause is read at index 3600 only.
    expect(core!.map((x) => x.paused)).toEqual([false, true, false, false])
    // Every venue carries the collateral's peg: 97.5 % during the depeg.
    for (const series of [lst!, core!, aave!]) expect(series.map((x) => x.peg)).toEqual([1, 1, 0.975, 1])
    // The slash at 9000 cuts the interval (7200, 10800] once: its APY is that loss annualised.
    const cut = (Math.pow(1 + 0.03 / (365 * 86_400), 3_600) * 0.99)
    expect(Number(lst![3]!.exchangeRate!) / Number(lst![2]!.exchangeRate!)).toBeCloseTo(cut, 12)
    expect(lst![3]!.apy).toBeLessThan(-0.9)
    // Liquidity: the vault's idle share (35 %) and the market's unborrowed supply (1 − 65 %) of the TVL.
    expect(Number(core![0]!.withdrawable!) / 1e18).toBeCloseTo(400 * 0.35, 9)
    expect(Number(aave![0]!.withdrawable!) / 1e18).toBeCloseTo(900 * 0.35, 9)
    expect(aave![0]!.utilisation).toBeCloseTo(0.65, 12)
    expect(lst![0]!.withdrawable).toBeNull()
    expect(lst![0]!.paused).toBeNull()
  })
})
