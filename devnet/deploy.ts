import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  getAddress,
  http,
  maxUint256,
  parseEther,
  type Abi,
  type Address,
  type Chain,
  type Hash,
  type PublicClient,
  type TransactionReceipt,
} from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import type { DevnetSession } from './chainSession'
import { configSchema, type Config, type ConfigInput } from '../config/schema'
import { MULTICALL3_ADDRESS, erc4626Abi, aavePoolAbi } from '../venues/abis'
import { devAccount, ROLES } from './accounts'
import { poolShareAbi, simAaveMarketAbi, simLstAbi } from './abis'
import { getArtifact, type Artifacts } from './compile'
import { bpsToRay, bpsToWad, checkScenario, type Scenario, type VenueModel } from './market'
import { rpcRequest } from './anvil'
import { devnetChain, type ChainDeployment, type DaoDeployment, type Deployment, type SimVenue } from './deploymentFile'
import { simWallet1271Abi } from './governance/abis'
import { DEVNET_SAFE_TX_SERVICE_URL, txServiceUrlFor } from './safe/txService'
import { DEVNET_GOVERNANCE_POLICY, DEVNET_HUB_URL, DEVNET_SPACES, GOV_ROLES, WALLET_SHARES } from './governance/constants'
import { delegatePoolVotes, deployCustodySafe, DEVNET_MOVE_BUDGET, setUpRoles, type CustodyDeployment } from './safe/setUpCustody'
import { DEVNET_WORMHOLE_FINALITY, attestAndWrap, bridgeAtDeploy, deployWormholeContracts, registerTokenBridges, type WormholeChainDeployment, type WormholeContracts } from './wormhole/deploy'

/**
 * Deploys the devnet world on already running anvil chains: per chain a SimController, the pool's
 * collateral LST (SimWstETH), a second LST (SimRETH), a price feed per LST, two ERC-4626 vaults and
 * one Aave-v3-style market over wstETH, the pool share token; Multicall3 at its canonical address.
 * Funds the pool account (anvil #1) and deposits into every venue; "other users'" liquidity comes
 * from the deployer (#0); pool shares go to delegators #2..#5 (self-delegated).
 * On the first chain only, the upstream DAO (ChainDeployment.dao): an ERC20Votes token (the PoolShare contract under another name) held by the pool and
 * accounts #6, #7 (all self-delegated) and its PoolGovernor (fractional counting, timestamp clock).
 * A contract delegator too: SimWallet1271 (EIP-1271, owner #8, same address on every chain) holds
 * self-delegated pool shares on the first two chains (ChainDeployment.wallet1271, shareHolders).
 * Returns the Deployment (addresses, base market parameters) and a config valid under configSchema.
 */

// ── shapes ───────────────────────────────────────────────────────────────────────────────────

export interface DevnetChainSpec {
  name: string
  chainId: number
  url: string
}

export type { ChainDeployment, DaoDeployment, Deployment, SimVenue } from './deploymentFile'

export interface DeployResult {
  deployment: Deployment
  config: Config
}

export interface DeployOptions {
  chains: DevnetChainSpec[]
  artifacts: Artifacts
  /** Checked against the deployed venues (unknown venue ids, wrong kinds) before returning. */
  scenario?: Scenario
  /** Store path written into the config (default .devnet/poolwarden.sqlite). */
  storePath?: string
  /** Block time the agents expect (config chains[].blockTimeMs; default 1000 as under npm start). */
  blockTimeMs?: number
  /** Every chain's finalityDepth (default 0: tests mine on demand; npm start: DEVNET_FINALITY_DEPTH). */
  finalityDepth?: number
  /** The PoolGovernor's voting delay/period in seconds (default: the scenario's governance.governor, else 2 s / 3600 s). */
  daoGovernor?: { votingDelay: number; votingPeriod: number }
  /** Base URL of the local Wormhole guardian's API written into the config (default http://127.0.0.1:7071). */
  guardianUrl?: string
  /** Base URL of the local Snapshot hub written into the config (default http://127.0.0.1:3300). */
  hubUrl?: string
  /** Base URL of the local Safe Transaction Service (default http://127.0.0.1:3310). */
  txServiceUrl?: string
  /** Port of the local Telegram Bot API (default 8581). */
  botApiPort?: number
  /**
   * "safe" (default): the pool is a Safe on every chain and the executor acts through a Zodiac
   * Roles role (devnet/safe/). "eoa": the pool is dev account #1 itself (today's execution tests).
   */
  custody?: 'safe' | 'eoa'
  onProgress?: (e: { chain: string; step: string }) => void
}

/** Where `npm start` runs the local Wormhole guardian's API. */
export const DEFAULT_GUARDIAN_URL = 'http://127.0.0.1:7071'

// ── defaults ─────────────────────────────────────────────────────────────────────────────────

export const DEFAULT_DEVNET_CHAINS = [
  { name: 'ethereum', chainId: 31337 },
  { name: 'arbitrum', chainId: 31338 },
  { name: 'base', chainId: 31339 },
] as const

/** The default three chains on ports basePort, basePort+1, basePort+2 of 127.0.0.1. */
export function defaultChainSpecs(basePort = 8545, host = '127.0.0.1'): DevnetChainSpec[] {
  return DEFAULT_DEVNET_CHAINS.map((c, i) => ({ name: c.name, chainId: c.chainId, url: `http://${host}:${basePort + i}/` }))
}

export { devnetChain, readDeployment, simVenues } from './deploymentFile'

/**
 * Market and funding profile per chain position (cycled): base APRs differ a little between
 * chains, amounts shrink on the L2s. Amounts in whole tokens.
 */
const PROFILES = [
  { scale: 1, wsteth: 300, reth: 272, core: { apr: 420, idle: 3_500 }, boost: { apr: 690, idle: 3_000 }, aave: { apr: 240, borrow: 360, util: 6_500 } },
  { scale: 0.6, wsteth: 296, reth: 268, core: { apr: 455, idle: 3_500 }, boost: { apr: 740, idle: 3_000 }, aave: { apr: 265, borrow: 390, util: 7_000 } },
  { scale: 0.4, wsteth: 304, reth: 276, core: { apr: 440, idle: 3_500 }, boost: { apr: 715, idle: 3_000 }, aave: { apr: 225, borrow: 340, util: 6_800 } },
] as const

