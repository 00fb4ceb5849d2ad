import { z } from 'zod'
import type { Sample } from '../store/types'
import { mulberry32 } from '../core/random'
import { checkGovernanceScenario, governanceScenarioSchema } from './governance/scenario'

/**
 * The market model of the devnet: PURE (no I/O). A scenario (JSON, see scenarios/) plus the
 * deployed venues' base parameters give every venue's market parameters at any block index —
 * deterministic from the scenario's seed, computed in O(shocks) per (venue, index) without
 * replaying history, so a restarted simulator continues exactly where it was.
 *
 * Parameters = base + drift + noise, then shocks:
 * - drift: smooth value noise (random knots every `drift.periodBlocks`, smoothstep between them),
 *   amplitude `drift.*`;
 * - noise: white, triangular on [−noise.*, +noise.*];
 * both bounded, so a calm market stays well inside the alert thresholds (config alerts:
 * apyDropBps 200, depegBps 100): max APR move = drift + noise amplitudes (defaults 15 + 4 bps).
 * - shocks act on one venue for [start, start + duration) and then end (the parameter returns to
 *   its modelled value): `depeg` (price −dropBps), `pause`, `apyCollapse` (APR → aprBps),
 *   `apyDecay` (APR slides linearly from its modelled value to aprBps over the window),
 *   `utilisationSpike` (aave utilisation → utilisationBps, or a vault's idle share → idleBps),
 *   `slash` (the LST's exchange rate is cut by lossBps once, at `start`; the loss is permanent, the
 *   APR is untouched, so an exchange-rate APY is depressed for one APY window and recovers). On an
 *   ERC-4626 vault a `slash` is a strategy loss: the share price is cut the same way — in the
 *   fast-forward samples only (`checkScenario(…, { fastForward: true })`): the devnet's SimVault
 *   has a loss hook (`realizeLoss`, used by the slippage fault test) that the simulator does not
 *   drive yet, so the live check (deployDevnet, the simulator) refuses it.
 *
 * Randomness: a counter-based PRNG (an integer hash of seed, venue id, channel and index), i.e.
 * a seeded PRNG with random access.
 */

// ── scenario ─────────────────────────────────────────────────────────────────────────────────

const venueId = z.string().min(1)
const shockCommon = {
  venue: venueId,
  /** First block index of the shock. */
  start: z.number().int().nonnegative(),
  /** Blocks it lasts; it ends at index start + duration. */
  duration: z.number().int().positive(),
  note: z.string().optional(),
}

export const shockSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ ...shockCommon, kind: z.literal('depeg'), dropBps: z.number().positive().max(10_000).default(300) }),
    z.object({ ...shockCommon, kind: z.literal('pause') }),
    z.object({ ...shockCommon, kind: z.literal('apyCollapse'), aprBps: z.number().nonnegative().default(5) }),
    /** A slow decay: the APR slides linearly from its modelled value to `aprBps` over the window, then recovers. */
    z.object({ ...shockCommon, kind: z.literal('apyDecay'), aprBps: z.number().nonnegative().default(100) }),
    z.object({
      ...shockCommon,
      kind: z.literal('utilisationSpike'),
      /** aave-v3: utilisation during the spike. */
      utilisationBps: z.number().min(0).max(10_000).default(9_900),
      /** erc4626: idle share during the spike. */
      idleBps: z.number().min(0).max(10_000).default(10),
    }),
    z.object({ ...shockCommon, kind: z.literal('slash'), lossBps: z.number().positive().max(10_000).default(50) }),
  ],
  { error: 'unknown shock kind: use one of "depeg", "pause", "apyCollapse", "apyDecay", "utilisationSpike", "slash"' },
)

const nonneg = (d: number) => z.number().nonnegative().default(d)

