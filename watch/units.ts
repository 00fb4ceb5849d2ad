import type { Config, VenueConfig } from '../config/schema'
import type { AmountUnit } from '../core/amount'
import type { Sample } from '../store/types'

/**
 * One unit of account: every amount the pool reports is valued in its collateral LST (e.g.
 * wstETH) at the block's exchange rates. PURE (config and samples in).
 *
 * A venue holding another asset — an LST other than the chain's collateral, e.g. rETH — is valued
 * through both exchange rates read by the watcher at the same block:
 *
 *   value (collateral) = amount × rate(asset) / rate(collateral)
 *   rate(rETH) = ETH per rETH (getExchangeRate); rate(wstETH) = stETH per wstETH (stEthPerToken)
 *
 * (stETH and ETH counted 1:1: the peg is its own risk and alert). Without both rates the value is
 * unknown (null): never counted as if it were collateral.
 */

/** The collateral of a chain as a display unit; a pool-wide unit for `null` (cross-chain amounts). */
export function unitOf(config: Config, chain: string | null): AmountUnit {
  if (chain !== null) {
    const c = config.pool.collateral.find((x) => x.chain === chain)
    if (c) return { decimals: c.decimals, symbol: c.symbol }
  }
  return poolUnit(config)
}

/**
 * The pool's unit across chains: the collateral symbol (the same LST on every chain, bridged where
 * it is not native), in the finest decimals of the chains (amounts in common decimals, as the
 * allocator sums them). Collaterals of different symbols are joined ("wstETH/weETH") rather than
 * called "units".
 */
export function poolUnit(config: Config): AmountUnit {
  const cs = config.pool.collateral
  const symbols = [...new Set(cs.map((c) => c.symbol))]
  return { decimals: Math.max(0, ...cs.map((c) => c.decimals)), symbol: symbols.length ? symbols.join('/') : 'collateral' }
}

/** The chain's collateral LST venue (its idle collateral), if configured. */
export function collateralVenueOf(config: Config, chain: string): VenueConfig | undefined {
  const token = config.pool.collateral.find((c) => c.chain === chain)?.token.toLowerCase()
  return config.venues.find((v) => v.chain === chain && v.kind === 'lst' && v.address.toLowerCase() === token)
}

/** Does the venue hold the chain's collateral (vaults and markets over it, the collateral itself) or another asset (another LST)? */
export const holdsCollateral = (config: Config, v: VenueConfig): boolean => v.kind !== 'lst' || v.id === collateralVenueOf(config, v.chain)?.id

export interface Valued {
  /** Value in the chain's collateral (raw, collateral decimals); null = rates unknown. */
  value: bigint | null
  /** Held as another asset: its raw amount and the rates used. */
  other?: { amount: bigint; rate: bigint | null; collateralRate: bigint | null }
}

/**
 * `amount` of what venue `v` holds, valued in the chain's collateral; `latest` gives each venue's
 * latest sample (the rates).
 */
export function valueInCollateral(config: Config, v: VenueConfig, amount: bigint, latest: ReadonlyMap<string, Pick<Sample, 'available' | 'exchangeRate'>>): Valued {
  if (holdsCollateral(config, v)) return { value: amount }
  const rateOf = (id: string | undefined) => {
    const s = id === undefined ? undefined : latest.get(id)
    return s && s.available && s.exchangeRate !== null && s.exchangeRate > 0n ? s.exchangeRate : null
  }
  const rate = rateOf(v.id)
  const collateralRate = rateOf(collateralVenueOf(config, v.chain)?.id)
  return { value: rate !== null && collateralRate !== null ? (amount * rate) / collateralRate : null, other: { amount, rate, collateralRate } }
}
