/**
 * Which blocks' samples are stored (pure). The watcher reads every block — alert persistence
 * counts blocks — but stores a venue's sample only
 *  - on the chain's cadence (config/history.ts sampleEverySecondsOf: every block, or at most every
 *    N seconds on fast chains), and
 *  - ALWAYS at a block where an alert rule's verdict about the venue changes (watch/alertRules.ts
 *    `verdictKey`: a condition turns active, clears, becomes unknown, or the feed becomes
 *    unavailable / refused / readable again) — so every block that raises, clears or starts a
 *    streak toward an alert is in the store, and the blocks where an alert opened or recovered
 *    (whose numbers the alerts carry) have their samples.
 * Positions: the position at any block is the newest stored one at or before it. A position is
 * stored at any block when it moved in a way accrual cannot explain — its shares changed, its
 * amount fell (a withdrawal, a loss), or its amount grew more than 1 bp since the last stored one (a
 * deposit; venues without shares) — and when it only accrued, with a sample stored for the first
 * time, for an alert-worthy change, or for the first time in an hour: readers are at most an hour
 * of accrual behind (about 3e-6 of the position at a 3 % APY), and every hourly aggregate has its close.
 */

export interface VenueCadence {
  /** block_time of the last stored sample (unix seconds). */
  lastStoredTime?: number
  /** The verdict key at the previous block (stored or not). */
  lastVerdict?: string
  /** The last stored position. */
  lastPosition?: { amount: bigint; shares: bigint | null; time: number }
}

export type StoreReason = 'first' | 'cadence' | 'alert'

/**
 * Whether this block's sample of a venue is stored, and why; `null`: skipped. `everySeconds` 0
 * stores every block.
 */
export function sampleDecision(state: VenueCadence, block: { time: number }, verdict: string, everySeconds: number): StoreReason | null {
  if (state.lastStoredTime === undefined) return 'first'
  if (state.lastVerdict !== undefined && state.lastVerdict !== verdict) return 'alert'
  if (everySeconds <= 0 || block.time - state.lastStoredTime >= everySeconds) return 'cadence'
  return null
}

const hourOf = (t: number) => Math.floor(t / 3600)

/** Whether a position reading is stored with this block (see above); `sample`: why the block's sample is stored, or null. */
export function positionDecision(state: VenueCadence, block: { time: number }, p: { amount: bigint; shares: bigint | null }, sample: StoreReason | null): boolean {
  const last = state.lastPosition
  if (!last) return true
  if (p.shares !== last.shares || p.amount < last.amount || p.amount * 10_000n > last.amount * 10_001n) return true
  if (p.amount === last.amount || sample === null) return false
  return sample !== 'cadence' || hourOf(block.time) !== hourOf(last.time)
}

/** Advances a venue's state after a block (call for every block read, stored or not); `position`: the one stored now, if any. */
export function advance(state: VenueCadence, block: { time: number }, verdict: string, stored: StoreReason | null, position?: { amount: bigint; shares: bigint | null }): VenueCadence {
  return {
    lastStoredTime: stored ? block.time : state.lastStoredTime,
    lastVerdict: verdict,
    lastPosition: position ? { ...position, time: block.time } : state.lastPosition,
  }
}
