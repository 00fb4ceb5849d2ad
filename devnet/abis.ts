import { parseAbi } from 'viem'

/**
 * Typed ABIs of the devnet-only functions of our contracts (setup, simulator, tests). The venue
 * reads themselves are venues/abis.ts (mainnet ABIs). deploy.devnet.test.ts checks that every
 * item here exists with the same signature in the compiled artifacts.
 */

export const simLstAbi = parseAbi([
  'function mint(address to, uint256 amount)',
  'function setMinter(address minter, bool allowed)',
  'function isMinter(address) view returns (bool)',
  'function setController(address controller)',
  'function controller() view returns (address)',
  'function setApr(uint256 aprWad)',
  'function slash(uint256 lossBps)',
  'function exchangeRate() view returns (uint256)',
  'function aprWad() view returns (uint256)',
  'function approve(address spender, uint256 amount) returns (bool)',
  'function transfer(address to, uint256 amount) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'event Slashed(uint256 lossBps, uint256 rateBefore, uint256 rateAfter)',
])

export const simVaultAbi = parseAbi([
  'function setParams(uint256 aprWad, uint256 idleBps, bool paused)',
  'function setController(address controller)',
  'function aprWad() view returns (uint256)',
  'function idleBps() view returns (uint256)',
  'function paused() view returns (bool)',
  'function idleLiquidity() view returns (uint256)',
  'function pendingYield() view returns (uint256)',
  'function accrue()',
  'function redeem(uint256 shares, address receiver, address owner) returns (uint256)',
  'function maxRedeem(address owner) view returns (uint256)',
  'function maxDeposit(address receiver) view returns (uint256)',
])

export const simAaveMarketAbi = parseAbi([
  'function setParams(uint256 liquidityRate, uint256 variableBorrowRate, uint256 utilisationBps, bool paused)',
  'function setController(address controller)',
  'function aToken() view returns (address)',
  'function ASSET() view returns (address)',
  'function availableLiquidity() view returns (uint256)',
  'function utilisationBps() view returns (uint256)',
  'function getReserveNormalizedIncome(address asset) view returns (uint256)',
])

export const simATokenAbi = parseAbi([
  'function scaledBalanceOf(address user) view returns (uint256)',
  'function scaledTotalSupply() view returns (uint256)',
  'function POOL() view returns (address)',
  'function UNDERLYING_ASSET_ADDRESS() view returns (address)',
])

export const simPriceFeedAbi = parseAbi([
  'function setAnswer(int256 answer)',
  'function setController(address controller)',
  'function description() view returns (string)',
])

export const simControllerAbi = parseAbi([
  'struct LstUpdate { address token; uint256 aprWad; uint256 slashBps; }',
  'struct FeedUpdate { address feed; int256 answer; }',
  'struct VaultUpdate { address vault; uint256 aprWad; uint256 idleBps; bool paused; }',
  'struct MarketUpdate { address market; uint256 liquidityRate; uint256 variableBorrowRate; uint256 utilisationBps; bool paused; }',
  'function update(uint256 index, LstUpdate[] lsts, FeedUpdate[] feeds, VaultUpdate[] vaults, MarketUpdate[] markets)',
  'function nextIndex() view returns (uint256)',
  'function operator() view returns (address)',
  'function setOperator(address operator)',
  'event Updated(uint256 indexed index)',
  'error StaleIndex(uint256 index, uint256 nextIndex)',
  'error NotOperator(address caller)',
])

export const poolShareAbi = parseAbi([
  'function mint(address to, uint256 amount)',
  'function delegate(address delegatee)',
  'function delegates(address account) view returns (address)',
  'function getVotes(address account) view returns (uint256)',
  'function getPastVotes(address account, uint256 timepoint) view returns (uint256)',
  'function getPastTotalSupply(uint256 timepoint) view returns (uint256)',
  'function clock() view returns (uint48)',
  'function CLOCK_MODE() view returns (string)',
  'function balanceOf(address owner) view returns (uint256)',
  'function totalSupply() view returns (uint256)',
  'function nonces(address owner) view returns (uint256)',
  'function DOMAIN_SEPARATOR() view returns (bytes32)',
])
