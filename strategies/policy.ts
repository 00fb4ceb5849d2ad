import { z } from 'zod'

/**
 * The strategy policy: config's `strategy` section. Every field has a default, so `{}` is a valid
 * policy (`strategyPolicySchema.parse({})`). Amounts are in units of the collateral token (e.g.
 * wstETH, not wei); rates and shares in basis points; blocks in the venue's own chain.
 *
 * Nested objects use `.prefault({})`, so a partial section (`{ "allocation": { "minIdleBps": 300 } }`)
 * gets every other default. Plain `z.object`s: config/load.ts walks them to refuse unknown keys.
 */

const bps = z.number().min(0).max(10_000)
const bpsInt = z.number().int().min(0).max(10_000)
const weight = z.number().min(0)

/** Per venue kind, whether the sample APY is already net of the venue's commission. */
const perKind = (d: boolean) =>
  z
    .object({ lst: z.boolean().default(d), erc4626: z.boolean().default(d), 'aave-v3': z.boolean().default(d) })
    .prefault({})

export const riskPolicySchema = z.object({
  /**
   * Replaced by scoreWindowSeconds: a count of samples is a different span on every chain (the
   * sampling cadence differs per chain, watch/cadence.ts). Refused with the migration in the message.
   */
  apyWindowSamples: z
    .unknown()
    .optional()
    .refine((v) => v === undefined, {
      error:
        'strategy.risk.apyWindowSamples is replaced by strategy.risk.scoreWindowSeconds (a time span; per chain: strategy.risk.scoreWindowSecondsByChain): write the span in seconds — samples × seconds between stored samples, e.g. 20 samples of 12 s blocks → "scoreWindowSeconds": 240 — and remove apyWindowSamples',
    }),
  /**
   * Gross APY = mean of the APYs of the available samples of the last this many seconds (up to
   * `now`); volatility = their stdev. A span, not a count: chains store samples at different
   * cadences. Default one day (the backtest's hourly steps: 24 of them).
   */
  scoreWindowSeconds: z.number().int().positive().default(86_400),
  /** scoreWindowSeconds per chain. */
  scoreWindowSecondsByChain: z.record(z.string(), z.number().int().positive()).default({}),
  /** Gross APY = min(window mean, latest APY): a fall counts at once, a rise as the window fills. */
  pessimisticGross: z.boolean().default(true),
  /**
   * Per venue kind: is the sample APY already net of `risk.commissionBps`? True for every kind the
   * adapters read today: an LST's exchange rate grows after the protocol's fee, an ERC-4626 share
   * price after the vault's fees, Aave's liquidity rate after the reserve factor. Set a kind to
   * false when its samples carry the rate before commission: then net = gross × (1 − commission).
   */
  commissionInApy: perKind(true),
  /**
   * Per venue kind: does the sample APY already reflect `risk.uptime`? False by default: uptime is
   * a long-run reliability figure that a window of samples does not show, so expected rewards are
   * scaled by it (rewards ∝ uptime). Set true to stop the scaling where that double counts.
   */
  uptimeInApy: perKind(false),
  /**
   * Yield dilution, per venue kind: the share (0–1) of a venue's own yield that is a fixed income
   * shared by all its depositors in the short run. A vault's strategy or a lending market's
   * borrowers pay about the same amount whoever supplies, so a deposit of Δ into a venue of TVL V
   * (the pool's position included) that pays r lowers its own rate to r·(1 − s + s·V/(V + Δ)); a
   * withdrawal raises it the same way. 1 = all of it (an ERC-4626 vault with a capacity-bound
   * strategy; an Aave reserve whose borrows stay put — its real rate falls faster still, as the
   * utilisation and with it the borrow rate fall); 0 = the rate does not depend on who deposits
   * (staking: rewards scale with the stake). The asset's own yield (wstETH's staking under a vault)
   * never dilutes. The allocator charges it at the target (allocate.ts, `curveOf`).
   */
  dilution: z
    .object({ lst: z.number().min(0).max(1).default(0), erc4626: z.number().min(0).max(1).default(1), 'aave-v3': z.number().min(0).max(1).default(1) })
    .prefault({}),
  slashing: z
    .object({
      /** Annual penalty = weight × Σ lossBps × 0.5^(age / halfLifeDays). */
      weight: weight.default(1),
      halfLifeDays: z.number().positive().default(365),
    })
    .prefault({}),
  depeg: z
    .object({
      /** Penalty = weight × peg gap in bps (1 − price/backing). */
      weight: weight.default(1),
      /** A larger gap excludes the venue (it is drained if it can be withdrawn). */
      excludeAboveBps: bps.default(500),
    })
    .prefault({}),
  liquidity: z
    .object({
      /** Penalty when nothing of the pool's position can be withdrawn now; linear in the uncovered share. */
      maxPenaltyBps: weight.default(100),
    })
    .prefault({}),
  volatility: z
    .object({
      /** Penalty = weight × stdev of the window's APYs, in bps. */
      weight: weight.default(1),
    })
    .prefault({}),
  utilisation: z
    .object({
      /** Utilisation above this starts to cost (exit risk)… */
      fromBps: bps.default(9_000),
      /** …linearly up to this penalty at 100 %. */
      maxPenaltyBps: weight.default(200),
    })
    .prefault({}),
  concentration: z
    .object({
      /** Holding up to this share of the venue's TVL is free… */
      freeShareBps: bps.default(1_000),
      /** …then linearly up to this penalty at 100 % of TVL. */
      maxPenaltyBps: weight.default(100),
    })
    .prefault({}),
  age: z
    .object({
      /** A protocol this old (days since launch) is no longer penalised for youth… */
      matureDays: z.number().positive().default(730),
      /** …the penalty falls linearly from this on launch day. */
      maxPenaltyBps: weight.default(100),
      /** Penalty when no launch date is configured. */
      unknownPenaltyBps: weight.default(50),
    })
    .prefault({}),
  audits: z
    .object({
      /** This many audits remove the penalty… */
      enough: z.number().int().positive().default(3),
      /** …which is this with no audit, falling linearly. */
      maxPenaltyBps: weight.default(50),
    })
    .prefault({}),
})

