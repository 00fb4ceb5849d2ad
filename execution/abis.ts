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
