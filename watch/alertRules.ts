import type { Config, VenueConfig, WatchAlertRule } from '../config/schema'

export type Severity = 'info' | 'warning' | 'critical'

/**
 * A condition the watcher evaluates on every block; `active` opens an alert, inactive closes it,
 * once the verdict has persisted for the rule's `alerts.persistence` (watch/persistence.ts).
 */
export interface Condition {
  dedupKey: string
  rule: WatchAlertRule
  subject: string
  severity: Severity
  /** True: the condition holds. False: it is clear. Null: cannot tell at this block (keep state). */
  active: boolean | null
  title: string
  body: string
}

/** What the rules see of one venue at one block. */
export interface VenueFacts {
  venue: VenueConfig
  available: boolean
  error: string | null
  apy: number | null
  /** APY the drop is measured against: median of earlier samples, frozen while an APY alert is open. */
  apyBaseline: number | null
  /** Exchange-rate change since the previous sample, in bps (negative: the rate fell — slashing); null without one. */
  rateChangeBps: number | null
  /**
   * The exchange rate fell somewhere inside the APY's window (a loss the slashing rule has already
   * reported): the window's APY is the loss annualised (−100 % after a 50 bps slash over minutes),
   * not the venue's yield, so the APY-drop verdict waits until the window has moved past it.
   */
  lossInWindow?: boolean
  peg: number | null
  paused: boolean | null
  position: bigint | null
  withdrawable: bigint | null
}

/**
 * What the rules say about one venue at one block, as a comparable key: every condition's verdict
 * (active, clear or unknown) and whether the reading was refused. When it differs from the previous
 * block's, the block is alert-worthy and its sample is stored whatever the cadence (watch/cadence.ts).
 */
