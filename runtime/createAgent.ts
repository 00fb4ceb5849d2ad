/**
 * The agent runtime: what every agent process needs, built once and the same way (ponder's
 * `common` deps object). An agent file is `runAgent(name, async (agent) => { …its own wiring… })`:
 *
 *   runAgent('strategist', async (agent) => {
 *     await agent.loop({ round: async () => ({ proposed: 1 }) })   // paced, pausable, beating
 *   })
 *
 * It gives each agent:
 * - `config`: parsed once, frozen (config/load.ts); a config error ends the process with one line per problem;
 * - `logger`: one pino logger bound to `agent` (and e.g. `chain`) once; modules add only their own
 *   fields (`childLogger`), so no line repeats a field;
 * - `store`: the SQLite store, closed on shutdown;
 * - `shutdown` / `signal`: SIGINT/SIGTERM end loops and run the hooks in reverse order;
 * - `pollMs`: one formula from the chains' block times (`pollIntervalMs`);
 * - `isPaused()` and `beat(info)`: the pause controls and the heartbeat under the agent's name;
 * - `loop({ round })`: run a round every interval until shutdown, skip it while paused, log a
 *   failed round and carry on, and beat `{ paused, last }` after each;
 * - the error exit: an error out of the agent's body (or `fail(err)`) closes what is open and exits 1,
 *   printing a ConfigError as its lines and anything else as `<agent>: <message <- cause…>`;
 * - `singleton`: one active instance per role (runtime/lease.ts). `runAgent` waits as the hot
 *   standby until it holds the role's lease, then runs the body with the store fenced by the
 *   lease's token; the lease is renewed with every heartbeat and by a timer of its own. A lost
 *   lease (another instance took it while this one was paused) stops the agent: it logs, writes
 *   nothing more, and exits with LEASE_LOST_EXIT so a restart comes back as the standby.
 * - a full store (runtime/storeGuard.ts): the first write refused for want of space stops the
 *   agent acting (no rounds, no heartbeats; `storeWritable()` false for agents with a loop of their
 *   own), logs once, alerts through what still works, and resumes it when a probe write succeeds.
 *
 * Nothing here knows a particular agent; agents/ holds only what is theirs.
 */
import type { Config, ChainConfig } from '../config/schema'
import { loadConfig } from '../config/load'
import { ConfigError, describeError } from '../core/errors'
import { createLogger, type Logger } from '../core/logger'
import { heartbeatExtras } from '../core/metrics'
import { createShutdown, sleep, type Shutdown } from '../core/shutdown'
import { openStore, type LeaseLostError, type Store } from '../store'
import { unwritableCode } from '../store/errors'
import { createLeaseKeeper, type LeaseKeeper } from './lease'
import { createStoreGuard } from './storeGuard'

/** The deps every module factory takes as `common` (ponder style). */
export interface Common {
  readonly config: Config
  readonly logger: Logger
  readonly shutdown: Shutdown
}

/** Who the agent is: its name (heartbeats, pauses, alerts) and extra logger fields (e.g. `chain`). */
export interface AgentIdentity {
  name: string
  bindings?: Record<string, unknown>
}

export interface LoopOptions<T> {
  /** One round of the agent's work; its result is the heartbeat's `last`. */
  round: () => Promise<T>
  /** Pause between rounds (default: the agent's `pollMs`). */
  everyMs?: number
  /** A shorter pause after a round that asks for one (e.g. the executor while a committee plan awaits its last signatures); default `everyMs`. */
  nextMs?: () => number | undefined
  /** Skip rounds while `pause:<agent>` or `pause:all` is set (default true). */
  pausable?: boolean
  /** More heartbeat fields, read after each round (e.g. the strategist's hold reasons per chain). */
  info?: () => Record<string, unknown>
}

