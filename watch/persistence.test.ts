import { describe, expect, it } from 'vitest'
import { alerts as alertsSchema } from '../config/schema'
import type { Condition } from './alertRules'
import { heldFor, persistenceFor, stepPersistence, type Persistence, type PersistenceState } from './persistence'

const APY = 'apy-drop:ethereum:vault-a'
const DOWN = 'unavailable:ethereum:vault-a'
const DEPEG = 'depeg:ethereum:0xfeed'

const cond = (dedupKey: string, active: boolean | null): Condition => {
  const rule = dedupKey.split(':')[0] as Condition['rule']
  const severity = rule === 'depeg' || rule === 'paused' || rule === 'slashing' ? 'critical' : 'warning'
  return { dedupKey, rule, subject: 'vault-a', severity, active, title: `${dedupKey} ${active}`, body: '' }
}

/** The default persistence: warnings wait 3 blocks, criticals 1. */
const defaults = alertsSchema.parse({}).persistence
const byDefault = (c: Condition): Persistence => persistenceFor(defaults, c.rule, c.severity)

type Verdicts = Record<string, boolean | null>

/**
 * Feeds one verdict map per block (block 100, 101, … at 12 s per block) and lists what was
 * written: "open KEY @block" / "recovery KEY @block", and the glitches.
 */
function run(blocks: Verdicts[], persistenceOf = byDefault, start: PersistenceState = { open: new Set(), pending: new Map() }) {
  let state = start
  const writes: string[] = []
  const glitches: string[] = []
  blocks.forEach((verdicts, i) => {
    const block = { number: 100n + BigInt(i), time: 1_000 + 12 * i }
    const conditions = Object.entries(verdicts).map(([k, v]) => cond(k, v))
    const step = stepPersistence(state, conditions, block, persistenceOf)
    for (const f of step.raise) writes.push(`open ${f.condition.dedupKey} @${block.number}`)
    for (const f of step.resolve) writes.push(`recovery ${f.condition.dedupKey} @${block.number}`)
    for (const g of step.glitches) glitches.push(`${g.toward} ${g.dedupKey} ${g.blocks} block(s) from @${g.sinceBlock}, ended @${block.number}`)
    state = step.state
  })
  return { writes, glitches, state }
}

