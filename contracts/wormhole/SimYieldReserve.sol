// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ISimMintable} from "../SimLST.sol";

/// @notice Devnet only. Pays the yield of the simulated venues on a chain where their asset is the
/// Wormhole-wrapped LST (only the token bridge can mint it): holds wrapped LST bridged in at deploy
/// time and "mints" (transfers) it to the vaults and markets allowed by the owner. Same interface
/// as the LSTs' mint, so a venue only needs its yield source pointed here.
contract SimYieldReserve is Ownable, ISimMintable {
    using SafeERC20 for IERC20;

    IERC20 public immutable TOKEN;
    mapping(address => bool) public isMinter;

    event MinterSet(address indexed minter, bool allowed);

    error NotMinter(address caller);

    constructor(IERC20 token, address owner_) Ownable(owner_) {
        TOKEN = token;
    }

    function setMinter(address minter, bool allowed) external onlyOwner {
        isMinter[minter] = allowed;
        emit MinterSet(minter, allowed);
    }

    function mint(address to, uint256 amount) external {
        if (!isMinter[msg.sender]) revert NotMinter(msg.sender);
        TOKEN.safeTransfer(to, amount);
    }
}
