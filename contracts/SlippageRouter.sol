// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC4626} from "@openzeppelin/contracts/interfaces/IERC4626.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

interface IAaveV3Pool {
    function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode) external;
    function withdraw(address asset, uint256 amount, address to) external returns (uint256);
}

/// @notice poolwarden's slippage-bounded moves (live and devnet alike; not a Sim contract).
/// Stateless: no owner, no storage, nothing held between calls. Every function moves only the
/// CALLER's funds (pulled from msg.sender, or burned from msg.sender's shares through its
/// allowance), delivers to `receiver` in the same call, and reverts unless what came back is
/// within the caller's bound, measured as balance deltas (never the venue's return value):
///   depositChecked        vault shares received by `receiver`  >= minSharesOut
///   withdrawChecked       vault shares burned from the caller  <= maxSharesIn, assets received >= assets
///   redeemChecked         assets received by `receiver`        >= minAssetsOut
///   supplyChecked         aTokens credited to `onBehalfOf`     >= minATokenOut
///   withdrawSupplyChecked assets received by `to`              >= minAssetsOut (the caller's `amount` aTokens, all redeemed)
/// A leftover allowance to this router is harmless: only its owner's own calls can use it.
contract SlippageRouter {
    using SafeERC20 for IERC20;

    error SharesOutBelowMinimum(uint256 minimum, uint256 actual);
    error SharesInAboveMaximum(uint256 maximum, uint256 actual);
    error AssetsOutBelowMinimum(uint256 minimum, uint256 actual);
    error ATokenOutBelowMinimum(uint256 minimum, uint256 actual);
    error OwnerNotCaller(address owner, address caller);

    function depositChecked(IERC4626 vault, uint256 assets, address receiver, uint256 minSharesOut)
        external
        returns (uint256 shares)
    {
        IERC20 asset = IERC20(vault.asset());
        asset.safeTransferFrom(msg.sender, address(this), assets);
        asset.forceApprove(address(vault), assets);
        uint256 before = vault.balanceOf(receiver);
        vault.deposit(assets, receiver);
        shares = vault.balanceOf(receiver) - before;
        if (shares < minSharesOut) revert SharesOutBelowMinimum(minSharesOut, shares);
        asset.forceApprove(address(vault), 0);
    }

    function withdrawChecked(IERC4626 vault, uint256 assets, address receiver, address owner, uint256 maxSharesIn)
        external
        returns (uint256 shares)
    {
        if (owner != msg.sender) revert OwnerNotCaller(owner, msg.sender);
        IERC20 asset = IERC20(vault.asset());
        uint256 sharesBefore = vault.balanceOf(owner);
        uint256 assetsBefore = asset.balanceOf(receiver);
        vault.withdraw(assets, receiver, owner);
        shares = sharesBefore - vault.balanceOf(owner);
        if (shares > maxSharesIn) revert SharesInAboveMaximum(maxSharesIn, shares);
        uint256 got = asset.balanceOf(receiver) - assetsBefore;
        if (got < assets) revert AssetsOutBelowMinimum(assets, got);
    }

    function redeemChecked(IERC4626 vault, uint256 shares, address receiver, address owner, uint256 minAssetsOut)
        external
        returns (uint256 assets)
    {
        if (owner != msg.sender) revert OwnerNotCaller(owner, msg.sender);
        IERC20 asset = IERC20(vault.asset());
        uint256 before = asset.balanceOf(receiver);
        vault.redeem(shares, receiver, owner);
        assets = asset.balanceOf(receiver) - before;
        if (assets < minAssetsOut) revert AssetsOutBelowMinimum(minAssetsOut, assets);
    }

    function supplyChecked(
        IAaveV3Pool pool,
        IERC20 asset,
        IERC20 aToken,
        uint256 amount,
        address onBehalfOf,
        uint256 minATokenOut
    ) external returns (uint256 credited) {
        asset.safeTransferFrom(msg.sender, address(this), amount);
        asset.forceApprove(address(pool), amount);
        uint256 before = aToken.balanceOf(onBehalfOf);
        pool.supply(address(asset), amount, onBehalfOf, 0);
        credited = aToken.balanceOf(onBehalfOf) - before;
        if (credited < minATokenOut) revert ATokenOutBelowMinimum(minATokenOut, credited);
        asset.forceApprove(address(pool), 0);
    }

    function withdrawSupplyChecked(
        IAaveV3Pool pool,
        IERC20 asset,
        IERC20 aToken,
        uint256 amount,
        address to,
        uint256 minAssetsOut
    ) external returns (uint256 got) {
        aToken.safeTransferFrom(msg.sender, address(this), amount);
        uint256 before = asset.balanceOf(to);
        // Everything this call pulled (a rebasing aToken may credit a wei less than `amount`).
        pool.withdraw(address(asset), type(uint256).max, to);
        got = asset.balanceOf(to) - before;
        if (got < minAssetsOut) revert AssetsOutBelowMinimum(minAssetsOut, got);
    }
}
