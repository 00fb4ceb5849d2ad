import { parseAbi } from 'viem'
import { castVoteWithReasonAndParamsAbi } from '../fractional.js'

/**
 * The OpenZeppelin Governor (v5) surface poolwarden reads and calls on an upstream DAO's on-chain
 * Governor with GovernorCountingFractional. Any such Governor, not only the devnet's PoolGovernor.
 */
export const governorAbi = [
  ...parseAbi([
    'function name() view returns (string)',
    'function clock() view returns (uint48)',
    'function CLOCK_MODE() view returns (string)',
    'function token() view returns (address)',
    'function votingDelay() view returns (uint256)',
    'function votingPeriod() view returns (uint256)',
    'function quorum(uint256 timepoint) view returns (uint256)',
    'function state(uint256 proposalId) view returns (uint8)',
    'function proposalSnapshot(uint256 proposalId) view returns (uint256)',
    'function proposalDeadline(uint256 proposalId) view returns (uint256)',
    'function proposalProposer(uint256 proposalId) view returns (address)',
    'function getVotes(address account, uint256 timepoint) view returns (uint256)',
    'function hasVoted(uint256 proposalId, address account) view returns (bool)',
    'function usedVotes(uint256 proposalId, address account) view returns (uint256)',
    'function proposalVotes(uint256 proposalId) view returns (uint256 againstVotes, uint256 forVotes, uint256 abstainVotes)',
    'function COUNTING_MODE() view returns (string)',
    'function hashProposal(address[] targets, uint256[] values, bytes[] calldatas, bytes32 descriptionHash) pure returns (uint256)',
    'function propose(address[] targets, uint256[] values, bytes[] calldatas, string description) returns (uint256)',
    'function castVote(uint256 proposalId, uint8 support) returns (uint256)',
    'event ProposalCreated(uint256 proposalId, address proposer, address[] targets, uint256[] values, string[] signatures, bytes[] calldatas, uint256 voteStart, uint256 voteEnd, string description)',
    'event VoteCast(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason)',
    'event VoteCastWithParams(address indexed voter, uint256 proposalId, uint8 support, uint256 weight, string reason, bytes params)',
    'error GovernorInvalidVoteParams()',
    'error GovernorExceedRemainingWeight(address voter, uint256 usedVotes, uint256 remainingWeight)',
    'error GovernorAlreadyCastVote(address voter)',
    'error GovernorUnexpectedProposalState(uint256 proposalId, uint8 current, bytes32 expectedStates)',
    'error GovernorNonexistentProposal(uint256 proposalId)',
    'error GovernorInvalidVoteType()',
    'error ERC5805FutureLookup(uint256 timepoint, uint48 clock)',
  ]),
  ...castVoteWithReasonAndParamsAbi,
] as const

/** IGovernor.ProposalState, by its uint8 value. */
export const PROPOSAL_STATES = ['Pending', 'Active', 'Canceled', 'Defeated', 'Succeeded', 'Queued', 'Expired', 'Executed'] as const
export type ProposalState = (typeof PROPOSAL_STATES)[number]
