import { readFile } from 'node:fs/promises'
import { defineChain, type Address, type Chain } from 'viem'
import { MULTICALL3_ADDRESS } from '../venues/abis'
import type { AaveBase, LstBase, VaultBase } from './market'
import type { CustodyDeployment } from './safe/setUpCustody'
import type { WormholeChainDeployment } from './wormhole/deploy'

// ── the deployment file's shape (devnet/deploy.ts writes it, re-exports these) ──────────────

export type SimVenue =
  | {
      id: string
      kind: 'lst'
      symbol: 'wstETH' | 'rETH'
      /** The token the pool holds (off the LST's home chain: the Wormhole-wrapped one). */
      token: Address
      feed: Address
      rateMethod: 'stEthPerToken' | 'getExchangeRate'
      /** Where the exchange rate is read and driven (the chain's SimWstETH) when `token` has none (a wrapped token). */
      rateSource?: Address
      base: LstBase
    }
  | { id: string; kind: 'erc4626'; vault: Address; asset: Address; base: VaultBase }
  | { id: string; kind: 'aave-v3'; market: Address; aToken: Address; asset: Address; base: AaveBase }

export interface ChainDeployment {
  name: string
  chainId: number
  url: string
  /** Block number at the end of the deployment. The simulator's run loop maps scenario index i to block originBlock + i. */
  originBlock: number
  multicall3: Address
  controller: Address
  /** poolwarden's SlippageRouter (contracts/SlippageRouter.sol): every venue move goes through it. */
  router: Address
  /** The pool's collateral on this chain (wstETH). */
  collateral: Address
  tokens: { wstETH: Address; rETH: Address }
  /** SimPriceFeed per LST: market price in the backing asset, 18 decimals. */
  feeds: { wstETH: Address; rETH: Address }
  poolShare: Address
  venues: SimVenue[]
  /** The pool's position per venue right after deployment, in wei of the venue's asset (decimal strings). */
  poolPositions: Record<string, string>
  /** Pool shares minted per delegator (wei, decimal strings); each delegator self-delegated. The EIP-1271 wallet is one of them where it holds shares. */
  shareHolders: Record<Address, string>
  /** The EIP-1271 wallet delegator (SimWallet1271, owner dev #8) where it is deployed and holds shares. */
  wallet1271?: Address
  /**
   * The upstream DAO on this chain (the first chain only): its ERC20Votes token, in which the pool
   * holds weight delegated to the governor's voting key, and its OpenZeppelin Governor with
   * fractional counting.
   * Optional: deployments written before it existed have none.
   */
  dao?: DaoDeployment
  /** Wormhole on this chain (core bridge, token bridge, the LST there); devnet/wormhole/deploy.ts. */
  wormhole?: WormholeChainDeployment
  /** Off the LST's home chain: the SimYieldReserve paying the venues' yield in wrapped wstETH. */
  yieldReserve?: Address
  /** Custody "safe": the pool's Safe and Roles modifier (the same on every chain); the pool's positions belong to the Safe. */
  custody?: CustodyDeployment
  /** The reward distributor (CumulativeMerkleDistributor of the collateral, owner = the pool): on the first chain only. */
  rewardsDistributor?: Address
}

export interface DaoDeployment {
  /** The DAO's token: a PoolShare contract (ERC20Votes, timestamp clock) named "Sim DAO". */
  token: Address
  /** PoolGovernor (GovernorCountingFractional; clock from the token: timestamps). */
  governor: Address
  /** Voting delay and period in seconds (the governor's clock is the token's timestamp clock). */
  votingDelay: number
  votingPeriod: number
  /** Quorum, percent of the total supply at the snapshot. */
  quorumPercent: number
  /** DAO tokens minted per holder (wei, decimal strings), the pool among them; self-delegated unless in `delegates`. */
  holders: Record<Address, string>
  /** Holders whose votes are delegated to another account: in custody "eoa" the pool's to the governor's voting key (dev #10). Optional in older files. */
  delegates?: Record<Address, Address>
  /**
   * Whose votes the Governor counts for the pool: custody "safe", the pool's Safe (it holds the
   * pool's DAO tokens and delegates them to itself; the governor casts them through its Roles
   * role); custody "eoa", the governor's voting key (the pool's EOA delegates to it). Optional in older files.
   */
  poolVoter?: Address
  /** Gnosis' DelegateRegistry (contracts/DelegateRegistry.sol): the Safe delegates its Snapshot power in the upstream space to the voting key there. */
  delegateRegistry?: Address
}

export interface Deployment {
  version: 1
  deployedAt: string
  /** voter: the governor's voting key (dev #10); optional in files written before it existed. */
  accounts: { deployer: Address; pool: Address; voter?: Address; operator: Address; delegators: Address[] }
  chains: Record<string, ChainDeployment>
  /** Contract delegators (EIP-1271 wallets) holding pool shares: address (the same on every chain it is on), owner, chains. Optional in older files. */
  contractDelegators?: Array<{ address: Address; owner: Address; chains: string[] }>
  /**
   * Custody "safe" (the default): the pool's Safe (owners: the devnet committee) holds the pool's
   * collateral and positions on every chain; `accounts.pool` (#1) is then the executor, a member of
   * the Roles modifier's role. Absent: custody "eoa", the pool is account #1 itself.
   */
  custody?: CustodyDeployment
}

/**
 * Reads the deployment `npm start` wrote. Its own module (deploy.ts re-exports what is here) so the
 * devnet's services that only read the file — the hub, the delegators, the simulator, the Safe tx service —
 * do not bundle the deployer (viem's wallet side, protocol-kit, zodiac-roles-sdk, Wormhole setup):
 * each of those processes is ~10 MB smaller for it (see bench/soak.ts).
 */
export async function readDeployment(file = '.devnet/deployment.json'): Promise<Deployment> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`cannot read the devnet deployment ${file}: ${(err as Error).message} (start the devnet first: npm start)`)
  }
  const d = json as Deployment
  if (d?.version !== 1 || typeof d.chains !== 'object') throw new Error(`${file}: not a devnet deployment (version ${String(d?.version)})`)
  return d
}

/** A viem chain for a devnet chain (Multicall3 at its canonical address). */
export function devnetChain(spec: { name: string; chainId: number; url: string }): Chain {
  return defineChain({
    id: spec.chainId,
    name: spec.name,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [spec.url] } },
    contracts: { multicall3: { address: MULTICALL3_ADDRESS } },
  })
}

/** Every simulated venue of the deployment. */
export function simVenues(deployment: Deployment): SimVenue[] {
  return Object.values(deployment.chains).flatMap((c) => c.venues)
}
