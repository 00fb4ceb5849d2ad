import type { SentinelConfig } from '../config/ops'

/**
 * The sentinel's rules: pure functions of what it observed (heartbeats, PM2's process list, chain
 * heads, balances, file sizes, the outbox) to conditions. Like the watcher's rules, each condition
 * has a dedup key: `active` true opens it (one alert), false closes it (one recovery), null means
 * "not known this round" and changes nothing. The trackers keep the little history a rule needs
 * (when a head last moved, PM2 restart counts over the window) in memory: after a restart of the
 * sentinel they start afresh, which can only delay an alert, never invent one.
 */

export type Severity = 'info' | 'warning' | 'critical'

export interface Condition {
  dedupKey: string
  rule: string
  subject: string
  chain: string | null
  severity: Severity
  active: boolean | null
  /** Title of the alert (when opened) … */
  title: string
  body: string
  /** … and of the recovery (when closed). */
  recoveryTitle: string
  recoveryBody: string
}

export const SENTINEL_RULES = ['agent-stale', 'restart-loop', 'head-stalled', 'watcher-lag', 'gas-low', 'store-size', 'alert-undelivered'] as const

const secs = (ms: number) => `${Math.round(ms / 100) / 10} s`

// ── heartbeats ─────────────────────────────────────────────────────────────────────────────

export interface BeatSeen {
  agent: string
  beatAt: number
  info: unknown
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null)

/** An agent's own period: its loop interval (`periodMs`), a watcher's block time, else the default. */
export function periodOf(info: unknown, defaultMs: number): number {
  const i = isRecord(info) ? info : {}
  return positive(i.periodMs) ?? positive(i.blockTimeMs) ?? defaultMs
}

/** How old a heartbeat may get: N of the agent's periods, never less than the floor. */
export function staleAfterMs(info: unknown, cfg: SentinelConfig['heartbeat']): number {
  return Math.max(cfg.stalePeriods * periodOf(info, cfg.defaultPeriodMs), cfg.minStaleSeconds * 1000)
}

export const heartbeatKey = (agent: string) => `sentinel:agent-stale:${agent}`

export function heartbeatConditions(beats: readonly BeatSeen[], now: number, cfg: SentinelConfig['heartbeat'], self: string): Condition[] {
  return beats
    .filter((b) => b.agent !== self && !cfg.ignore.includes(b.agent))
    .map((b) => {
      const limit = staleAfterMs(b.info, cfg)
      const age = now - b.beatAt
      return {
        dedupKey: heartbeatKey(b.agent),
        rule: 'agent-stale',
        subject: b.agent,
        chain: null,
        severity: 'critical' as const,
        active: age > limit,
        title: `${b.agent}: no heartbeat for ${secs(age)}`,
        body: `its last heartbeat is older than ${secs(limit)} (${cfg.stalePeriods}× its period of ${secs(periodOf(b.info, cfg.defaultPeriodMs))}, at least ${cfg.minStaleSeconds} s): the process is stopped, hung or cannot write the store`,
        recoveryTitle: `${b.agent}: beating again`,
        recoveryBody: `heartbeat ${secs(Math.max(0, age))} old`,
      }
    })
}

// ── PM2 restart loops ──────────────────────────────────────────────────────────────────────

export interface Pm2App {
  name: string
  /** PM2's restart count of the app (pm2_env.restart_time). */
  restarts: number
  status: string
}

/** Per app, the restart counts seen within the window; a loop is `restarts` or more restarts in it. */
export class RestartTracker {
  private readonly seen = new Map<string, { at: number; restarts: number }[]>()

  constructor(private readonly cfg: SentinelConfig['restartLoop']) {}