describe('stepPersistence', () => {
  it('a one-block glitch of a warning rule pushes nothing, and is reported as a glitch', () => {
    // A skipped simulator tick: the APY reads 0 for one block; a reverted call for one block.
    const r = run([{ [APY]: false, [DOWN]: false }, { [APY]: true, [DOWN]: false }, { [APY]: false, [DOWN]: true }, { [APY]: false, [DOWN]: false }, { [APY]: false, [DOWN]: false }])
    expect(r.writes).toEqual([])
    expect(r.glitches).toEqual([`open ${APY} 1 block(s) from @101, ended @102`, `open ${DOWN} 1 block(s) from @102, ended @103`])
    expect(r.state.pending.size).toBe(0)
    expect(r.state.open.size).toBe(0)
  })

  it('a two-block glitch of a warning rule pushes nothing either (3 blocks by default)', () => {
    const r = run([{ [APY]: true }, { [APY]: true }, { [APY]: false }])
    expect(r.writes).toEqual([])
    expect(r.glitches).toEqual([`open ${APY} 2 block(s) from @100, ended @102`])
  })

  it('a 3-block depeg pushes exactly one alert, in its first block, and one recovery', () => {
    const r = run([{ [DEPEG]: false }, { [DEPEG]: true }, { [DEPEG]: true }, { [DEPEG]: true }, { [DEPEG]: false }, { [DEPEG]: false }, { [DEPEG]: false }])
    expect(r.writes).toEqual([`open ${DEPEG} @101`, `recovery ${DEPEG} @104`])
    expect(r.glitches).toEqual([])
  })

  it('a 3-block condition of a warning rule alerts in its third block and recovers after 3 healthy blocks', () => {
    const r = run([{ [APY]: true }, { [APY]: true }, { [APY]: true }, { [APY]: false }, { [APY]: false }, { [APY]: false }, { [APY]: false }])
    expect(r.writes).toEqual([`open ${APY} @102`, `recovery ${APY} @105`])
  })

  it('a critical rule with N = 1 fires in its own block, even for a single block', () => {
    const r = run([{ [DEPEG]: true }, { [DEPEG]: false }])
    expect(r.writes).toEqual([`open ${DEPEG} @100`, `recovery ${DEPEG} @101`])
  })

  it('the recovery waits N healthy blocks: one healthy block inside an open alert resolves nothing', () => {
    const open: PersistenceState = { open: new Set([APY]), pending: new Map() }
    const r = run([{ [APY]: false }, { [APY]: true }, { [APY]: false }, { [APY]: false }, { [APY]: true }, { [APY]: false }, { [APY]: false }, { [APY]: false }], byDefault, open)
    expect(r.writes).toEqual([`recovery ${APY} @107`])
    expect(r.glitches).toEqual([`close ${APY} 1 block(s) from @100, ended @101`, `close ${APY} 2 block(s) from @102, ended @104`])
  })

  it('a verdict of "cannot tell" (null) or no verdict at all neither extends nor breaks a streak', () => {
    const r = run([{ [APY]: true }, { [APY]: null }, {}, { [APY]: true }, { [APY]: null }, { [APY]: true }])
    expect(r.writes).toEqual([`open ${APY} @105`])
    expect(r.glitches).toEqual([])
  })

  it('seconds: the condition must span that much block time from its first block', () => {
    // 12 s blocks, 30 s: first seen at t=1000, fires at the first block with t ≥ 1030 (block 103, t=1036).
    const thirty = () => ({ blocks: 1, seconds: 30 })
    expect(run([{ [DOWN]: true }, { [DOWN]: true }, { [DOWN]: true }, { [DOWN]: true }], thirty).writes).toEqual([`open ${DOWN} @103`])
    // Both settings must hold: 2 blocks and 30 s → still block 103.
    expect(run([{ [DOWN]: true }, { [DOWN]: true }, { [DOWN]: true }, { [DOWN]: true }], () => ({ blocks: 2, seconds: 30 })).writes).toEqual([`open ${DOWN} @103`])
    // 5 blocks and 30 s → block 104.
    expect(run([{ [DOWN]: true }, { [DOWN]: true }, { [DOWN]: true }, { [DOWN]: true }, { [DOWN]: true }], () => ({ blocks: 5, seconds: 30 })).writes).toEqual([`open ${DOWN} @104`])
  })

  it('counts one dedup key once per block (venues sharing a peg feed)', () => {
    const step = stepPersistence({ open: new Set(), pending: new Map() }, [cond(APY, true), cond(APY, true), cond(APY, true)], { number: 1n, time: 1 }, byDefault)
    expect(step.raise).toEqual([])
    expect(step.state.pending.get(APY)!.blocks).toBe(1)
  })

  it('lists the streaks to store and to delete, so a restarted watcher resumes them', () => {
    let state: PersistenceState = { open: new Set(), pending: new Map() }
    const a = stepPersistence(state, [cond(APY, true)], { number: 7n, time: 70 }, byDefault)
    expect(a.pendingUpserts).toEqual([{ dedupKey: APY, rule: 'apy-drop', toward: 'open', blocks: 1, sinceBlock: 7n, sinceTime: 70 }])
    expect(a.pendingDeletes).toEqual([])
    // A "restart": the state rebuilt from what would be stored (open keys + the upserted streak).
    state = { open: new Set(), pending: new Map(a.pendingUpserts.map((p) => [p.dedupKey, p])) }
    const b = stepPersistence(state, [cond(APY, true)], { number: 8n, time: 80 }, byDefault)
    expect(b.pendingUpserts).toEqual([{ dedupKey: APY, rule: 'apy-drop', toward: 'open', blocks: 2, sinceBlock: 7n, sinceTime: 70 }])
    const c = stepPersistence(b.state, [cond(APY, true)], { number: 9n, time: 90 }, byDefault)
    expect(c.raise.map((f) => [f.condition.dedupKey, f.blocks, f.sinceBlock])).toEqual([[APY, 3, 7n]])
    expect(c.pendingUpserts).toEqual([])
    expect(c.pendingDeletes).toEqual([APY])
    expect(heldFor(c.raise[0]!, { number: 9n, time: 90 })).toBe('held 3 blocks since block 7 (20 s)')
  })

  it('does not modify the previous state', () => {
    const prev: PersistenceState = { open: new Set([DEPEG]), pending: new Map() }
    stepPersistence(prev, [cond(DEPEG, false), cond(APY, true)], { number: 1n, time: 1 }, byDefault)
    expect([...prev.open]).toEqual([DEPEG])
    expect(prev.pending.size).toBe(0)
  })
})

describe('persistenceFor', () => {
  it('takes the severity default, and a per-rule override field by field', () => {
    expect(persistenceFor(defaults, 'apy-drop', 'warning')).toEqual({ blocks: 3, seconds: 0 })
    expect(persistenceFor(defaults, 'depeg', 'critical')).toEqual({ blocks: 1, seconds: 0 })
    const cfg = alertsSchema.parse({ persistence: { warning: { seconds: 60 }, rules: { liquidity: { blocks: 5 }, paused: { blocks: 2 } } } }).persistence
    expect(persistenceFor(cfg, 'liquidity', 'warning')).toEqual({ blocks: 5, seconds: 60 })
    expect(persistenceFor(cfg, 'unavailable', 'warning')).toEqual({ blocks: 3, seconds: 60 })
    expect(persistenceFor(cfg, 'paused', 'critical')).toEqual({ blocks: 2, seconds: 0 })
  })

  it('refuses unknown rules and keys with the field and the fix', () => {
    const bad = alertsSchema.safeParse({ persistence: { rules: { apy_drop: { blocks: 2 } } } })
    expect(bad.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['persistence.rules', 'unknown alert rule "apy_drop" (known: apy-drop, depeg, paused, liquidity, unavailable, slashing)'],
    ])
    const key = alertsSchema.safeParse({ persistence: { rules: { depeg: { block: 2 } } } })
    expect(key.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['persistence.rules.depeg', 'unknown key "block": use "blocks" and/or "seconds"']])
    expect(alertsSchema.safeParse({ persistence: { critical: { blocks: 0 } } }).success).toBe(false)
  })
})
