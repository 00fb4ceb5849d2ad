import { describe, expect, it } from 'vitest'
import { configSchema } from '../config/schema'
import { holdsCollateral, poolUnit, unitOf, valueInCollateral } from './units'

const WST = '0x00000000000000000000000000000000000000a1'
const RETH = '0x00000000000000000000000000000000000000b2'
const VAULT = '0x00000000000000000000000000000000000000c3'
const E = 10n ** 18n

const unitsConfig = (chains = ['ethereum']) =>
  configSchema.parse({
    chains: chains.map((name, i) => ({ name, chainId: 1 + i, rpc: [{ url: 'http://127.0.0.1:1' }] })),
    pool: { account: WST, collateral: chains.map((chain, i) => ({ chain, symbol: 'wstETH', token: WST, decimals: i === 1 ? 8 : 18 })) },
    venues: chains.flatMap((chain) => [
      { id: `${chain}-wsteth`, chain, kind: 'lst', protocol: 'lido', address: WST, rateMethod: 'stEthPerToken' },
      { id: `${chain}-reth`, chain, kind: 'lst', protocol: 'rocketpool', address: RETH, rateMethod: 'getExchangeRate' },
      { id: `${chain}-vault`, chain, kind: 'erc4626', protocol: 'x', address: VAULT },
    ]),
  })

describe('one unit of account', () => {
  const config = unitsConfig()
  const v = (id: string) => config.venues.find((x) => x.id === id)!
  const rates = new Map<string, { available: boolean; exchangeRate: bigint | null }>([
    ['ethereum-wsteth', { available: true, exchangeRate: 1_209_300_000_000_000_000n }], // stETH per wstETH
    ['ethereum-reth', { available: true, exchangeRate: 1_138_200_000_000_000_000n }], // ETH per rETH
  ])

  it('rETH is valued in wstETH through both exchange rates: 60 rETH × 1.1382 / 1.2093 = 56.4723… wstETH', () => {
    const r = valueInCollateral(config, v('ethereum-reth'), 60n * E, rates)
    expect(r.value).toBe(56_472_339_369_883_403_621n)
    expect(r.other).toEqual({ amount: 60n * E, rate: 1_138_200_000_000_000_000n, collateralRate: 1_209_300_000_000_000_000n })
  })

  it('the collateral and vaults over it are counted as they are', () => {
    expect(holdsCollateral(config, v('ethereum-wsteth'))).toBe(true)
    expect(holdsCollateral(config, v('ethereum-vault'))).toBe(true)
    expect(holdsCollateral(config, v('ethereum-reth'))).toBe(false)
    expect(valueInCollateral(config, v('ethereum-vault'), 7n, new Map()).value).toBe(7n)
  })

  it('without a rate the value is unknown, never counted as collateral', () => {
    expect(valueInCollateral(config, v('ethereum-reth'), 60n * E, new Map([['ethereum-reth', rates.get('ethereum-reth')!]])).value).toBeNull()
    expect(valueInCollateral(config, v('ethereum-reth'), 60n * E, new Map([...rates, ['ethereum-reth', { available: false, exchangeRate: null }]])).value).toBeNull()
  })

  it('a cross-chain amount is in the collateral symbol at the finest decimals, never "units"', () => {
    const two = unitsConfig(['ethereum', 'base'])
    expect(poolUnit(two)).toEqual({ symbol: 'wstETH', decimals: 18 })
    expect(unitOf(two, null)).toEqual({ symbol: 'wstETH', decimals: 18 })
    expect(unitOf(two, 'base')).toEqual({ symbol: 'wstETH', decimals: 8 })
  })
})
