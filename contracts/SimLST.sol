// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {SimControlled} from "./SimControlled.sol";

/// @notice Anything that lets approved contracts mint it (the LSTs: vaults and lending markets
/// mint the yield they pay so that it is really backed).
interface ISimMintable {
    function mint(address to, uint256 amount) external;
}

/// @notice Devnet only. A liquid staking token whose exchange rate (backing asset per token,
/// 1e18-scaled) accrues linearly with block.timestamp at an APR set by the controller. Every
/// change checkpoints the rate, so accrual is piecewise linear between changes. `slash` cuts the
/// rate. The owner and approved minters (vaults, lending markets) can mint.
abstract contract SimLST is ERC20, SimControlled, ISimMintable {
    uint256 internal constant WAD = 1e18;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant YEAR = 365 days;

    /// Exchange rate at `checkpointAt`, 1e18-scaled.
    uint256 public rateCheckpoint;
    uint64 public checkpointAt;
    /// Staking APR, 1e18 = 100 % per year (simple interest between checkpoints).
    uint256 public aprWad;
    mapping(address => bool) public isMinter;

    event AprSet(uint256 aprWad, uint256 rate);
    event Slashed(uint256 lossBps, uint256 rateBefore, uint256 rateAfter);
    event MinterSet(address indexed minter, bool allowed);

    error NotMinter(address caller);
    error LossTooLarge(uint256 lossBps);

    constructor(string memory name_, string memory symbol_, address owner_, uint256 initialRate, uint256 aprWad_)
        ERC20(name_, symbol_)
        SimControlled(owner_)
    {
        rateCheckpoint = initialRate;
        checkpointAt = uint64(block.timestamp);
        aprWad = aprWad_;
    }

    /// Backing asset per token now, 1e18-scaled.
    function exchangeRate() public view returns (uint256) {
        return rateCheckpoint + (rateCheckpoint * aprWad * (block.timestamp - checkpointAt)) / (WAD * YEAR);
    }

    function setApr(uint256 aprWad_) external onlyController {
        _checkpoint();
        aprWad = aprWad_;
        emit AprSet(aprWad_, rateCheckpoint);
    }

    /// Cuts the exchange rate by `lossBps` (a slashing event spread over all holders).
    function slash(uint256 lossBps) external onlyController {
        if (lossBps > BPS) revert LossTooLarge(lossBps);
        _checkpoint();
        uint256 before = rateCheckpoint;
        rateCheckpoint = (before * (BPS - lossBps)) / BPS;
        emit Slashed(lossBps, before, rateCheckpoint);
    }

    function setMinter(address minter, bool allowed) external onlyOwner {
        isMinter[minter] = allowed;
        emit MinterSet(minter, allowed);
    }

    function mint(address to, uint256 amount) external {
        if (!isMinter[msg.sender] && msg.sender != owner()) revert NotMinter(msg.sender);
        _mint(to, amount);
    }

    function _checkpoint() internal {
        rateCheckpoint = exchangeRate();
        checkpointAt = uint64(block.timestamp);
    }
}
