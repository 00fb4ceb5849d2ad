import { z } from 'zod'
import { governanceConfig } from '../governance/policy'
import { strategyPolicySchema } from '../strategies/policy'
import { telegramConfig, telegramCrossFieldIssues } from './telegram'
import { wormholeConfig } from './wormhole'
import { custodyConfig, custodyCrossFieldIssues } from './custody'
import { historyConfig } from './history'
import { rewardsConfig, rewardsCrossFieldIssues } from './rewards'
import { webConfig } from './web'
import { metricsConfig, sentinelConfig } from './ops'

/**
 * The configuration of a poolwarden network. Parsed once at start (config/load.ts), frozen,
 * typed. Secrets are never in this file: each signing agent's key comes from the env var named by
 * its own setting (`execution.keyEnv` for the executor, `governance.voter.keyEnv` for the
 * governor) or from the file named by `${keyEnv}_FILE`.
 */

import { address } from './address'

export { address }

export type Address = `0x${string}`

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'use lower-case letters, digits and dashes (e.g. "arbitrum", "aave-v3-wsteth")' })

export const rpcEndpoint = z.object({
  url: z.url({ error: 'expected an http(s) RPC URL, e.g. "https://eth.llamarpc.com"' }),
  /** Rate limit of this endpoint: requests per second and concurrent requests. */
  maxPerSecond: z.number().positive().default(10),
  maxConcurrent: z.number().int().positive().default(4),
})

export const chain = z.object({
  name,
  chainId: z.number().int().positive(),
  rpc: z.array(rpcEndpoint).min(1, { error: 'no RPC URL: add at least one { "url": "https://…" } to rpc' }),
  /** Blocks after which a block is considered final (reorgs deeper than this are not expected). */
  finalityDepth: z.number().int().nonnegative().default(2),
  /** Expected block time; the watcher polls at this interval. */
  blockTimeMs: z.number().int().positive().default(12_000),
  /** Multicall3 address on this chain (canonical by default). */
  multicall3: address.default('0xcA11bde05977b3631167028862bE2a173976CA11'),
  /** This chain's APY window in seconds (overrides watch.apyWindowSeconds). */
  apyWindowSeconds: z.number().int().positive().optional(),
  /** Store a sample at most every this many seconds on this chain (0: every block); overrides watch.sampleEverySeconds. */
  sampleEverySeconds: z.number().nonnegative().optional(),
  /** This chain's APY-drop baseline span in seconds (overrides alerts.apyBaselineSeconds). */
  apyBaselineSeconds: z.number().int().positive().optional(),
  /**
   * poolwarden's SlippageRouter on this chain (contracts/SlippageRouter.sol, stateless, no owner):
   * every deposit, withdrawal and supply goes through it with a bound it enforces on chain
   * (execution.slippageBps). Absent: no move is sent on this chain (the step fails naming this field).
   */
  router: address.optional(),
})

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'expected a date "YYYY-MM-DD"' })

/** Static risk facts of a venue: the seed's parameter table plus audits and age. */
export const riskFacts = z.object({
  /** Commission taken from rewards, in basis points (Lido: 1000 = 10 %). */
  commissionBps: z.number().int().min(0).max(10_000).default(0),
  /** Validator uptime reliability, 0..1 (share of duties performed). */
  uptime: z.number().min(0).max(1).default(1),
  /** Number of independent audits. */
  audits: z.number().int().nonnegative().default(0),
  launchDate: isoDate.optional(),
  /** Past slashing events: date and loss in bps of stake. */
  slashing: z
    .array(z.object({ date: isoDate, lossBps: z.number().min(0).max(10_000), note: z.string().optional() }))
    .default([]),
})

export const caps = z.object({
  /** Maximum position in the venue, in units of the venue's asset. */
  maxAmount: z.number().nonnegative({ error: 'a cap cannot be negative: use 0 to forbid the venue or remove the cap' }).optional(),
  /** Maximum share of the pool's collateral, in bps. */
  maxShareBps: z.number().int().nonnegative({ error: 'a cap cannot be negative: use 0 to forbid the venue or remove the cap' }).max(10_000).optional(),
})

const venueCommon = {
  id: name,
  chain: name,
  protocol: z.string().min(1),
  /** Chainlink-style AggregatorV3 giving the LST price in its backing asset (peg). */
  pegFeed: address.optional(),
  risk: riskFacts.default({ commissionBps: 0, uptime: 1, audits: 0, slashing: [] }),
  caps: caps.default({}),
}

