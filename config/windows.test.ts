import { describe, expect, it } from 'vitest'
import { ConfigError } from '../core/errors'
import { parseConfig } from './load'
import { apyBaselineSecondsOf, apyWindowSecondsOf } from './schema'
import { scoreWindowSecondsOf } from '../strategies/policy'

const WSTETH = '0x7f39C581F595B53c5cb19bD0b3f8dA6c935E2Ca0'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function base(over: Record<string, any> = {}): Record<string, any> {
  return {
    chains: [
      { name: 'ethereum', chainId: 1, rpc: [{ url: 'https://eth.example' }] },
      { name: 'arbitrum', chainId: 42161, rpc: [{ url: 'https://arb.example' }], blockTimeMs: 250, apyWindowSeconds: 43_200 },
    ],
    pool: { account: '0x00000000000000000000000000000000DeaDBeef', collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: WSTETH }] },
    ...over,
  }
}

function problems(input: unknown): string[] {
  try {
    parseConfig(input)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as Error).message.split('\n').filter((l) => l.trim().length > 0)
  }
  throw new Error('expected a config error')
}

describe('APY windows in seconds, per chain', () => {
  it('defaults: a day, no APY from under an hour, back-fill on, 10,000 % the plausible maximum', () => {
    const c = parseConfig(base())
    expect(c.watch).toMatchObject({ apyWindowSeconds: 86_400, minApySpanSeconds: 3_600, backfillWindow: true, maxPlausibleApy: 100, implausibleAlertAfterSamples: 3 })
  })
  it('a chain may override the window; the others keep watch.apyWindowSeconds', () => {
    const c = parseConfig(base({ watch: { apyWindowSeconds: 7_200 } }))
    expect(apyWindowSecondsOf(c, 'ethereum')).toBe(7_200)
    expect(apyWindowSecondsOf(c, 'arbitrum')).toBe(43_200)
  })
  it('refuses the old block-count window, telling how to migrate', () => {
    const lines = problems(base({ watch: { apyWindowBlocks: 7200 } }))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('watch.apyWindowBlocks')
    expect(lines[0]).toContain('replaced by watch.apyWindowSeconds')
    expect(lines[0]).toContain('"apyWindowSeconds": 86400')
  })
  it('refuses a minimum span longer than a window (no APY could ever be derived)', () => {
    const lines = problems(base({ watch: { apyWindowSeconds: 600, minApySpanSeconds: 900 } }))
    expect(lines.join('\n')).toMatch(/watch\.minApySpanSeconds.*minApySpanSeconds 900 is longer than apyWindowSeconds 600/)
    const perChain = problems(base({ chains: [{ name: 'ethereum', chainId: 1, rpc: [{ url: 'https://eth.example' }], apyWindowSeconds: 60 }], watch: { minApySpanSeconds: 120 } }))
    expect(perChain.join('\n')).toMatch(/chains\.0\.apyWindowSeconds|chains\[0\]\.apyWindowSeconds/)
    expect(perChain.join('\n')).toContain('apyWindowSeconds 60 is shorter than watch.minApySpanSeconds 120')
  })
})

describe('score window and APY baseline in seconds, per chain', () => {
  it('defaults: a day for the score, an hour for the baseline; per-chain overrides', () => {
    const c = parseConfig(base())
    expect(scoreWindowSecondsOf(c.strategy, 'ethereum')).toBe(86_400)
    expect(apyBaselineSecondsOf(c, 'ethereum')).toBe(3_600)
    const o = parseConfig(
      base({
        chains: [
          { name: 'ethereum', chainId: 1, rpc: [{ url: 'https://eth.example' }] },
          { name: 'arbitrum', chainId: 42161, rpc: [{ url: 'https://arb.example' }], blockTimeMs: 250, apyBaselineSeconds: 1_800 },
        ],
        strategy: { risk: { scoreWindowSeconds: 7_200, scoreWindowSecondsByChain: { arbitrum: 3_600 } } },
        alerts: { apyBaselineSeconds: 900 },
      }),
    )
    expect(scoreWindowSecondsOf(o.strategy, 'ethereum')).toBe(7_200)
    expect(scoreWindowSecondsOf(o.strategy, 'arbitrum')).toBe(3_600)
    expect(apyBaselineSecondsOf(o, 'ethereum')).toBe(900)
    expect(apyBaselineSecondsOf(o, 'arbitrum')).toBe(1_800)
  })
  it('refuses the old sample counts, naming the new key and how to convert', () => {
    const score = problems(base({ strategy: { risk: { apyWindowSamples: 20 } } }))
    expect(score).toHaveLength(1)
    expect(score[0]).toContain('strategy.risk.apyWindowSamples')
    expect(score[0]).toContain('replaced by strategy.risk.scoreWindowSeconds')
    expect(score[0]).toContain('20 samples of 12 s blocks → "scoreWindowSeconds": 240')
    const baseline = problems(base({ alerts: { apyBaselineSamples: 20 } }))
    expect(baseline).toHaveLength(1)
    expect(baseline[0]).toContain('alerts.apyBaselineSamples')
    expect(baseline[0]).toContain('replaced by alerts.apyBaselineSeconds')
    expect(baseline[0]).toContain('"apyBaselineSeconds": 240')
  })
  it('refuses an unknown chain in scoreWindowSecondsByChain and spans past the full-resolution retention', () => {
    expect(problems(base({ strategy: { risk: { scoreWindowSecondsByChain: { arbitrun: 60 } } } })).join('\n')).toContain('unknown chain "arbitrun"')
    expect(problems(base({ history: { fullRetentionDays: 1 }, strategy: { risk: { scoreWindowSeconds: 172_800 } } })).join('\n')).toMatch(/strategy\.risk\.scoreWindowSeconds.*score window of ethereum \(172800 s\) is longer than history\.fullRetentionDays/)
    expect(problems(base({ history: { fullRetentionDays: 1 }, alerts: { apyBaselineSeconds: 172_800 } })).join('\n')).toMatch(/alerts\.apyBaselineSeconds.*APY baseline of ethereum/)
  })
})