/** Move costs of one venue kind: slippage of a deposit or a withdrawal, and a withdrawal queue. */
const kindCosts = (slippageBps: number) =>
  z
    .object({
      /** Charged on each deposit and each withdrawal of this kind (e.g. a swap into another LST). */
      slippageBps: bps.default(slippageBps),
      /** Days a withdrawal waits in a queue, earning nothing (costed at the chain's best score). */
      withdrawalDelayDays: z.number().min(0).default(0),
    })
    .prefault({})

/**
 * A cross-chain move through the bridge (Wormhole token bridge): withdraw → bridge → redeem → deposit.
 * One-off cost = fixedFee + sourceTxs × gas(source) + destinationTxs × gas(destination)
 *              + amount × feeBps / 1e4 + amount × delayMinutes / (365·1440) × max(0, best score on the destination).
 */
export const bridgeCostSchema = z
  .object({
    /** Fee charged on the amount, bps (the token bridge's manual transfer: 0; a relayer's fee goes here). */
    feeBps: bps.default(0),
    /** Fixed fee per transfer (core bridge message fee, relayer), collateral units. */
    fixedFee: z.number().min(0).default(0),
    /** Transactions on the source chain (approve + transferTokens), each costed at that chain's gasPerStep. */
    sourceTxs: z.number().int().min(0).default(2),
    /** Transactions on the destination chain (completeTransfer), each costed at that chain's gasPerStep. */
    destinationTxs: z.number().int().min(0).default(1),
    /** Source tx → redeem (finality, guardian signatures, redeem): the moved collateral earns nothing meanwhile. */
    delayMinutes: z.number().min(0).default(20),
  })
  .prefault({})

/**
 * How a step's gas is costed (strategies/gasPrice.ts). "flat": costs.gasPerStep(ByChain) as
 * configured. "fee-history": at plan time the strategist reads each chain's eth_feeHistory and
 * prices gasPerStep gas at the next block's base fee + the median priority fee at
 * priorityPercentile; a missing or stale reading holds the pool (no plan) with the reason.
 */
