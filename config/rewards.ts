import { z } from 'zod'
import { address } from './address'

/**
 * The `rewards` section: reward epochs and their Merkle distribution (rewards/, the `distributor`
 * agent). Optional: without it no epoch is closed and the distributor app idles with a warning.
 *
 *   chain, distributor   where claims are paid: the CumulativeMerkleDistributor (owner = pool.account)
 *   epochSeconds         epoch length; epoch n covers [n·epochSeconds, (n+1)·epochSeconds) in unix time
 *   commissionBps        the pool's commission on a winning epoch's earnings (a leaf for feeRecipient)
 *   signer               the distributor's own key (env name) and its address: it sends setRoot and
 *                        the funding (custody "safe": as the only member of the distributor's own
 *                        Roles role, `roleKey`, on the claims chain's Roles modifier)
 *   roleKey              custody "safe": the distributor's role (a second role beside the executor's
 *                        custody.roleKey): setRoot on `distributor`, collateral.transfer(to = distributor)
 *                        within `fundingAllowance` — nothing else (execution/custody/distributorRole.ts)
 *   fundingAllowance     custody "safe": the most the distributor's role may send to the distributor
 *                        per period (whole collateral tokens): the cap on what a stolen distributor
 *                        key could move (it also sets the root, so it could pay itself up to this).
 *                        periodSeconds defaults to epochSeconds: one funding per epoch, so the cap
 *                        reads "per epoch" and each epoch's funding finds a refilled allowance.
 *   maxEpochApy          an epoch whose gain annualises above this (default 1 = 100 %/yr) is not
 *                        published: misread valuation or flows would pay principal out as rewards
 *   settleSeconds        how long after an epoch's end before it is closed (chains' blocks settle)
 *   dataDir              where published trees are written as files (default: beside the store, rewards/)
 */
const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'expected an environment variable name like "POOLWARDEN_DISTRIBUTOR_KEY"' })

export const rewardsConfig = z.object({
  chain: z.string().min(1),
  distributor: address,
  epochSeconds: z.number().int().min(60, { error: 'epochSeconds: at least 60 (devnet minutes; live e.g. 604800 for a week)' }).default(604_800),
  commissionBps: z.number().int().min(0).max(10_000, { error: 'commissionBps: basis points in 0..10000 (1000 = 10 %)' }).default(1_000),
  feeRecipient: address,
  signer: z.object({
    keyEnv: envName.default('POOLWARDEN_DISTRIBUTOR_KEY'),
    account: address,
  }),
  roleKey: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { error: 'lower-case letters, digits and dashes, at most 32 characters (e.g. "poolwarden-distributor")' }).default('poolwarden-distributor'),
  fundingAllowance: z
    .object({
      amount: z.number().positive({ error: 'the most the distributor may fund per period, in whole collateral tokens (e.g. 100): set it to about twice the largest epoch funding you expect' }),
      /** Default: epochSeconds (resolved by fundingPeriodSeconds). */
      periodSeconds: z.number().int().positive().optional(),
    })
    .prefault({ amount: 100 }),
  /** Above this annualised gain (1 = 100 %/yr) an epoch waits for a person instead of paying (rewards/earnings.ts implausibleGain). */
  maxEpochApy: z.number().positive({ error: 'maxEpochApy: the highest believable annualised gain of an epoch, as a fraction (1 = 100 %/yr)' }).default(1),
  settleSeconds: z.number().int().nonnegative().default(10),
  /** First epoch to close (default: the first that starts after the distributor first ran). */
  firstEpoch: z.number().int().nonnegative().optional(),
  dataDir: z.string().min(1).optional(),
})

export type RewardsConfig = z.output<typeof rewardsConfig>

/** The funding allowance's period: as configured, else one epoch (one funding per epoch). */
export const fundingPeriodSeconds = (r: Pick<RewardsConfig, 'epochSeconds' | 'fundingAllowance'>): number => r.fundingAllowance.periodSeconds ?? r.epochSeconds

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** rewards.chain must be a configured chain with collateral (lenient: reads whatever is there). */
export function rewardsCrossFieldIssues(input: unknown): { path: (string | number)[]; message: string }[] {
  if (!isRecord(input) || !isRecord(input.rewards) || typeof input.rewards.chain !== 'string') return []
  const chain = input.rewards.chain
  const collateral = isRecord(input.pool) && Array.isArray(input.pool.collateral) ? input.pool.collateral.filter(isRecord).map((c) => c.chain) : []
  if (!collateral.includes(chain)) return [{ path: ['rewards', 'chain'], message: `"${chain}" has no pool.collateral entry (known: ${collateral.join(', ')}): claims are paid in the collateral of that chain` }]
  // One key, one job: the distributor's role is not the executor's.
  const roleKey = typeof input.rewards.roleKey === 'string' ? input.rewards.roleKey : 'poolwarden-distributor'
  const executorRole = isRecord(input.custody) && typeof input.custody.roleKey === 'string' ? input.custody.roleKey : 'poolwarden-executor'
  if (isRecord(input.custody) && input.custody.kind === 'safe' && roleKey === executorRole) return [{ path: ['rewards', 'roleKey'], message: `"${roleKey}" is the executor's role (custody.roleKey): give the distributor a role of its own, e.g. "poolwarden-distributor"` }]
  return []
}