export const scenarioSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  seed: z.union([z.number().int(), z.string().min(1)]),
  /** Suggested number of blocks to run (tests and benchmarks step this far). */
  blocks: z.number().int().positive().optional(),
  noise: z
    .object({ aprBps: nonneg(4), pegBps: nonneg(3), utilisationBps: nonneg(150), idleBps: nonneg(150) })
    .default({ aprBps: 4, pegBps: 3, utilisationBps: 150, idleBps: 150 }),
  drift: z
    .object({
      aprBps: nonneg(15),
      pegBps: nonneg(2),
      utilisationBps: nonneg(300),
      idleBps: nonneg(200),
      periodBlocks: z.number().int().positive().default(120),
    })
    .default({ aprBps: 15, pegBps: 2, utilisationBps: 300, idleBps: 200, periodBlocks: 120 }),
  /** Per-venue base parameters replacing the deployment's. */
  overrides: z
    .record(
      venueId,
      z.object({
        aprBps: z.number().nonnegative().optional(),
        priceBps: z.number().positive().optional(),
        idleBps: z.number().min(0).max(10_000).optional(),
        utilisationBps: z.number().min(0).max(10_000).optional(),
        borrowAprBps: z.number().nonnegative().optional(),
      }),
    )
    .default({}),
  shocks: z.array(shockSchema).default([]),
  /** Fast-forward backtest (`npm run backtest -- --scenario …`, marketSamples below); optional. */
  backtest: z
    .object({
      /** Blocks between two decisions (samples): 3600 one-second blocks = hourly. */
      stepBlocks: z.number().int().positive().default(3_600),
      /** Seconds per block (the devnet's 1 s). */
      blockSeconds: z.number().positive().default(1),
      /** The pool's positions at the start, whole collateral units per venue (venues left out: 0). */
      positions: z.record(venueId, z.number().nonnegative()).default({}),
      /** Each venue's total value locked (constant), whole units; withdrawable liquidity is derived from it. */
      tvl: z.record(venueId, z.number().positive()).default({}),
      /**
       * The venues' risk facts (config `venues[].risk`: commissionBps, uptime, audits, launchDate,
       * slashing history), replacing the devnet's for the venues listed: the risk-adjusted score reads
       * them as a live run reads its config, and the market realises `uptime` (a venue earns uptime ×
       * its APR: missed rewards, spread evenly). The scenario's APRs are net of commission (as
       * the adapters read them: policy risk.commissionInApy).
       */
      risk: z.record(venueId, z.unknown()).default({}),
      /**
       * Yield dilution, per venue kind (strategies/backtest.ts `dilutionFactor`): the share of a
       * venue's own yield that is a fixed income shared by its depositors. The scenario's APRs are
       * the venues' with the pool at its starting positions (`positions`) and the others' `tvl`; a
       * contender holding more earns less per unit, one holding less more. Default: vaults and
       * lending markets 1 (a strategy's or a market's borrowers' income does not grow with deposits
       * in the short run; an Aave reserve's falls faster still as its utilisation falls), LSTs 0.
       */
      dilution: z
        .object({ lst: z.number().min(0).max(1).default(0), erc4626: z.number().min(0).max(1).default(1), 'aave-v3': z.number().min(0).max(1).default(1) })
        .prefault({}),
    })
    .optional(),
  /** The governance world of the devnet (devnet/governance/scenario.ts); optional. */
  governance: governanceScenarioSchema.optional(),
})

export type ScenarioInput = z.input<typeof scenarioSchema>
export type Scenario = z.output<typeof scenarioSchema>
export type Shock = Scenario['shocks'][number]
export type ShockKind = Shock['kind']

