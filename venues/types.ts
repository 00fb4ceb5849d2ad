import type { Abi, Address } from 'viem'
import type { VenueConfig } from '../config/schema'

/** One contract read inside the chain's per-block multicall. */
export interface VenueCall {
  address: Address
  abi: Abi
  functionName: string
  args?: readonly unknown[]
}

export type CallResult = { status: 'success'; result: unknown } | { status: 'failure'; error: Error }

/** What a venue looks like at one block, before the store adds chain/block fields. */
export interface VenueReading {
  venueId: string
  /** False when a required call reverted: the other fields are then null. */
  available: boolean
  error: string | null
  /** 1e18-scaled assets per share / backing per LST (the value whose growth is the yield). */
  exchangeRate: bigint | null
  /** APY the protocol publishes (Aave liquidity rate); null where it must be derived from exchangeRate. */
  publishedApy: number | null
  /** Total value locked, in the venue asset's raw units. */
  tvl: bigint | null
  utilisation: number | null
  /** What the pool could withdraw now, raw asset units. */
  withdrawable: bigint | null
  /** What all holders together could withdraw now (venue-wide, the pool included), raw asset units; null = the venue does not tell. */
  liquidity: bigint | null
  /** LST market price / backing (1 = on peg). */
  peg: number | null
  paused: boolean | null
  /** The pool's position in asset units, and shares where the venue has its own share token. */
  position: bigint | null
  positionShares: bigint | null
}

export interface VenueAdapter<V extends VenueConfig = VenueConfig> {
  /** The reads for one block, in the order `decode` receives their results. */
  calls(venue: V, pool: Address): VenueCall[]
  decode(venue: V, results: CallResult[]): VenueReading
}

export const WAD = 10n ** 18n
export const RAY = 10n ** 27n
export const SECONDS_PER_YEAR = 365 * 24 * 3600
