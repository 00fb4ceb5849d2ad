// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @notice A minimal smart-contract wallet for the devnet: a delegator that is a contract.
/// `isValidSignature(hash, sig)` (EIP-1271) accepts its owner's ECDSA signature of `hash` itself
/// (no re-wrapping of the hash, like a 1-of-1 Safe's `checkSignatures` of an EIP-712 digest),
/// so a Snapshot message signed by the owner for the wallet's address verifies through
/// snapshot.js `utils.verify` / any EIP-1271 caller. `execute` lets the owner act as the wallet
/// (e.g. `PoolShare.delegate(wallet)`).
contract SimWallet1271 is IERC1271 {
    address public immutable owner;

    error NotOwner();
    error CallFailed(bytes reason);

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && signer == owner) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }

    function execute(address target, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        if (msg.sender != owner) revert NotOwner();
        (bool ok, bytes memory ret) = target.call{value: value}(data);
        if (!ok) revert CallFailed(ret);
        return ret;
    }
}
