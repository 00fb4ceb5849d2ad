// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice The pool's reward distributor: a minimal cumulative Merkle distributor on
/// OpenZeppelin's MerkleProof. Each epoch the owner (the pool: its Safe, through the distributor's
/// Roles permission, or the pool's account) publishes the root of a tree of
/// `(account, cumulativeAmount)` leaves (OpenZeppelin StandardMerkleTree encoding:
/// `keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))`, sorted pairs).
/// `claim` pays `account` the difference between its cumulative amount and what it has already
/// claimed; anyone may submit a claim for any account (the funds always go to the account, so a
/// contract wallet, e.g. an EIP-1271 one, claims like an EOA: someone submits for it).
contract CumulativeMerkleDistributor is Ownable {
    using SafeERC20 for IERC20;

    IERC20 public immutable token;
    /// The current root (every claim is checked against it).
    bytes32 public merkleRoot;
    /// The epoch of the current root (epochs without earnings have no root, so numbers may skip).
    uint256 public epoch;
    /// Every published root by epoch (for verification of past epochs).
    mapping(uint256 => bytes32) public rootOf;
    /// Cumulative amount claimed per account.
    mapping(address => uint256) public claimed;

    event RootSet(uint256 indexed epoch, bytes32 root);
    event Claimed(address indexed account, uint256 amount, uint256 cumulativeAmount);

    error EpochNotAfter(uint256 current, uint256 given);
    error InvalidProof();
    error NothingToClaim();

    constructor(IERC20 token_, address owner_) Ownable(owner_) {
        token = token_;
    }

    function setRoot(uint256 epoch_, bytes32 root) external onlyOwner {
        if (epoch_ <= epoch) revert EpochNotAfter(epoch, epoch_);
        epoch = epoch_;
        merkleRoot = root;
        rootOf[epoch_] = root;
        emit RootSet(epoch_, root);
    }

    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
        if (!MerkleProof.verifyCalldata(proof, merkleRoot, leaf)) revert InvalidProof();
        uint256 already = claimed[account];
        if (cumulativeAmount <= already) revert NothingToClaim();
        claimed[account] = cumulativeAmount;
        token.safeTransfer(account, cumulativeAmount - already);
        emit Claimed(account, cumulativeAmount - already, cumulativeAmount);
    }
}
