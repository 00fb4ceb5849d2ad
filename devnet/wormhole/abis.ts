import { parseAbi } from 'viem'

/** The calls the devnet makes on Wormhole's core bridge and token bridge (EVM), and their events. */

export const wormholeCoreAbi = parseAbi([
  'function chainId() view returns (uint16)',
  'function evmChainId() view returns (uint256)',
  'function getCurrentGuardianSetIndex() view returns (uint32)',
  'function getGuardianSet(uint32 index) view returns ((address[] keys, uint32 expirationTime))',
  'function governanceChainId() view returns (uint16)',
  'function governanceContract() view returns (bytes32)',
  'function messageFee() view returns (uint256)',
  'function nextSequence(address emitter) view returns (uint64)',
  'function isInitialized(address impl) view returns (bool)',
  'function publishMessage(uint32 nonce, bytes payload, uint8 consistencyLevel) payable returns (uint64 sequence)',
  'function parseAndVerifyVM(bytes encodedVM) view returns ((uint8 version, uint32 timestamp, uint32 nonce, uint16 emitterChainId, bytes32 emitterAddress, uint64 sequence, uint8 consistencyLevel, bytes payload, uint32 guardianSetIndex, (bytes32 r, bytes32 s, uint8 v, uint8 guardianIndex)[] signatures, bytes32 hash) vm, bool valid, string reason)',
  'event LogMessagePublished(address indexed sender, uint64 sequence, uint32 nonce, bytes payload, uint8 consistencyLevel)',
])

export const tokenBridgeAbi = parseAbi([
  'function chainId() view returns (uint16)',
  'function evmChainId() view returns (uint256)',
  'function finality() view returns (uint8)',
  'function wormhole() view returns (address)',
  'function tokenImplementation() view returns (address)',
  'function governanceChainId() view returns (uint16)',
  'function governanceContract() view returns (bytes32)',
  'function bridgeContracts(uint16 chainId) view returns (bytes32)',
  'function wrappedAsset(uint16 tokenChainId, bytes32 tokenAddress) view returns (address)',
  'function isWrappedAsset(address token) view returns (bool)',
  'function isTransferCompleted(bytes32 hash) view returns (bool)',
  'function outstandingBridged(address token) view returns (uint256)',
  'function registerChain(bytes encodedVM)',
  'function attestToken(address tokenAddress, uint32 nonce) payable returns (uint64 sequence)',
  'function createWrapped(bytes encodedVm) returns (address token)',
  'function transferTokens(address token, uint256 amount, uint16 recipientChain, bytes32 recipient, uint256 arbiterFee, uint32 nonce) payable returns (uint64 sequence)',
  'function completeTransfer(bytes encodedVm)',
])

export const wrappedTokenAbi = parseAbi([
  'function name() view returns (string)',
  'function symbol() view returns (string)',
  'function decimals() view returns (uint8)',
  'function totalSupply() view returns (uint256)',
  'function balanceOf(address) view returns (uint256)',
  'function chainId() view returns (uint16)',
  'function nativeContract() view returns (bytes32)',
  'function owner() view returns (address)',
  'function approve(address spender, uint256 amount) returns (bool)',
])