/** Initial exchange rates (backing per token), like mainnet's order of magnitude. */
const RATE = { wstETH: parseEther('1.2093'), rETH: parseEther('1.1382') }

/** Whole-token amounts before scaling. */
const FUNDING = {
  deployerWstEth: 10_000,
  poolWstEth: 1_000,
  poolREth: 60,
  other: { core: 400, boost: 300, aave: 900 },
  pool: { core: 150, boost: 80, aave: 120 },
}

/** Pool shares per chain position: delegator account index → whole shares. */
const SHARES: ReadonlyArray<Record<number, number>> = [
  { 2: 400, 3: 250, 4: 100 },
  { 3: 150, 4: 200, 5: 120 },
  { 2: 100, 5: 300 },
]

export const venueIds = (chain: string) => ({
  wstETH: `${chain}-wsteth`,
  rETH: `${chain}-reth`,
  core: `${chain}-vault-core`,
  boost: `${chain}-vault-boost`,
  aave: `${chain}-aave`,
})

const whole = (n: number) => parseEther(String(n))

/** The upstream DAO (first chain): dev account index → whole DAO tokens (the pool and two other holders). */
const DAO_HOLDERS: Record<number, number> = { [ROLES.pool]: 1_000, 6: 600, 7: 400 }
/** Holders that delegate their DAO votes to another account instead of themselves: the pool's go to the governor's voting key. */
const DAO_DELEGATES: Record<number, number> = { [ROLES.pool]: ROLES.voter }
/** ETH the deployer sends the governor's voting key (#10) on every chain: gas only. */
const VOTER_GAS_ETH = 100
/** Governor settings: short, for tests (seconds: the governor runs on the token's timestamp clock). */
const DAO_GOVERNOR = { votingDelay: 2, votingPeriod: 3_600, quorumPercent: 4 }

/** The venues of the chain at `position` with their base market parameters (before deployment). */
function venueModels(chain: string, position: number) {
  const p = PROFILES[position % PROFILES.length]!
  const ids = venueIds(chain)
  return {
    wstETH: { id: ids.wstETH, kind: 'lst' as const, base: { aprBps: p.wsteth, priceBps: 10_000 } },
    rETH: { id: ids.rETH, kind: 'lst' as const, base: { aprBps: p.reth, priceBps: 10_000 } },
    core: { id: ids.core, kind: 'erc4626' as const, base: { aprBps: p.core.apr, idleBps: p.core.idle } },
    boost: { id: ids.boost, kind: 'erc4626' as const, base: { aprBps: p.boost.apr, idleBps: p.boost.idle } },
    aave: { id: ids.aave, kind: 'aave-v3' as const, base: { aprBps: p.aave.apr, borrowAprBps: p.aave.borrow, utilisationBps: p.aave.util } },
  }
}

/**
 * The venue models a deployment on these chains will have (ids and base parameters), without
 * deploying: for checking scenarios offline (market.local.test.ts).
 */
export function devnetVenueModels(chains: readonly string[] = DEFAULT_DEVNET_CHAINS.map((c) => c.name)): VenueModel[] {
  return chains.flatMap((name, i) => Object.values(venueModels(name, i)))
}

// ── transactions ─────────────────────────────────────────────────────────────────────────────

export class ChainSession implements DevnetSession {
  readonly public: PublicClient
  readonly chain: Chain
  constructor(readonly spec: DevnetChainSpec) {
    this.chain = devnetChain(spec)
    this.public = createPublicClient({ chain: this.chain, transport: http(spec.url), pollingInterval: 50, cacheTime: 0 })
  }

  wallet(account: PrivateKeyAccount) {
    return createWalletClient({ account, chain: this.chain, transport: http(this.spec.url), pollingInterval: 50 })
  }

  async receipt(hash: Promise<Hash> | Hash, what: string): Promise<TransactionReceipt> {
    const r = await this.public.waitForTransactionReceipt({ hash: await hash, pollingInterval: 50 })
    if (r.status !== 'success') throw new Error(`${this.spec.name}: ${what} reverted (tx ${r.transactionHash})`)
    return r
  }

  async deploy(account: PrivateKeyAccount, artifacts: Artifacts, name: string, args: readonly unknown[]): Promise<Address> {
    const a = getArtifact(artifacts, name)
    const hash = this.wallet(account).deployContract({ abi: a.abi as Abi, bytecode: a.bytecode, args: args as unknown[] })
    const r = await this.receipt(hash, `deploy ${name}`)
    if (!r.contractAddress) throw new Error(`${this.spec.name}: deploy ${name}: no contract address`)
    return getAddress(r.contractAddress)
  }

  /**
   * A contract call with headroom over the gas estimate: ERC20Votes tokens on a timestamp clock
   * (PoolShare) update a checkpoint in place when the estimate's block has the previous block's
   * timestamp, but push a new one (a fresh storage slot, ~20k more gas) when the mined block is a
   * second later — an exact estimate then runs out of gas ("mint shares … reverted", seen under
   * npm start).
   */
  async write(account: PrivateKeyAccount, what: string, req: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] }): Promise<TransactionReceipt> {
    const call = { ...req, args: req.args as unknown[], account } as never
    const estimate = await this.public.estimateContractGas(call)
    const hash = this.wallet(account).writeContract({ ...(call as object), gas: (estimate * 12n) / 10n + 50_000n } as never)
    return this.receipt(hash as Promise<Hash>, what)
  }

  rpc<T>(method: string, params: unknown[] = []): Promise<T> {
    return rpcRequest<T>(this.spec.url, method, params)
  }

  /**
   * Runs `fn` in automine mode (one block per transaction, so each transaction sees the previous
   * ones' state), then restores the chain's interval mining if it had one.
   */
  async withAutomine<T>(fn: () => Promise<T>): Promise<T> {
    const auto = await this.rpc<boolean>('anvil_getAutomine')
    if (auto) return fn()
    const interval = await this.rpc<number | null>('anvil_getIntervalMining').catch(() => null)
    await this.rpc('evm_setAutomine', [true])
    try {
      return await fn()
    } finally {
      if (interval) await this.rpc('evm_setIntervalMining', [interval])
      else await this.rpc('evm_setAutomine', [false])
    }
  }
}

