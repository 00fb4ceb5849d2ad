import { z } from 'zod'
import { VOTING_TYPES } from '../../governance/types'
import { DEVNET_SPACES } from './constants'

/**
 * The `governance` section of a devnet scenario (PURE schema; devnet/market.ts embeds it in the
 * scenario schema). Times are seconds relative to the devnet start (the deployment's time).
 *
 *   "governance": {
 *     "governor": { "votingDelay": 20, "votingPeriod": 480 },           // the devnet PoolGovernor (npm start)
 *     "snapshotProposals": [ { "title": "…", "type": "weighted", "choices": ["a", "b"], "start": 0, "duration": 600 } ],
 *     "governorProposals": [ { "description": "…" } ],                   // proposed at the devnet start
 *     "delegators": { "seed": 7, "voteAfter": [5, 40], "revote": { "share": 0.4, "after": [30, 90] }, "silentShare": 0.2 }
 *   }
 */

const range = (min: number, max: number) =>
  z
    .tuple([z.number().nonnegative(), z.number().nonnegative()])
    .refine(([a, b]) => a <= b, { error: 'a [min, max] range needs min ≤ max' })
    .default([min, max])

export const snapshotProposalSchema = z.object({
  title: z.string().min(1).max(256),
  body: z.string().max(10_000).default(''),
  type: z.enum(VOTING_TYPES, { error: `use one of ${VOTING_TYPES.map((t) => `"${t}"`).join(', ')}` }),
  choices: z.array(z.string().min(1).max(256)).min(1),
  /** Seconds after the devnet start when voting opens (may be 0: open at once). */
  start: z.number().int().nonnegative().default(0),
  /** Voting period in seconds. */
  duration: z.number().int().positive(),
})

export const governorProposalSchema = z.object({
  /** The proposal's description (unique: it is part of the proposal id). */
  description: z.string().min(1),
})

/** A delegator of the actor: a dev account index (EOA) or the EIP-1271 wallet. */
const delegatorRef = z.union([z.number().int().min(0).max(9), z.literal('wallet1271')])

export const delegatorsSchema = z.object({
  seed: z.union([z.number().int(), z.string().min(1)]).default(1),
  /** Who votes (default: the EOAs #2..#5 holding pool shares and the EIP-1271 wallet). */
  accounts: z.array(delegatorRef).min(1).default([2, 3, 4, 5, 'wallet1271']),
  /** First vote: seconds after the signalling proposal opens. */
  voteAfter: range(3, 30),
  /** Share of delegators that never signal on a proposal. */
  silentShare: z.number().min(0).max(1).default(0.2),
  /** Share of voters that vote again later with a new choice (a later timestamp replaces the first). */
  revote: z
    .object({ share: z.number().min(0).max(1).default(0.4), after: range(20, 60) })
    .default({ share: 0.4, after: [20, 60] }),
  /** Bad inputs the sequencer must refuse, per proposal: one invalid choice, one vote after the end. */
  bad: z.object({ invalidChoice: z.boolean().default(true), late: z.boolean().default(true) }).default({ invalidChoice: true, late: true }),
  /** How often the actor polls the hub, seconds. */
  pollSeconds: z.number().positive().default(3),
})

export const governanceScenarioSchema = z.object({
  spaces: z
    .object({ upstream: z.string().min(1).default(DEVNET_SPACES.upstream), signals: z.string().min(1).default(DEVNET_SPACES.signals) })
    .default({ upstream: DEVNET_SPACES.upstream, signals: DEVNET_SPACES.signals }),
  /** The devnet PoolGovernor's settings when `npm start` deploys with this scenario (seconds; tests keep 2 s / 3600 s). */
  governor: z.object({ votingDelay: z.number().int().min(1).max(86_400), votingPeriod: z.number().int().min(10).max(30 * 86_400) }).optional(),
  snapshotProposals: z.array(snapshotProposalSchema).default([]),
  governorProposals: z.array(governorProposalSchema).default([]),
  delegators: delegatorsSchema.default(delegatorsSchema.parse({})),
})

export type GovernanceScenarioInput = z.input<typeof governanceScenarioSchema>
export type GovernanceScenario = z.output<typeof governanceScenarioSchema>
export type DelegatorsScenario = z.output<typeof delegatorsSchema>
export type DelegatorRef = z.output<typeof delegatorRef>

/** The problems of a governance section beyond its shape (basic needs 2 or 3 choices; unique titles and descriptions). */
export function checkGovernanceScenario(g: GovernanceScenario): string[] {
  const problems: string[] = []
  const titles = new Set<string>()
  g.snapshotProposals.forEach((p, i) => {
    if (p.type === 'basic' && p.choices.length !== 2 && p.choices.length !== 3) problems.push(`scenario: governance.snapshotProposals.${i}.choices: a basic proposal has 2 or 3 choices`)
    if (titles.has(p.title)) problems.push(`scenario: governance.snapshotProposals.${i}.title: "${p.title}" is used twice (titles identify proposals when seeding)`)
    titles.add(p.title)
  })
  const descriptions = new Set<string>()
  g.governorProposals.forEach((p, i) => {
    if (descriptions.has(p.description)) problems.push(`scenario: governance.governorProposals.${i}.description: used twice (it is part of the proposal id)`)
    descriptions.add(p.description)
  })
  return problems
}
