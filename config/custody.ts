import { z } from 'zod'
import { address } from './address'

/**
 * The `custody` section of the config: who holds the pool's money and how the bot may move it.
 *
 *   kind "eoa"  (the default, today's behaviour): `pool.account` is an externally owned account
 *               whose key the executor holds; committee approvals are advisory (a row in the store).
 *   kind "safe" the pool is a Safe (v1.4.1) on every chain at `pool.account`, owned by the
 *               committee; the executor's key (`executor`) is a member of a Zodiac Roles v2 role on
 *               each chain's Roles modifier and acts only through it: the role's permissions are
 *               generated from this config (execution/custody/permissions.ts) and applied by a
 *               Safe transaction the committee signs (`npm run custody -- apply`).
 */

// A local address schema (config/schema.ts imports this file; importing back would be a cycle).

/**
 * The Safe v1.4.1 contracts of a chain (protocol-kit's contract network). Needed only where
 * protocol-kit does not know the chain (the devnet); live chains use the canonical deployments.
 */
export const safeContracts = z.object({
  safeSingleton: address,
  safeProxyFactory: address,
  multiSend: address,
  multiSendCallOnly: address,
  fallbackHandler: address,
  signMessageLib: address,
  createCall: address,
  simulateTxAccessor: address,
})

export const custodyChain = z.object({
  /** The poolwarden chain (config.chains[].name). */
  chain: z.string().min(1),
  /** The Zodiac Roles v2 modifier of the pool's Safe on this chain (owner = avatar = target = the Safe). */
  roles: address,
  contracts: safeContracts.optional(),
  /**
   * The Safe Transaction Service of this chain, as api-kit's `txServiceUrl` (ends in `/api`), where
   * committee plans are proposed and the owners' confirmations are read back (live: the chain's
   * service, e.g. "https://safe-transaction-mainnet.safe.global/api"; devnet: the local service,
   * PM2 app `safe-tx-service`). Absent: committee plans in custody "safe" cannot be proposed.
   */
  txServiceUrl: z.url({ error: 'expected the Safe Transaction Service URL of this chain, e.g. "https://safe-transaction-mainnet.safe.global/api"' }).optional(),
})

export const custodyConfig = z.object({
  kind: z.enum(['eoa', 'safe']).default('eoa'),
  /** The Safe's owners (the committee's addresses) and threshold: what `custody diff` checks on chain. */
  owners: z.array(address).default([]),
  threshold: z.number().int().positive().optional(),
  /** The executor's address: the member of the role (the key in execution.keyEnv signs for it). */
  executor: address.optional(),
  /** The role's key (encoded with zodiac-roles-sdk encodeKey, at most 32 characters). */
  roleKey: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { error: 'lower-case letters, digits and dashes, at most 32 characters (e.g. "poolwarden-executor")' }).default('poolwarden-executor'),
  chains: z.array(custodyChain).default([]),
  /**
   * The environment variable holding the Safe Transaction Service API key (api.safe.global needs
   * one; the executor app alone gets it). Unset variable: no key sent.
   */
  txServiceApiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'an environment variable name, e.g. "SAFE_API_KEY"' }).default('SAFE_API_KEY'),
  /**
   * The move budget of autonomous plans: per chain, at most `amount` of the pool's collateral
   * (whole tokens) deposited, supplied or bridged through the role per `periodSeconds` — an
   * on-chain Roles allowance, refilled each period. Larger moves need the committee.
   */
  allowance: z
    .object({
      amount: z.number().positive({ error: 'the move budget must be positive (whole collateral tokens per period)' }),
      periodSeconds: z.number().int().positive().default(86_400),
    })
    .optional(),
})

export type CustodyConfig = z.output<typeof custodyConfig>
export type SafeContracts = z.output<typeof safeContracts>

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Cross-field checks of a safe-mode custody section (raw JSON or a parsed config): the Safe is
 * `pool.account`, the executor is set, every configured chain has its Roles modifier, the
 * threshold fits the owners, a move budget is set.
 */
export function custodyCrossFieldIssues(input: unknown): Array<{ path: (string | number)[]; message: string }> {
  const out: Array<{ path: (string | number)[]; message: string }> = []
  if (!isRecord(input) || !isRecord(input.custody) || input.custody.kind !== 'safe') return out
  const c = input.custody
  if (typeof c.executor !== 'string') out.push({ path: ['custody', 'executor'], message: 'missing: the executor\'s address (the role member whose key is in execution.keyEnv)' })
  const owners = Array.isArray(c.owners) ? c.owners : []
  if (owners.length === 0) out.push({ path: ['custody', 'owners'], message: 'missing: the Safe\'s owners (the committee\'s addresses)' })
  if (typeof c.threshold !== 'number') out.push({ path: ['custody', 'threshold'], message: 'missing: the Safe\'s threshold (signatures needed)' })
  else if (owners.length > 0 && c.threshold > owners.length) out.push({ path: ['custody', 'threshold'], message: `${c.threshold} signatures cannot come from ${owners.length} owners: lower the threshold or add owners` })
  if (!isRecord(c.allowance)) out.push({ path: ['custody', 'allowance'], message: 'missing: the move budget, e.g. { "amount": 200, "periodSeconds": 86400 } (whole collateral tokens per period)' })
  if (typeof c.executor === 'string' && isRecord(input.pool) && typeof input.pool.account === 'string' && c.executor.toLowerCase() === input.pool.account.toLowerCase()) {
    out.push({ path: ['custody', 'executor'], message: 'the executor is the pool account itself: in safe mode pool.account is the Safe and the executor a separate key' })
  }
  // The governor votes from the Safe through its own role, whose member is the voting key's address.
  const gov = isRecord(input.governance) ? input.governance : undefined
  const governors = gov && isRecord(gov.upstream) && Array.isArray(gov.upstream.governors) ? gov.upstream.governors : []
  if (governors.length > 0 && !(isRecord(gov?.voter) && typeof gov.voter.account === 'string')) {
    out.push({ path: ['governance', 'voter', 'account'], message: 'missing: in custody "safe" the voting key\'s address is the member of the governor\'s Roles role (set it to the address of the key in governance.voter.keyEnv)' })
  }
  const have = new Set((Array.isArray(c.chains) ? c.chains : []).flatMap((x) => (isRecord(x) && typeof x.chain === 'string' ? [x.chain] : [])))
  const chains = Array.isArray(input.chains) ? input.chains : []
  for (const ch of chains) {
    if (isRecord(ch) && typeof ch.name === 'string' && !have.has(ch.name)) out.push({ path: ['custody', 'chains'], message: `no Roles modifier for chain "${ch.name}": add { "chain": "${ch.name}", "roles": "0x…" }` })
  }
  return out
}