export interface Agent extends Common {
  readonly name: string
  /** `{ config, logger, shutdown }`: pass as `common` to module factories. */
  readonly common: Common
  readonly store: Store
  /** Aborts on shutdown: pass to loops, sleeps and senders. */
  readonly signal: AbortSignal
  /** Poll interval from the chains' block times (see `pollIntervalMs`). */
  readonly pollMs: number
  /** Whether the operators paused this agent (`pause:<name>` or `pause:all`). */
  isPaused(): Promise<boolean>
  /** Upserts this agent's heartbeat; a failure to write it is logged, never thrown. */
  beat(info?: unknown): Promise<void>
  /** Runs `round` until shutdown (see LoopOptions); resolves when the signal aborts. */
  loop<T>(opts: LoopOptions<T>): Promise<void>
  /** Ends the process on an unrecoverable error (same exit as an error out of the body). */
  fail(err: unknown): Promise<never>
  /** The role's lease when the agent is a singleton (see CreateAgentOptions.singleton). */
  readonly lease: LeaseKeeper | undefined
  /** Resolves when the singleton's lease is lost (never for other agents). */
  readonly leaseLost: Promise<LeaseLostError>
  /** False while the store refuses writes for want of space (runtime/storeGuard.ts): act on nothing until it is true again. */
  storeWritable(): boolean
  /** Resolves once the store takes writes (at once when it does) or on shutdown. */
  whenStoreWritable(): Promise<void>
}

/** Exit code of an instance that lost its lease to another one (it stops acting; PM2 restarts it as the standby). */
export const LEASE_LOST_EXIT = 75

/** One poll interval for every agent that follows the chains: half the fastest block time, at least 250 ms. */
export function pollIntervalMs(chains: readonly Pick<ChainConfig, 'blockTimeMs'>[]): number {
  if (chains.length === 0) return 1_000
  return Math.max(250, Math.min(...chains.map((c) => c.blockTimeMs)) / 2)
}

/** The line an agent prints when it exits on an error. */
export function exitMessage(name: string, err: unknown): string {
  return err instanceof ConfigError ? err.message : `${name}: ${describeError(err)}`
}

export interface CreateAgentOptions {
  /** The agent's name, or a function of the config (a watcher is named after its chain). */
  identity: string | AgentIdentity | ((config: Config) => AgentIdentity)
  /** Default: `loadConfig()` (POOLWARDEN_CONFIG, else the devnet profile). */
  config?: Config
  /** Default: a pino logger at LOG_LEVEL. */
  logLevel?: string
  /** A logger to bind the agent's fields to instead (tests read what the agent logs). */
  logger?: Logger
  /** Handle SIGINT/SIGTERM (default true; tests pass false and call `shutdown.shutdown()`). */
  handleSignals?: boolean
  /**
   * One active instance per role: `true` = the role is the agent's name, or the role's name (or a
   * function of the config). The executor, governor, distributor, strategist, each chain's watcher
   * (`watcher-<chain>`) and the Telegram poller declare it. Lease length: `runtime.leaseSeconds`.
   */
  singleton?: boolean | string | ((config: Config) => string)
}

