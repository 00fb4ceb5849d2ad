// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SimLST} from "./SimLST.sol";

/// @notice Devnet only. Lido wstETH look-alike: `stEthPerToken()` is the exchange rate.
contract SimWstETH is SimLST {
    constructor(address owner_, uint256 initialRate, uint256 aprWad_)
        SimLST("Wrapped liquid staked Ether 2.0", "wstETH", owner_, initialRate, aprWad_)
    {}

    /// stETH per wstETH, 1e18-scaled (mainnet ABI).
    function stEthPerToken() external view returns (uint256) {
        return exchangeRate();
    }

    /// wstETH per stETH, 1e18-scaled (mainnet ABI).
    function tokensPerStEth() external view returns (uint256) {
        return (WAD * WAD) / exchangeRate();
    }
}