export const venue = z.discriminatedUnion(
  'kind',
  [
    z.object({
      ...venueCommon,
      kind: z.literal('erc4626'),
      /** The vault. */
      address,
      /**
       * A view function of the vault, no arguments, returning what ALL holders together could
       * withdraw now in assets (the vault's withdrawable liquidity), e.g. "idleLiquidity" on the
       * devnet vaults. ERC-4626 has no such reading (`maxWithdraw` is per holder): without it a
       * first deposit cannot be bounded by strategy.allocation.maxWithdrawableShareBps.
       */
      liquidityFunction: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'a Solidity function name without arguments or parentheses, e.g. "idleLiquidity"' })
        .optional(),
    }),
    z.object({
      ...venueCommon,
      kind: z.literal('lst'),
      /** The LST token. */
      address,
      /** How the LST publishes its exchange rate. */
      rateMethod: z.enum(['stEthPerToken', 'getExchangeRate']),
      /** Where to read the exchange rate when the held token has none (a bridged LST: an L2 rate oracle). Default: `address`. */
      rateSource: address.optional(),
    }),
    z.object({
      ...venueCommon,
      kind: z.literal('aave-v3'),
      /** The Aave v3 Pool (where supply/withdraw go). */
      address,
      /** AaveProtocolDataProvider of the market. */
      dataProvider: address,
      /** The reserve's asset (the LST). */
      asset: address,
      /** The reserve's aToken (the pool's position). */
      aToken: address,
    }),
  ],
  { error: 'unknown venue kind: use one of "erc4626", "lst", "aave-v3"' },
)

export const collateral = z.object({
  chain: name,
  symbol: z.string().min(1),
  token: address,
  decimals: z.number().int().min(0).max(36).default(18),
})

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'an env var name like "POOLWARDEN_EXECUTOR_KEY"' })

export const pool = z.object({
  /** The pool's account (holds collateral and positions). Public address only. */
  account: address,
  collateral: z.array(collateral).min(1),
  shareToken: z.array(z.object({ chain: name, token: address })).default([]),
})

/** The rules the watcher evaluates per venue and block (watch/alertRules.ts). */
export const WATCH_ALERT_RULES = ['apy-drop', 'depeg', 'paused', 'liquidity', 'unavailable', 'slashing'] as const
export type WatchAlertRule = (typeof WATCH_ALERT_RULES)[number]

/**
 * How long a condition must hold before its alert is written, and how long it must be clear
 * before the recovery is written: both `blocks` consecutive evaluated blocks AND `seconds` of
 * block time from the first of them to the current one. A shorter streak is a glitch: logged
 * and counted, never pushed.
 */
const persistBlocks = z.number().int().min(1, { error: 'at least 1 (1 = alert in the block the condition is first seen)' })
const persistSeconds = z.number().nonnegative()
const persistence = (blocks: number) => z.object({ blocks: persistBlocks.default(blocks), seconds: persistSeconds.default(0) })
const persistenceOverride = z.strictObject(
  { blocks: persistBlocks.optional(), seconds: persistSeconds.optional() },
  { error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown key ${iss.keys.map((k) => JSON.stringify(k)).join(', ')}: use "blocks" and/or "seconds"` : undefined) },
)

export const alertPersistence = z.object({
  /** Warning rules (apy-drop, unavailable, liquidity): a one- or two-block glitch pushes nothing. */
  warning: persistence(3).prefault({}),
  /** Critical rules (depeg, paused, slashing): alert in the block the condition is first seen. */
  critical: persistence(1).prefault({}),
  /** Per-rule overrides of the severity's setting, e.g. { "liquidity": { "blocks": 5 } }. */
  rules: z
    .strictObject(Object.fromEntries(WATCH_ALERT_RULES.map((r) => [r, persistenceOverride.optional()])) as Record<WatchAlertRule, z.ZodOptional<typeof persistenceOverride>>, {
      error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown alert rule ${iss.keys.map((k) => JSON.stringify(k)).join(', ')} (known: ${WATCH_ALERT_RULES.join(', ')})` : undefined),
    })
    .default({}),
})

