// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SimLST} from "./SimLST.sol";

/// @notice Devnet only. Rocket Pool rETH look-alike: `getExchangeRate()` is the exchange rate.
contract SimRETH is SimLST {
    constructor(address owner_, uint256 initialRate, uint256 aprWad_)
        SimLST("Rocket Pool ETH", "rETH", owner_, initialRate, aprWad_)
    {}

    /// ETH per rETH, 1e18-scaled (mainnet ABI).
    function getExchangeRate() external view returns (uint256) {
        return exchangeRate();
    }
}
