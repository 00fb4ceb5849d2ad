// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SimControlled} from "./SimControlled.sol";
import {SimAToken} from "./SimAToken.sol";
import {ISimMintable} from "./SimLST.sol";

/// @notice Devnet only. One Aave-v3-style market with a single reserve (an LST). The same contract
/// answers as the Pool (`supply`, `withdraw`) and as the AaveProtocolDataProvider
/// (`getReserveData`, `getPaused`, `getReserveTokensAddresses`), with the mainnet ABIs.
///
/// Interest: the liquidity index grows linearly at `liquidityRate` (ray, APR) between updates,
/// like Aave's `getReserveNormalizedIncome`; every update mints LST to the market so that the
/// aToken supply stays fully backed. Borrowers are simulated: `utilisationBps` of the aToken supply
/// counts as variable debt, and only the rest can be withdrawn. Paused: supply and withdraw revert.
///
/// `getReserveData` returns the stored indexes and `lastUpdateTimestamp` (as Aave does); totals are
/// current. There is no debt token: the debt token addresses are zero.
contract SimAaveMarket is SimControlled {
    using SafeERC20 for IERC20;

    uint256 internal constant RAY = 1e27;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant YEAR = 365 days;

    address public immutable ASSET;
    SimAToken public immutable aToken;

    uint256 public liquidityIndex;
    uint256 public variableBorrowIndex;
    uint40 public lastUpdateTimestamp;
    /// Supply APR and variable borrow APR, rays.
    uint256 public liquidityRate;
    uint256 public variableBorrowRate;
    uint256 public utilisationBps;
    bool public paused;
    /// Who mints the LST that backs accrued interest: the asset itself when zero (the market is
    /// one of its minters); else a reserve (SimYieldReserve) where the asset is a bridged token.
    address public yieldSource;

    event Supply(address indexed reserve, address user, address indexed onBehalfOf, uint256 amount, uint16 indexed referralCode);
    event Withdraw(address indexed reserve, address indexed user, address indexed to, uint256 amount);
    event ParamsSet(uint256 liquidityRate, uint256 variableBorrowRate, uint256 utilisationBps, bool paused);

    error UnknownReserve(address asset);
    error ReservePaused();
    error BpsTooLarge(uint256 bps);
    error NotEnoughBalance(uint256 balance, uint256 requested);
    error NotEnoughLiquidity(uint256 available, uint256 requested);

    constructor(
        address asset_,
        string memory aTokenName,
        string memory aTokenSymbol,
        address owner_,
        uint256 liquidityRate_,
        uint256 variableBorrowRate_,
        uint256 utilisationBps_
    ) SimControlled(owner_) {
        if (utilisationBps_ > BPS) revert BpsTooLarge(utilisationBps_);
        ASSET = asset_;
        aToken = new SimAToken(address(this), asset_, aTokenName, aTokenSymbol);
        liquidityIndex = RAY;
        variableBorrowIndex = RAY;
        lastUpdateTimestamp = uint40(block.timestamp);
        liquidityRate = liquidityRate_;
        variableBorrowRate = variableBorrowRate_;
        utilisationBps = utilisationBps_;
    }

    /// Set before the first supply (the next index update pays from the new source).
    function setYieldSource(address source) external onlyOwner {
        yieldSource = source;
    }

    modifier onlyReserve(address asset_) {
        if (asset_ != ASSET) revert UnknownReserve(asset_);
        _;
    }

    // ── Pool ─────────────────────────────────────────────────────────────────────────────────

    function supply(address asset_, uint256 amount, address onBehalfOf, uint16 referralCode)
        external
        onlyReserve(asset_)
    {
        if (paused) revert ReservePaused();
        _updateState();
        IERC20(ASSET).safeTransferFrom(msg.sender, address(this), amount);
        aToken.mint(onBehalfOf, amount, liquidityIndex);
        emit Supply(asset_, msg.sender, onBehalfOf, amount, referralCode);
    }

    /// Withdraws `amount` (type(uint256).max = the whole balance) to `to`.
    function withdraw(address asset_, uint256 amount, address to) external onlyReserve(asset_) returns (uint256) {
        if (paused) revert ReservePaused();
        _updateState();
        uint256 balance = aToken.balanceOf(msg.sender);
        if (amount == type(uint256).max) amount = balance;
        if (amount > balance) revert NotEnoughBalance(balance, amount);
        uint256 available = availableLiquidity();
        if (amount > available) revert NotEnoughLiquidity(available, amount);
        aToken.burn(msg.sender, amount, liquidityIndex);
        IERC20(ASSET).safeTransfer(to, amount);
        emit Withdraw(asset_, msg.sender, to, amount);
        return amount;
    }

    /// Current liquidity index (ray): stored index grown linearly since the last update.
    function getReserveNormalizedIncome(address asset_) public view onlyReserve(asset_) returns (uint256) {
        return _grow(liquidityIndex, liquidityRate);
    }

    function totalAToken() public view returns (uint256) {
        return aToken.totalSupply();
    }

    function totalVariableDebt() public view returns (uint256) {
        return (totalAToken() * utilisationBps) / BPS;
    }

    /// What suppliers can withdraw now: supplied minus (simulated) borrowed.
    function availableLiquidity() public view returns (uint256) {
        return totalAToken() - totalVariableDebt();
    }

    // ── AaveProtocolDataProvider ─────────────────────────────────────────────────────────────

    function getReserveData(address asset_)
        external
        view
        returns (
            uint256 unbacked,
            uint256 accruedToTreasuryScaled,
            uint256 totalATokenOut,
            uint256 totalStableDebt,
            uint256 totalVariableDebtOut,
            uint256 liquidityRateOut,
            uint256 variableBorrowRateOut,
            uint256 stableBorrowRate,
            uint256 averageStableBorrowRate,
            uint256 liquidityIndexOut,
            uint256 variableBorrowIndexOut,
            uint40 lastUpdateTimestampOut
        )
    {
        // No stable debt, no unbacked supply, nothing accrued to a treasury.
        unbacked = 0;
        accruedToTreasuryScaled = 0;
        totalStableDebt = 0;
        stableBorrowRate = 0;
        averageStableBorrowRate = 0;
        // Unknown asset: all zeros, as Aave's data provider answers.
        if (asset_ == ASSET) {
            totalATokenOut = totalAToken();
            totalVariableDebtOut = (totalATokenOut * utilisationBps) / BPS;
            liquidityRateOut = liquidityRate;
            variableBorrowRateOut = variableBorrowRate;
            liquidityIndexOut = liquidityIndex;
            variableBorrowIndexOut = variableBorrowIndex;
            lastUpdateTimestampOut = lastUpdateTimestamp;
        }
    }

    function getPaused(address asset_) external view returns (bool isPaused) {
        return asset_ == ASSET && paused;
    }

    function getReserveTokensAddresses(address asset_)
        external
        view
        returns (address aTokenAddress, address stableDebtTokenAddress, address variableDebtTokenAddress)
    {
        if (asset_ != ASSET) return (address(0), address(0), address(0));
        return (address(aToken), address(0), address(0));
    }

    // ── market parameters ────────────────────────────────────────────────────────────────────

    function setParams(uint256 liquidityRate_, uint256 variableBorrowRate_, uint256 utilisationBps_, bool paused_)
        external
        onlyController
    {
        if (utilisationBps_ > BPS) revert BpsTooLarge(utilisationBps_);
        _updateState();
        liquidityRate = liquidityRate_;
        variableBorrowRate = variableBorrowRate_;
        utilisationBps = utilisationBps_;
        paused = paused_;
        emit ParamsSet(liquidityRate_, variableBorrowRate_, utilisationBps_, paused_);
    }

    // ── internals ────────────────────────────────────────────────────────────────────────────

    function _grow(uint256 index, uint256 rate) internal view returns (uint256) {
        uint256 dt = block.timestamp - lastUpdateTimestamp;
        return Math.mulDiv(index, RAY + (rate * dt) / YEAR, RAY);
    }

    /// Moves the indexes to now and mints LST so the market holds at least the aToken supply.
    function _updateState() internal {
        if (lastUpdateTimestamp == block.timestamp) return;
        liquidityIndex = _grow(liquidityIndex, liquidityRate);
        variableBorrowIndex = _grow(variableBorrowIndex, variableBorrowRate);
        lastUpdateTimestamp = uint40(block.timestamp);
        uint256 owed = aToken.totalSupply() + 1;
        uint256 held = IERC20(ASSET).balanceOf(address(this));
        if (held < owed) ISimMintable(yieldSource == address(0) ? ASSET : yieldSource).mint(address(this), owed - held);
    }
}