export const alerts = z.object({
  /** Alert when APY falls this many bps below its trailing baseline. */
  apyDropBps: z.number().positive().default(200),
  /**
   * Replaced by apyBaselineSeconds: a count of samples is a different span on every chain (the
   * sampling cadence differs per chain). Refused with the migration in the message.
   */
  apyBaselineSamples: z
    .unknown()
    .optional()
    .refine((v) => v === undefined, {
      error:
        'alerts.apyBaselineSamples is replaced by alerts.apyBaselineSeconds (a time span; per chain: chains[i].apyBaselineSeconds): write the span in seconds — samples × seconds between stored samples, e.g. 20 samples of 12 s blocks → "apyBaselineSeconds": 240 — and remove apyBaselineSamples',
    }),
  /** The APY baseline is the median of the APYs of the previous this many seconds; per chain: chains[i].apyBaselineSeconds. */
  apyBaselineSeconds: z.number().int().positive().default(3_600),
  /** Alert when the LST trades this many bps below its backing. */
  depegBps: z.number().positive().default(100),
  /** Alert when withdrawable liquidity covers less than this share of the pool's position. */
  liquidityCoverage: z.number().positive().default(1),
  /** Alert after this many consecutive failed requests to one RPC URL. */
  rpcFailures: z.number().int().positive().default(2),
  /** How long a watcher condition must persist before it alerts or recovers (per severity, per rule). */
  persistence: alertPersistence.prefault({}),
})

export const watch = z
  .object({
    /**
     * Replaced by apyWindowSeconds: one block count meant a day on Ethereum, 4 hours on Base and
     * 30 minutes on Arbitrum. Refused with the migration in the message.
     */
    apyWindowBlocks: z
      .unknown()
      .optional()
      .refine((v) => v === undefined, {
        error:
          'watch.apyWindowBlocks is replaced by watch.apyWindowSeconds (a time window; per chain: chains[i].apyWindowSeconds): write the window in seconds, e.g. 7200 blocks of 12 s → "apyWindowSeconds": 86400, and remove apyWindowBlocks',
      }),
    /** APYs are derived (and their window checked complete) over this many seconds; per chain: chains[i].apyWindowSeconds. */
    apyWindowSeconds: z.number().int().positive().default(86_400),
    /** No APY is annualised from a shorter span than this (seconds): below it the venue has no APY (frozen). */
    minApySpanSeconds: z.number().int().positive().default(3_600),
    /** At start, fill the APY window from the chain (reads at historical blocks) where the node serves them. */
    backfillWindow: z.boolean().default(true),
    /** A reading above this APY (fraction; 100 = 10,000 %) is refused as implausible. */
    maxPlausibleApy: z.number().positive().default(100),
    /** Consecutive implausible readings of a venue before an alert (once, until it reads plausibly again). */
    implausibleAlertAfterSamples: z.number().int().positive().default(3),
    /** At most this many missed blocks are back-filled after an outage (older ones are skipped and logged). */
    backfillMaxBlocks: z.number().int().positive().default(2_000),
    /** Maximum back-off between attempts when every RPC URL fails. */
    maxBackoffMs: z.number().int().positive().default(30_000),
    /**
     * A block is read once the chain's head is this many blocks past it (0: read the head itself).
     * anvil sometimes serves the state of the block being mined for the newest block, by number and
     * by hash alike (chains/README.md): reading one block behind the head never showed it.
     */
    readBehindHead: z.number().int().nonnegative().default(1),
    /**
     * Reads of one block that the node answers with no state (no code at Multicall3: the node
     * does not serve that block's state) before the watcher records the block as a gap — its
     * header kept, no samples, a warning alert — and goes on with the next block.
     */
    stateNotServedRetries: z.number().int().positive().default(5),
    /**
     * Store a sample at most every this many seconds (0: every block); per chain:
     * chains[i].sampleEverySeconds. Unset: every block on chains whose blocks take ≥ 2 s, and
     * minSampleIntervalSeconds on faster ones. Blocks with an alert-worthy change are always stored.
     */
    sampleEverySeconds: z.number().nonnegative().optional(),
    /**
     * The default cadence of chains with blocks faster than 2 s (Arbitrum: 4 blocks/s), seconds.
     * 6 s keeps the mainnet profile under 100 MB a day (`npm run bench -- history`: Base's 2 s
     * blocks, stored every block, take 60 % of it).
     */
    minSampleIntervalSeconds: z.number().positive().default(6),
  })
  .superRefine((w, ctx) => {
    if (w.minApySpanSeconds > w.apyWindowSeconds) {
      ctx.addIssue({ code: 'custom', path: ['minApySpanSeconds'], message: `minApySpanSeconds ${w.minApySpanSeconds} is longer than apyWindowSeconds ${w.apyWindowSeconds}: no APY could ever be derived; lower it or widen the window` })
    }
  })

