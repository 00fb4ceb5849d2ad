import { describe, expect, it } from 'vitest'
import { ConfigError } from '../core/errors'
import { parseConfig } from './load'

const ACCOUNT = '0x00000000000000000000000000000000DeaDBeef'
const A = (n: number) => `0x${n.toString(16).padStart(40, '0')}`

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function base(): Record<string, any> {
  return {
    chains: [
      { name: 'ethereum', chainId: 1, rpc: [{ url: 'https://eth.example' }] },
      { name: 'arbitrum', chainId: 42161, rpc: [{ url: 'https://arb.example' }] },
    ],
    pool: { account: ACCOUNT, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: A(1) }] },
    wormhole: {
      network: 'Mainnet',
      api: 'https://api.wormholescan.io',
      lstHomeChain: 'ethereum',
      chains: [
        { chain: 'ethereum', wormholeChain: 'Ethereum', wormholeChainId: 2, coreBridge: A(2), tokenBridge: A(3), lst: A(1) },
        { chain: 'arbitrum', wormholeChain: 'Arbitrum', wormholeChainId: 23, coreBridge: A(4), tokenBridge: A(5), lst: A(6), finality: 10 },
      ],
    },
  }
}

function problems(input: unknown): string[] {
  try {
    parseConfig(input)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

describe('config.wormhole', () => {
  it('parses, optional finality per chain; absent section = no cross-chain moves', () => {
    const cfg = parseConfig(base())
    expect(cfg.wormhole?.chains.map((c) => [c.chain, c.wormholeChainId, c.finality])).toEqual([
      ['ethereum', 2, undefined],
      ['arbitrum', 23, 10],
    ])
    const without = base()
    delete without.wormhole
    expect(parseConfig(without).wormhole).toBeUndefined()
  })

  it('names the field: unknown poolwarden chain, home chain not listed, duplicate chain, bad api URL, lower-case SDK chain', () => {
    const c = base()
    c.wormhole.chains[1].chain = 'arbitrun'
    expect(problems(c)).toContain('wormhole.chains[1].chain: unknown chain "arbitrun" (known: ethereum, arbitrum)')

    const h = base()
    h.wormhole.lstHomeChain = 'base'
    expect(problems(h).join('\n')).toContain('wormhole.lstHomeChain: "base" is not in wormhole.chains (known: ethereum, arbitrum)')

    const d = base()
    d.wormhole.chains[1].chain = 'ethereum'
    expect(problems(d).join('\n')).toContain('wormhole.chains[1].chain: duplicate chain "ethereum" in wormhole.chains')

    const u = base()
    u.wormhole.api = 'wormholescan'
    expect(problems(u).join('\n')).toMatch(/^wormhole\.api: /m)

    const s = base()
    s.wormhole.chains[0].wormholeChain = 'ethereum'
    expect(problems(s).join('\n')).toMatch(/^wormhole\.chains\[0\]\.wormholeChain: the Wormhole SDK chain name/m)
  })
})
