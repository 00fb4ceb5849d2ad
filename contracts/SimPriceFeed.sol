// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {SimControlled} from "./SimControlled.sol";

/// @notice Devnet only. Chainlink AggregatorV3 look-alike giving an LST's market price in its
/// backing asset with 18 decimals (1e18 = on peg). Every `setAnswer` starts a new round.
contract SimPriceFeed is SimControlled {
    string public description;
    uint80 public latestRound;
    int256 public latestAnswer;
    uint256 public latestTimestamp;
    uint8 internal _decimals = 18;

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    constructor(string memory description_, address owner_, int256 answer_) SimControlled(owner_) {
        description = description_;
        _set(answer_);
    }

    /// `view` like Chainlink's aggregator proxies.
    function decimals() external view returns (uint8) {
        return _decimals;
    }

    function version() external pure returns (uint256) {
        return 4;
    }

    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return (latestRound, latestAnswer, latestTimestamp, latestTimestamp, latestRound);
    }

    function setAnswer(int256 answer_) external onlyController {
        _set(answer_);
    }

    function _set(int256 answer_) internal {
        latestRound += 1;
        latestAnswer = answer_;
        latestTimestamp = block.timestamp;
        emit AnswerUpdated(answer_, latestRound, block.timestamp);
    }
}