/** The APY-drop baseline span of `chain` in seconds: its own override, else alerts.apyBaselineSeconds. */
export function apyBaselineSecondsOf(config: Pick<Config, 'chains' | 'alerts'>, chain: string): number {
  return config.chains.find((c) => c.name === chain)?.apyBaselineSeconds ?? config.alerts.apyBaselineSeconds
}

/** The APY window of `chain` in seconds: its own override, else watch.apyWindowSeconds. */
export function apyWindowSecondsOf(config: Pick<Config, 'chains' | 'watch'>, chain: string): number {
  return config.chains.find((c) => c.name === chain)?.apyWindowSeconds ?? config.watch.apyWindowSeconds
}

export const execution = z
  .object({
    /**
     * Env var holding the executor's private key (only the executor process gets it);
     * `${keyEnv}_FILE` may name a file instead. The governor has its own: governance.voter.keyEnv.
     */
    keyEnv: envName.default('POOLWARDEN_EXECUTOR_KEY'),
    /** Below this native balance (ETH) of the sending account on a chain nothing is sent: alert, intents stay queued. */
    criticalGasBalanceEth: z.number().nonnegative().default(0.05),
    /** Blocks without a receipt after a broadcast before the tx is replaced with higher fees (same nonce). */
    stuckAfterBlocks: z.number().int().positive().default(5),
    /**
     * Blocks after its first broadcast before a tx still unmined is cancelled: a 0-value transfer to
     * the sender itself with the same nonce and higher fees; the intent ends 'cancelled' and the
     * plan step (or vote) fails instead of landing late on stale data. More than stuckAfterBlocks.
     */
    cancelAfterBlocks: z.number().int().positive().default(50),
    /** Fee raise of a replacement, % (geth needs at least 12.5). */
    feeBumpPercent: z.number().min(12.5, { error: 'a replacement needs at least 12.5 % more fees (geth): use 12.5 or more' }).max(500).default(25),
    /** A cross-chain transfer not landed this long after it started raises an alert (it keeps waiting; funds are never given up). */
    bridgeStuckAfterSeconds: z.number().int().positive().default(1_800),
    /** How long one wait for a Wormhole VAA or a redeem lasts before the executor moves on to other plans (it resumes next round), s. */
    bridgeWaitSeconds: z.number().int().positive().max(3_600).default(30),
    /** Signed attempts of one tx (first + same-nonce replacements) before a stuck tx raises an alert and waits. */
    txMaxAttempts: z.number().int().positive().max(50).default(6),
    /**
     * Redeem txs of one cross-chain transfer (completeTransfer on the destination) that may fail
     * before the transfer is left for a person: one critical alert, the plan stops, the VAA and
     * the funds in flight are kept, nothing more is sent until a person releases it.
     */
    redeemMaxAttempts: z.number().int().min(1, { error: 'at least one redeem must be tried: use 1 or more (default 3)' }).max(20).default(3),
    /**
     * Rounds a committee plan's Safe transaction may fail its simulation (before anyone signs) and be
     * simulated again on the next round before the plan fails: a one-block glitch of a venue must not
     * reject a plan, a batch that keeps reverting must not wait for ever.
     */
    simulationAttempts: z.number().int().min(1, { error: 'at least one simulation: use 1 or more (default 3)' }).max(20).default(3),
    /**
     * Custody "safe": a committee plan's Safe transaction is executed on an anvil fork of its chain
     * (`anvil --fork-url <chains[].rpc[0]> --fork-block-number <head>`) before anyone signs, and the
     * positions it changes are shown with the approval request. anvil must be installed: the one in
     * node_modules (@foundry-rs/anvil) by default, or `anvilPath`. A fork that cannot start holds the plan.
     */
    /**
     * Custody "safe": while a committee plan's Safe tx awaits signatures, the executor reads its
     * confirmations back every this many ms instead of its block-based poll, so the threshold being
     * reached is acted on in the next block (live: mind the transaction service's rate limit).
     */
    signaturePollMs: z.number().int().min(50, { error: 'at least 50 ms between reads of the transaction service (default 150)' }).max(60_000).default(150),
    forkSimulation: z
      .object({
        /** The anvil binary (default: the one shipped in @foundry-rs/anvil-<platform>-<arch>). */
        anvilPath: z.string().min(1).optional(),
        /** How long the fork may take to start and to answer one request, s. */
        startTimeoutSeconds: z.number().positive().max(300).default(30),
      })
      .default({ startTimeoutSeconds: 30 }),
    /** RPC attempts for a transient failure before the endpoint counts as unavailable for this request. */
    rpcAttempts: z.number().int().positive().max(20).default(4),
    /** Gas limit = estimate × (1 + gasPadPercent / 100) + gasPadExtra: the tx runs a block after the estimate and interest-accruing venues need more. */
    gasPadPercent: z.number().int().nonnegative().max(500).default(50),
    gasPadExtra: z.number().int().nonnegative().default(50_000),
    /** A step's position change must equal its amount within this, bps of the amount … */
    verifyToleranceBps: z.number().nonnegative().max(1_000).default(10),
    /** … plus this much of the position before, ppm (interest accrued between the reads, share rounding). */
    verifyAccrualPpm: z.number().nonnegative().max(10_000).default(100),
    /**
     * Slippage tolerance of every deposit, withdrawal and supply, bps: the shares or assets a step
     * must return are previewed when the plan is decided (stored with the step) and the chain's
     * SlippageRouter reverts the step when it would get less (or burn more shares) than the
     * preview by more than this; the plan then stops with an alert naming the step.
     */
    slippageBps: z.number().nonnegative().max(1_000, { error: 'a slippage tolerance above 1000 bps (10 %) is no bound: use 0–1000 (default 50)' }).default(50),
  })
  .superRefine((e, ctx) => {
    if (e.cancelAfterBlocks <= e.stuckAfterBlocks) {
      ctx.addIssue({ code: 'custom', path: ['cancelAfterBlocks'], message: `${e.cancelAfterBlocks} must be more than stuckAfterBlocks (${e.stuckAfterBlocks}): a stuck tx is first replaced with higher fees, then cancelled` })
    }
  })