// ── deployment of one chain ──────────────────────────────────────────────────────────────────

/** A chain after the first phase: its LSTs, feeds, controller and Wormhole contracts. */
interface ChainBase {
  s: ChainSession
  position: number
  amount: (n: number) => bigint
  controller: Address
  /** SimWstETH of this chain: the collateral on the home chain; elsewhere the rate source of the wrapped LST (like an L2 rate oracle). */
  wst: Address
  reth: Address
  feedSt: Address
  feedR: Address
  wh: WormholeContracts
  router: Address
}

/** Phase 1 (every chain at once): Multicall3, controller, LSTs, price feeds, Wormhole core bridge and token bridge. */
async function deployChainBase(s: ChainSession, position: number, artifacts: Artifacts, progress: (step: string) => void): Promise<ChainBase> {
  const spec = s.spec
  const actualId = await s.public.getChainId()
  if (actualId !== spec.chainId) throw new Error(`${spec.name}: ${spec.url} has chain id ${actualId}, expected ${spec.chainId}`)
  const p = PROFILES[position % PROFILES.length]!
  const scale = p.scale
  const amount = (n: number) => whole(Math.round(n * scale * 1000) / 1000)
  const deployer = devAccount(ROLES.deployer)
  progress('multicall3')
  await s.rpc('anvil_setCode', [MULTICALL3_ADDRESS, getArtifact(artifacts, 'Multicall3').deployedBytecode])

  progress('contracts')
  const D = deployer.address
  const controller = await s.deploy(deployer, artifacts, 'SimController', [D, devAccount(ROLES.operator).address])
  const wst = await s.deploy(deployer, artifacts, 'SimWstETH', [D, RATE.wstETH, bpsToWad(p.wsteth)])
  const reth = await s.deploy(deployer, artifacts, 'SimRETH', [D, RATE.rETH, bpsToWad(p.reth)])
  const feedSt = await s.deploy(deployer, artifacts, 'SimPriceFeed', ['STETH / ETH', D, parseEther('1')])
  const feedR = await s.deploy(deployer, artifacts, 'SimPriceFeed', ['RETH / ETH (market / backing)', D, parseEther('1')])
  for (const addr of [wst, reth, feedSt, feedR]) {
    await s.write(deployer, `setController ${addr}`, { address: addr, abi: simLstAbi as Abi, functionName: 'setController', args: [controller] })
  }
  // Not a Sim contract: the same stateless router a live deployment uses (no constructor, no owner).
  const router = await s.deploy(deployer, artifacts, 'SlippageRouter', [])
  progress('wormhole')
  const wh = await deployWormholeContracts(s, position, artifacts, deployer)
  return { s, position, amount, controller, wst, reth, feedSt, feedR, wh, router }
}

/**
 * Phase 3 (every chain at once): the venues over the chain's collateral, funding, deposits, pool
 * shares. On the LST's home chain the collateral is its SimWstETH (the venues mint their yield in
 * it); elsewhere it is the Wormhole-wrapped wstETH, already bridged to the deployer, the pool and
 * the chain's SimYieldReserve (which pays the venues' yield: nobody here can mint a wrapped token).
 */
