import { apyBaselineSecondsOf, apyWindowSecondsOf, type Config, type VenueConfig } from '../config/schema'
import { sampleEverySecondsOf } from '../config/history'
import { childLogger, type Logger } from '../core/logger'
import { BlockNotYetAvailableError, describeError, isRetryable } from '../core/errors'
import { sleep } from '../core/shutdown'
import type { ChainClient, EndpointEvent } from '../chains/createChainClient'
import { BlockReorgedError, planReads, readBlock, ReorgDetectedError, StateNotServedError, type BlockRead } from '../chains/readBlock'
import type { CompactStats, Store } from '../store'
import { pauseKey } from '../store/controls'
import { unwritableCode } from '../store/errors'
import type { SampleInput, PositionInput } from '../store/types'
import { derivedApy, implausibility, measuredBlockTimeMs, windowBlocks, type RatePoint } from '../venues/apy'
import { apyBaseline, evaluateVenue, median, trimBaseline, verdictKey, type Condition, type TimedApy } from './alertRules'
import { scoreWindowSecondsOf } from '../strategies/policy'
import { advance, positionDecision, sampleDecision, type VenueCadence } from './cadence'
import { heldFor, persistenceFor, stepPersistence, type Fired, type Glitch, type Pending } from './persistence'

export interface WatcherDeps {
  common: { config: Config; logger: Logger }
  store: Store
  chain: ChainClient
  /** Agent name in heartbeats and alerts; default `watcher-<chain>`. */
  agent?: string
  now?: () => number
  /**
   * False while the store refuses writes (a full disk; the agent runtime's `storeWritable`): no
   * block is read or stored meanwhile, and the cursor stays where it is, so every block missed is
   * back-filled once the store takes writes again.
   */
  storeWritable?: () => boolean
}

export type TickResult =
  | { status: 'processed'; block: bigint; head: bigint; alerts: number }
  | { status: 'waiting'; next: bigint }
  /** The chain reorganised under the stored blocks: everything above `ancestor` was withdrawn. */
  | { status: 'reorg'; ancestor: bigint; depth: number; deep: boolean }
  | { status: 'failed'; error: string; retryable: boolean }
  /** The node served no state for this block (attempt `tries` of watch.stateNotServedRetries): read again. */
  | { status: 'unserved'; block: bigint; tries: number }
  /** The node never served this block's state: recorded as a gap (header kept, no samples, an alert). */
  | { status: 'gap'; block: bigint; tries: number }

export interface Watcher {
  readonly agent: string
  /** Processes the next block if it exists: read, store samples + cursor, raise/resolve alerts. */
  tick(): Promise<TickResult>
  /** Ticks until the signal aborts: paced by the chain's block time, backing off on failures; compacts history in the background. */
  run(signal: AbortSignal): Promise<void>
  /** One compaction pass over this chain's venues (store/history.ts): hourly aggregates, raw rows past the retention deleted. */
  compact(signal?: AbortSignal): Promise<CompactStats>
  /** For alerts about RPC endpoints; pass to createChainClient's `onEndpointEvent`. */
  onEndpointEvent(e: EndpointEvent): void
}

interface VenueMemory {
  rates: RatePoint[]
  /** APYs for the drop baseline, ascending in time (the span alerts.apyBaselineSeconds, plus the newest APY before it). */
  apys: TimedApy[]
  /** Published APYs: the last plausible reading's time and how far back its unbroken run reaches. */
  run?: { blockTime: number; spanSeconds: number }
  /** The venue publishes its APY (a lending rate) rather than an exchange rate to derive it from. */
  published?: boolean
  /** Consecutive implausible readings (the alert fires at watch.implausibleAlertAfterSamples). */
  implausible: number
}

/** Probes at most this many depths (halving) for the oldest block the node still serves. */
const HISTORY_PROBES = 8
/** A window longer than watch.backfillMaxBlocks is back-filled from this many blocks spread over it. */
const SPARSE_POINTS = 48
/** Block hashes kept beyond the finality depth, so a deeper reorg is still seen (and how deep). */
const REORG_MARGIN_BLOCKS = 64
/** Headers asked for at once while searching for a reorg's common ancestor. */
const ANCESTOR_BATCH = 16n
/** Roles paused by a reorg deeper than the chain's finality depth (they honour pause:<role>). */
const HALTED_ON_DEEP_REORG = ['executor', 'strategist'] as const

