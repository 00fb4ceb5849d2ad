import { parseAbi } from 'viem'

/**
 * The on-chain interfaces the venue adapters read. They are the mainnet ABIs (subsets):
 * devnet contracts implement exactly these signatures, so the adapters are the ones used live.
 */

/** ERC-20 (plus what an LST share token exposes). */
export const erc20Abi = parseAbi([
  'function balanceOf(address owner) view returns (uint256)',
  'function totalSupply() view returns (uint256)',
  'function decimals() view returns (uint8)',
  'function symbol() view returns (string)',
])

/** ERC-4626 tokenised vault; `paused()` is optional (read with allowFailure). */
export const erc4626Abi = parseAbi([
  'function asset() view returns (address)',
  'function totalAssets() view returns (uint256)',
  'function totalSupply() view returns (uint256)',
  'function balanceOf(address owner) view returns (uint256)',
  'function convertToAssets(uint256 shares) view returns (uint256)',
  'function maxWithdraw(address owner) view returns (uint256)',
  'function paused() view returns (bool)',
  'function deposit(uint256 assets, address receiver) returns (uint256)',
  'function withdraw(uint256 assets, address receiver, address owner) returns (uint256)',
])

/** Lido wstETH: stETH per wstETH, 1e18-scaled. */
export const wstEthAbi = parseAbi(['function stEthPerToken() view returns (uint256)'])

/** Rocket Pool rETH: ETH per rETH, 1e18-scaled. */
export const rEthAbi = parseAbi(['function getExchangeRate() view returns (uint256)'])

/**
 * Aave v3 AaveProtocolDataProvider (PoolDataProvider): everything a lending sample needs in two
 * calls. Rates are rays (1e27), APR per year; amounts in the asset's units.
 */
export const aaveDataProviderAbi = parseAbi([
  'function getReserveData(address asset) view returns (uint256 unbacked, uint256 accruedToTreasuryScaled, uint256 totalAToken, uint256 totalStableDebt, uint256 totalVariableDebt, uint256 liquidityRate, uint256 variableBorrowRate, uint256 stableBorrowRate, uint256 averageStableBorrowRate, uint256 liquidityIndex, uint256 variableBorrowIndex, uint40 lastUpdateTimestamp)',
  'function getPaused(address asset) view returns (bool isPaused)',
  'function getReserveTokensAddresses(address asset) view returns (address aTokenAddress, address stableDebtTokenAddress, address variableDebtTokenAddress)',
])

/** Aave v3 Pool: the calls the executor makes (later issues) and the devnet implements. */
export const aavePoolAbi = parseAbi([
  'function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode)',
  'function withdraw(address asset, uint256 amount, address to) returns (uint256)',
])

/** Chainlink AggregatorV3 (e.g. stETH/ETH): LST market price in its backing asset. */
export const aggregatorV3Abi = parseAbi([
  'function decimals() view returns (uint8)',
  'function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)',
])

/** Multicall3 (canonical 0xcA11bde05977b3631167028862bE2a173976CA11 on every chain). */
export const MULTICALL3_ADDRESS = '0xcA11bde05977b3631167028862bE2a173976CA11' as const
