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
 * Positions are stored when they change (and on the first block after a start): the position at
 * any block is the newest stored one at or before it.
 */

export interface VenueCadence {
  /** block_time of the last stored sample (unix seconds). */
  lastStoredTime?: number
  /** The verdict key at the previous block (stored or not). */
  lastVerdict?: string
  /** The last stored position: amount and shares as decimal strings. */
  lastPosition?: string
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

/** Whether a position reading is stored: on the first reading and on every change. */
export const positionChanged = (state: VenueCadence, position: string): boolean => state.lastPosition !== position

/** Advances a venue's state after a block (call for every block read, stored or not). */
export function advance(state: VenueCadence, block: { time: number }, verdict: string, stored: StoreReason | null, position?: string): VenueCadence {
  return {
    lastStoredTime: stored ? block.time : state.lastStoredTime,
    lastVerdict: verdict,
    lastPosition: position ?? state.lastPosition,
  }
}