export function verdictKey(conditions: readonly Pick<Condition, 'dedupKey' | 'active'>[], refused: boolean): string {
  return `${refused ? 'refused' : 'read'}|${conditions.map((c) => `${c.dedupKey}=${c.active === null ? '?' : c.active ? '1' : '0'}`).join('|')}`
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** An APY the watcher saw, at its block's time (unix seconds). */
export interface TimedApy {
  time: number
  apy: number
}

/** Fewer APYs than this in the span, and the span not yet covered, and the baseline is unknown. */
export const MIN_BASELINE_SAMPLES = 5

/**
 * The APY-drop baseline at `now`: the median of the APYs of the last `seconds` (time > now − seconds,
 * ascending `apys`). A span of time, not a count, so it is the same on every chain whatever its
 * sampling cadence. Unknown (null) until it rests on MIN_BASELINE_SAMPLES APYs or the APYs seen
 * reach back past the span's start (the span is covered, however sparsely it was sampled).
 */
export function apyBaseline(apys: readonly TimedApy[], now: number, seconds: number): number | null {
  const from = now - seconds
  const inSpan = apys.filter((a) => a.time > from && a.time <= now)
  if (inSpan.length === 0) return null
  const covered = apys.length > 0 && apys[0]!.time <= from
  return inSpan.length >= MIN_BASELINE_SAMPLES || covered ? median(inSpan.map((a) => a.apy)) : null
}

/** Drops APYs the baseline at `now` no longer needs: keeps the newest one at or before the span's start (it shows the span is covered) and every later one. */
export function trimBaseline(apys: TimedApy[], now: number, seconds: number): void {
  const from = now - seconds
  let cut = 0
  for (let i = apys.length - 1; i >= 0; i--) {
    if (apys[i]!.time <= from) {
      cut = i
      break
    }
  }
  if (cut > 0) apys.splice(0, cut)
}

/**
 * Each rule opens at its threshold and closes only once the value is back past half of it
 * (hysteresis), so noise around a threshold gives one alert, not a stream.
 * `open` says which dedup keys are currently open (the store's alert state). These are per-block
 * verdicts: whether one is written is decided by the persistence rules (watch/persistence.ts).
 */
export function evaluateVenue(f: VenueFacts, thresholds: Pick<Config['alerts'], 'apyDropBps' | 'depegBps' | 'liquidityCoverage'>, open: (key: string) => boolean): Condition[] {
  const v = f.venue
  const out: Condition[] = []
  const name = `${v.id} (${v.chain})`

  out.push({
    dedupKey: `unavailable:${v.chain}:${v.id}`,
    rule: 'unavailable',
    subject: v.id,
    severity: 'warning',
    active: !f.available,
    title: f.available ? `${name} readable again` : `${name} unreadable`,
    body: f.available ? 'venue calls succeed again' : `venue call reverted: ${f.error ?? 'unknown error'}`,
  })
  if (!f.available) return out

  // A falling exchange rate is a loss of principal (slashing), not a low yield: its own alert,
  // which clears once the rate grows again. The APY-drop verdict waits meanwhile, and as long as
  // the loss is inside the APY's window (one shock, one alert).
  const fell = f.rateChangeBps !== null && f.rateChangeBps < 0
  out.push({
    dedupKey: `slashing:${v.chain}:${v.id}`,
    rule: 'slashing',
    subject: v.id,
    severity: 'critical',
    active: f.rateChangeBps === null ? null : fell,
    title: fell ? `${name} exchange rate fell ${(-f.rateChangeBps!).toFixed(2)} bps (slashing?)` : `${name} exchange rate grows again`,
    body: fell ? 'the venue lost principal since the previous block: slashing or a loss event' : 'the exchange rate rose since the previous block',
  })

  // APY drop against the baseline.
  const dropKey = `apy-drop:${v.chain}:${v.id}`
  if (fell || f.lossInWindow || f.apy === null || f.apyBaseline === null) {
    out.push({ dedupKey: dropKey, rule: 'apy-drop', subject: v.id, severity: 'warning', active: null, title: '', body: '' })
  } else {
    const dropBps = (f.apyBaseline - f.apy) * 10_000
    const isOpen = open(dropKey)
    const active = isOpen ? dropBps > thresholds.apyDropBps / 2 : dropBps > thresholds.apyDropBps
    out.push({
      dedupKey: dropKey,
      rule: 'apy-drop',
      subject: v.id,
      severity: 'warning',
      active,
      title: active ? `${name} APY dropped to ${pct(f.apy)}` : `${name} APY recovered to ${pct(f.apy)}`,
      body: `APY ${pct(f.apy)} against a baseline of ${pct(f.apyBaseline)} (${dropBps.toFixed(0)} bps below; threshold ${thresholds.apyDropBps} bps)`,
    })
  }

  // Depeg: keyed by the price feed, so venues sharing one LST feed raise one alert together.
  if (v.pegFeed) {
    const key = `depeg:${v.chain}:${v.pegFeed.toLowerCase()}`
    if (f.peg === null) out.push({ dedupKey: key, rule: 'depeg', subject: v.pegFeed, severity: 'critical', active: null, title: '', body: '' })
    else {
      const offBps = (1 - f.peg) * 10_000
      const active = open(key) ? offBps > thresholds.depegBps / 2 : offBps > thresholds.depegBps
      out.push({
        dedupKey: key,
        rule: 'depeg',
        subject: v.pegFeed,
        severity: 'critical',
        active,
        title: active ? `LST depeg on ${v.chain}: ${f.peg.toFixed(4)}` : `LST back on peg on ${v.chain}: ${f.peg.toFixed(4)}`,
        body: `market price ${f.peg.toFixed(6)} of backing (${offBps.toFixed(0)} bps off; threshold ${thresholds.depegBps} bps), feed ${v.pegFeed}`,
      })
    }
  }

  out.push({
    dedupKey: `paused:${v.chain}:${v.id}`,
    rule: 'paused',
    subject: v.id,
    severity: 'critical',
    active: f.paused,
    title: f.paused ? `${name} is paused` : `${name} unpaused`,
    body: f.paused ? 'deposits and withdrawals are halted by the venue' : 'the venue accepts deposits and withdrawals again',
  })

  const liqKey = `liquidity:${v.chain}:${v.id}`
  if (f.position === null || f.withdrawable === null || f.position === 0n) {
    out.push({ dedupKey: liqKey, rule: 'liquidity', subject: v.id, severity: 'warning', active: f.position === 0n ? false : null, title: `${name} liquidity covers the position again`, body: '' })
  } else {
    // withdrawable < coverage × position, in integer arithmetic (coverage to 1e-6).
    const cov = BigInt(Math.round(thresholds.liquidityCoverage * 1e6))
    const active = f.withdrawable * 1_000_000n < f.position * cov
    const ratio = Number((f.withdrawable * 10_000n) / f.position) / 100
    out.push({
      dedupKey: liqKey,
      rule: 'liquidity',
      subject: v.id,
      severity: 'warning',
      active,
      title: active ? `${name} withdrawable liquidity below the pool's position` : `${name} liquidity covers the position again`,
      body: `withdrawable now ${ratio.toFixed(2)} % of the pool's position`,
    })
  }
  return out
}
