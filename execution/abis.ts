import { parseAbi } from 'viem'

/**
 * The calls the executor makes beyond the venue reads of venues/abis.ts: ERC-20 allowances, and
 * the custom errors of the venues it calls (mainnet ones: OpenZeppelin ERC-20/ERC-4626/Pausable,
 * Aave v3-style), so a pre-flight revert names its reason. Standard Error(string) and Panic are
 * decoded by viem without help.
 */
export const erc20ApproveAbi = parseAbi([
  'function approve(address spender, uint256 amount) returns (bool)',
  'function allowance(address owner, address spender) view returns (uint256)',
  'function balanceOf(address owner) view returns (uint256)',
])

export const venueErrorsAbi = parseAbi([
  // OpenZeppelin ERC-20 (draft-IERC6093)
  'error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)',
  'error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
  'error ERC20InvalidSender(address sender)',
  'error ERC20InvalidReceiver(address receiver)',
  'error ERC20InvalidApprover(address approver)',
  'error ERC20InvalidSpender(address spender)',
  // OpenZeppelin ERC-4626
  'error ERC4626ExceededMaxDeposit(address receiver, uint256 assets, uint256 max)',
  'error ERC4626ExceededMaxMint(address receiver, uint256 shares, uint256 max)',
  'error ERC4626ExceededMaxWithdraw(address owner, uint256 assets, uint256 max)',
  'error ERC4626ExceededMaxRedeem(address owner, uint256 shares, uint256 max)',
  // OpenZeppelin Pausable
  'error EnforcedPause()',
  'error ExpectedPause()',
  // Aave-v3-style market (devnet SimAaveMarket / SimAToken)
  'error ReservePaused()',
  'error UnknownReserve(address asset)',
  'error NotEnoughBalance(uint256 balance, uint256 requested)',
  'error NotEnoughLiquidity(uint256 available, uint256 requested)',
  'error InsufficientBalance(address owner, uint256 balance, uint256 needed)',
  'error InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
])

/**
 * poolwarden's SlippageRouter (contracts/SlippageRouter.sol): every deposit, withdrawal and supply
 * goes through it with a bound it enforces in the same transaction (plans/slippage.ts).
 */
export const slippageRouterAbi = parseAbi([
  'function depositChecked(address vault, uint256 assets, address receiver, uint256 minSharesOut) returns (uint256 shares)',
  'function withdrawChecked(address vault, uint256 assets, address receiver, address owner, uint256 maxSharesIn) returns (uint256 shares)',
  'function redeemChecked(address vault, uint256 shares, address receiver, address owner, uint256 minAssetsOut) returns (uint256 assets)',
  'function supplyChecked(address pool, address asset, address aToken, uint256 amount, address onBehalfOf, uint256 minATokenOut) returns (uint256 credited)',
  'function withdrawSupplyChecked(address pool, address asset, address aToken, uint256 amount, address to, uint256 minAssetsOut) returns (uint256 got)',
  'error SharesOutBelowMinimum(uint256 minimum, uint256 actual)',
  'error SharesInAboveMaximum(uint256 maximum, uint256 actual)',
  'error AssetsOutBelowMinimum(uint256 minimum, uint256 actual)',
  'error ATokenOutBelowMinimum(uint256 minimum, uint256 actual)',
  'error OwnerNotCaller(address owner, address caller)',
  // SafeERC20 (a pull the caller did not approve)
  'error SafeERC20FailedOperation(address token)',
])

/** The router's bound errors: a revert with one of these is slippage, not a failure. */
export const SLIPPAGE_ERRORS = ['SharesOutBelowMinimum', 'SharesInAboveMaximum', 'AssetsOutBelowMinimum', 'ATokenOutBelowMinimum'] as const
