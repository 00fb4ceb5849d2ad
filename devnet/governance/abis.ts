import { parseAbi } from 'viem'
import { delegateRegistryAbi as registryCustodyAbi } from '../../execution/custody/snapshotDelegation'

/** ABIs the devnet governance world uses (seeding, the EIP-1271 wallet, hub voting power). */

export const simWallet1271Abi = parseAbi([
  'function owner() view returns (address)',
  'function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)',
  'function execute(address target, uint256 value, bytes data) payable returns (bytes)',
  'error NotOwner()',
  'error CallFailed(bytes reason)',
])

export const devnetGovernorAbi = parseAbi([
  'function propose(address[] targets, uint256[] values, bytes[] calldatas, string description) returns (uint256)',
  'function hashProposal(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) pure returns (uint256)',
  'function state(uint256 proposalId) view returns (uint8)',
  'function proposalSnapshot(uint256 proposalId) view returns (uint256)',
  'function proposalDeadline(uint256 proposalId) view returns (uint256)',
  'function proposalProposer(uint256 proposalId) view returns (address)',
  'function votingDelay() view returns (uint256)',
  'function votingPeriod() view returns (uint256)',
  'event ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description)',
])

/** OpenZeppelin IGovernor.ProposalState order. */
export const PROPOSAL_STATES = ['Pending', 'Active', 'Canceled', 'Defeated', 'Succeeded', 'Queued', 'Expired', 'Executed'] as const

/**
 * Gnosis' DelegateRegistry (contracts/DelegateRegistry.sol): Snapshot's delegation registry — the
 * two functions custody reads and calls (execution/custody/snapshotDelegation.ts), then what the
 * devnet's hub and tests also use.
 */
export const delegateRegistryAbi = [
  ...registryCustodyAbi,
  ...parseAbi([
    'function clearDelegate(bytes32 id)',
    'event SetDelegate(address indexed delegator, bytes32 indexed id, address indexed delegate)',
    'event ClearDelegate(address indexed delegator, bytes32 indexed id, address indexed delegate)',
  ]),
] as const