async function deployChainVenues(
  b: ChainBase,
  collateral: Address,
  artifacts: Artifacts,
  progress: (step: string) => void,
  daoGovernor: { votingDelay: number; votingPeriod: number },
  custodyKind: 'safe' | 'eoa' = 'safe',
): Promise<ChainDeployment> {
  const { s, position, amount, controller, wst, reth, feedSt, feedR } = b
  const spec = s.spec
  const home = collateral === wst
  const p = PROFILES[position % PROFILES.length]!
  const deployer = devAccount(ROLES.deployer)
  const pool = devAccount(ROLES.pool)
  const D = deployer.address
  const lstAbi = simLstAbi as Abi
  let custody: CustodyDeployment | undefined
  if (custodyKind === 'safe') {
    progress('pool safe')
    custody = await deployCustodySafe(s)
  }
  /** Who owns the pool's collateral and positions: the Safe, or account #1 itself. */
  const holder = custody?.safe ?? pool.address
  progress('venues')
  const core = await s.deploy(deployer, artifacts, 'SimVault', [collateral, 'Sim Core wstETH Vault', 'scwstETH', D, bpsToWad(p.core.apr), BigInt(p.core.idle)])
  const boost = await s.deploy(deployer, artifacts, 'SimVault', [collateral, 'Sim Boost wstETH Vault', 'sbwstETH', D, bpsToWad(p.boost.apr), BigInt(p.boost.idle)])
  const aave = await s.deploy(deployer, artifacts, 'SimAaveMarket', [
    collateral,
    'Aave Sim wstETH',
    'aSimwstETH',
    D,
    bpsToRay(p.aave.apr),
    bpsToRay(p.aave.borrow),
    BigInt(p.aave.util),
  ])
  const aToken = await s.public.readContract({ address: aave, abi: simAaveMarketAbi, functionName: 'aToken' })
  const share = await s.deploy(deployer, artifacts, 'PoolShare', ['Poolwarden Pool Share', 'pwSHARE', D])

  progress('wiring')
  for (const addr of [core, boost, aave]) {
    await s.write(deployer, `setController ${addr}`, { address: addr, abi: lstAbi, functionName: 'setController', args: [controller] })
  }
  let yieldReserve: Address | undefined
  if (home) {
    for (const minter of [core, boost, aave]) {
      await s.write(deployer, `setMinter ${minter}`, { address: wst, abi: lstAbi, functionName: 'setMinter', args: [minter, true] })
    }
  } else {
    yieldReserve = await s.deploy(deployer, artifacts, 'SimYieldReserve', [collateral, D])
    // Funded from the deployer's wrapped wstETH (bridged in with its own funds), before any deposit accrues.
    await s.write(deployer, 'fund yield reserve', { address: collateral, abi: lstAbi, functionName: 'transfer', args: [yieldReserve, amount(YIELD_RESERVE_WSTETH)] })
    for (const venue of [core, boost, aave]) {
      await s.write(deployer, `reserve minter ${venue}`, { address: yieldReserve, abi: lstAbi, functionName: 'setMinter', args: [venue, true] })
      await s.write(deployer, `yield source ${venue}`, { address: venue, abi: yieldSourceAbi, functionName: 'setYieldSource', args: [yieldReserve] })
    }
  }

  progress('funding')
  // The governor's voting key (#10) is not one anvil funds: gas for its votes on every chain.
  await s.receipt(s.wallet(deployer).sendTransaction({ to: devAccount(ROLES.voter).address, value: parseEther(String(VOTER_GAS_ETH)) }), 'fund voter')
  const mint = (token: Address, to: Address, amt: bigint) => s.write(deployer, `mint ${to}`, { address: token, abi: lstAbi, functionName: 'mint', args: [to, amt] })
  if (home) {
    await mint(wst, D, amount(FUNDING.deployerWstEth))
    await mint(wst, pool.address, amount(FUNDING.poolWstEth))
  }
  await mint(reth, holder, amount(FUNDING.poolREth))

  /** `who` pays, `receiver` gets the positions (the pool's go to the Safe in custody "safe"). */
  const supplyAll = async (who: PrivateKeyAccount, a: { core: number; boost: number; aave: number }, receiver: Address = who.address) => {
    for (const spender of [core, boost, aave]) {
      await s.write(who, `approve ${spender}`, { address: collateral, abi: lstAbi, functionName: 'approve', args: [spender, maxUint256] })
    }
    await s.write(who, 'deposit core', { address: core, abi: erc4626Abi, functionName: 'deposit', args: [amount(a.core), receiver] })
    await s.write(who, 'deposit boost', { address: boost, abi: erc4626Abi, functionName: 'deposit', args: [amount(a.boost), receiver] })
    await s.write(who, 'supply aave', { address: aave, abi: aavePoolAbi, functionName: 'supply', args: [collateral, amount(a.aave), receiver, 0] })
  }
  await supplyAll(deployer, FUNDING.other)
  await supplyAll(pool, FUNDING.pool, holder)
  const poolIdleWst = amount(FUNDING.poolWstEth) - amount(FUNDING.pool.core) - amount(FUNDING.pool.boost) - amount(FUNDING.pool.aave)
  if (custody) {
    // The rest of the pool's collateral moves into the Safe; account #1 keeps only gas (it is the executor).
    await s.write(pool, 'collateral to the Safe', { address: collateral, abi: lstAbi, functionName: 'transfer', args: [custody.safe, poolIdleWst] })
    for (const spender of [core, boost, aave]) await s.write(pool, `revoke ${spender}`, { address: collateral, abi: lstAbi, functionName: 'approve', args: [spender, 0n] })
  }

  progress('pool shares')
  const holders: Record<Address, string> = {}
  for (const [idx, n] of Object.entries(SHARES[position % SHARES.length]!)) {
    const holder = devAccount(Number(idx))
    await s.write(deployer, `mint shares ${holder.address}`, { address: share, abi: poolShareAbi as Abi, functionName: 'mint', args: [holder.address, whole(n)] })
    await s.write(holder, 'delegate', { address: share, abi: poolShareAbi as Abi, functionName: 'delegate', args: [holder.address] })
    holders[holder.address] = whole(n).toString()
  }
  const walletShares = WALLET_SHARES[position % WALLET_SHARES.length] ?? 0
  let wallet1271: Address | undefined
  if (walletShares > 0) {
    progress('eip-1271 wallet delegator')
    wallet1271 = await deployWalletDelegator(s, artifacts, share, whole(walletShares))
    holders[wallet1271] = whole(walletShares).toString()
  }

  let dao: DaoDeployment | undefined
  let rewardsDistributor: Address | undefined
  if (position === 0) {
    progress('rewards distributor')
    rewardsDistributor = await s.deploy(deployer, artifacts, 'CumulativeMerkleDistributor', [collateral, holder])
    progress('dao governor')
    dao = await deployDao(s, artifacts, deployer, daoGovernor, custody?.safe)
  }

  const originBlock = Number(await s.public.getBlockNumber())
  const m = venueModels(spec.name, position)
  const venues: SimVenue[] = [
    // Off the home chain the pool holds the wrapped token; its exchange rate comes from the chain's SimWstETH (rate source).
    { ...m.wstETH, symbol: 'wstETH', token: collateral, feed: feedSt, rateMethod: 'stEthPerToken', ...(home ? {} : { rateSource: wst }) },
    { ...m.rETH, symbol: 'rETH', token: reth, feed: feedR, rateMethod: 'getExchangeRate' },
    { ...m.core, vault: core, asset: collateral },
    { ...m.boost, vault: boost, asset: collateral },
    { ...m.aave, market: aave, aToken, asset: collateral },
  ]
  progress('done')
  return {
    name: spec.name,
    chainId: spec.chainId,
    url: spec.url,
    originBlock,
    multicall3: MULTICALL3_ADDRESS,
    controller,
    router: b.router,
    collateral,
    tokens: { wstETH: collateral, rETH: reth },
    feeds: { wstETH: feedSt, rETH: feedR },
    poolShare: share,
    venues,
    poolPositions: {
      [m.wstETH.id]: poolIdleWst.toString(),
      [m.rETH.id]: amount(FUNDING.poolREth).toString(),
      [m.core.id]: amount(FUNDING.pool.core).toString(),
      [m.boost.id]: amount(FUNDING.pool.boost).toString(),
      [m.aave.id]: amount(FUNDING.pool.aave).toString(),
    },
    shareHolders: holders,
    ...(wallet1271 ? { wallet1271 } : {}),
    ...(dao ? { dao } : {}),
    ...(rewardsDistributor ? { rewardsDistributor } : {}),
    ...(home ? {} : { yieldReserve }),
    wormhole: { ...b.wh, lst: collateral, lstHome: home },
    ...(custody ? { custody } : {}),
  }
}

/** Whole wrapped wstETH each non-home chain's SimYieldReserve starts with (before scaling): years of the venues' yield. */
const YIELD_RESERVE_WSTETH = 1_000

