import type { Config } from '../config/schema'
import type { Condition, Severity } from './alertRules'

/**
 * Alerts that wait for evidence: a pure state machine between the rules' per-block verdicts
 * (alertRules.ts) and the alert outbox.
 *
 * A condition whose verdict disagrees with what the outbox says (active while closed, clear
 * while open) starts a streak. The alert (or the recovery) is written only when the streak has
 * lasted `blocks` consecutive evaluated blocks AND `seconds` of block time from its first block
 * to the current one. A verdict that agrees with the outbox again before that ends the streak
 * as a glitch: reported so the watcher logs and counts it, never written to the outbox. A null
 * verdict (cannot tell at this block) and a condition not evaluated at all (its venue was
 * unreadable) neither extend nor break a streak.
 *
 * With `blocks: 1, seconds: 0` a condition alerts and recovers in the block it is first seen.
 */

export interface Persistence {
  blocks: number
  seconds: number
}

/** A streak towards opening or closing one condition, not yet long enough to be written. */
export interface Pending {
  dedupKey: string
  rule: string
  /** 'open': the condition holds but no alert is open; 'close': an open alert's condition is clear. */
  toward: 'open' | 'close'
  /** Consecutive evaluated blocks the streak has lasted, this one included. */
  blocks: number
  /** First block of the streak. */
  sinceBlock: bigint
  /** Its timestamp, seconds. */
  sinceTime: number
}

export interface PersistenceState {
  /** Dedup keys with an open alert in the outbox. */
  open: ReadonlySet<string>
  /** Streaks under way, by dedup key. */
  pending: ReadonlyMap<string, Pending>
}

/** A streak that ended before it persisted: nothing was written for it. */
export interface Glitch {
  dedupKey: string
  rule: string
  toward: 'open' | 'close'
  blocks: number
  sinceBlock: bigint
}

/** A condition that persisted long enough to be written, with the streak that proved it. */
export interface Fired {
  condition: Condition
  blocks: number
  sinceBlock: bigint
  sinceTime: number
}

export interface PersistenceStep {
  state: PersistenceState
  /** Conditions to raise now (write an 'open' row): persisted long enough. */
  raise: Fired[]
  /** Conditions to resolve now (write a 'recovery' row). */
  resolve: Fired[]
  glitches: Glitch[]
  /** Streaks started or extended at this block (to store). */
  pendingUpserts: Pending[]
  /** Dedup keys whose streak ended at this block: written, or a glitch (to delete from the store). */
  pendingDeletes: string[]
}

export interface BlockRef {
  number: bigint
  /** Block timestamp, seconds. */
  time: number
}

/** The persistence of one rule: its per-rule override over its severity's setting. */
export function persistenceFor(cfg: Config['alerts']['persistence'], rule: string, severity: Severity): Persistence {
  const base = severity === 'critical' ? cfg.critical : cfg.warning
  const over = (cfg.rules as Record<string, Partial<Persistence> | undefined>)[rule] ?? {}
  return { blocks: over.blocks ?? base.blocks, seconds: over.seconds ?? base.seconds }
}

/**
 * One block: `(previous state, this block's verdicts, persistence) → (new state, rows to write)`.
 * Several conditions with one dedup key in a block (venues sharing a peg feed) count once: the
 * first one with a verdict decides.
 */
export function stepPersistence(prev: PersistenceState, conditions: readonly Condition[], block: BlockRef, persistenceOf: (c: Condition) => Persistence): PersistenceStep {
  const open = new Set(prev.open)
  const pending = new Map(prev.pending)
  const out: PersistenceStep = { state: { open, pending }, raise: [], resolve: [], glitches: [], pendingUpserts: [], pendingDeletes: [] }
  const seen = new Set<string>()
  for (const c of conditions) {
    if (c.active === null || seen.has(c.dedupKey)) continue
    seen.add(c.dedupKey)
    const isOpen = open.has(c.dedupKey)
    const streak = pending.get(c.dedupKey)
    if (c.active === isOpen) {
      // Back to what the outbox says: a streak under way was a glitch.
      if (streak) {
        out.glitches.push({ dedupKey: c.dedupKey, rule: streak.rule, toward: streak.toward, blocks: streak.blocks, sinceBlock: streak.sinceBlock })
        pending.delete(c.dedupKey)
        out.pendingDeletes.push(c.dedupKey)
      }
      continue
    }
    const toward = c.active ? 'open' : 'close'
    const next: Pending =
      streak && streak.toward === toward
        ? { ...streak, blocks: streak.blocks + 1 }
        : { dedupKey: c.dedupKey, rule: c.rule, toward, blocks: 1, sinceBlock: block.number, sinceTime: block.time }
    const need = persistenceOf(c)
    if (next.blocks >= need.blocks && block.time - next.sinceTime >= need.seconds) {
      const fired: Fired = { condition: c, blocks: next.blocks, sinceBlock: next.sinceBlock, sinceTime: next.sinceTime }
      if (c.active) {
        open.add(c.dedupKey)
        out.raise.push(fired)
      } else {
        open.delete(c.dedupKey)
        out.resolve.push(fired)
      }
      if (streak) {
        pending.delete(c.dedupKey)
        out.pendingDeletes.push(c.dedupKey)
      }
    } else {
      pending.set(c.dedupKey, next)
      out.pendingUpserts.push(next)
    }
  }
  return out
}

/** How long a written condition had held, for the alert's body ('' when it fires in its first block). */
export function heldFor(f: Fired, block: BlockRef): string {
  if (f.blocks <= 1 && f.sinceBlock === block.number) return ''
  return `held ${f.blocks} block${f.blocks === 1 ? '' : 's'} since block ${f.sinceBlock} (${block.time - f.sinceTime} s)`
}
