// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingFractional} from "@openzeppelin/contracts/governance/extensions/GovernorCountingFractional.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// @notice The upstream DAO's on-chain Governor on the devnet: OpenZeppelin Governor with
/// fractional counting (support 255 + 48-byte params; `usedVotes` allows topping up a partial vote).
///
/// Clock: GovernorVotes reads `clock()` / `CLOCK_MODE()` from the token, so the governor runs in the
/// token's mode (the DAO token is a PoolShare: timestamp). Voting delay and period are therefore in SECONDS; they are
/// constructor arguments so tests can use short ones. No timelock: `execute` runs the calls itself.
contract PoolGovernor is Governor, GovernorSettings, GovernorCountingFractional, GovernorVotes, GovernorVotesQuorumFraction {
    constructor(IVotes token_, uint48 votingDelay_, uint32 votingPeriod_, uint256 quorumPercent_)
        Governor("PoolGovernor")
        GovernorSettings(votingDelay_, votingPeriod_, 0)
        GovernorVotes(token_)
        GovernorVotesQuorumFraction(quorumPercent_)
    {}

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }
}