  /** Records PM2's list (null: PM2 not reachable this round) and returns one condition per app seen. */
  observe(apps: readonly Pm2App[] | null, now: number): Condition[] {
    if (apps === null) return []
    const windowMs = this.cfg.windowSeconds * 1000
    return apps.map((a) => {
      let h = this.seen.get(a.name) ?? []
      // PM2 resets the count on `pm2 reset` or a delete + start: start the history afresh.
      if (h.length && a.restarts < h[h.length - 1]!.restarts) h = []
      h.push({ at: now, restarts: a.restarts })
      // Keep the newest sample at or before the window's start as the baseline.
      while (h.length > 1 && h[1]!.at <= now - windowMs) h.shift()
      this.seen.set(a.name, h)
      const inWindow = a.restarts - h[0]!.restarts
      const known = h[0]!.at <= now - windowMs || inWindow >= this.cfg.restarts
      return {
        dedupKey: `sentinel:restart-loop:${a.name}`,
        rule: 'restart-loop',
        subject: a.name,
        chain: null,
        severity: 'critical' as const,
        // Opens at `restarts` within the window; closes only after a whole window without a restart
        // (fewer restarts than the threshold but some keep it as it is: no flapping on a slow loop).
        active: inWindow >= this.cfg.restarts ? true : known && inWindow === 0 ? false : null,
        title: `${a.name}: restart loop (${inWindow} restarts in ${this.cfg.windowSeconds} s)`,
        body: `PM2 restarted it ${inWindow} times within ${this.cfg.windowSeconds} s (status ${a.status}, ${a.restarts} restarts in all): see its log in .devnet/logs or logs/`,
        recoveryTitle: `${a.name}: no restart for ${this.cfg.windowSeconds} s`,
        recoveryBody: `status ${a.status}`,
      }
    })
  }
}

// ── chain heads and watcher lag ────────────────────────────────────────────────────────────

export interface ChainSeen {
  chain: string
  blockTimeMs: number
  /** The head the sentinel read itself (null: no RPC answered this round). */
  head: bigint | null
  /** The watcher's stored block (watch_cursors; null: none yet). */
  stored: bigint | null
}

/** Per chain, the head and when it last changed. */
export class HeadTracker {
  private readonly last = new Map<string, { head: bigint; since: number }>()

  constructor(private readonly cfg: SentinelConfig['chains']) {}

  observe(chains: readonly ChainSeen[], now: number): Condition[] {
    const out: Condition[] = []
    for (const c of chains) {
      let prev = this.last.get(c.chain)
      if (c.head !== null && (!prev || prev.head !== c.head)) this.last.set(c.chain, (prev = { head: c.head, since: now }))
      const stallMs = Math.max(this.cfg.stallBlocks * c.blockTimeMs, this.cfg.minStallSeconds * 1000)
      const still = prev ? now - prev.since : 0
      out.push({
        dedupKey: `sentinel:head-stalled:${c.chain}`,
        rule: 'head-stalled',
        subject: c.chain,
        chain: c.chain,
        severity: 'warning',
        active: c.head === null || !prev ? null : still > stallMs,
        title: `${c.chain}: head stuck at block ${prev?.head ?? '?'} for ${secs(still)}`,
        body: `no new block for more than ${secs(stallMs)} (${this.cfg.stallBlocks} block times of ${secs(c.blockTimeMs)}, at least ${this.cfg.minStallSeconds} s): the chain halted or every RPC serves a stale head`,
        recoveryTitle: `${c.chain}: head moving again (block ${c.head ?? '?'})`,
        recoveryBody: '',
      })
      const maxLag = Math.max(1, Math.ceil((this.cfg.maxLagSeconds * 1000) / c.blockTimeMs))
      const lag = c.head !== null && c.stored !== null ? c.head - c.stored : null
      out.push({
        dedupKey: `sentinel:watcher-lag:${c.chain}`,
        rule: 'watcher-lag',
        subject: c.chain,
        chain: c.chain,
        severity: 'warning',
        active: lag === null ? null : lag > BigInt(maxLag),
        title: `${c.chain}: watcher ${lag ?? '?'} blocks behind the head`,
        body: `stored block ${c.stored ?? '?'}, head ${c.head ?? '?'}: more than ${maxLag} blocks (sentinel.chains.maxLagSeconds ${this.cfg.maxLagSeconds} s of ${secs(c.blockTimeMs)} blocks); decisions wait for fresh samples`,
        recoveryTitle: `${c.chain}: watcher caught up (${lag ?? '?'} blocks behind)`,
        recoveryBody: '',
      })
    }
    return out
  }
}

// ── gas of the sending keys ────────────────────────────────────────────────────────────────