export function parseScenario(json: unknown): Scenario {
  const r = scenarioSchema.safeParse(json)
  if (!r.success) {
    const lines = r.error.issues.map((i) => `scenario: ${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new Error(lines.join('\n'))
  }
  const problems = r.data.governance ? checkGovernanceScenario(r.data.governance) : []
  if (problems.length > 0) throw new Error(problems.join('\n'))
  return r.data
}

// ── venues (base parameters come from the deployment) ────────────────────────────────────────

export interface LstBase {
  /** Staking APR. */
  aprBps: number
  /** Market price in the backing asset, bps of peg (10 000 = on peg). */
  priceBps: number
}
export interface VaultBase {
  aprBps: number
  /** Share of assets that can be withdrawn. */
  idleBps: number
}
export interface AaveBase {
  /** Supply APR (liquidityRate). */
  aprBps: number
  borrowAprBps: number
  utilisationBps: number
}

export type VenueModel =
  | { id: string; kind: 'lst'; base: LstBase }
  | { id: string; kind: 'erc4626'; base: VaultBase }
  | { id: string; kind: 'aave-v3'; base: AaveBase }

export interface LstParams {
  id: string
  kind: 'lst'
  aprBps: number
  priceBps: number
  /** Exchange-rate cut to apply at this index (0 almost always). */
  slashBps: number
  shocks: ShockKind[]
}
export interface VaultParams {
  id: string
  kind: 'erc4626'
  aprBps: number
  idleBps: number
  paused: boolean
  shocks: ShockKind[]
}
export interface AaveParams {
  id: string
  kind: 'aave-v3'
  aprBps: number
  borrowAprBps: number
  utilisationBps: number
  paused: boolean
  shocks: ShockKind[]
}
export type VenueParams = LstParams | VaultParams | AaveParams

/** Which venue kinds each shock applies to. */
export const SHOCK_TARGETS: Record<ShockKind, ReadonlyArray<VenueModel['kind']>> = {
  depeg: ['lst'],
  pause: ['erc4626', 'aave-v3'],
  apyCollapse: ['lst', 'erc4626', 'aave-v3'],
  apyDecay: ['lst', 'erc4626', 'aave-v3'],
  utilisationSpike: ['aave-v3', 'erc4626'],
  slash: ['lst'],
}

/** Shocks the fast-forward samples (marketSamples) model beyond the live simulator's. */
export const FAST_FORWARD_SHOCK_TARGETS: Partial<Record<ShockKind, ReadonlyArray<VenueModel['kind']>>> = {
  slash: ['lst', 'erc4626'],
}

/** Problems of a scenario against the deployed venues (empty = fine). */
export function checkScenario(s: Scenario, venues: readonly VenueModel[], opts: { fastForward?: boolean } = {}): string[] {
  const targets = (kind: ShockKind) => (opts.fastForward ? (FAST_FORWARD_SHOCK_TARGETS[kind] ?? SHOCK_TARGETS[kind]) : SHOCK_TARGETS[kind])
  const byId = new Map(venues.map((v) => [v.id, v]))
  const known = `(known: ${venues.map((v) => v.id).join(', ')})`
  const problems: string[] = []
  for (const id of Object.keys(s.overrides)) if (!byId.has(id)) problems.push(`scenario ${s.name}: overrides.${id}: unknown venue ${known}`)
  for (const section of ['positions', 'tvl', 'risk'] as const) {
    for (const id of Object.keys(s.backtest?.[section] ?? {})) if (!byId.has(id)) problems.push(`scenario ${s.name}: backtest.${section}.${id}: unknown venue ${known}`)
  }
  s.shocks.forEach((sh, i) => {
    const v = byId.get(sh.venue)
    if (!v) return void problems.push(`scenario ${s.name}: shocks[${i}].venue: unknown venue "${sh.venue}" ${known}`)
    if (!targets(sh.kind).includes(v.kind)) {
      const ff = !opts.fastForward && (FAST_FORWARD_SHOCK_TARGETS[sh.kind] ?? []).includes(v.kind)
      problems.push(
        `scenario ${s.name}: shocks[${i}]: a ${sh.kind} shock needs a ${SHOCK_TARGETS[sh.kind].join(' or ')} venue, "${sh.venue}" is ${v.kind}` +
          (ff ? ` (a ${sh.kind} on an ${v.kind} venue exists in the fast-forward backtest only: npm run backtest -- --scenario ${s.name})` : ''),
      )
    }
    s.shocks.forEach((other, j) => {
      if (j > i && other.venue === sh.venue && overlaps(sh, other)) {
        problems.push(`scenario ${s.name}: shocks[${i}] and shocks[${j}] overlap on venue "${sh.venue}"`)
      }
    })
  })
  return problems
}

function overlaps(a: Shock, b: Shock): boolean {
  return a.start < b.start + b.duration && b.start < a.start + a.duration
}

export interface ShockWindow {
  kind: ShockKind
  venue: string
  start: number
  /** First index after the shock (exclusive). */
  end: number
  shock: Shock
}

/** Shocks as index windows, in start order. */
export function shockWindows(s: Scenario): ShockWindow[] {
  return s.shocks
    .map((shock) => ({ kind: shock.kind, venue: shock.venue, start: shock.start, end: shock.start + shock.duration, shock }))
    .sort((a, b) => a.start - b.start)
}

/** Shocks of a venue active at `index`. */
export function activeShocks(s: Scenario, venue: string, index: number): Shock[] {
  return s.shocks.filter((sh) => sh.venue === venue && index >= sh.start && index < sh.start + sh.duration)
}

/** How many blocks a run of the scenario should take: `blocks`, else 30 past the last shock (min 100). */
export function scenarioLength(s: Scenario): number {
  if (s.blocks !== undefined) return s.blocks
  const lastEnd = Math.max(0, ...s.shocks.map((sh) => sh.start + sh.duration))
  return Math.max(100, lastEnd + 30)
}

/**
 * Combined exchange-rate cut (bps) of the slash shocks of `venue` starting in [from, to]: the
 * simulator applies it when it catches up over skipped indexes, so no slash is lost or repeated.
 */
export function slashBpsBetween(s: Scenario, venue: string, from: number, to: number): number {
  let keep = 1
  for (const sh of s.shocks) {
    if (sh.kind === 'slash' && sh.venue === venue && sh.start >= from && sh.start <= to) keep *= 1 - sh.lossBps / 10_000
  }
  // Rounded to 1e-6 bps so a single cut is exactly its lossBps.
  return Math.round((1 - keep) * 1e10) / 1e6
}

// ── randomness ───────────────────────────────────────────────────────────────────────────────

/** FNV-1a, 32 bits. */
export function hashString(str: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** Integer hash of a tuple (murmur3 finaliser per word), 32 bits. */
export function hash32(...words: number[]): number {
  let h = 0x9e3779b9
  for (const w of words) {
    h = Math.imul(h ^ (w | 0), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
  }
  return h >>> 0
}

/** Uniform in [0, 1) for the tuple. */
export function uniform(...words: number[]): number {
  return hash32(...words) / 4_294_967_296
}

/** mulberry32 (core/random.ts): a sequential seeded PRNG, for callers that want a stream. */
export { mulberry32 }

const CHANNEL = { apr: 1, price: 2, idle: 3, utilisation: 4, borrow: 5 } as const
type Channel = keyof typeof CHANNEL

function seedOf(s: Scenario): number {
  return typeof s.seed === 'number' ? s.seed >>> 0 : hashString(s.seed)
}

/** White noise, triangular on [−amp, amp]. */
function noise(seed: number, venue: number, ch: Channel, index: number, amp: number): number {
  if (amp === 0) return 0
  const c = CHANNEL[ch]
  return (uniform(seed, venue, c, index, 1) + uniform(seed, venue, c, index, 2) - 1) * amp
}

/** Smooth drift in [−amp, amp]: random knots every `period` blocks, smoothstep in between. */
function drift(seed: number, venue: number, ch: Channel, index: number, amp: number, period: number): number {
  if (amp === 0) return 0
  const c = CHANNEL[ch] + 100
  const k = Math.floor(index / period)
  const f = (index - k * period) / period
  const a = uniform(seed, venue, c, k) * 2 - 1
  const b = uniform(seed, venue, c, k + 1) * 2 - 1
  const t = f * f * (3 - 2 * f)
  return (a + (b - a) * t) * amp
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x))

// ── parameters at an index ───────────────────────────────────────────────────────────────────

/** Market parameters of one venue at block index `index` (≥ 0). */
export function venueParamsAt(s: Scenario, venue: VenueModel, index: number): VenueParams {
  if (!Number.isInteger(index) || index < 0) throw new Error(`block index must be an integer ≥ 0, got ${index}`)
  const seed = seedOf(s)
  const vh = hashString(venue.id)
  const ov = s.overrides[venue.id] ?? {}
  const P = s.drift.periodBlocks
  const wander = (ch: Channel, driftAmp: number, noiseAmp: number) => drift(seed, vh, ch, index, driftAmp, P) + noise(seed, vh, ch, index, noiseAmp)
  const active = activeShocks(s, venue.id, index)
  const shocks = active.map((sh) => sh.kind)
  const find = <K extends ShockKind>(kind: K) => active.find((sh): sh is Extract<Shock, { kind: K }> => sh.kind === kind)

  const baseApr = ov.aprBps ?? venue.base.aprBps
  const collapse = find('apyCollapse')
  const decay = find('apyDecay')
  const modelled = Math.max(0, baseApr + wander('apr', s.drift.aprBps, s.noise.aprBps))
  const aprBps = collapse ? collapse.aprBps : decay ? modelled + (decay.aprBps - modelled) * ((index - decay.start + 1) / decay.duration) : modelled

  switch (venue.kind) {
    case 'lst': {
      const depeg = find('depeg')
      const price = (ov.priceBps ?? venue.base.priceBps) + wander('price', s.drift.pegBps, s.noise.pegBps) - (depeg?.dropBps ?? 0)
      return { id: venue.id, kind: 'lst', aprBps, priceBps: Math.max(0, price), slashBps: slashBpsBetween(s, venue.id, index, index), shocks }
    }
    case 'erc4626': {
      const spike = find('utilisationSpike')
      const idle = spike ? spike.idleBps : clamp((ov.idleBps ?? venue.base.idleBps) + wander('idle', s.drift.idleBps, s.noise.idleBps), 0, 10_000)
      return { id: venue.id, kind: 'erc4626', aprBps, idleBps: idle, paused: find('pause') !== undefined, shocks }
    }
    case 'aave-v3': {
      const spike = find('utilisationSpike')
      const util = spike
        ? spike.utilisationBps
        : clamp((ov.utilisationBps ?? venue.base.utilisationBps) + wander('utilisation', s.drift.utilisationBps, s.noise.utilisationBps), 0, 9_500)
      const borrow = Math.max(0, (ov.borrowAprBps ?? venue.base.borrowAprBps) + wander('borrow', s.drift.aprBps, s.noise.aprBps))
      return { id: venue.id, kind: 'aave-v3', aprBps, borrowAprBps: borrow, utilisationBps: util, paused: find('pause') !== undefined, shocks }
    }
  }
}

/** Parameters of every venue at `index`. */
export function marketAt(s: Scenario, venues: readonly VenueModel[], index: number): VenueParams[] {
  return venues.map((v) => venueParamsAt(s, v, index))
}

// ── fast-forward: the samples a watcher would read, without a chain ──────────────────────────

export interface FastForwardVenue {
  model: VenueModel
  chain: string
  /** The LST venue whose price the venue's samples carry as their peg (the chain's collateral; an lst: itself). */
  pegVenueId?: string
  /** The venue earns this share of its APR (risk facts' uptime, rewards ∝ uptime; default 1). */
  uptime?: number
}

export interface FastForwardOptions {
  /** Number of samples per venue. */
  steps: number
  /** Blocks between two samples (scenario indexes 0, stepBlocks, 2·stepBlocks, …). */
  stepBlocks: number
  /** Seconds per block. */
  blockSeconds: number
  /** Unix time of index 0. */
  startTime: number
  /** Total value locked per venue, whole units (withdrawable liquidity derives from it); default 1 000 000. */
  tvl?: Readonly<Record<string, number>>
  decimals?: number
}

const YEAR_SECONDS = 365 * 86_400

/**
 * Samples of every venue at indexes 0, stepBlocks, 2·stepBlocks, … as the watcher would store
 * them from the simulated chain, computed from the model alone (no anvil): the exchange rate
 * compounds per second at the APR of the index it reaches (a slash over the interval cuts it once),
 * the APY is the rate's growth over the interval annualised (the watcher's exchange-rate APY), the
 * peg is the collateral LST's price, withdrawable liquidity is the vault's idle share or the
 * market's unborrowed supply of a constant TVL (the pool's own moves do not change the TVL).
 * `steps[k]` holds one sample per venue. PURE and deterministic.
 */
export function marketSamples(s: Scenario, venues: readonly FastForwardVenue[], opts: FastForwardOptions): Sample[][] {
  if (!Number.isInteger(opts.steps) || opts.steps < 1) throw new Error(`marketSamples: steps must be an integer ≥ 1, got ${opts.steps}`)
  if (!Number.isInteger(opts.stepBlocks) || opts.stepBlocks < 1) throw new Error(`marketSamples: stepBlocks must be an integer ≥ 1, got ${opts.stepBlocks}`)
  const unit = 10 ** (opts.decimals ?? 18)
  const dt = opts.stepBlocks * opts.blockSeconds
  const rate = new Map(venues.map((v) => [v.model.id, 1]))
  const raw = (x: number) => BigInt(Math.round(x * unit))
  const out: Sample[][] = []
  for (let k = 0; k < opts.steps; k++) {
    const index = k * opts.stepBlocks
    const params = new Map(venues.map((v) => [v.model.id, venueParamsAt(s, v.model, index)]))
    const priceOf = (id: string | undefined) => {
      const p = id === undefined ? undefined : params.get(id)
      return p?.kind === 'lst' ? p.priceBps / 10_000 : null
    }
    out.push(
      venues.map((v) => {
        const p = params.get(v.model.id)!
        const before = rate.get(v.model.id)!
        let after = before
        let apy: number
        if (k === 0) apy = Math.pow(1 + p.aprBps / 10_000 / YEAR_SECONDS, YEAR_SECONDS) - 1
        else {
          // Uptime: rewards ∝ uptime (the share of duties performed), spread evenly — the risk model's assumption.
          after = before * Math.pow(1 + ((p.aprBps / 10_000) * (v.uptime ?? 1)) / YEAR_SECONDS, dt)
          // A slash: an LST's exchange rate, or a vault's share price (a strategy loss).
          const cut = v.model.kind === 'lst' || v.model.kind === 'erc4626' ? slashBpsBetween(s, v.model.id, index - opts.stepBlocks + 1, index) : 0
          after *= 1 - cut / 10_000
          apy = Math.pow(after / before, YEAR_SECONDS / dt) - 1
        }
        rate.set(v.model.id, after)
        const tvl = opts.tvl?.[v.model.id] ?? 1_000_000
        const sample: Sample = {
          venueId: v.model.id,
          chain: v.chain,
          blockNumber: BigInt(index),
          blockHash: '0x00',
          blockTime: opts.startTime + Math.round(index * opts.blockSeconds),
          available: true,
          error: null,
          exchangeRate: raw(after),
          apy,
          tvl: raw(tvl),
          utilisation: p.kind === 'aave-v3' ? p.utilisationBps / 10_000 : null,
          withdrawable: p.kind === 'erc4626' ? raw((tvl * p.idleBps) / 10_000) : p.kind === 'aave-v3' ? raw(tvl * (1 - p.utilisationBps / 10_000)) : null,
          peg: priceOf(v.pegVenueId ?? (v.model.kind === 'lst' ? v.model.id : undefined)),
          paused: p.kind === 'lst' ? null : p.paused,
          createdAt: 0,
        }
        return sample
      }),
    )
  }
  return out
}

// ── conversions to on-chain units ────────────────────────────────────────────────────────────

/** bps (may be fractional) → 1e18-scaled fraction. */
export function bpsToWad(bps: number): bigint {
  return BigInt(Math.round(bps * 1e6)) * 100_000_000n
}

/** bps (may be fractional) → 1e27-scaled fraction (Aave rays). */
export function bpsToRay(bps: number): bigint {
  return bpsToWad(bps) * 1_000_000_000n
}

/** Integer bps for on-chain bps fields (rounded, clamped to 0..10 000). */
export function bpsInt(bps: number): bigint {
  return BigInt(clamp(Math.round(bps), 0, 10_000))
}