/** The agent runtime (runtime/createAgent.ts). */
export const runtime = z.object({
  /**
   * Lease of a singleton role (executor, governor, distributor, strategist, watcher-<chain>,
   * telegram), s: renewed every third of it and with each heartbeat; a standby instance takes over
   * once it has expired, so this is about how long a dead instance's role stays idle.
   */
  leaseSeconds: z.number().min(1, { error: 'a lease under 1 s would lapse between renewals: use 1 or more (default 5)' }).max(300).default(5),
  /**
   * While the store cannot take writes (a full disk), each agent tests it this often, s, with one
   * write of 1 MiB (store.probeWritable, deleted again); the first that succeeds resumes the agent.
   */
  storeProbeSeconds: z.number().min(0.1, { error: 'probing a full store more often than every 0.1 s only adds load: use 0.1 or more (default 5)' }).max(300).default(5),
})

/** The strategist's plan writing (plans/proposePlan.ts). */
export const plans = z.object({
  /** A new plan is "the same" as an open one when every step (kind, venue) differs by at most this, bps of the step … */
  sameStepBps: z.number().nonnegative().max(10_000).default(100),
  /** … or by at most this, bps of the plan's largest step (accrual moves amounts a little every block). */
  sameStepOfLargestBps: z.number().nonnegative().max(10_000).default(10),
  /** Deposits smaller than this, ppm of the plan's largest step, are dropped as dust (the collateral stays idle). */
  dustPpm: z.number().nonnegative().max(1_000_000).default(1),
})

/**
 * Log files of the PM2 apps (ecosystem.config.js reads this section; core/logRotate.ts rotates):
 * past `maxBytes` an app's file is rotated, `keep` rotated files are kept (so an app's logs take
 * at most (keep + 1) × maxBytes, plus one write).
 */
export const logs = z.object({
  maxBytes: z
    .number()
    .int()
    .min(64 * 1024, { error: 'at least 65536 (64 KiB): smaller files rotate too often to be read' })
    .default(10 * 1024 * 1024),
  keep: z.number().int().min(1, { error: 'at least 1 rotated file, so the lines before the last rotation can be read' }).max(100).default(3),
})

/**
 * strategy.replan: when a new proposal replaces an open plan (proposed, awaiting approval, or
 * approved and not started). Without it the strategist superseded an autonomous plan waiting for
 * the executor every block with slightly different amounts (plans/replan.ts). A new proposal
 * supersedes the open plan when the open plan became invalid (re-validation on the latest samples
 * stops or expires it, or it touches a frozen venue), or when it is materially different: its net
 * benefit, annualised, beats the open plan's re-scored on the same samples by at least
 * `minGainChangeBps` of the pool per year, or it places at least `minAmountChangeBps` of the moved
 * amount differently. A plan with committee signatures is replaced only when invalid, unless
 * `signedMinGainChangeBps` is set.
 */
