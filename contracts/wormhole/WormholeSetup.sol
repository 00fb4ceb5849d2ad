// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";

/// @notice Devnet only. The proxy in front of the Wormhole core bridge and the token bridge
/// (Wormhole's own `Wormhole.sol` / `TokenBridge.sol` are the same ERC-1967 proxy): constructed
/// with a setup contract and its `setup(...)` call data, which writes the storage and then points
/// the proxy at the real implementation (the bytecode shipped in the SDK's npm packages).
contract WormholeProxy is ERC1967Proxy {
    constructor(address setup, bytes memory initData) ERC1967Proxy(setup, initData) {}
}

/// @notice Devnet only. The token bridge's proxy. The SDK ships the token bridge as `Bridge`
/// (without `BridgeImplementation`'s beacon getter), and every wrapped token is a BeaconProxy whose
/// beacon is the token bridge: so the proxy answers `implementation()` itself, from the bridge's
/// storage (`BridgeState._state.tokenImplementation`, slot 1), as `BridgeImplementation` does.
contract WormholeTokenBridgeProxy is ERC1967Proxy {
    constructor(address setup, bytes memory initData) ERC1967Proxy(setup, initData) {}

    /// Beacon of the wrapped tokens: the token implementation the bridge was set up with.
    function implementation() external view returns (address impl) {
        assembly {
            impl := sload(1)
        }
    }
}

/// @notice Devnet only. Initialises the core bridge's storage exactly as Wormhole's
/// `Setup.sol` does, over the same layout (`State.sol`: `Storage.WormholeState _state` at slot 0),
/// then upgrades the proxy to `implementation`. Only ever called through the proxy's constructor.
contract WormholeCoreSetup {
    struct Provider {
        uint16 chainId;
        uint16 governanceChainId;
        bytes32 governanceContract;
    }

    struct GuardianSet {
        address[] keys;
        uint32 expirationTime;
    }

    struct WormholeState {
        Provider provider;
        mapping(uint32 => GuardianSet) guardianSets;
        uint32 guardianSetIndex;
        uint32 guardianSetExpiry;
        mapping(address => uint64) sequences;
        mapping(bytes32 => bool) consumedGovernanceActions;
        mapping(address => bool) initializedImplementations;
        uint256 messageFee;
        uint256 evmChainId;
    }

    WormholeState internal _state;

    error NoGuardians();

    function setup(
        address implementation,
        address[] calldata initialGuardians,
        uint16 chainId,
        uint16 governanceChainId,
        bytes32 governanceContract,
        uint256 evmChainId
    ) external {
        if (initialGuardians.length == 0) revert NoGuardians();
        GuardianSet storage set = _state.guardianSets[0];
        for (uint256 i = 0; i < initialGuardians.length; i++) set.keys.push(initialGuardians[i]);
        set.expirationTime = 0;
        _state.guardianSetIndex = 0;
        _state.provider.chainId = chainId;
        _state.provider.governanceChainId = governanceChainId;
        _state.provider.governanceContract = governanceContract;
        // The EIP-155 chain id the contract runs on: governance refuses to act when
        // block.chainid differs (a fork), so it is the anvil chain's id, not a mainnet one.
        _state.evmChainId = evmChainId;
        _state.initializedImplementations[implementation] = true;
        ERC1967Utils.upgradeToAndCall(implementation, "");
    }
}

/// @notice Devnet only. Initialises the token bridge's storage as Wormhole's `BridgeSetup.sol`
/// does, over `BridgeState.sol`'s layout, then upgrades the proxy to `implementation`.
contract WormholeBridgeSetup {
    struct Provider {
        uint16 chainId;
        uint16 governanceChainId;
        uint8 finality;
        bytes32 governanceContract;
        address WETH;
    }

    struct State {
        address payable wormhole;
        address tokenImplementation;
        Provider provider;
        mapping(bytes32 => bool) consumedGovernanceActions;
        mapping(bytes32 => bool) completedTransfers;
        mapping(address => bool) initializedImplementations;
        mapping(uint16 => mapping(bytes32 => address)) wrappedAssets;
        mapping(address => bool) isWrappedAsset;
        mapping(address => uint256) outstandingBridged;
        mapping(uint16 => bytes32) bridgeImplementations;
        uint256 evmChainId;
    }

    State internal _state;

    function setup(
        address implementation,
        uint16 chainId,
        address wormhole,
        uint16 governanceChainId,
        bytes32 governanceContract,
        address tokenImplementation,
        address weth,
        uint8 finality,
        uint256 evmChainId
    ) external {
        _state.provider.chainId = chainId;
        _state.wormhole = payable(wormhole);
        _state.provider.governanceChainId = governanceChainId;
        _state.provider.governanceContract = governanceContract;
        _state.tokenImplementation = tokenImplementation;
        _state.provider.WETH = weth;
        _state.provider.finality = finality;
        _state.evmChainId = evmChainId;
        _state.initializedImplementations[implementation] = true;
        ERC1967Utils.upgradeToAndCall(implementation, "");
    }
}