export interface BalanceSeen {
  chain: string
  /** Who signs with it: "executor", "voter", or a configured name. */
  role: string
  address: string
  /** Wei; null: not read this round. */
  balance: bigint | null
}

const WEI_PER_ETH = 10n ** 18n
const eth = (wei: bigint) => (Number(wei) / Number(WEI_PER_ETH)).toFixed(4)

export function gasConditions(balances: readonly BalanceSeen[], criticalWei: bigint, warnFactor: number): Condition[] {
  // warnFactor in millis so a factor like 1.5 stays exact in bigint arithmetic.
  const warnWei = (criticalWei * BigInt(Math.round(warnFactor * 1000))) / 1000n
  return balances.map((b) => ({
    dedupKey: `sentinel:gas-low:${b.chain}:${b.address.toLowerCase()}`,
    rule: 'gas-low',
    subject: `${b.role} ${b.address}`,
    chain: b.chain,
    severity: 'warning' as const,
    active: b.balance === null ? null : b.balance < warnWei,
    title: `${b.chain}: ${b.role}'s gas balance ${b.balance === null ? '?' : eth(b.balance)} ETH is approaching the critical level`,
    body: `${b.address} holds less than ${eth(warnWei)} ETH (${warnFactor}× execution.criticalGasBalanceEth ${eth(criticalWei)}); below ${eth(criticalWei)} nothing is sent: top it up`,
    recoveryTitle: `${b.chain}: ${b.role}'s gas balance topped up (${b.balance === null ? '?' : eth(b.balance)} ETH)`,
    recoveryBody: b.address,
  }))
}

// ── the store's file and WAL ───────────────────────────────────────────────────────────────

export interface StoreSizes {
  fileBytes: number | null
  walBytes: number | null
}

const MB = 1024 * 1024

export function storeConditions(s: StoreSizes, cfg: SentinelConfig['store']): Condition[] {
  const mb = (b: number | null) => (b === null ? '?' : (b / MB).toFixed(1))
  return [
    {
      dedupKey: 'sentinel:store-size:file',
      rule: 'store-size',
      subject: 'file',
      chain: null,
      severity: 'warning',
      active: s.fileBytes === null ? null : s.fileBytes > cfg.maxFileMb * MB,
      title: `store file ${mb(s.fileBytes)} MB, over ${cfg.maxFileMb} MB`,
      body: 'the store grows past sentinel.store.maxFileMb: check the disk and the history retention',
      recoveryTitle: `store file back under ${cfg.maxFileMb} MB (${mb(s.fileBytes)} MB)`,
      recoveryBody: '',
    },
    {
      dedupKey: 'sentinel:store-size:wal',
      rule: 'store-size',
      subject: 'wal',
      chain: null,
      severity: 'warning',
      active: s.walBytes === null ? null : s.walBytes > cfg.maxWalMb * MB,
      title: `store WAL ${mb(s.walBytes)} MB, over ${cfg.maxWalMb} MB`,
      body: 'the write-ahead log is not being checkpointed: a long-running reader holds a snapshot, or writes outpace checkpoints',
      recoveryTitle: `store WAL back under ${cfg.maxWalMb} MB (${mb(s.walBytes)} MB)`,
      recoveryBody: '',
    },
  ]
}

// ── alerts waiting for Telegram ────────────────────────────────────────────────────────────

export function undeliveredCondition(oldestAt: number | null, count: number, now: number, afterSeconds: number, telegramEnabled: boolean): Condition {
  const age = oldestAt === null ? 0 : now - oldestAt
  return {
    dedupKey: 'sentinel:alert-undelivered',
    rule: 'alert-undelivered',
    subject: 'telegram',
    chain: null,
    severity: 'warning',
    // With Telegram off nothing is ever delivered: not a fault.
    active: telegramEnabled ? age > afterSeconds * 1000 : null,
    title: `${count} alert(s) undelivered, the oldest for ${secs(age)}`,
    body: `an alert has waited more than ${afterSeconds} s for Telegram (sentinel.undeliveredAfterSeconds): the telegram agent is down, or Telegram refuses the messages (see its log)`,
    recoveryTitle: 'alerts are being delivered again',
    recoveryBody: count ? `${count} waiting, the oldest for ${secs(age)}` : 'none waiting',
  }
}
