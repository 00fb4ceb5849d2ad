// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SimControlled} from "./SimControlled.sol";
import {ISimMintable} from "./SimLST.sol";

/// @notice Devnet only. An ERC-4626 vault over an LST whose yield accrues at a settable APR:
/// `totalAssets()` includes the yield accrued since the last checkpoint (so `convertToAssets`
/// grows every block), and the yield is minted in the LST to the vault on every checkpoint (the
/// vault is a minter of the LST), so it is really backed.
///
/// Liquidity: only `idleBps` of the assets are idle; the rest is "deployed". `maxWithdraw` is the
/// owner's assets capped by the idle liquidity. Paused: deposits and withdrawals revert and, as
/// ERC-4626 requires, `maxDeposit`/`maxMint`/`maxWithdraw`/`maxRedeem` return 0.
contract SimVault is ERC4626, Pausable, SimControlled {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant YEAR = 365 days;

    /// Vault APR in asset units, 1e18 = 100 % per year (simple interest between checkpoints).
    uint256 public aprWad;
    uint64 public lastAccrual;
    /// Share of total assets available for withdrawal, in bps.
    uint256 public idleBps;

    /// Who mints the yield: the asset itself when zero (the vault is one of its minters); else a
    /// reserve (SimYieldReserve) on chains where the asset is a bridged token nobody here can mint.
    address public yieldSource;

    event ParamsSet(uint256 aprWad, uint256 idleBps, bool paused);
    event YieldAccrued(uint256 assets);
    event YieldSourceSet(address source);

    error BpsTooLarge(uint256 bps);

    constructor(
        IERC20 asset_,
        string memory name_,
        string memory symbol_,
        address owner_,
        uint256 aprWad_,
        uint256 idleBps_
    ) ERC20(name_, symbol_) ERC4626(asset_) SimControlled(owner_) {
        if (idleBps_ > BPS) revert BpsTooLarge(idleBps_);
        aprWad = aprWad_;
        idleBps = idleBps_;
        lastAccrual = uint64(block.timestamp);
    }

    // ── yield ────────────────────────────────────────────────────────────────────────────────

    /// Yield accrued since the last checkpoint, not yet minted.
    function pendingYield() public view returns (uint256) {
        uint256 held = IERC20(asset()).balanceOf(address(this));
        return (held * aprWad * (block.timestamp - lastAccrual)) / (WAD * YEAR);
    }

    function totalAssets() public view override returns (uint256) {
        return IERC20(asset()).balanceOf(address(this)) + pendingYield();
    }

    /// Mints the pending yield to the vault (anyone may call; totalAssets is unchanged by it).
    function accrue() public {
        uint256 y = pendingYield();
        lastAccrual = uint64(block.timestamp);
        if (y > 0) {
            ISimMintable(yieldSource == address(0) ? asset() : yieldSource).mint(address(this), y);
            emit YieldAccrued(y);
        }
    }

    function setYieldSource(address source) external onlyOwner {
        accrue();
        yieldSource = source;
        emit YieldSourceSet(source);
    }

    // ── liquidity ────────────────────────────────────────────────────────────────────────────

    /// Assets that can leave the vault now.
    function idleLiquidity() public view returns (uint256) {
        return (totalAssets() * idleBps) / BPS;
    }

    function maxDeposit(address receiver) public view override returns (uint256) {
        return paused() ? 0 : super.maxDeposit(receiver);
    }

    function maxMint(address receiver) public view override returns (uint256) {
        return paused() ? 0 : super.maxMint(receiver);
    }

    function maxWithdraw(address owner_) public view override returns (uint256) {
        if (paused()) return 0;
        return Math.min(super.maxWithdraw(owner_), idleLiquidity());
    }

    function maxRedeem(address owner_) public view override returns (uint256) {
        if (paused()) return 0;
        return Math.min(super.maxRedeem(owner_), _convertToShares(idleLiquidity(), Math.Rounding.Floor));
    }

    function _deposit(address caller, address receiver, uint256 assets, uint256 shares)
        internal
        override
        whenNotPaused
    {
        accrue();
        super._deposit(caller, receiver, assets, shares);
    }

    function _withdraw(address caller, address receiver, address owner_, uint256 assets, uint256 shares)
        internal
        override
        whenNotPaused
    {
        accrue();
        super._withdraw(caller, receiver, owner_, assets, shares);
    }

    // ── fault injection ──────────────────────────────────────────────────────────────────────

    event LossRealized(uint256 lossBps, uint256 assets);

    /// A strategy loss: `lossBps` of the vault's held assets leave it (to the owner), so the share
    /// price falls at once (the slippage fault of `npm run faults`: a withdrawal then burns more
    /// shares than previewed). Donating assets to the vault raises the share price instead.
    function realizeLoss(uint256 lossBps) external onlyController {
        if (lossBps > BPS) revert BpsTooLarge(lossBps);
        accrue();
        uint256 lost = (IERC20(asset()).balanceOf(address(this)) * lossBps) / BPS;
        IERC20(asset()).transfer(owner(), lost);
        emit LossRealized(lossBps, lost);
    }

    // ── market parameters ────────────────────────────────────────────────────────────────────

    function setParams(uint256 aprWad_, uint256 idleBps_, bool paused_) external onlyController {
        if (idleBps_ > BPS) revert BpsTooLarge(idleBps_);
        accrue();
        aprWad = aprWad_;
        idleBps = idleBps_;
        if (paused_ && !paused()) _pause();
        else if (!paused_ && paused()) _unpause();
        emit ParamsSet(aprWad_, idleBps_, paused_);
    }
}
