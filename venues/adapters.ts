import { parseAbi, type Address } from 'viem'
import type { VenueConfig } from '../config/schema'
import { aaveDataProviderAbi, erc20Abi, erc4626Abi, rEthAbi, wstEthAbi } from './abis'
import { type CallResult, type VenueAdapter, type VenueCall, type VenueReading, RAY, SECONDS_PER_YEAR, WAD } from './types'

type Of<K extends VenueConfig['kind']> = Extract<VenueConfig, { kind: K }>

const empty = (venueId: string, error: string): VenueReading => ({
  venueId,
  available: false,
  error,
  exchangeRate: null,
  publishedApy: null,
  tvl: null,
  utilisation: null,
  withdrawable: null,
  liquidity: null,
  peg: null,
  paused: null,
  position: null,
  positionShares: null,
})

/** Results of required calls, or the first failure's message. */
function required(results: CallResult[], names: string[]): { ok: true; values: unknown[] } | { ok: false; error: string } {
  const values: unknown[] = []
  for (let i = 0; i < names.length; i++) {
    const r = results[i]
    if (!r) return { ok: false, error: `${names[i]}: no result` }
    if (r.status === 'failure') return { ok: false, error: `${names[i]} reverted: ${(r.error as { shortMessage?: string }).shortMessage ?? r.error.message}` }
    values.push(r.result)
  }
  return { ok: true, values }
}

const optional = (r: CallResult | undefined): unknown => (r && r.status === 'success' ? r.result : null)

/** Aave rays are APRs compounded per second: APY = (1 + r/year)^year − 1. */
export function rayAprToApy(rateRay: bigint): number {
  const apr = Number((rateRay * 1_000_000_000n) / RAY) / 1e9
  return Math.pow(1 + apr / SECONDS_PER_YEAR, SECONDS_PER_YEAR) - 1
}

const liquidityAbis = new Map<string, ReturnType<typeof parseAbi>>()
/** `function <name>() view returns (uint256)`, parsed once per name. */
function liquidityAbi(name: string) {
  let abi = liquidityAbis.get(name)
  if (!abi) liquidityAbis.set(name, (abi = parseAbi([`function ${name}() view returns (uint256)`])))
  return abi
}

/** ERC-4626 vault: share price is the exchange rate; APY is derived from its growth. */
export const erc4626Adapter: VenueAdapter<Of<'erc4626'>> = {
  calls(v, pool): VenueCall[] {
    const c = (functionName: string, args?: readonly unknown[]): VenueCall => ({ address: v.address, abi: erc4626Abi, functionName, args })
    const calls = [c('convertToAssets', [WAD]), c('totalAssets'), c('balanceOf', [pool]), c('maxWithdraw', [pool]), c('paused')]
    // The vault's withdrawable liquidity (all holders), where the config names the view that tells it.
    if (v.liquidityFunction) calls.push({ address: v.address, abi: liquidityAbi(v.liquidityFunction), functionName: v.liquidityFunction })
    return calls
  },
  decode(v, results) {
    const r = required(results, ['convertToAssets', 'totalAssets', 'balanceOf', 'maxWithdraw'])
    if (!r.ok) return empty(v.id, r.error)
    const [rate, totalAssets, shares, maxWithdraw] = r.values as [bigint, bigint, bigint, bigint]
    const paused = optional(results[4])
    const liquidity = v.liquidityFunction ? optional(results[5]) : null
    return {
      venueId: v.id,
      available: true,
      error: null,
      exchangeRate: rate,
      publishedApy: null,
      tvl: totalAssets,
      utilisation: null,
      withdrawable: maxWithdraw,
      liquidity: typeof liquidity === 'bigint' ? liquidity : null,
      peg: null,
      paused: typeof paused === 'boolean' ? paused : null,
      position: (shares * rate) / WAD,
      positionShares: shares,
    }
  },
}

/** LST held directly: the exchange rate (stETH per wstETH, ETH per rETH) carries the staking yield. */
export const lstAdapter: VenueAdapter<Of<'lst'>> = {
  calls(v, pool): VenueCall[] {
    const rate: VenueCall =
      v.rateMethod === 'stEthPerToken'
        ? { address: v.rateSource ?? v.address, abi: wstEthAbi, functionName: 'stEthPerToken' }
        : { address: v.rateSource ?? v.address, abi: rEthAbi, functionName: 'getExchangeRate' }
    return [rate, { address: v.address, abi: erc20Abi, functionName: 'totalSupply' }, { address: v.address, abi: erc20Abi, functionName: 'balanceOf', args: [pool] }]
  },
  decode(v, results) {
    const r = required(results, [v.rateMethod, 'totalSupply', 'balanceOf'])
    if (!r.ok) return empty(v.id, r.error)
    const [rate, supply, balance] = r.values as [bigint, bigint, bigint]
    return {
      venueId: v.id,
      available: true,
      error: null,
      exchangeRate: rate,
      publishedApy: null,
      tvl: (supply * rate) / WAD,
      utilisation: null,
      // Tokens in hand: all of the position can move at once.
      withdrawable: balance,
      liquidity: null,
      peg: null,
      paused: null,
      position: balance,
      positionShares: null,
    }
  },
}

/** Aave v3 reserve through the AaveProtocolDataProvider; the aToken balance is the position. */
export const aaveV3Adapter: VenueAdapter<Of<'aave-v3'>> = {
  calls(v, pool): VenueCall[] {
    return [
      { address: v.dataProvider, abi: aaveDataProviderAbi, functionName: 'getReserveData', args: [v.asset] },
      { address: v.aToken, abi: erc20Abi, functionName: 'balanceOf', args: [pool] },
      { address: v.dataProvider, abi: aaveDataProviderAbi, functionName: 'getPaused', args: [v.asset] },
    ]
  },
  decode(v, results) {
    const r = required(results, ['getReserveData', 'aToken.balanceOf'])
    if (!r.ok) return empty(v.id, r.error)
    const [reserve, balance] = r.values as [readonly bigint[], bigint]
    const totalAToken = reserve[2]!
    const debt = reserve[3]! + reserve[4]!
    const available = totalAToken > debt ? totalAToken - debt : 0n
    const paused = optional(results[2])
    return {
      venueId: v.id,
      available: true,
      error: null,
      // liquidityIndex is a ray; keep the 1e18 scale of every other exchange rate.
      exchangeRate: reserve[9]! / 10n ** 9n,
      publishedApy: rayAprToApy(reserve[5]!),
      tvl: totalAToken,
      utilisation: totalAToken > 0n ? Number((debt * 1_000_000n) / totalAToken) / 1e6 : 0,
      withdrawable: available < balance ? available : balance,
      // The reserve's aTokens not lent out: what all suppliers together could withdraw.
      liquidity: available,
      peg: null,
      paused: typeof paused === 'boolean' ? paused : null,
      position: balance,
      positionShares: null,
    }
  },
}

export function adapterFor(v: VenueConfig): VenueAdapter {
  switch (v.kind) {
    case 'erc4626':
      return erc4626Adapter as VenueAdapter
    case 'lst':
      return lstAdapter as VenueAdapter
    case 'aave-v3':
      return aaveV3Adapter as VenueAdapter
  }
}

export type { Address }