export const gasPricingSchema = z
  .object({
    source: z.enum(['flat', 'fee-history']).default('flat'),
    /** Gas one step uses (custody bench: ≈275k through the Zodiac Roles module, ≈128k from an EOA). */
    gasPerStep: z.number().int().positive().default(275_000),
    gasPerStepByChain: z.record(z.string(), z.number().int().positive()).default({}),
    /** Blocks of fee history read (eth_feeHistory blockCount). */
    blocks: z.number().int().min(1).max(1024).default(20),
    /** Priority-fee percentile asked of eth_feeHistory; the median over the blocks is used. */
    priorityPercentile: z.number().min(0).max(100).default(50),
    /** Priority fee (gwei) when the node returns no rewards; the base fee is never guessed. */
    fallbackPriorityFeeGwei: z.number().min(0).default(0.01),
    /** A reading whose newest block is further behind the chain's sampled block is stale. */
    maxLagBlocks: z.number().int().nonnegative().default(20),
    maxLagBlocksByChain: z.record(z.string(), z.number().int().nonnegative()).default({}),
    /** A reading older than this is stale. */
    maxAgeSeconds: z.number().positive().default(300),
    /** Units of the native gas token per unit of collateral (ETH per wstETH ≈ 1.2); 1 when the collateral is priced as the native token. */
    nativePerCollateral: z.number().positive().default(1),
    nativePerCollateralByChain: z.record(z.string(), z.number().positive()).default({}),
    /** Collateral units added per step (an L2's L1 data fee, which eth_feeHistory does not show). */
    extraPerStepByChain: z.record(z.string(), z.number().min(0)).default({}),
  })
  .prefault({})

export const costPolicySchema = z.object({
  /** Gas per step (one deposit or one withdrawal), in collateral units, unless the chain is listed below (with gas.source "fee-history": the estimate replaces it at plan time). */
  gasPerStep: z.number().min(0).default(0.0002),
  gasPerStepByChain: z.record(z.string(), z.number().min(0)).default({}),
  gas: gasPricingSchema,
  /** Per venue kind. The chain's idle collateral venue costs nothing (it is the collateral itself). */
  byKind: z
    .object({
      /** lst venues other than the idle collateral (e.g. rETH next to wstETH) are reached by a swap. */
      lst: kindCosts(5),
      erc4626: kindCosts(0),
      'aave-v3': kindCosts(0),
    })
    .prefault({}),
  /** Moving collateral to another chain (only where the caller offers bridge routes). */
  bridge: bridgeCostSchema,
})

export const allocationPolicySchema = z.object({
  /** Max share of the pool's collateral invested in the venues of one chain (idle excluded). */
  maxChainShareBps: bpsInt.default(10_000),
  maxChainShareBpsByChain: z.record(z.string(), bpsInt).default({}),
  /** Max share of the pool's collateral in the venues of one protocol (all chains; idle excluded). */
  maxProtocolShareBps: bpsInt.default(10_000),
  maxProtocolShareBpsByProtocol: z.record(z.string(), bpsInt).default({}),
  /** Liquidity buffer: this share of each chain's collateral stays idle (in the chain's collateral LST venue). */
  minIdleBps: bpsInt.default(500),
  /**
   * What a venue could pay back: the pool's target in a venue is at most this share of the venue's
   * withdrawable liquidity after the plan's own deposits (liquidity.ts). 10 000 = no bound. Keep it
   * at most 1 / alerts.liquidityCoverage so that no plan raises the watcher's liquidity alert itself.
   */
  maxWithdrawableShareBps: bpsInt.default(5_000),
  /** At most this share of the pool's collateral moves per period (what already moved counts). */
  maxMovePerPeriodBps: bpsInt.default(2_500),
  periodBlocks: z.number().int().positive().default(7_200),
  /** periodBlocks per chain (block times differ: 7 200 blocks are a day on Ethereum, 30 minutes on Arbitrum). */
  periodBlocksByChain: z.record(z.string(), z.number().int().positive()).default({}),
  /** One-off move costs are amortised over this horizon. */
  horizonDays: z.number().positive().default(30),
  /** A move must improve the risk-adjusted yield by at least this, in bps per year of the moved amount. */
  hysteresisBps: bps.default(10),
  /** A venue moved less than this many blocks ago (its chain's blocks) is not moved again. */
  cooldownBlocks: z.number().int().nonnegative().default(100),
  cooldownBlocksByVenue: z.record(z.string(), z.number().int().nonnegative()).default({}),
})

export const committeeSchema = z
  .object({
    /** Who may approve (ids as the approval CLI / Telegram bot records them). */
    members: z.array(z.string().min(1)).default([]),
    /** Approvals needed (M of N). */
    required: z.number().int().positive().default(1),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>()
    c.members.forEach((m, i) => {
      if (seen.has(m)) ctx.addIssue({ code: 'custom', path: ['members', i], message: `duplicate committee member "${m}": list each member once` })
      seen.add(m)
    })
    if (c.members.length > 0 && c.required > c.members.length) {
      ctx.addIssue({ code: 'custom', path: ['required'], message: `${c.required} approvals required but only ${c.members.length} members: lower "required" or add members` })
    }
  })