export const replanSchema = z.object({
  /** Net gain of the new proposal over the open plan (both on the latest samples), bps of the pool per year. */
  minGainChangeBps: z.number().nonnegative().default(2),
  /** Collateral placed differently (half the sum of the venue-by-venue differences), bps of the larger of the two moved amounts. */
  minAmountChangeBps: z.number().nonnegative().max(10_000).default(2_500),
  /** A plan with at least one committee signature: null (default) = replaced only when invalid; a number = also when the new one gains this much more (bps of the pool per year). */
  signedMinGainChangeBps: z.number().nonnegative().nullable().default(null),
})

export const configSchema = z
  .object({
    profile: z.string().default('custom'),
    store: z
      .object({
        path: z.string().min(1),
        /**
         * A ceiling on the store file, MB (every connection's `PRAGMA max_page_count`): past it a
         * write fails as on a full disk and every agent stops writing until space is freed (history
         * compaction frees pages). Unset: only the disk bounds it.
         */
        maxSizeMb: z.number().positive({ error: 'a size in MB above 0 (e.g. 2048), or leave it out for no ceiling' }).optional(),
      })
      .default({ path: '.devnet/poolwarden.sqlite' }),
    /**
     * Request pacing shared by every process (store/rateLimits.ts): each RPC URL's maxPerSecond,
     * the Snapshot hub's rate and any Retry-After hold across all agents, not per process.
     */
    limits: z
      .object({
        shared: z.boolean().default(true),
        /** The pacing file; default: beside the store (`x.sqlite` → `x.ratelimits.sqlite`). */
        path: z.string().min(1).optional(),
        /** A request whose shared slot is further away than this fails at once instead of queueing, ms. */
        maxWaitMs: z.number().int().positive().default(30_000),
      })
      .prefault({}),
    chains: z.array(chain).min(1, { error: 'no chain: add at least one chain with its RPC URLs' }),
    pool,
    venues: z.array(venue).default([]),
    alerts: alerts.default(alerts.parse({})),
    watch: watch.default(watch.parse({})),
    execution: execution.prefault({}),
    plans: plans.prefault({}),
    logs: logs.prefault({}),
    runtime: runtime.prefault({}),
    // ── Reserved sections, filled by later issues ─────────────────────────────────────────
    /** strategy: risk weights, allocation constraints, costs, approval threshold and committee (strategies/policy.ts). */
    strategy: strategyPolicySchema.extend({ replan: replanSchema.prefault({}) }).prefault({}),
    /** governance: Snapshot hub and tally policy (governance/policy.ts); spaces and Governors come with the governor agent. */
    governance: governanceConfig.prefault({}),
    /** telegram: bot, users and roles, alert chats, delivery limits (config/telegram.ts). */
    telegram: telegramConfig.prefault({}),
    /** wormhole: network, VAA API, core/token bridges and the LST per chain (config/wormhole.ts); absent = no cross-chain moves. */
    wormhole: wormholeConfig.optional(),
    /** custody: "eoa" (default) or "safe" — the pool in a Safe, the executor inside a Zodiac Roles role (config/custody.ts). */
    custody: custodyConfig.prefault({}),
    /** history: full-resolution retention and background compaction into hourly aggregates (config/history.ts). */
    history: historyConfig.prefault({}),
    /** rewards: reward epochs, commission, the distributor contract and key (config/rewards.ts); absent = no epochs closed. */
    rewards: rewardsConfig.optional(),
    /** web: the read-only dashboard's bind address and port, chart points, table rows (config/web.ts). */
    web: webConfig.prefault({}),
    /** metrics: the Prometheus exporter (PM2 app `metrics`): host and port of GET /metrics (config/ops.ts). */
    metrics: metricsConfig.prefault({}),
    /** sentinel: when the agent that watches the agents alerts (config/ops.ts). */
    sentinel: sentinelConfig.prefault({}),
  })
  .superRefine((cfg, ctx) => {
    for (const issue of crossFieldIssues(cfg)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message })
    // APY windows (watcher, strategist) read full samples: they must fit in the full-resolution span.
    const full = cfg.history.fullRetentionDays * 86_400
    cfg.chains.forEach((c, i) => {
      const w = c.apyWindowSeconds ?? cfg.watch.apyWindowSeconds
      if (w > full) {
        ctx.addIssue({ code: 'custom', path: c.apyWindowSeconds !== undefined ? ['chains', i, 'apyWindowSeconds'] : ['watch', 'apyWindowSeconds'], message: `the APY window of ${c.name} (${w} s) is longer than history.fullRetentionDays (${cfg.history.fullRetentionDays} d = ${full} s): windows read full samples; raise fullRetentionDays or shorten the window` })
      }
      const sw = cfg.strategy.risk.scoreWindowSecondsByChain[c.name] ?? cfg.strategy.risk.scoreWindowSeconds
      if (sw > full) {
        ctx.addIssue({ code: 'custom', path: c.name in cfg.strategy.risk.scoreWindowSecondsByChain ? ['strategy', 'risk', 'scoreWindowSecondsByChain', c.name] : ['strategy', 'risk', 'scoreWindowSeconds'], message: `the score window of ${c.name} (${sw} s) is longer than history.fullRetentionDays (${cfg.history.fullRetentionDays} d = ${full} s): windows read full samples; raise fullRetentionDays or shorten the window` })
      }
      const bw = c.apyBaselineSeconds ?? cfg.alerts.apyBaselineSeconds
      if (bw > full) {
        ctx.addIssue({ code: 'custom', path: c.apyBaselineSeconds !== undefined ? ['chains', i, 'apyBaselineSeconds'] : ['alerts', 'apyBaselineSeconds'], message: `the APY baseline of ${c.name} (${bw} s) is longer than history.fullRetentionDays (${cfg.history.fullRetentionDays} d = ${full} s): baselines read full samples; raise fullRetentionDays or shorten the baseline` })
      }
    })
  })