const yieldSourceAbi = [
  { type: 'function', name: 'setYieldSource', stateMutability: 'nonpayable', inputs: [{ name: 'source', type: 'address' }], outputs: [] },
] as const satisfies Abi

/**
 * Every chain: phase 1 (LSTs, feeds, Wormhole) at once; phase 2 wires Wormhole (token bridges
 * registered, the first chain's wstETH attested and wrapped on the others) and bridges the
 * non-home chains' wstETH (deployer, pool, yield reserve) from the home chain; phase 3 deploys the
 * venues at once. A single chain has no Wormhole peers: its own wstETH is its collateral.
 */
async function deployChains(
  specs: DevnetChainSpec[],
  artifacts: Artifacts,
  onProgress: DeployOptions['onProgress'],
  daoGovernor: { votingDelay: number; votingPeriod: number },
  custodyKind: 'safe' | 'eoa' = 'safe',
): Promise<ChainDeployment[]> {
  const sessions = specs.map((spec) => new ChainSession(spec))
  const progress = (chain: string) => (step: string) => onProgress?.({ chain, step })
  const automineAll = <T>(fn: () => Promise<T>): Promise<T> => sessions.reduceRight<() => Promise<T>>((inner, s) => () => s.withAutomine(inner), fn)()
  const deployer = devAccount(ROLES.deployer)
  return automineAll(async () => {
    const bases = await Promise.all(sessions.map((s, i) => deployChainBase(s, i, artifacts, progress(s.spec.name))))
    const [home, ...others] = bases
    const collaterals = new Map<ChainBase, Address>([[home!, home!.wst]])
    if (others.length > 0) {
      const all = bases.map((b) => ({ s: b.s, wh: b.wh }))
      progress(home!.s.spec.name)('wormhole: register chains')
      await registerTokenBridges(all, deployer)
      progress(home!.s.spec.name)('wormhole: attest wstETH')
      const wrapped = await attestAndWrap(all[0]!, all.slice(1), home!.wst, deployer)
      // Collateral of the other chains: wrapped wstETH bridged from home (minted there first).
      const pool = devAccount(ROLES.pool)
      for (const o of others) {
        const w = wrapped[o.s.spec.name]!
        collaterals.set(o, w)
        const reserve = o.amount(YIELD_RESERVE_WSTETH)
        const funds: Array<[Address, bigint]> = [
          [deployer.address, o.amount(FUNDING.deployerWstEth) + reserve],
          [pool.address, o.amount(FUNDING.poolWstEth)],
        ]
        for (const [to, amt] of funds) {
          progress(o.s.spec.name)(`bridge wstETH in (${to})`)
          await home!.s.write(deployer, 'mint wstETH to bridge', { address: home!.wst, abi: simLstAbi as Abi, functionName: 'mint', args: [deployer.address, amt] })
          await bridgeAtDeploy({ s: home!.s, wh: home!.wh }, { s: o.s, wh: o.wh }, home!.wst, amt, deployer, to, deployer)
        }
      }
    }
    const deployed = await Promise.all(bases.map((b) => deployChainVenues(b, collaterals.get(b)!, artifacts, progress(b.s.spec.name), daoGovernor, custodyKind)))
    if (others.length === 0) for (const c of deployed) delete c.wormhole
    return deployed
  })
}

/**
 * The EIP-1271 wallet delegator: deployed by its owner (#8), whose first transaction it is on a
 * fresh chain, so its address is the same on every chain; pool shares minted to it; the owner
 * makes it self-delegate through `execute`.
 */
async function deployWalletDelegator(s: ChainSession, artifacts: Artifacts, share: Address, amount: bigint): Promise<Address> {
  const owner = devAccount(GOV_ROLES.walletOwner)
  const deployer = devAccount(ROLES.deployer)
  const wallet = await s.deploy(owner, artifacts, 'SimWallet1271', [owner.address])
  await s.write(deployer, `mint shares ${wallet}`, { address: share, abi: poolShareAbi as Abi, functionName: 'mint', args: [wallet, amount] })
  const delegate = encodeFunctionData({ abi: poolShareAbi, functionName: 'delegate', args: [wallet] })
  await s.write(owner, 'wallet delegate', { address: wallet, abi: simWallet1271Abi as Abi, functionName: 'execute', args: [share, 0n, delegate] })
  return wallet
}

/**
 * The upstream DAO: token minted to DAO_HOLDERS (each self-delegates), then its governor, and
 * Gnosis' DelegateRegistry (Snapshot delegation). Custody "safe" (`safe` given): the pool's DAO
 * tokens are minted to the Safe instead of account #1; the Safe's own delegations (ERC20Votes to
 * itself, Snapshot to the voting key) are one committee Safe transaction once the config exists
 * (devnet/safe/setUpCustody.ts delegatePoolVotes).
 */
async function deployDao(
  s: ChainSession,
  artifacts: Artifacts,
  deployer: PrivateKeyAccount,
  settings: { votingDelay: number; votingPeriod: number },
  safe?: Address,
): Promise<DaoDeployment> {
  const tokenAbi = getArtifact(artifacts, 'PoolShare').abi
  const token = await s.deploy(deployer, artifacts, 'PoolShare', ['Sim DAO', 'simDAO', deployer.address])
  const holders: Record<Address, string> = {}
  const delegates: Record<Address, Address> = {}
  for (const [idx, n] of Object.entries(DAO_HOLDERS)) {
    if (safe && Number(idx) === ROLES.pool) {
      await s.write(deployer, `mint dao ${safe}`, { address: token, abi: tokenAbi, functionName: 'mint', args: [safe, whole(n)] })
      holders[safe] = whole(n).toString()
      continue
    }
    const holder = devAccount(Number(idx))
    await s.write(deployer, `mint dao ${holder.address}`, { address: token, abi: tokenAbi, functionName: 'mint', args: [holder.address, whole(n)] })
    const delegatee = devAccount(DAO_DELEGATES[Number(idx)] ?? Number(idx)).address
    await s.write(holder, 'delegate dao', { address: token, abi: tokenAbi, functionName: 'delegate', args: [delegatee] })
    holders[holder.address] = whole(n).toString()
    if (delegatee !== holder.address) delegates[holder.address] = delegatee
  }
  const g = { ...DAO_GOVERNOR, ...settings }
  const governor = await s.deploy(deployer, artifacts, 'PoolGovernor', [token, g.votingDelay, g.votingPeriod, BigInt(g.quorumPercent)])
  const delegateRegistry = await s.deploy(deployer, artifacts, 'DelegateRegistry', [])
  return { token, governor, ...g, holders, delegates, poolVoter: safe ?? devAccount(DAO_DELEGATES[ROLES.pool]!).address, delegateRegistry }
}