export function createWatcher(deps: WatcherDeps): Watcher {
  const { config, logger: baseLogger } = deps.common
  const { store, chain } = deps
  const agent = deps.agent ?? `watcher-${chain.name}`
  const logger = childLogger(baseLogger, { agent, chain: chain.name })
  const now = deps.now ?? Date.now
  const venues: VenueConfig[] = config.venues.filter((v) => v.chain === chain.name)
  const pool = config.pool.account
  const plan = planReads(venues, pool)
  /** The APY-drop baseline span (seconds, per chain): a span of time, whatever the chain's cadence. */
  const baselineSeconds = apyBaselineSecondsOf(config, chain.name)
  /** APYs closer together than this are thinned out of the baseline memory (at most ~1024 points per span). */
  const baselineThinSeconds = Math.floor(baselineSeconds / 1024)
  const baselineAt = (mem: VenueMemory | undefined, time: number) => (mem ? apyBaseline(mem.apys, time, baselineSeconds) : null)
  // Windows are in time, per chain; blocks only say how much history to keep and back-fill.
  const apyWindow = { windowSeconds: apyWindowSecondsOf(config, chain.name), minSpanSeconds: config.watch.minApySpanSeconds }
  /** The chain's block time: measured from block timestamps where possible, else the configured one. */
  let blockTimeMs = chain.config.blockTimeMs
  const windowBlocksNow = () => windowBlocks(apyWindow.windowSeconds, blockTimeMs)
  /** Rate points closer together than this are thinned out of memory (a window of at most ~1024 points). */
  const thinSeconds = Math.floor(apyWindow.windowSeconds / 1024)
  /** A published APY's run of readings breaks on a gap longer than this (seconds). */
  const runGapSeconds = Math.max((3 * chain.config.blockTimeMs) / 1000, apyWindow.windowSeconds / 24)
  /** Blocks below this are the start-up back-fill: stored, but raise no alert (the live blocks do). */
  let backfillUntil = -1n
  let implausibleTotal = 0

  let cursor: { number: bigint; hash: `0x${string}` } | null | undefined // undefined: not loaded yet
  const memory = new Map<string, VenueMemory>()
  /** Baselines frozen when an APY-drop alert opened, by dedup key. */
  const frozenBaseline = new Map<string, number>()
  let openKeys = new Set<string>()
  /** Streaks of conditions not yet persisted long enough to alert or recover (watch/persistence.ts). */
  let pending = new Map<string, Pending>()
  /** Glitches (streaks that never persisted) by rule, as counted in the store; shown in the heartbeat. */
  let glitchCounts: Record<string, number> | undefined
  const persistenceOf = (c: Condition) => persistenceFor(config.alerts.persistence, c.rule, c.severity)
  let hydrated = false
  let consecutiveFailures = 0
  /** The heartbeat of the last stored block (a failing tick beats it again, marked failing). */
  let lastBeat: Record<string, unknown> = { chain: chain.name }
  /** Reads of one block (by hash) answered with no state, and the blocks recorded as gaps for it. */
  let unserved: { hash: string; tries: number } | undefined
  let gapsTotal = 0
  let gapRunStart: bigint | undefined
  /** Sampling cadence (watch/cadence.ts): seconds between stored samples (0: every block), and each venue's state. */
  const sampleEvery = sampleEverySecondsOf(config, chain.name)
  const cadence = new Map<string, VenueCadence>()

  async function hydrate(before: bigint): Promise<void> {
    openKeys = new Set((await store.alerts.open({ agent })).map((c) => c.dedupKey))
    pending = new Map((await store.alerts.pending(agent)).map((p) => [p.dedupKey, p]))
    glitchCounts ??= Object.fromEntries((await store.alerts.glitches({ agent })).map((g) => [g.rule, g.count]))
    const open = await store.alerts.open({ agent, rule: 'apy-drop' })
    // The drop was first seen up to blocks − 1 blocks before it opened; those samples are not baseline.
    const dropLead = BigInt(persistenceFor(config.alerts.persistence, 'apy-drop', 'warning').blocks - 1)
    for (const v of venues) {
      // The APY window and the baseline span, in time, plus the newest row before them (a window's base).
      const rows = (await store.history.span(v.id, Math.max(apyWindow.windowSeconds, baselineSeconds), { availableOnly: true, beforeBlock: before })).reverse()
      const base = rows[0] ? (await store.history.window(v.id, 1, { availableOnly: true, beforeBlock: rows[0].blockNumber }))[0] : undefined
      if (base) rows.unshift(base)
      const first = rows[0]
      const last = rows.at(-1)
      if (first && last && last.blockNumber > first.blockNumber) blockTimeMs = measuredBlockTimeMs({ number: first.blockNumber, timestamp: first.blockTime }, { number: last.blockNumber, timestamp: last.blockTime }, blockTimeMs)
      const rates: RatePoint[] = []
      for (const r of rows) if (r.exchangeRate !== null) keepRate(rates, { blockNumber: r.blockNumber, blockTime: r.blockTime, exchangeRate: r.exchangeRate })
      const lastRow = (await store.history.window(v.id, 1, { beforeBlock: before }))[0]
      memory.set(v.id, {
        rates,
        apys: rows.filter((r) => r.apy !== null).map((r) => ({ time: r.blockTime, apy: r.apy! })),
        run: lastRow && lastRow.available && lastRow.apy !== null && lastRow.apySpanSeconds != null ? { blockTime: lastRow.blockTime, spanSeconds: lastRow.apySpanSeconds } : undefined,
        implausible: 0,
      })
      const lastPos = before > 0n ? await store.history.positionAtBlock(v.id, before - 1n) : undefined
      // The stored position's time: its block's sample where stored, else the last stored sample's (an hour refresh at worst comes early).
      const posTime = lastPos ? ((await store.history.sampleAtBlock(v.id, lastPos.blockNumber))?.blockTime ?? lastRow?.blockTime ?? 0) : 0
      cadence.set(v.id, { lastStoredTime: lastRow?.blockTime, lastPosition: lastPos ? { amount: lastPos.amount, shares: lastPos.shares, time: posTime } : undefined })
      const cond = open.find((c) => c.subject === v.id && c.chain === chain.name)
      if (cond?.openedBlock != null) {
        const prior = await store.history.span(v.id, baselineSeconds, { availableOnly: true, beforeBlock: cond.openedBlock - dropLead })
        const b = median(prior.filter((r) => r.apy !== null).map((r) => r.apy!))
        if (b !== null) frozenBaseline.set(cond.dedupKey, b)
      }
    }
    hydrated = true
  }

  /** Whether the exchange rate fell between two kept points (the kept points span the APY window). */
  const lossIn = (rates: readonly RatePoint[]): boolean => rates.some((p, i) => i > 0 && p.exchangeRate < rates[i - 1]!.exchangeRate)

  /** Appends a rate point, thins points closer than thinSeconds, drops those the window no longer needs. */
  function keepRate(rates: RatePoint[], p: RatePoint): void {
    const prev = rates.at(-1)
    if (prev && thinSeconds > 0 && p.blockTime - prev.blockTime < thinSeconds && rates.length > 1 && prev.blockTime - rates.at(-2)!.blockTime < thinSeconds) rates.pop()
    rates.push(p)
    // Keep the newest point at least a window old (the base) and everything after it.
    let cut = 0
    for (let i = rates.length - 1; i >= 0; i--) {
      if (p.blockTime - rates[i]!.blockTime >= apyWindow.windowSeconds) {
        cut = i
        break
      }
    }
    if (cut > 0) rates.splice(0, cut)
  }

  async function headNumber(): Promise<bigint> {
    return chain.client.getBlockNumber({ cacheTime: 0 })
  }

  function buildBlock(read: BlockRead): { samples: SampleInput[]; positions: PositionInput[]; conditions: Condition[]; verdicts: Map<string, { key: string; dedupKeys: string[] }> } {
    const { block } = read
    const samples: SampleInput[] = []
    const positions: PositionInput[] = []
    const conditions: Condition[] = []
    const verdicts = new Map<string, { key: string; dedupKeys: string[] }>()
    read.readings.forEach((r, i) => {
      const venue = plan[i]!.venue
      const mem: VenueMemory = memory.get(venue.id) ?? { rates: [], apys: [], implausible: 0 }
      memory.set(venue.id, mem)
      let apy: number | null = r.publishedApy
      let apySpanSeconds: number | null = null
      let rateChangeBps: number | null = null
      mem.published = r.publishedApy !== null
      if (r.available && r.exchangeRate !== null) {
        const prev = mem.rates.at(-1)
        if (prev && prev.exchangeRate > 0n) rateChangeBps = Number(((r.exchangeRate - prev.exchangeRate) * 10n ** 10n) / prev.exchangeRate) / 1e6
      }
      if (r.available && apy !== null) {
        // A published APY covers the unbroken run of readings up to this block.
        const run = mem.run
        apySpanSeconds = run && block.timestamp - run.blockTime <= runGapSeconds ? run.spanSeconds + Math.max(0, block.timestamp - run.blockTime) : 0
      } else if (r.available && r.exchangeRate !== null) {
        const d = derivedApy(mem.rates, { blockNumber: block.number, blockTime: block.timestamp, exchangeRate: r.exchangeRate }, apyWindow)
        apy = d?.apy ?? null
        apySpanSeconds = d?.spanSeconds ?? null
      }
      // Garbage from a feed is refused: no reading of it is stored, so the venue is held (frozen).
      const refused = r.available ? implausibility({ apy, tvl: r.tvl, utilisation: r.utilisation, withdrawable: r.withdrawable }, config.watch.maxPlausibleApy) : null
      if (refused) {
        apy = null
        apySpanSeconds = null
        rateChangeBps = null
      }
      const dropKey = `apy-drop:${chain.name}:${venue.id}`
      const baseline = frozenBaseline.get(dropKey) ?? baselineAt(mem, block.timestamp)
      samples.push({
        venueId: venue.id,
        chain: chain.name,
        blockNumber: block.number,
        blockHash: block.hash,
        blockTime: block.timestamp,
        available: r.available,
        error: refused ?? r.error,
        exchangeRate: refused ? null : r.exchangeRate,
        apy,
        tvl: refused ? null : r.tvl,
        utilisation: refused ? null : r.utilisation,
        withdrawable: refused ? null : r.withdrawable,
        liquidity: refused ? null : r.liquidity,
        peg: r.peg,
        paused: r.paused,
        apySpanSeconds,
      })
      if (r.position !== null) positions.push({ chain: chain.name, venueId: venue.id, blockNumber: block.number, amount: r.position, shares: r.positionShares })
      const venueConditions = evaluateVenue(
        { venue, available: r.available, error: r.error, apy, apyBaseline: baseline, rateChangeBps, lossInWindow: lossIn(mem.rates), peg: r.peg, paused: r.paused, position: r.position, withdrawable: refused ? null : r.withdrawable },
        config.alerts,
        (k) => openKeys.has(k),
      )
      conditions.push(...venueConditions)
      verdicts.set(venue.id, { key: verdictKey(venueConditions, refused !== null), dedupKeys: venueConditions.map((c) => c.dedupKey) })
    })
    return { samples, positions, conditions, verdicts }
  }

  /**
   * The samples and positions of a block that are stored (watch/cadence.ts): on the cadence, and
   * always a venue whose verdicts changed or whose alert raised/cleared at this block; positions
   * when they change. Advances every venue's cadence state (call once per block read).
   */
  function selectStored(built: ReturnType<typeof buildBlock>, fired: ReadonlySet<string>, time: number): { samples: SampleInput[]; positions: PositionInput[] } {
    const samples: SampleInput[] = []
    const positions: PositionInput[] = []
    for (const s of built.samples) {
      const v = built.verdicts.get(s.venueId)!
      const state = cadence.get(s.venueId) ?? {}
      const reason = v.dedupKeys.some((k) => fired.has(k)) ? 'alert' : sampleDecision(state, { time }, v.key, sampleEvery)
      if (reason) samples.push(s)
      const p = built.positions.find((x) => x.venueId === s.venueId)
      const keep = p !== undefined && positionDecision(state, { time }, { amount: p.amount, shares: p.shares ?? null }, reason)
      if (keep) positions.push(p)
      cadence.set(s.venueId, advance(state, { time }, v.key, reason, keep ? { amount: p.amount, shares: p.shares ?? null } : undefined))
    }
    return { samples, positions }
  }

  /** Remember this block's rates and APYs (after it is stored). */
  function remember(samples: SampleInput[]): void {
    for (const s of samples) {
      const mem = memory.get(s.venueId)!
      if (s.available && s.exchangeRate != null) keepRate(mem.rates, { blockNumber: s.blockNumber, blockTime: s.blockTime, exchangeRate: s.exchangeRate })
      if (s.error?.startsWith('implausible')) {
        mem.implausible++
        implausibleTotal++
      } else if (s.available) mem.implausible = 0
      // A published APY's run goes on with a plausible reading and breaks on anything else.
      mem.run = s.available && s.apy != null && s.apySpanSeconds != null && mem.published ? { blockTime: s.blockTime, spanSeconds: s.apySpanSeconds } : s.apy == null ? undefined : mem.run
      // An APY inside an open drop, or one that may be opening one, is not part of the normal baseline.
      const dropKey = `apy-drop:${s.chain}:${s.venueId}`
      const dropOpen = openKeys.has(dropKey) || pending.get(dropKey)?.toward === 'open'
      if (s.apy != null && s.apy >= 0 && !dropOpen) {
        const prev = mem.apys.at(-1)
        if (!prev || s.blockTime - prev.time >= baselineThinSeconds) mem.apys.push({ time: s.blockTime, apy: s.apy })
        trimBaseline(mem.apys, s.blockTime, baselineSeconds)
      }
    }
  }

  /**
   * Runs this block's verdicts through the persistence rules and writes what persisted: alerts,
   * recoveries and the streaks under way (inside the block's transaction). Returns the new state
   * to adopt once the transaction commits.
   */
  async function applyConditions(conditions: Condition[], block: { number: bigint; timestamp: number }) {
    const ref = { number: block.number, time: block.timestamp }
    const step = stepPersistence({ open: openKeys, pending }, conditions, ref, persistenceOf)
    const body = (f: Fired) => [f.condition.body, heldFor(f, ref)].filter(Boolean).join('; ')
    let written = 0
    const frozen = new Map<string, number>()
    for (const f of step.raise) {
      const c = f.condition
      const res = await store.alerts.raise({ dedupKey: c.dedupKey, agent, chain: chain.name, rule: c.rule, subject: c.subject, severity: c.severity, title: c.title, body: body(f), blockNumber: block.number })
      if (c.rule === 'apy-drop') {
        // Freeze the baseline the drop was measured against until it recovers.
        const b = baselineAt(memory.get(c.subject), block.timestamp)
        if (b !== null) frozen.set(c.dedupKey, b)
      }
      if (res.inserted) written++
    }
    for (const f of step.resolve) {
      const c = f.condition
      const res = await store.alerts.resolve(c.dedupKey, { agent, title: c.title, body: body(f), blockNumber: block.number })
      if (res.inserted) written++
    }
    await store.alerts.savePending(
      step.pendingUpserts.map((p) => ({ ...p, agent })),
      step.pendingDeletes,
    )
    for (const g of step.glitches) await store.alerts.countGlitch({ agent, rule: g.rule, dedupKey: g.dedupKey, blockNumber: block.number })
    return { written, step, frozen }
  }

  /** Adopts the state of a committed block. */
  function adopt(r: Awaited<ReturnType<typeof applyConditions>>): void {
    for (const f of r.step.resolve) frozenBaseline.delete(f.condition.dedupKey)
    for (const [k, b] of r.frozen) frozenBaseline.set(k, b)
    // rpc keys may have changed meanwhile (endpoint events): keep them, take the conditions' from the step.
    const conditionKeys = new Set([...r.step.raise, ...r.step.resolve].map((f) => f.condition.dedupKey))
    for (const k of conditionKeys) if (r.step.state.open.has(k)) openKeys.add(k)
    else openKeys.delete(k)
    pending = new Map(r.step.state.pending)
    if (r.step.glitches.length > 0) logGlitches(r.step.glitches)
  }

  function logGlitches(glitches: Glitch[]): void {
    glitchCounts ??= {}
    for (const g of glitches) {
      glitchCounts[g.rule] = (glitchCounts[g.rule] ?? 0) + 1
      logger.info(
        { dedupKey: g.dedupKey, rule: g.rule, toward: g.toward, blocks: g.blocks, since: String(g.sinceBlock) },
        g.toward === 'open' ? 'glitch: condition cleared before it persisted (no alert)' : 'glitch: condition returned before its recovery persisted (alert stays open)',
      )
    }
  }

  /** A feed refused as implausible for watch.implausibleAlertAfterSamples readings in a row alerts once; a plausible reading resolves it. */
  async function implausibleAlerts(block: bigint): Promise<void> {
    for (const v of venues) {
      const mem = memory.get(v.id)
      if (!mem) continue
      const key = `implausible:${chain.name}:${v.id}`
      if (mem.implausible >= config.watch.implausibleAlertAfterSamples && !openKeys.has(key)) {
        // The refused readings' error text: the newest stored sample (the cadence stores the first refused block).
        const last = (await store.history.window(v.id, 1, { beforeBlock: block + 1n }))[0]
        await store.alerts.raise({ dedupKey: key, agent, chain: chain.name, rule: 'implausible', subject: v.id, severity: 'warning', title: `${v.id}: feed refused as implausible (${mem.implausible} readings in a row)`, body: `${last?.error ?? 'implausible readings'}; the venue is held where it is until it reads plausibly again`, blockNumber: block })
        openKeys.add(key)
      } else if (mem.implausible === 0 && openKeys.has(key)) {
        await store.alerts.resolve(key, { agent, title: `${v.id}: feed plausible again`, body: 'readings are accepted again', blockNumber: block })
        openKeys.delete(key)
      }
    }
  }

  /**
   * The first block to read at a fresh start: the APY window plus the score's and baseline's
   * samples back from the head (so the result is the one a watcher running all along would have),
   * or as far back as the node serves state; the head itself when watch.backfillWindow is off or
   * the node serves no history (the venues then stay frozen until the window fills). A window
   * longer than watch.backfillMaxBlocks (a day of Arbitrum blocks) is back-filled sparsely
   * instead: SPARSE_POINTS blocks spread over it are read and stored (no alerts, no cursor), so
   * the first live block's APY already spans the window; then it starts at the head.
   */
  async function backfillStart(head: bigint): Promise<bigint> {
    if (!config.watch.backfillWindow || venues.length === 0) return head
    try {
      const back = head > 256n ? 256n : head
      if (back > 0n) {
        const [a, b] = await Promise.all([chain.client.getBlock({ blockNumber: head - back }), chain.client.getBlock({ blockNumber: head })])
        blockTimeMs = measuredBlockTimeMs({ number: a.number, timestamp: Number(a.timestamp) }, { number: b.number, timestamp: Number(b.timestamp) }, blockTimeMs)
      }
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'could not measure the block time: using blockTimeMs')
    }
    // The APY window, then the score's window and the baseline's span before the head (their
    // first APYs rest on a full window too): all in blocks from the measured block time.
    const spanBlocks = windowBlocks(Math.max(scoreWindowSecondsOf(config.strategy, chain.name), baselineSeconds), blockTimeMs)
    const full = windowBlocksNow() + spanBlocks
    const sparse = BigInt(full) > BigInt(config.watch.backfillMaxBlocks)
    // Sparse: the window with a tenth to spare (block times vary: the window must be covered in time).
    let depth = sparse ? BigInt(Math.ceil(windowBlocksNow() * 1.1) + 2) : BigInt(full)
    if (depth > head) depth = head
    let oldest: BlockRead | undefined
    for (let i = 0; i < HISTORY_PROBES && depth > 0n; i++, depth /= 2n) {
      try {
        const r = await readBlock(chain, plan, head - depth)
        // State this old is served when some venue reads at it (before deployment nothing does).
        if (r.readings.some((x) => x.available)) {
          oldest = r
          break
        }
      } catch (err) {
        logger.debug({ err: describeError(err), block: String(head - depth) }, 'history not served at this depth')
      }
    }
    if (!oldest) {
      logger.warn({ head: String(head) }, 'the node serves no history: venues stay frozen until their APY window fills')
      return head
    }
    logger.info({ from: String(head - depth), head: String(head), blockTimeMs: Math.round(blockTimeMs), sparse }, 'back-filling the APY window')
    if (!sparse) return head - depth
    // Sparse: SPARSE_POINTS blocks from the oldest served one up to just before the head.
    const from = head - depth
    const points = BigInt(Math.min(SPARSE_POINTS, Number(depth)))
    const blocks: bigint[] = []
    for (let j = 0n; j < points; j++) blocks.push(from + (depth * j) / points)
    try {
      for (const b of blocks) {
        const read = b === oldest.block.number ? oldest : await readBlock(chain, plan, b)
        const { samples } = buildBlock(read)
        await store.samples.insertMany(samples)
        remember(samples)
      }
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'sparse back-fill stopped: venues stay frozen until their APY window fills')
    }
    return head
  }

  async function rpcAllAlert(active: boolean, detail: string): Promise<void> {
    const key = `rpc-all:${chain.name}`
    if (active && !openKeys.has(key)) {
      await store.alerts.raise({ dedupKey: key, agent, chain: chain.name, rule: 'rpc', subject: chain.name, severity: 'critical', title: `${chain.name}: no RPC endpoint answers`, body: `watching is behind until an RPC URL answers; missed blocks are back-filled (${detail})` })
      openKeys.add(key)
    } else if (!active && openKeys.has(key)) {
      await store.alerts.resolve(key, { agent, title: `${chain.name}: RPC reachable again`, body: 'missed blocks are being back-filled' })
      openKeys.delete(key)
    }
  }

  /** Block hashes kept (and searched for a common ancestor): the finality depth plus a margin to see deeper reorgs. */
  const keepBlocks = chain.config.finalityDepth + REORG_MARGIN_BLOCKS

  /**
   * The newest block we stored that is still the chain's (its hash at that number is the one we
   * hold), searched down from `from`: the kept hash chain, then the hashes the samples carry, as
   * far back as watch.backfillMaxBlocks (one batched request per 16 blocks, stopping at the first
   * match). A block the node does not serve is passed over (no evidence either way); the blocks
   * above the ancestor descend from a replaced one, so they go too. None found: the block below
   * the searched range (a reorg deeper than we can check).
   */
  async function commonAncestor(from: bigint): Promise<{ number: bigint; hash: `0x${string}`; seen: boolean }> {
    const span = BigInt(Math.max(keepBlocks, config.watch.backfillMaxBlocks))
    const low = from > span ? from - span : 0n
    const stored = await store.cursors.storedHashes(chain.name, low, from)
    for (let top = from; top >= low; top -= ANCESTOR_BATCH) {
      const nums: bigint[] = []
      for (let n = top; n >= low && n > top - ANCESTOR_BATCH; n--) if (stored.has(n)) nums.push(n)
      const headers = await Promise.all(nums.map((n) => chain.client.getBlock({ blockNumber: n }).catch(() => null)))
      for (const [i, n] of nums.entries()) {
        const h = headers[i]
        if (h && h.hash === stored.get(n)) return { number: n, hash: h.hash, seen: true }
      }
      if (top < ANCESTOR_BATCH) break
    }
    const below = low > 0n ? low - 1n : 0n
    const bottom = await chain.client.getBlock({ blockNumber: below })
    return { number: below, hash: bottom.hash, seen: false }
  }

  /**
   * A reorg under `held`: every sample, position and alert above the common ancestor is withdrawn
   * (alerts: retracted if unsent, else a correction notice), streaks start over, and the next ticks
   * read the new blocks. Deeper than the chain's finality depth: a critical alert, and the
   * executor and strategist are paused (pause:executor, pause:strategist) until an operator resumes them.
   */
  async function rewindReorg(held: { number: bigint; hash: `0x${string}` }): Promise<TickResult> {
    const found = await commonAncestor(held.number)
    const ancestor = { number: found.number, hash: found.hash }
    const depth = Number(held.number - ancestor.number)
    const finality = chain.config.finalityDepth
    const deep = depth > finality
    const replaced = `${ancestor.number + 1n}..${held.number}`
    const reason = `a ${depth}-block reorg of ${chain.name} replaced (blocks ${replaced})`
    const r = await store.transaction(async (tx) => {
      const alerts = await tx.alerts.retractAfter({ agent, chain: chain.name, afterBlock: ancestor.number, reason })
      const removed = await tx.cursors.rewind(chain.name, ancestor.number, ancestor.hash)
      // Streaks may count orphaned blocks: they start over (a delay, never a false alert).
      await tx.alerts.clearPending(agent)
      const halted: string[] = []
      if (deep) {
        await tx.alerts.raise({
          dedupKey: `reorg-deep:${chain.name}:${ancestor.number}`,
          agent,
          chain: chain.name,
          rule: 'reorg',
          subject: chain.name,
          severity: 'critical',
          title: `${chain.name}: ${depth}-block reorg, deeper than its finality depth (${finality}): actions halted`,
          body: `blocks ${replaced} were replaced after the ancestor ${ancestor.number} (${ancestor.hash})${found.seen ? '' : ' — or deeper: no stored block that far back is still the chain’s, older samples may be orphaned too'}; their samples, positions and alerts are withdrawn and the new blocks are read. The executor and the strategist are paused until an operator resumes them (/resume executor, /resume strategist) once the chain is trusted again.`,
        })
        for (const role of HALTED_ON_DEEP_REORG) {
          const key = pauseKey(role)
          const cur = await tx.controls.get(key)
          if (cur && cur.value !== false && cur.value !== null) continue // an operator's pause stays as it is
          await tx.controls.set(key, { reason: 'reorg deeper than finality', chain: chain.name, depth, finalityDepth: finality, ancestor: String(ancestor.number), replaced }, agent)
          halted.push(key)
        }
        await tx.audit.append({ actor: agent, action: 'watch.reorg-halt', detail: { chain: chain.name, depth, finalityDepth: finality, ancestor: String(ancestor.number), replaced, paused: halted } })
      }
      return { alerts, removed, halted }
    })
    logger.warn(
      { depth, finalityDepth: finality, ancestor: String(ancestor.number), replaced, samples: r.removed.samples, positions: r.removed.positions, ...r.alerts, halted: r.halted },
      deep ? 'reorg deeper than the finality depth: data withdrawn, actions halted' : 'reorg: orphaned blocks withdrawn, reading the new ones',
    )
    cursor = ancestor
    pending.clear()
    frozenBaseline.clear()
    memory.clear()
    hydrated = false
    return { status: 'reorg', ancestor: ancestor.number, depth, deep }
  }

  /**
   * A read of block `err.block` came back with no state. Below watch.stateNotServedRetries
   * attempts: read again (status 'unserved'). Then: the block is committed as a gap — its header
   * (hash and parent, so the hash chain and reorg detection still hold) with no sample and no
   * position — one warning alert per run of consecutive gaps, counted in the heartbeat (`gaps`),
   * and the watcher reads the next block. Nothing is ever decoded from an empty answer.
   */
  async function notServed(err: StateNotServedError, held: { number: bigint; hash: `0x${string}` } | null): Promise<TickResult> {
    const block = err.block
    const tries = unserved?.hash === block.hash ? unserved.tries + 1 : 1
    unserved = { hash: block.hash, tries }
    const max = config.watch.stateNotServedRetries
    if (tries < max) {
      logger.warn({ block: String(block.number), hash: block.hash, tries, max }, 'node served no state for the block: reading it again')
      return { status: 'unserved', block: block.number, tries }
    }
    const runStart = gapRunStart ?? block.number
    await store.transaction(async () => {
      await store.cursors.commitBlock({ chain: chain.name, blockNumber: block.number, blockHash: block.hash, parentHash: block.parentHash, keepBlocks, samples: [], positions: [] })
      await store.alerts.raise({
        dedupKey: `state-not-served:${chain.name}:${runStart}`,
        agent,
        chain: chain.name,
        rule: 'gap',
        subject: chain.name,
        severity: 'warning',
        title: `${chain.name}: no state served for block${block.number === runStart ? ` ${block.number}` : `s ${runStart}..${block.number}`}: recorded as a gap`,
        body: `${tries} reads of block ${block.number} (${block.hash}) at ${held ? `parent ${held.hash}` : 'the start'} returned no data at Multicall3: the node holds the block but serves no state for it. No samples are stored for it; the watcher goes on with the next block. If this repeats, check the node (state pruning, a deep reorg it has not re-executed).`,
      })
    })
    gapsTotal++
    gapRunStart = runStart
    unserved = undefined
    cursor = { number: block.number, hash: block.hash }
    logger.warn({ block: String(block.number), hash: block.hash, tries, gaps: gapsTotal }, 'node never served the block state: recorded as a gap, going on')
    return { status: 'gap', block: block.number, tries }
  }

  const tick = async (): Promise<TickResult> => {
    // URLs the fallback skips are probed on their own schedule, so their recovery is noticed.
    void chain.probeDown()
    try {
      if (cursor === undefined) {
        const c = await store.cursors.get(chain.name)
        cursor = c ? { number: c.blockNumber, hash: c.blockHash } : null
      }
      let next: bigint
      if (cursor === null) {
        // A new watcher starts at the head, after back-filling the APY window from the chain
        // (where the node serves history) so the venues have complete windows within one round.
        // The newest block it may read: watch.readBehindHead blocks below the head.
        const chainHead = await headNumber()
        const lag = BigInt(config.watch.readBehindHead)
        const head = chainHead > lag ? chainHead - lag : 0n
        next = await backfillStart(head)
        if (next < head) {
          cursor = { number: next - 1n, hash: '0x' }
          backfillUntil = head
          hydrated = false
        }
      } else {
        next = cursor.number + 1n
      }
      if (!hydrated) await hydrate(next)

      let read: BlockRead
      try {
        read = await readBlock(chain, plan, next, { behind: config.watch.readBehindHead, parent: cursor?.hash })
      } catch (err) {
        if (err instanceof BlockNotYetAvailableError) {
          consecutiveFailures = 0
          await rpcAllAlert(false, '')
          return { status: 'waiting', next }
        }
        // The chain no longer builds on what we stored: find the common ancestor, withdraw the rest.
        if (err instanceof ReorgDetectedError && cursor) return await rewindReorg(cursor)
        // The block changed while we read it: the read is discarded; the next tick reads it again.
        if (err instanceof BlockReorgedError) {
          logger.warn({ block: String(next), err: describeError(err) }, 'block reorged while read: read discarded')
          return { status: 'waiting', next }
        }
        // The node holds this block as canonical but serves no state for it: never data. Read
        // again a bounded number of times, then record the block as a gap and go on.
        if (err instanceof StateNotServedError) return await notServed(err, cursor ?? null)
        throw err
      }

      // Too far behind after an outage: skip what is beyond the back-fill horizon, loudly.
      if (read.head - next > BigInt(config.watch.backfillMaxBlocks)) {
        const jumpTo = read.head - BigInt(config.watch.backfillMaxBlocks)
        logger.warn({ from: String(next), to: String(jumpTo) }, 'gap larger than backfillMaxBlocks: skipping blocks')
        await store.alerts.raise({ dedupKey: `gap:${chain.name}:${next}`, agent, chain: chain.name, rule: 'gap', subject: chain.name, severity: 'warning', title: `${chain.name}: skipped blocks ${next}..${jumpTo - 1n}`, body: `the outage outlasted watch.backfillMaxBlocks (${config.watch.backfillMaxBlocks})` })
        cursor = { number: jumpTo - 1n, hash: '0x' }
        return { status: 'waiting', next: jumpTo }
      }

      const built = buildBlock(read)
      const { samples, conditions } = built
      // Back-filled blocks are history: their conditions raise nothing (the live blocks tell what still holds).
      const live = read.block.number >= backfillUntil
      const before = new Map(cadence)
      let applied: Awaited<ReturnType<typeof applyConditions>> | undefined
      try {
        applied = await store.transaction(async () => {
          const a = live ? await applyConditions(conditions, read.block) : undefined
          // The block of an alert raised or cleared is stored, whatever the cadence.
          const fired = new Set([...(a?.step.raise ?? []), ...(a?.step.resolve ?? [])].map((f) => f.condition.dedupKey))
          const kept = selectStored(built, fired, read.block.timestamp)
          await store.cursors.commitBlock({ chain: chain.name, blockNumber: read.block.number, blockHash: read.block.hash, parentHash: read.block.parentHash, keepBlocks, samples: kept.samples, positions: kept.positions })
          return a
        })
      } catch (err) {
        // Rolled back: the cadence state goes back with it (the block is read again).
        cadence.clear()
        for (const [k, v] of before) cadence.set(k, v)
        throw err
      }
      if (applied) adopt(applied)
      const alerts = applied?.written ?? 0
      remember(samples)
      if (live) await implausibleAlerts(read.block.number)
      cursor = { number: read.block.number, hash: read.block.hash }
      unserved = undefined
      gapRunStart = undefined
      consecutiveFailures = 0
      await rpcAllAlert(false, '')
      lastBeat = { chain: chain.name, block: String(read.block.number), head: String(read.head), lag: Number(read.head - read.block.number), venues: venues.length, pendingAlerts: pending.size, glitches: glitchCounts ?? {}, implausible: implausibleTotal, gaps: gapsTotal, blockTimeMs: Math.round(blockTimeMs), ...(live ? {} : { backfill: String(backfillUntil) }) }
      await store.heartbeats.beat(agent, lastBeat)
      return { status: 'processed', block: read.block.number, head: read.head, alerts }
    } catch (err) {
      consecutiveFailures++
      const error = describeError(err)
      const retryable = isRetryable(err)
      // A full store is logged once by the agent runtime (runtime/storeGuard.ts), not at every tick.
      if (unwritableCode(err)) logger.debug({ err: error, failures: consecutiveFailures }, 'watch tick failed: the store refuses writes')
      else logger.warn({ err: error, failures: consecutiveFailures }, 'watch tick failed')
      if (consecutiveFailures >= config.alerts.rpcFailures && chain.endpoints.every((e) => e.down || e.openUntil > now())) {
        await rpcAllAlert(true, error).catch((e) => logger.error({ err: describeError(e) }, 'could not record alert'))
      }
      // After a failure the in-memory view may be stale: reload cursor and state next time.
      cursor = undefined
      hydrated = false
      return { status: 'failed', error, retryable }
    }
  }

  /** History compaction: small transactions, yielding between them so this watcher's own block writes go first. */
  const compact = (signal?: AbortSignal): Promise<CompactStats> =>
    store.history.compact({
      venues: venues.map((v) => v.id),
      now: Math.floor(now() / 1000),
      fullRetentionSeconds: Math.round(config.history.fullRetentionDays * 86_400),
      batchRows: config.history.compactBatchRows,
      signal,
      between: () => new Promise((r) => setImmediate(r)),
    })

  const maintain = async (signal: AbortSignal): Promise<void> => {
    while (!signal.aborted) {
      await sleep(config.history.compactEverySeconds * 1000, signal)
      if (signal.aborted) return
      try {
        const st = await compact(signal)
        if (st.hoursWritten || st.samplesDeleted || st.positionsDeleted) logger.info({ ...st }, 'history compacted')
      } catch (err) {
        logger.warn({ err: describeError(err) }, 'history compaction failed; retried on the next pass')
      }
    }
  }

  const run = async (signal: AbortSignal): Promise<void> => {
    const maintenance = maintain(signal)
    try {
      await ticks(signal)
    } finally {
      await maintenance
    }
  }

  /**
   * A failing watcher is alive: it beats with its last block's figures, why it fails, and its next
   * tick as its period (`periodMs`), so the sentinel's heartbeat rule does not call a watcher that
   * waits out an RPC outage (a 429 storm, every URL down) stopped or hung — the outage has its own
   * alert (rpc-all), and a watcher falling behind the sentinel's watcher-lag rule. A watcher that
   * does stop ticking still goes stale. Never throws (a full store refuses the beat too).
   */
  const beatFailing = async (error: string, failures: number, nextMs: number): Promise<void> => {
    try {
      await store.heartbeats.beat(agent, { ...lastBeat, periodMs: nextMs, failing: { ticks: failures, error: error.slice(0, 300) } })
    } catch (err) {
      logger.debug({ err: describeError(err) }, 'heartbeat of a failing tick not written')
    }
  }

  const ticks = async (signal: AbortSignal): Promise<void> => {
    const blockMs = chain.config.blockTimeMs
    let failures = 0
    while (!signal.aborted) {
      if (deps.storeWritable && !deps.storeWritable()) {
        await sleep(blockMs, signal)
        continue
      }
      const r = await tick()
      if (r.status === 'processed') {
        failures = 0
        if (r.head > r.block) continue // back-fill without waiting
        await sleep(blockMs, signal)
      } else if (r.status === 'reorg' || r.status === 'gap') {
        failures = 0 // read the new blocks at once
      } else if (r.status === 'unserved') {
        failures = 0
        await sleep(Math.max(250, Math.floor(blockMs / 2)), signal)
      } else if (r.status === 'waiting') {
        failures = 0
        await sleep(Math.max(250, Math.floor(blockMs / 4)), signal)
      } else {
        failures++
        const backoff = Math.min(config.watch.maxBackoffMs, 250 * 2 ** Math.min(failures, 12))
        await beatFailing(r.error, failures, backoff)
        await sleep(backoff, signal)
      }
    }
  }

  const onEndpointEvent = (e: EndpointEvent): void => {
    const key = `rpc:${chain.name}:${e.endpoint.index}`
    const write =
      e.type === 'down'
        ? store.alerts.raise({ dedupKey: key, agent, chain: chain.name, rule: 'rpc', subject: e.endpoint.label, severity: 'warning', title: `${chain.name}: RPC ${e.endpoint.label} unreachable`, body: `${e.endpoint.consecutiveFailures} consecutive failures (${e.endpoint.lastError ?? 'unknown'}); using the next URL` })
        : store.alerts.resolve(key, { agent, title: `${chain.name}: RPC ${e.endpoint.label} answers again`, body: 'back in rotation' })
    write.then(
      () => (e.type === 'down' ? openKeys.add(key) : openKeys.delete(key)),
      (err) => logger.error({ err: describeError(err) }, 'could not record RPC alert'),
    )
  }

  return { agent, tick, run, compact, onEndpointEvent }
}