/** A problem that involves several fields (a reference to a chain, a duplicate). */
export interface CrossFieldIssue {
  path: (string | number)[]
  message: string
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const entries = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

/**
 * Cross-field checks: venues, collateral and share tokens name a configured chain; chain names,
 * chain ids and venue ids are unique. Lenient on purpose: it reads whatever is there (raw JSON or
 * a parsed config) and skips fields that are malformed, so the loader can run it even when the
 * base schema fails and report every problem at once. The schema's superRefine uses it too, so
 * both produce identical lines.
 */
export function crossFieldIssues(input: unknown): CrossFieldIssue[] {
  const out: CrossFieldIssue[] = []
  if (!isRecord(input)) return out
  const chains = entries(input.chains)
  const known: string[] = []
  const seenName = new Map<string, number>()
  const seenId = new Map<number, number>()
  chains.forEach((c, i) => {
    if (!isRecord(c)) return
    if (typeof c.name === 'string') {
      const prev = seenName.get(c.name)
      if (prev !== undefined) out.push({ path: ['chains', i, 'name'], message: `duplicate chain "${c.name}" (also chains[${prev}]): give each chain one entry` })
      else {
        seenName.set(c.name, i)
        known.push(c.name)
      }
    }
    if (typeof c.chainId === 'number') {
      const prev = seenId.get(c.chainId)
      if (prev !== undefined) out.push({ path: ['chains', i, 'chainId'], message: `duplicate chainId ${c.chainId} (also chains[${prev}]): one entry per chain, each with its own chainId` })
      else seenId.set(c.chainId, i)
    }
  })
  // Without any named chain every reference would be "unknown": the missing chains are reported instead.
  const checkChain = known.length > 0
  const knownList = `(known: ${known.join(', ')})`
  const refersTo = (v: unknown, path: (string | number)[]) => {
    if (checkChain && isRecord(v) && typeof v.chain === 'string' && !known.includes(v.chain)) {
      out.push({ path: [...path, 'chain'], message: `unknown chain "${v.chain}" ${knownList}` })
    }
  }
  const ids = new Map<string, number>()
  entries(input.venues).forEach((v, i) => {
    refersTo(v, ['venues', i])
    if (!isRecord(v) || typeof v.id !== 'string') return
    const prev = ids.get(v.id)
    if (prev !== undefined) out.push({ path: ['venues', i, 'id'], message: `duplicate venue id "${v.id}" (also venues[${prev}]): venue ids must be unique` })
    else ids.set(v.id, i)
  })
  const upstream = isRecord(input.governance) && isRecord(input.governance.upstream) ? input.governance.upstream : undefined
  if (upstream) {
    entries(upstream.governors).forEach((g, i) => refersTo(g, ['governance', 'upstream', 'governors', i]))
    refersTo(upstream.delegateRegistry, ['governance', 'upstream', 'delegateRegistry'])
  }
  if (isRecord(input.pool)) {
    entries(input.pool.collateral).forEach((c, i) => refersTo(c, ['pool', 'collateral', i]))
    entries(input.pool.shareToken).forEach((c, i) => refersTo(c, ['pool', 'shareToken', i]))
  }
  const minSpan = isRecord(input.watch) && typeof input.watch.minApySpanSeconds === 'number' ? input.watch.minApySpanSeconds : null
  chains.forEach((c, i) => {
    if (minSpan !== null && isRecord(c) && typeof c.apyWindowSeconds === 'number' && c.apyWindowSeconds < minSpan) {
      out.push({ path: ['chains', i, 'apyWindowSeconds'], message: `apyWindowSeconds ${c.apyWindowSeconds} is shorter than watch.minApySpanSeconds ${minSpan}: no APY could ever be derived on this chain; widen it or lower minApySpanSeconds` })
    }
  })
  // Per-chain and per-venue strategy values: a misspelt key would silently fall back to the default.
  if (isRecord(input.strategy)) {
    const st = input.strategy
    const keysOf = (v: unknown, path: string[], known: readonly string[], what: string, check: boolean) => {
      if (!check || !isRecord(v)) return
      for (const k of Object.keys(v)) if (!known.includes(k)) out.push({ path: [...path, k], message: `unknown ${what} "${k}" (known: ${known.join(', ')})` })
    }
    const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((x, k) => (isRecord(x) ? x[k] : undefined), o)
    const byChain: string[][] = [
      ['maxSampleAgeBlocksByChain'],
      ['risk', 'scoreWindowSecondsByChain'],
      ['allocation', 'maxChainShareBpsByChain'],
      ['allocation', 'periodBlocksByChain'],
      ['costs', 'gasPerStepByChain'],
      ['costs', 'gas', 'gasPerStepByChain'],
      ['costs', 'gas', 'nativePerCollateralByChain'],
      ['costs', 'gas', 'extraPerStepByChain'],
      ['costs', 'gas', 'maxLagBlocksByChain'],
    ]
    for (const path of byChain) keysOf(at(st, ...path), ['strategy', ...path], known, 'chain', checkChain)
    keysOf(at(st, 'allocation', 'cooldownBlocksByVenue'), ['strategy', 'allocation', 'cooldownBlocksByVenue'], [...ids.keys()], 'venue', ids.size > 0)
    // Planning finalityDepth − maxUnfinalisedBlocks blocks below the newest must stay within maxSampleAgeBlocks.
    if (typeof st.maxUnfinalisedBlocks === 'number') {
      const maxUnfinalised = st.maxUnfinalisedBlocks
      const ages = isRecord(st.maxSampleAgeBlocksByChain) ? st.maxSampleAgeBlocksByChain : {}
      const defaultAge = typeof st.maxSampleAgeBlocks === 'number' ? st.maxSampleAgeBlocks : 10
      for (const c of chains) {
        if (!isRecord(c) || typeof c.name !== 'string') continue
        const depth = typeof c.finalityDepth === 'number' ? c.finalityDepth : 2
        const age = typeof ages[c.name] === 'number' ? (ages[c.name] as number) : defaultAge
        if (depth - maxUnfinalised > age) {
          out.push({ path: ['strategy', 'maxUnfinalisedBlocks'], message: `${maxUnfinalised} leaves plans of ${c.name} ${depth - maxUnfinalised} blocks behind its newest (finalityDepth ${depth}), past strategy.maxSampleAgeBlocks ${age}: every plan would be refused as stale; raise maxUnfinalisedBlocks to at least ${depth - age} or raise maxSampleAgeBlocksByChain.${c.name}` })
        }
      }
    }
  }
  out.push(...telegramCrossFieldIssues(input))
  if (isRecord(input.wormhole)) entries(input.wormhole.chains).forEach((c, i) => refersTo(c, ['wormhole', 'chains', i]))
  if (isRecord(input.custody)) entries(input.custody.chains).forEach((c, i) => refersTo(c, ['custody', 'chains', i]))
  out.push(...custodyCrossFieldIssues(input))
  out.push(...rewardsCrossFieldIssues(input))
  return out
}

export type ConfigInput = z.input<typeof configSchema>
export type Config = z.output<typeof configSchema>
export type ChainConfig = Config['chains'][number]
export type VenueConfig = Config['venues'][number]
export type VenueKind = VenueConfig['kind']
export type RiskFacts = z.output<typeof riskFacts>
