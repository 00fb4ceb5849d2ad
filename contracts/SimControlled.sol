// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice Devnet only. A simulated venue whose market parameters may be changed by its owner
/// (the deployer) or by the chain's SimController (which the market simulator drives, one
/// transaction per block for all venues of a chain).
abstract contract SimControlled is Ownable {
    address public controller;

    event ControllerSet(address indexed controller);

    error NotController(address caller);

    constructor(address owner_) Ownable(owner_) {}

    modifier onlyController() {
        if (msg.sender != controller && msg.sender != owner()) revert NotController(msg.sender);
        _;
    }

    function setController(address controller_) external onlyOwner {
        controller = controller_;
        emit ControllerSet(controller_);
    }
}