// ── config ───────────────────────────────────────────────────────────────────────────────────

type VenueInput = NonNullable<ConfigInput['venues']>[number]

/** Static risk facts and caps of the devnet venues: plausible, and different per venue. */
/** Protocol, risk facts and caps of a devnet venue (by kind; `wstETH` tells the collateral LST from rETH). */
function venueFacts(kind: SimVenue['kind'], id: string, position: number, wstETH: boolean): Pick<VenueInput, 'protocol' | 'risk' | 'caps'> {
  const l2 = position > 0
  switch (kind) {
    case 'lst':
      return wstETH
        ? {
            protocol: 'lido',
            risk: {
              commissionBps: 1_000,
              uptime: 0.998,
              audits: 14,
              launchDate: l2 ? '2022-08-31' : '2021-02-17',
              slashing: [{ date: '2023-10-11', lossBps: 0.05, note: '20 validators of one node operator slashed' }],
            },
            caps: {},
          }
        : {
            protocol: 'rocket-pool',
            risk: { commissionBps: 1_400, uptime: 0.995, audits: 9, launchDate: l2 ? '2022-10-05' : '2021-11-09', slashing: [] },
            caps: { maxShareBps: 3_000 },
          }
    case 'erc4626': {
      const boost = id.endsWith('-boost')
      return {
        protocol: boost ? 'sim-boost-vault' : 'sim-core-vault',
        risk: boost
          ? { commissionBps: 2_000, uptime: 0.99, audits: 1, launchDate: '2024-09-16', slashing: [{ date: '2025-03-02', lossBps: 25, note: 'strategy loss on a leveraged position' }] }
          : { commissionBps: 1_000, uptime: 0.999, audits: 4, launchDate: '2023-06-12', slashing: [] },
        caps: boost ? { maxShareBps: 2_000, maxAmount: 400 } : { maxShareBps: 5_000 },
      }
    }
    case 'aave-v3':
      return {
        protocol: 'aave-v3',
        risk: { commissionBps: 1_500, uptime: 1, audits: 20, launchDate: l2 ? '2022-03-16' : '2023-01-27', slashing: [] },
        caps: { maxShareBps: 4_000 },
      }
  }
}

/**
 * The devnet venues' config facts (id, chain, kind, protocol, risk, caps) without deploying: the
 * same facts `buildDevnetConfig` writes, for the fast-forward backtest.
 */
export function devnetVenueFacts(chains: readonly string[] = DEFAULT_DEVNET_CHAINS.map((c) => c.name)) {
  return chains.flatMap((chain, i) =>
    Object.entries(venueModels(chain, i)).map(([name, m]) => ({ id: m.id, chain, kind: m.kind, ...venueFacts(m.kind, m.id, i, name === 'wstETH') })),
  )
}

function venueConfig(c: ChainDeployment, v: SimVenue, position: number): VenueInput {
  const common = { id: v.id, chain: c.name }
  switch (v.kind) {
    case 'lst':
      return {
        ...common,
        kind: 'lst',
        ...venueFacts('lst', v.id, position, v.symbol === 'wstETH'),
        address: v.token,
        rateMethod: v.rateMethod,
        ...(v.rateSource ? { rateSource: v.rateSource } : {}),
        pegFeed: v.feed,
      } as VenueInput
    case 'erc4626':
      // The devnet vaults tell their withdrawable liquidity (idle share of their assets): the liquidity cap binds on a first deposit.
      return { ...common, kind: 'erc4626', ...venueFacts('erc4626', v.id, position, false), address: v.vault, liquidityFunction: 'idleLiquidity', pegFeed: c.feeds.wstETH } as VenueInput
    case 'aave-v3':
      return {
        ...common,
        kind: 'aave-v3',
        ...venueFacts('aave-v3', v.id, position, false),
        address: v.market,
        dataProvider: v.market,
        asset: v.asset,
        aToken: v.aToken,
        pegFeed: c.feeds.wstETH,
      } as VenueInput
  }
}

/** The devnet's reward epoch: three minutes. */
export const DEVNET_EPOCH_SECONDS = 180

/** The devnet's local Telegram Bot API server (PM2 app `telegram-api`). */
/** The devnet's APY windows (1 s blocks): three minutes, none shorter than one. */
// Every block is stored: the devnet's 1 s blocks stand for a live chain's minutes (windows of three minutes).
export const DEVNET_WATCH = { apyWindowSeconds: 180, minApySpanSeconds: 60, sampleEverySeconds: 0 } as const

/**
 * For tests and benches that drive blocks by hand and want each block's own APY (the former
 * `apyWindowBlocks: 1`): a one-second window, no start-up back-fill, and the head itself read
 * (they mine on demand and never while the watcher reads, so anvil's newest-block race cannot
 * happen; see chains/README.md).
 */
/** The devnet's score window and APY-drop baseline (1 s blocks, every one stored: the former 20 samples). */
export const DEVNET_SPANS = { scoreWindowSeconds: 20, apyBaselineSeconds: 20 } as const

export const PER_BLOCK_WATCH = { apyWindowSeconds: 1, minApySpanSeconds: 1, backfillWindow: false, readBehindHead: 0, sampleEverySeconds: 0 } as const

export const DEVNET_TELEGRAM_PORT = 8581

/** The finality depth of npm start's chains (1 s blocks): a 3-block reorg is deeper than it. */
export const DEVNET_FINALITY_DEPTH = 2

