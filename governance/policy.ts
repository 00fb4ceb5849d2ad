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
  /** Requests allowed per window without / with an API key. */
  rateLimit: z
    .object({
      windowMs: z.number().int().positive().default(20_000),
      requests: z.number().int().positive().default(60),
      requestsWithKey: z.number().int().positive().default(600),
    })
    .default({ windowMs: 20_000, requests: 60, requestsWithKey: 600 }),
})

export const governanceConfig = z.object({
  policy: tallyPolicySchema.default(tallyPolicySchema.parse({})),
  snapshot: snapshotHubSchema.default(snapshotHubSchema.parse({})),
})

export type TallyPolicyConfig = z.output<typeof tallyPolicySchema>
export type SnapshotHubConfig = z.output<typeof snapshotHubSchema>
export type GovernanceConfig = z.output<typeof governanceConfig>

/** The tally's policy from the config section. */
export function tallyPolicyOf(cfg: TallyPolicyConfig): TallyPolicy {
  return { silent: cfg.silentDelegators, quorumBps: cfg.signalQuorumBps, proportionScale: cfg.proportionScale }
}