/** Builds the runtime of one agent: config, logger, store, shutdown. Throws ConfigError on a bad config. */
export async function createAgent(opts: CreateAgentOptions): Promise<Agent> {
  const config = opts.config ?? loadConfig()
  const id = typeof opts.identity === 'string' ? { name: opts.identity } : typeof opts.identity === 'function' ? opts.identity(config) : opts.identity
  const name = id.name
  const logger = opts.logger ? opts.logger.child({ agent: name, ...id.bindings }) : createLogger({ agent: name, ...id.bindings }, opts.logLevel)
  const handleSignals = opts.handleSignals ?? true
  const shutdown = createShutdown({ handleSignals })
  const signal = shutdown.signal
  const opened: { store?: Store } = {}
  const guard = createStoreGuard({ name, config, logger, signal, store: () => opened.store })
  const maxBytes = config.store.maxSizeMb === undefined ? undefined : Math.floor(config.store.maxSizeMb * 1024 * 1024)
  const store = await openStore({ path: config.store.path, logger, heartbeatExtras, maxBytes, onUnwritable: (err) => guard.onUnwritable(err) })
  opened.store = store
  shutdown.onShutdown(() => store.close())
  const common: Common = { config, logger, shutdown }

  const isPaused = () => store.controls.isPaused(name)
  const beat = async (info: unknown = {}) => {
    if (!guard.writable()) return // the store refuses writes: the guard has said so once
    await lease?.renew()
    try {
      await store.heartbeats.beat(name, info)
    } catch (err) {
      if (!signal.aborted) logger.warn({ err: describeError(err) }, 'heartbeat not written')
    }
  }

  async function loop<T>(o: LoopOptions<T>): Promise<void> {
    const everyMs = o.everyMs ?? pollMs
    const pausable = o.pausable ?? true
    // For the metrics exporter and the sentinel: the agent's period, rounds run and failed, and the last round's time.
    const rounds = { n: 0, failed: 0, lastMs: 0 }
    while (!signal.aborted) {
      // The store refuses writes: no round acts until it takes them again.
      if (!guard.writable()) {
        await guard.whenWritable()
        continue
      }
      let paused = false
      let last: unknown
      const t0 = Date.now()
      try {
        paused = pausable && (await isPaused())
        if (!paused) {
          last = await o.round()
          rounds.n++
        }
      } catch (err) {
        if (signal.aborted) break
        rounds.n++
        rounds.failed++
        last = { error: describeError(err) }
        if (!unwritableCode(err)) logger.error({ err: describeError(err) }, `${name} round failed; retried next round`)
      }
      if (!paused) rounds.lastMs = Date.now() - t0
      await beat({ periodMs: everyMs, rounds: { ...rounds }, ...o.info?.(), ...(pausable ? { paused, last } : { last }) })
      await sleep(Math.min(everyMs, o.nextMs?.() ?? everyMs), signal)
    }
  }

  async function fail(err: unknown): Promise<never> {
    console.error(exitMessage(name, err))
    await shutdown.shutdown('error')
    process.exit(1)
  }

  const pollMs = pollIntervalMs(config.chains)
  const role = opts.singleton === undefined || opts.singleton === false ? undefined : opts.singleton === true ? name : typeof opts.singleton === 'function' ? opts.singleton(config) : opts.singleton
  let onLeaseLost: (err: LeaseLostError) => void = () => undefined
  const leaseLost = new Promise<LeaseLostError>((resolve) => (onLeaseLost = resolve))
  const lease = role === undefined ? undefined : createLeaseKeeper({ store, role, ttlMs: Math.round(config.runtime.leaseSeconds * 1000), logger, signal, onLost: (err) => onLeaseLost(err) })
  // Released before the store closes (hooks run in reverse): the standby takes over at once.
  if (lease) shutdown.onShutdown(() => lease.release())
  return { name, config, logger, shutdown, common, store, signal, pollMs, isPaused, beat, loop, fail, lease, leaseLost, storeWritable: guard.writable, whenStoreWritable: guard.whenWritable }
}

/**
 * The entry point of an agent file: builds the runtime, runs `main`, logs start and stop, and
 * exits 1 with one clear message if anything throws (config errors as their lines).
 */
export function runAgent(identity: CreateAgentOptions['identity'], main: (agent: Agent) => Promise<void>, opts: Pick<CreateAgentOptions, 'singleton'> = {}): void {
  let name = typeof identity === 'string' ? identity : typeof identity === 'function' ? 'agent' : identity.name
  void (async () => {
    const agent = await createAgent({ identity, ...opts })
    name = agent.name
    // A lost lease ends the instance: nothing more is written (the store is fenced), the agent
    // stops, and the exit code tells PM2 to start it again, as the standby.
    void agent.leaseLost.then(async () => {
      await agent.shutdown.shutdown('lease lost')
      process.exit(LEASE_LOST_EXIT)
    })
    // The hot standby: config, logger and store are ready; the body runs once the lease is ours.
    if (agent.lease && !(await agent.lease.acquire())) {
      await agent.shutdown.shutdown('done')
      return
    }
    try {
      await main(agent)
    } catch (err) {
      if (agent.signal.aborted && agent.signal.reason === 'lease lost') return
      return agent.fail(err)
    }
    agent.logger.info(`${agent.name} stopped`)
    await agent.shutdown.shutdown('done')
  })().catch((err: unknown) => {
    console.error(exitMessage(name, err))
    process.exit(1)
  })
}