/**
 * Telegram on the devnet: the local Bot API server, no token; an operator, the committee (alice,
 * bob, carol) and a viewer as users (`npm run chat -- --as <name>`); alerts to the operator's
 * chat (warning and critical at once, info as a digest), plans with approve/reject buttons to
 * the committee's group.
 */
export function devnetTelegramConfig(port = DEVNET_TELEGRAM_PORT): NonNullable<ConfigInput['telegram']> {
  return {
    enabled: true,
    mode: 'devnet',
    apiRoot: `http://127.0.0.1:${port}`,
    users: [
      { id: 100001, name: 'operator', role: 'operator' },
      { id: 100002, name: 'alice', role: 'committee' },
      { id: 100003, name: 'bob', role: 'committee' },
      { id: 100004, name: 'carol', role: 'committee' },
      { id: 100005, name: 'viewer', role: 'viewer' },
    ],
    chats: [
      { id: 100001, name: 'operator', alerts: ['warning', 'critical'], digest: true },
      { id: -100100, name: 'committee', alerts: ['warning', 'critical'], digest: false, rules: ['plan', 'plan-failed'] },
    ],
    delivery: { pollMs: 1_000, dedupWindowSeconds: 600, digestIntervalSeconds: 60 },
  }
}

/** The poolwarden config of a deployment (validated with configSchema). */
export function buildDevnetConfig(
  deployment: Deployment,
  opts: {
    storePath?: string
    blockTimeMs?: number
    /** Every chain's finalityDepth (default 0). */
    finalityDepth?: number
    spaces?: { upstream: string; signals: string }
    guardianUrl?: string
    hubUrl?: string
    txServiceUrl?: string
    botApiPort?: number
  } = {},
): Config {
  const chains = Object.values(deployment.chains)
  // The chain whose DAO has Gnosis' DelegateRegistry: custody diff checks the Safe's Snapshot delegation there.
  const registryChain = chains.find((c) => c.dao?.delegateRegistry)
  const spaces = opts.spaces ?? DEVNET_SPACES
  const hubUrl = opts.hubUrl ?? DEVNET_HUB_URL
  const whChains = chains.filter((c): c is ChainDeployment & { wormhole: WormholeChainDeployment } => c.wormhole !== undefined)
  const rewardsChain = chains.find((c) => c.rewardsDistributor)
  const input: ConfigInput = {
    profile: 'devnet',
    store: { path: opts.storePath ?? '.devnet/poolwarden.sqlite' },
    chains: chains.map((c) => ({
      name: c.name,
      chainId: c.chainId,
      rpc: [{ url: c.url, maxPerSecond: 100, maxConcurrent: 8 }],
      // 0 in tests (automine: a block only when something is sent, so no depth would ever be
      // reached); npm start's interval-mined chains use DEVNET_FINALITY_DEPTH, so a 1- or 2-block
      // anvil_reorg is an ordinary reorg there and only a deeper one halts actions.
      finalityDepth: opts.finalityDepth ?? 0,
      blockTimeMs: opts.blockTimeMs ?? 1_000,
      multicall3: c.multicall3,
      router: c.router,
    })),
    pool: {
      // Custody "safe": the pool is the Safe; the executor's key (#1) is a member of its Roles role.
      account: deployment.custody?.safe ?? deployment.accounts.pool,
      collateral: chains.map((c) => ({ chain: c.name, symbol: 'wstETH', token: c.collateral, decimals: 18 })),
      shareToken: chains.map((c) => ({ chain: c.name, token: c.poolShare })),
    },
    venues: chains.flatMap((c, i) => c.venues.map((v) => venueConfig(c, v, i))),
    // Windows in time for 1 s blocks: APYs over three minutes, none from under a minute; a fresh
    // start back-fills them from anvil's history, and venues stay held (frozen) until they are
    // complete (live profiles use a day: LST rates move once per oracle report).
    watch: { ...DEVNET_WATCH },
    // Three committee members, two approvals for plans moving more than 150 wstETH.
    // Score window and APY-drop baseline: 20 s of 1 s blocks (every block stored), the former 20 samples.
    // Plans only on finalised data (the lag is the finality depth: none in tests, 2 s under npm start).
    strategy: { maxUnfinalisedBlocks: 0, approvalThreshold: 150, committee: { members: ['alice', 'bob', 'carol'], required: 2 }, risk: { scoreWindowSeconds: DEVNET_SPANS.scoreWindowSeconds } },
    alerts: { apyBaselineSeconds: DEVNET_SPANS.apyBaselineSeconds },
    telegram: devnetTelegramConfig(opts.botApiPort),
    ...(deployment.custody
      ? {
          custody: {
            kind: 'safe' as const,
            owners: deployment.custody.owners,
            threshold: deployment.custody.threshold,
            executor: deployment.custody.executor,
            // The local Safe Transaction Service (PM2 app safe-tx-service): committee plans go there.
            chains: chains.map((c) => ({
              chain: c.name,
              roles: deployment.custody!.roles,
              contracts: deployment.custody!.contracts,
              txServiceUrl: txServiceUrlFor(opts.txServiceUrl ?? DEVNET_SAFE_TX_SERVICE_URL, c.chainId),
            })),
            allowance: { amount: DEVNET_MOVE_BUDGET, periodSeconds: 86_400 },
          },
        }
      : {}),
    // The governance world (devnet/governance/README.md): the local Snapshot hub (PM2 app
    // snapshot-hub), the upstream DAO's space and Governor, the pool's signalling space.
    // One key, one job: the executor signs with the pool's key (#1), the governor with its own (#10).
    execution: { keyEnv: 'POOLWARDEN_EXECUTOR_KEY' },
    governance: {
      voter: { keyEnv: 'POOLWARDEN_VOTER_KEY', account: deployment.accounts.voter ?? devAccount(ROLES.voter).address },
      snapshot: { graphqlUrl: `${hubUrl}/graphql`, sequencerUrl: hubUrl, ipfsUrl: `${hubUrl}/ipfs/` },
      upstream: {
        spaces: [spaces.upstream],
        governors: chains.flatMap((c) => (c.dao ? [{ chain: c.name, address: c.dao.governor }] : [])),
        ...(registryChain ? { delegateRegistry: { chain: registryChain.name, address: registryChain.dao!.delegateRegistry! } } : {}),
      },
      signalling: { space: spaces.signals, chain: (chains.find((c) => c.dao) ?? chains[0])?.name },
      policy: { ...DEVNET_GOVERNANCE_POLICY },
      pollSeconds: 5,
    },
    // Reward epochs of a few minutes; claims paid on the first chain; the distributor signs with its
    // own key (#7, the only member of its own Roles role: setRoot and the funding) in custody "safe",
    // the pool's in "eoa". The funding cap's period defaults to the epoch (one funding per epoch).
    ...(rewardsChain
      ? {
          rewards: {
            chain: rewardsChain.name,
            distributor: rewardsChain.rewardsDistributor!,
            epochSeconds: DEVNET_EPOCH_SECONDS,
            commissionBps: 1000,
            feeRecipient: devAccount(ROLES.deployer).address,
            signer: deployment.custody
              ? { keyEnv: 'POOLWARDEN_DISTRIBUTOR_KEY', account: devAccount(ROLES.distributor).address }
              : { keyEnv: 'POOLWARDEN_EXECUTOR_KEY', account: deployment.accounts.pool },
            fundingAllowance: { amount: 100 },
            settleSeconds: 3,
          },
        }
      : {}),
    ...(whChains.length > 1
      ? {
          wormhole: {
            network: 'Devnet' as const,
            api: opts.guardianUrl ?? DEFAULT_GUARDIAN_URL,
            lstHomeChain: whChains.find((c) => c.wormhole.lstHome)?.name ?? whChains[0]!.name,
            chains: whChains.map((c) => ({
              chain: c.name,
              wormholeChain: c.wormhole.wormholeChain,
              wormholeChainId: c.wormhole.wormholeChainId,
              coreBridge: c.wormhole.coreBridge,
              tokenBridge: c.wormhole.tokenBridge,
              lst: c.wormhole.lst,
              finality: DEVNET_WORMHOLE_FINALITY,
            })),
          },
        }
      : {}),
  }
  return configSchema.parse(input)
}

