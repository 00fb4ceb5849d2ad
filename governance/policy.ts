import { z } from 'zod'
import type { TallyPolicy } from './types.js'

/**
 * The `governance` config section's tally policy and Snapshot hub settings, as zod schemas the
 * lead wires into config/schema.ts (`governance: governanceConfig.default(...)`). Times are
 * seconds.
 */

export const tallyPolicySchema = z.object({
  /** What silent delegators' weight does: not cast (default), abstain, or follow the majority. */
  silentDelegators: z
    .enum(['not-cast', 'abstain', 'follow-majority'], { error: 'use one of "not-cast", "abstain", "follow-majority"' })
    .default('not-cast'),
  /** Share of the total pool weight that must have signalled validly, in bps (0 = no quorum). */
  signalQuorumBps: z.number().int().min(0).max(10_000).default(0),
  /** Cast the pool's vote this long before the upstream deadline. */
  castWindowSeconds: z.number().int().positive().default(6 * 3600),
  /** The mirrored signalling proposal ends this long before the upstream one. */
  mirrorBufferSeconds: z.number().int().nonnegative().default(12 * 3600),
  /** Re-cast when signals change after a vote (Snapshot revote; on-chain top-up through usedVotes). */
  recast: z.boolean().default(true),
  /**
   * A cast that failed in a way a fresh signature can fix (Snapshot: the hub refused the signed
   * message's timestamp; Governor: the vote tx was cancelled, reverted or its nonce taken) is cast
   * again under a new key, at most this many times per proposal and target, before the deadline.
   */
  castRetries: z.number().int().min(0).max(100).default(3),
  /** Weighted/quadratic Snapshot choices are integer proportions summing to this. */
  proportionScale: z.number().int().positive().max(1_000_000_000).default(1_000_000),
})

export const snapshotHubSchema = z.object({
  /** GraphQL endpoint of the hub (e.g. https://hub.snapshot.org/graphql). */
  graphqlUrl: z.url().default('https://hub.snapshot.org/graphql'),
  /** Sequencer for signed messages (snapshot.js Client712 posts here). */
  sequencerUrl: z.url().default('https://seq.snapshot.org'),
  /** Env var holding a hub API key (raises the rate limit); `${apiKeyEnv}_FILE` may name a file. */
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('SNAPSHOT_API_KEY'),
  /** IPFS gateway serving the hub's pinned signed messages by cid (signals are re-verified from them). */
  ipfsUrl: z.url().default('https://ipfs.snapshot.box/ipfs/'),
  /** Requests allowed per window without / with an API key. */
  rateLimit: z
    .object({
      windowMs: z.number().int().positive().default(20_000),
      requests: z.number().int().positive().default(60),
      requestsWithKey: z.number().int().positive().default(600),
    })
    .default({ windowMs: 20_000, requests: 60, requestsWithKey: 600 }),
})

const chainName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'a configured chain name, e.g. "ethereum"' })
const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, { error: 'expected an address: 0x followed by 40 hex digits' })

/** An upstream on-chain Governor (OpenZeppelin, GovernorCountingFractional) where the pool holds weight. */
export const upstreamGovernorSchema = z.object({
  chain: chainName,
  address: evmAddress,
  /** First block of the ProposalCreated / vote event scans (narrow it on a live chain). */
  fromBlock: z.number().int().nonnegative().default(0),
})

export const upstreamSchema = z.object({
  /** Snapshot spaces whose proposals the pool votes on (e.g. "aave.eth"). */
  spaces: z.array(z.string().min(1)).default([]),
  governors: z.array(upstreamGovernorSchema).default([]),
  /**
   * Custody "safe": Gnosis' DelegateRegistry (the one the spaces' `delegation` strategy reads;
   * 0x469788fE6E9E9681C6ebF3bF78e7Fd26Fc015446 on Ethereum) where the Safe delegates its Snapshot
   * power in each space to `governance.voter.account`. Set, `npm run custody -- diff` checks that
   * delegation and `apply` re-points it (a rotated voting key otherwise votes with no power).
   */
  delegateRegistry: z.object({ chain: chainName, address: evmAddress }).optional(),
})

export const signallingSchema = z.object({
  /** The pool's own Snapshot space where delegators signal (the agent mirrors proposals into it). */
  space: z.string().min(1).default('poolwarden-signals.eth'),
  /** The chain whose block numbers are the signalling proposals' snapshot (default: the first chain). */
  chain: chainName.optional(),
})

export const voterSchema = z.object({
  /**
   * Env var holding the governor's voting key (only the governor process gets it; never the
   * executor's key); `${keyEnv}_FILE` may name a file instead.
   */
  keyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'an env var name like "POOLWARDEN_VOTER_KEY"' }).default('POOLWARDEN_VOTER_KEY'),
  /**
   * The voting key's address, public (optional: when set, a key for another address is refused).
   * The pool delegates its votes to it (ERC20Votes `delegate`, Snapshot delegation) and it is an
   * admin of the signalling space (it signs the mirrored proposals).
   */
  account: evmAddress.optional(),
  /**
   * Custody "safe": the Roles role (on each chain's Roles modifier of the pool's Safe) through which
   * the voting key casts the Safe's votes on the configured Governors, and nothing else
   * (execution/custody/permissions.ts governorRole). Encoded with zodiac-roles-sdk encodeKey.
   */
  roleKey: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { error: 'lower-case letters, digits and dashes, at most 32 characters (e.g. "poolwarden-governor")' }).default('poolwarden-governor'),
})

export const governanceConfig = z.object({
  /** The governor's own signing key (votes, mirrored proposals). */
  voter: voterSchema.prefault({}),
  policy: tallyPolicySchema.default(tallyPolicySchema.parse({})),
  snapshot: snapshotHubSchema.default(snapshotHubSchema.parse({})),
  /** What the pool votes on. Empty (the default): the governor agent idles. */
  upstream: upstreamSchema.default({ spaces: [], governors: [] }),
  signalling: signallingSchema.default({ space: 'poolwarden-signals.eth' }),
  /** Seconds between two rounds of the governor agent. */
  pollSeconds: z.number().positive().default(30),
})

export type TallyPolicyConfig = z.output<typeof tallyPolicySchema>
export type SnapshotHubConfig = z.output<typeof snapshotHubSchema>
export type GovernanceConfig = z.output<typeof governanceConfig>
export type UpstreamGovernorConfig = z.output<typeof upstreamGovernorSchema>

/** The tally's policy from the config section. */
export function tallyPolicyOf(cfg: TallyPolicyConfig): TallyPolicy {
  return { silent: cfg.silentDelegators, quorumBps: cfg.signalQuorumBps, proportionScale: cfg.proportionScale }
}
