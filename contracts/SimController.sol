// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

interface ISimLST {
    function setApr(uint256 aprWad) external;
    function slash(uint256 lossBps) external;
}

interface ISimPriceFeed {
    function setAnswer(int256 answer) external;
}

interface ISimVault {
    function setParams(uint256 aprWad, uint256 idleBps, bool paused) external;
}

interface ISimAaveMarket {
    function setParams(uint256 liquidityRate, uint256 variableBorrowRate, uint256 utilisationBps, bool paused)
        external;
}

/// @notice Devnet only. One per chain: the controller of every simulated venue of the chain, so
/// the market simulator sets all of a chain's market parameters for a block in ONE transaction
/// (`update`). `index` is the scenario's block index: it must not go backwards, so an update is
/// applied at most once (a restarted simulator cannot slash twice). Called by the operator (the
/// simulator's account) or the owner (the deployer).
contract SimController is Ownable {
    struct LstUpdate {
        address token;
        uint256 aprWad;
        uint256 slashBps; // 0 = no slash
    }

    struct FeedUpdate {
        address feed;
        int256 answer;
    }

    struct VaultUpdate {
        address vault;
        uint256 aprWad;
        uint256 idleBps;
        bool paused;
    }

    struct MarketUpdate {
        address market;
        uint256 liquidityRate;
        uint256 variableBorrowRate;
        uint256 utilisationBps;
        bool paused;
    }

    address public operator;
    /// The lowest scenario index `update` accepts (last applied index + 1).
    uint256 public nextIndex;

    event OperatorSet(address indexed operator);
    event Updated(uint256 indexed index);

    error NotOperator(address caller);
    error StaleIndex(uint256 index, uint256 nextIndex);

    constructor(address owner_, address operator_) Ownable(owner_) {
        operator = operator_;
        emit OperatorSet(operator_);
    }

    function setOperator(address operator_) external onlyOwner {
        operator = operator_;
        emit OperatorSet(operator_);
    }

    function update(
        uint256 index,
        LstUpdate[] calldata lsts,
        FeedUpdate[] calldata feeds,
        VaultUpdate[] calldata vaults,
        MarketUpdate[] calldata markets
    ) external {
        if (msg.sender != operator && msg.sender != owner()) revert NotOperator(msg.sender);
        if (index < nextIndex) revert StaleIndex(index, nextIndex);
        nextIndex = index + 1;
        for (uint256 i = 0; i < lsts.length; i++) {
            ISimLST(lsts[i].token).setApr(lsts[i].aprWad);
            if (lsts[i].slashBps > 0) ISimLST(lsts[i].token).slash(lsts[i].slashBps);
        }
        for (uint256 i = 0; i < feeds.length; i++) {
            ISimPriceFeed(feeds[i].feed).setAnswer(feeds[i].answer);
        }
        for (uint256 i = 0; i < vaults.length; i++) {
            VaultUpdate calldata v = vaults[i];
            ISimVault(v.vault).setParams(v.aprWad, v.idleBps, v.paused);
        }
        for (uint256 i = 0; i < markets.length; i++) {
            MarketUpdate calldata m = markets[i];
            ISimAaveMarket(m.market).setParams(m.liquidityRate, m.variableBorrowRate, m.utilisationBps, m.paused);
        }
        emit Updated(index);
    }
}