export const strategyPolicySchema = z.object({
  risk: riskPolicySchema.prefault({}),
  allocation: allocationPolicySchema.prefault({}),
  costs: costPolicySchema.prefault({}),
  /** A plan moving more than this (collateral units, all chains) needs committee approval. */
  approvalThreshold: z.number().min(0).default(100),
  committee: committeeSchema.prefault({}),
  /**
   * A plan waiting for the committee is kept while newer samples give a plan whose net benefit is
   * at most this much better (basis points): otherwise every block's small changes would supersede
   * it before two members could approve it. 0 = always replace.
   */
  replaceAwaitingPlanBps: z.number().int().min(0).default(1_000),
  /** Plans from samples older than this many blocks (behind the chain's head) are refused. */
  maxSampleAgeBlocks: z.number().int().nonnegative().default(10),
  /** maxSampleAgeBlocks per chain (10 blocks are 2 minutes on Ethereum, 2.5 s on Arbitrum). */
  maxSampleAgeBlocksByChain: z.record(z.string(), z.number().int().nonnegative()).default({}),
  /**
   * A plan older than this (seconds since it was made) is never executed further: before every
   * step the executor marks it `expired` (committee plans too: their samples age while the
   * committee decides) and the strategist proposes a fresh one.
   */
  planTtlSeconds: z.number().int().positive().default(3_600),
  /**
   * The strategist plans only on data at most this many blocks above a chain's finalised block
   * (its newest stored block minus the chain's finalityDepth): samples and positions newer than
   * that are left out until they are final enough. 0 = only finalised data; null (the default) =
   * the newest stored block, however unfinalised. With a reorg deeper than this the plan was made
   * on blocks that stayed. It must keep the plan within maxSampleAgeBlocks: finalityDepth minus
   * this is at most maxSampleAgeBlocks (of that chain).
   */
  maxUnfinalisedBlocks: z.number().int().nonnegative().nullable().default(null),
})

export type StrategyPolicy = z.output<typeof strategyPolicySchema>
export type StrategyPolicyInput = z.input<typeof strategyPolicySchema>
export type RiskPolicy = StrategyPolicy['risk']
export type AllocationPolicy = StrategyPolicy['allocation']
export type CostPolicy = StrategyPolicy['costs']
export type BridgeCostPolicy = CostPolicy['bridge']
export type GasPricingPolicy = CostPolicy['gas']

/** The policy with every default (what `"strategy": {}` gives). */
export const defaultStrategyPolicy = (): StrategyPolicy => strategyPolicySchema.parse({})

// ── lookups with their fallbacks ─────────────────────────────────────────────────────────────

export const chainShareCapBps = (p: StrategyPolicy, chain: string): number => p.allocation.maxChainShareBpsByChain[chain] ?? p.allocation.maxChainShareBps
export const protocolShareCapBps = (p: StrategyPolicy, protocol: string): number =>
  p.allocation.maxProtocolShareBpsByProtocol[protocol] ?? p.allocation.maxProtocolShareBps
export const cooldownBlocksOf = (p: StrategyPolicy, venueId: string): number => p.allocation.cooldownBlocksByVenue[venueId] ?? p.allocation.cooldownBlocks
export const gasPerStepOf = (p: StrategyPolicy, chain: string): number => p.costs.gasPerStepByChain[chain] ?? p.costs.gasPerStep
export const periodBlocksOf = (p: StrategyPolicy, chain: string): number => p.allocation.periodBlocksByChain[chain] ?? p.allocation.periodBlocks
export const scoreWindowSecondsOf = (p: StrategyPolicy, chain: string): number => p.risk.scoreWindowSecondsByChain[chain] ?? p.risk.scoreWindowSeconds
export const maxSampleAgeBlocksOf = (p: StrategyPolicy, chain: string): number => p.maxSampleAgeBlocksByChain[chain] ?? p.maxSampleAgeBlocks

/**
 * How many blocks below its newest stored block a chain's plan is made (strategy.maxUnfinalisedBlocks):
 * 0 without a limit, else the part of the chain's finality depth the strategist must not plan on.
 */
export const unfinalisedLagOf = (p: StrategyPolicy, finalityDepth: number): number => (p.maxUnfinalisedBlocks === null ? 0 : Math.max(0, finalityDepth - p.maxUnfinalisedBlocks))
