import { describe, expect, it } from 'vitest'
import { ConfigError } from '../core/errors'
import { parseConfig } from './load'
import { apyWindowSecondsOf } from './schema'

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