// ── entry points ─────────────────────────────────────────────────────────────────────────────

export async function deployDevnet(opts: DeployOptions): Promise<DeployResult> {
  const names = new Set<string>()
  for (const c of opts.chains) {
    if (names.has(c.name)) throw new Error(`deployDevnet: chain "${c.name}" given twice`)
    names.add(c.name)
  }
  // Refuse a scenario that does not fit before deploying anything (venue ids are known up front).
  if (opts.scenario) {
    const problems = checkScenario(opts.scenario, devnetVenueModels(opts.chains.map((c) => c.name)))
    if (problems.length > 0) throw new Error(problems.join('\n'))
  }
  const daoGovernor = opts.daoGovernor ?? opts.scenario?.governance?.governor ?? { votingDelay: DAO_GOVERNOR.votingDelay, votingPeriod: DAO_GOVERNOR.votingPeriod }
  const custodyKind = opts.custody ?? 'safe'
  const deployed = await deployChains(opts.chains, opts.artifacts, opts.onProgress, daoGovernor, custodyKind)
  const custody = deployed[0]?.custody
  for (const c of deployed) {
    if (c.custody?.safe !== custody?.safe) throw new Error(`deployDevnet: the pool's Safe on ${c.name} is ${c.custody?.safe}, on ${deployed[0]!.name} ${custody?.safe}: expected one address`)
    delete c.custody
  }
  const walletChains = deployed.filter((c) => c.wallet1271)
  const deployment: Deployment = {
    version: 1,
    deployedAt: new Date().toISOString(),
    accounts: {
      deployer: devAccount(ROLES.deployer).address,
      pool: devAccount(ROLES.pool).address,
      voter: devAccount(ROLES.voter).address,
      operator: devAccount(ROLES.operator).address,
      delegators: ROLES.delegators.map((i) => devAccount(i).address),
    },
    chains: Object.fromEntries(deployed.map((c) => [c.name, c])),
    contractDelegators: [...new Set(walletChains.map((c) => c.wallet1271!))].map((address) => ({
      address,
      owner: devAccount(GOV_ROLES.walletOwner).address,
      chains: walletChains.filter((c) => c.wallet1271 === address).map((c) => c.name),
    })),
    ...(custody ? { custody } : {}),
  }
  const config = buildDevnetConfig(deployment, {
    storePath: opts.storePath,
    blockTimeMs: opts.blockTimeMs,
    ...(opts.finalityDepth !== undefined ? { finalityDepth: opts.finalityDepth } : {}),
    spaces: opts.scenario?.governance?.spaces,
    guardianUrl: opts.guardianUrl,
    hubUrl: opts.hubUrl,
    txServiceUrl: opts.txServiceUrl,
    botApiPort: opts.botApiPort,
  })
  if (custody) {
    // The Roles modifiers need the config (the role is generated from it).
    const sessions = opts.chains.map((spec) => new ChainSession(spec))
    await Promise.all(
      sessions.map((s) =>
        s.withAutomine(async () => {
          opts.onProgress?.({ chain: s.spec.name, step: 'roles modifier' })
          await setUpRoles(s, config, s.spec.name)
          const dao = deployment.chains[s.spec.name]?.dao
          if (dao?.delegateRegistry) {
            opts.onProgress?.({ chain: s.spec.name, step: 'pool votes' })
            await delegatePoolVotes(config, s.spec.name, { token: dao.token, delegateRegistry: dao.delegateRegistry })
          }
        }),
      ),
    )
  }
  return { deployment, config }
}

/** Every simulated venue of a deployment, all chains. */

/** Writes the config (e.g. .devnet/config.json) and deployment.json beside it. */
export async function writeDevnetConfig(result: DeployResult, configPath = '.devnet/config.json'): Promise<{ configPath: string; deploymentPath: string }> {
  const dir = path.dirname(configPath)
  const deploymentPath = path.join(dir, 'deployment.json')
  await mkdir(dir, { recursive: true })
  await writeFile(configPath, `${JSON.stringify(result.config, null, 2)}\n`)
  await writeFile(deploymentPath, `${JSON.stringify(result.deployment, null, 2)}\n`)
  return { configPath, deploymentPath }
}


