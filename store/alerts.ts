import { StoreError } from './errors.js'
import { idToDb, intFromDb, intToDb, num, optIntFromDb, optIntToDb, optNum, optStr, str, timeToDb } from './convert.js'
import type { Db } from './sqlite.js'
import type { Alert, AlertKind, AlertSeverity, GlitchCount, GlitchInput, OpenCondition, PendingCondition, RaiseInput, RaiseResult, ResolveInput, ResolveResult, RetractInput, RetractResult } from './types.js'

/**
 * The alert outbox and the open conditions. Every agent raises and resolves (append-only);
 * the Telegram agent delivers undelivered rows in id order and marks them.
 *
 * A condition is keyed by `dedupKey`: `raise` writes an 'open' row only when the key is not
 * open, `resolve` writes one 'recovery' row only when it is, and closes it. Both are atomic
 * (one BEGIN IMMEDIATE transaction), so two processes raising the same key write one row.
 */
export interface AlertsQueries {
  raise(input: RaiseInput): Promise<RaiseResult>
  resolve(dedupKey: string, input: ResolveInput): Promise<ResolveResult>
  /** Open conditions, oldest first, optionally filtered. */
  open(filter?: { agent?: string; rule?: string; chain?: string }): Promise<OpenCondition[]>
  isOpen(dedupKey: string): Promise<boolean>
  /** Rows not yet delivered (and not retracted), oldest first. */
  undelivered(limit?: number): Promise<Alert[]>
  /**
   * Reorg: withdraws the agent's alerts raised on `chain` at blocks above `afterBlock`, newest
   * first, in one transaction. An undelivered row is marked retracted (never sent); a delivered
   * one gets a correction notice (block_number NULL). A condition opened on a removed block is
   * closed; one whose recovery was on a removed block is open again (from its earlier open row).
   * The watcher then re-evaluates the new blocks.
   */
  retractAfter(input: RetractInput): Promise<RetractResult>
  /** Marks a row delivered; false if it was already delivered or does not exist. */
  markDelivered(id: number, at?: number): Promise<boolean>
  /** Records a failed delivery attempt (the row stays undelivered). */
  markFailed(id: number, error: string): Promise<void>
  /** The newest `limit` rows, newest first. */
  recent(limit?: number): Promise<Alert[]>
  get(id: number): Promise<Alert | undefined>

  // Persistence (watch/persistence.ts): streaks not yet long enough, and glitches.
  /** One agent's streaks under way, by dedup key. */
  pending(agent: string): Promise<PendingCondition[]>
  /** Upserts streaks and deletes ended ones, atomically (joins the caller's transaction). */
  savePending(upserts: readonly PendingCondition[], deletes: readonly string[]): Promise<void>
  /** Drops all of one agent's streaks (after a reorg: they may count orphaned blocks). */
  clearPending(agent: string): Promise<number>
  /** Counts a glitch: a streak that ended before it persisted (nothing was pushed). */
  countGlitch(input: GlitchInput): Promise<void>
  /** Glitch counts, by agent and rule. */
  glitches(filter?: { agent?: string }): Promise<GlitchCount[]>
}

interface PendingRow {
  dedup_key: string
  agent: string
  rule: string
  toward: string
  blocks: number
  since_block: number
  since_time: number
}

interface GlitchRow {
  agent: string
  rule: string
  count: number
  last_key: string
  last_block: number | null
  last_at: number
}

const SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical']

interface AlertRow {
  id: number
  created_at: number
  agent: string
  chain: string | null
  rule: string
  subject: string
  dedup_key: string
  severity: string
  kind: string
  title: string
  body: string
  block_number: number | null
  delivered_at: number | null
  delivery_attempts: number
  last_error: string | null
  retracted_at?: number | null
}

interface StateRow {
  dedup_key: string
  alert_id: number
  agent: string
  chain: string | null
  rule: string
  subject: string
  severity: string
  title: string
  opened_at: number
  opened_block: number | null
}

function alertFromRow(r: AlertRow): Alert {
  return {
    id: num(r.id),
    createdAt: num(r.created_at),
    agent: str(r.agent),
    chain: optStr(r.chain),
    rule: str(r.rule),
    subject: str(r.subject),
    dedupKey: str(r.dedup_key),
    severity: r.severity as AlertSeverity,
    kind: r.kind as AlertKind,
    title: str(r.title),
    body: str(r.body),
    blockNumber: optIntFromDb(r.block_number, 'alerts.block_number'),
    deliveredAt: optNum(r.delivered_at),
    deliveryAttempts: num(r.delivery_attempts),
    lastError: optStr(r.last_error),
    retractedAt: optNum(r.retracted_at ?? null),
  }
}

function conditionFromRow(r: StateRow): OpenCondition {
  return {
    dedupKey: str(r.dedup_key),
    alertId: num(r.alert_id),
    agent: str(r.agent),
    chain: optStr(r.chain),
    rule: str(r.rule),
    subject: str(r.subject),
    severity: r.severity as AlertSeverity,
    title: str(r.title),
    openedAt: num(r.opened_at),
    openedBlock: optIntFromDb(r.opened_block, 'alert_state.opened_block'),
  }
}

const INSERT_ALERT = `INSERT INTO alerts (created_at, agent, chain, rule, subject, dedup_key, severity, kind, title, body, block_number, delivered_at, delivery_attempts)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0)
  RETURNING id`

/** INSERT … RETURNING id (portable to PostgreSQL, unlike sqlite's lastID). */
async function insertAlert(db: Db, params: (string | number | null)[]): Promise<number> {
  const row = await db.get<{ id: number }>(INSERT_ALERT, params)
  if (!row) throw new StoreError('store: INSERT INTO alerts returned no id')
  return num(row.id)
}

function limitOf(limit: number | undefined, dflt: number): number {
  return Math.max(0, Math.floor(limit ?? dflt))
}

export function createAlerts(db: Db): AlertsQueries {
  const q: AlertsQueries = {
    async raise(input) {
      if (!input.dedupKey) throw new StoreError('store: raise: dedupKey is required')
      if (!SEVERITIES.includes(input.severity)) throw new StoreError(`store: raise ${input.dedupKey}: severity must be one of ${SEVERITIES.join(', ')}`)
      const at = timeToDb(input.at ?? Date.now(), 'raise at')
      const block = optIntToDb(input.blockNumber, 'raise blockNumber')
      return db.transaction(async () => {
        const open = await db.get<{ alert_id: number }>('SELECT alert_id FROM alert_state WHERE dedup_key = ?', [input.dedupKey])
        if (open) return { inserted: false, alertId: num(open.alert_id) }
        const lastId = await insertAlert(db, [
          at,
          input.agent,
          input.chain ?? null,
          input.rule,
          input.subject,
          input.dedupKey,
          input.severity,
          'open',
          input.title,
          input.body ?? '',
          block,
        ])
        await db.run(
          `INSERT INTO alert_state (dedup_key, alert_id, agent, chain, rule, subject, severity, title, opened_at, opened_block)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [input.dedupKey, lastId, input.agent, input.chain ?? null, input.rule, input.subject, input.severity, input.title, at, block],
        )
        return { inserted: true, alertId: lastId }
      })
    },

    async resolve(dedupKey, input) {
      const at = timeToDb(input.at ?? Date.now(), 'resolve at')
      const block = optIntToDb(input.blockNumber, 'resolve blockNumber')
      return db.transaction(async () => {
        const state = await db.get<StateRow>('SELECT * FROM alert_state WHERE dedup_key = ?', [dedupKey])
        if (!state) return { inserted: false, alertId: null }
        const lastId = await insertAlert(db, [
          at,
          input.agent,
          state.chain,
          state.rule,
          state.subject,
          dedupKey,
          state.severity,
          'recovery',
          input.title ?? `Recovered: ${state.title}`,
          input.body ?? '',
          block,
        ])
        await db.run('DELETE FROM alert_state WHERE dedup_key = ?', [dedupKey])
        return { inserted: true, alertId: lastId }
      })
    },

    async open(filter = {}) {
      const where: string[] = []
      const params: string[] = []
      for (const [col, val] of [
        ['agent', filter.agent],
        ['rule', filter.rule],
        ['chain', filter.chain],
      ] as const) {
        if (val !== undefined) {
          where.push(`${col} = ?`)
          params.push(val)
        }
      }
      const rows = await db.all<StateRow>(`SELECT * FROM alert_state ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at, alert_id`, params)
      return rows.map(conditionFromRow)
    },

    async isOpen(dedupKey) {
      return (await db.get('SELECT 1 AS one FROM alert_state WHERE dedup_key = ?', [dedupKey])) !== undefined
    },

    async undelivered(limit) {
      const rows = await db.all<AlertRow>('SELECT * FROM alerts WHERE delivered_at IS NULL AND retracted_at IS NULL ORDER BY id LIMIT ?', [limitOf(limit, 100)])
      return rows.map(alertFromRow)
    },

    async retractAfter(input) {
      const at = timeToDb(input.at ?? Date.now(), 'retract at')
      const after = intToDb(input.afterBlock, 'retract afterBlock')
      return db.transaction(async () => {
        const out: RetractResult = { retracted: 0, corrected: 0, reopened: 0, closed: 0 }
        const rows = await db.all<AlertRow>(
          'SELECT * FROM alerts WHERE agent = ? AND chain = ? AND block_number > ? AND retracted_at IS NULL ORDER BY id DESC',
          [input.agent, input.chain, after],
        )
        for (const r of rows) {
          // Withdrawn either way (a later reorg leaves it be); unsent, it is never sent.
          await db.run('UPDATE alerts SET retracted_at = ? WHERE id = ?', [at, r.id])
          if (r.delivered_at === null) {
            out.retracted++
          } else {
            // Sent already: say it was withdrawn. No block number: a correction is never withdrawn itself.
            await insertAlert(db, [
              at,
              input.agent,
              r.chain,
              r.rule,
              r.subject,
              r.dedup_key,
              r.severity,
              r.kind === 'open' ? 'recovery' : 'open',
              `Withdrawn: ${r.title}`,
              `${r.kind === 'open' ? 'this alert' : 'this recovery'} was raised on block ${r.block_number}, which ${input.reason}; the new blocks are being read${r.kind === 'open' ? '' : ' (the condition counts as open until they show otherwise)'}`,
              null,
            ])
            out.corrected++
          }
          if (r.kind === 'open') {
            const closed = await db.run('DELETE FROM alert_state WHERE dedup_key = ? AND alert_id = ?', [r.dedup_key, r.id])
            out.closed += closed.changes
          } else if (!(await db.get('SELECT 1 AS one FROM alert_state WHERE dedup_key = ?', [r.dedup_key]))) {
            const opened = await db.get<AlertRow>(
              "SELECT * FROM alerts WHERE dedup_key = ? AND kind = 'open' AND id < ? AND retracted_at IS NULL AND block_number IS NOT NULL ORDER BY id DESC LIMIT 1",
              [r.dedup_key, r.id],
            )
            if (opened) {
              await db.run(
                `INSERT INTO alert_state (dedup_key, alert_id, agent, chain, rule, subject, severity, title, opened_at, opened_block)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
                [r.dedup_key, opened.id, opened.agent, opened.chain, opened.rule, opened.subject, opened.severity, opened.title, opened.created_at, opened.block_number],
              )
              out.reopened++
            }
          }
        }
        return out
      })
    },

    async markDelivered(id, at) {
      const res = await db.run('UPDATE alerts SET delivered_at = ?, delivery_attempts = delivery_attempts + 1, last_error = NULL WHERE id = ? AND delivered_at IS NULL', [
        timeToDb(at ?? Date.now(), 'markDelivered at'),
        idToDb(id, 'alert id'),
      ])
      return res.changes > 0
    },

    async markFailed(id, error) {
      await db.run('UPDATE alerts SET delivery_attempts = delivery_attempts + 1, last_error = ? WHERE id = ? AND delivered_at IS NULL', [error, idToDb(id, 'alert id')])
    },

    async recent(limit) {
      const rows = await db.all<AlertRow>('SELECT * FROM alerts ORDER BY id DESC LIMIT ?', [limitOf(limit, 50)])
      return rows.map(alertFromRow)
    },

    async get(id) {
      const row = await db.get<AlertRow>('SELECT * FROM alerts WHERE id = ?', [idToDb(id, 'alert id')])
      return row ? alertFromRow(row) : undefined
    },

    async pending(agent) {
      const rows = await db.all<PendingRow>('SELECT * FROM alert_pending WHERE agent = ? ORDER BY since_block, dedup_key', [agent])
      return rows.map((r) => ({
        dedupKey: str(r.dedup_key),
        agent: str(r.agent),
        rule: str(r.rule),
        toward: r.toward === 'close' ? 'close' : 'open',
        blocks: num(r.blocks),
        sinceBlock: intFromDb(r.since_block, 'alert_pending.since_block'),
        sinceTime: num(r.since_time),
      }))
    },

    async savePending(upserts, deletes) {
      if (upserts.length === 0 && deletes.length === 0) return
      for (const p of upserts) {
        if (!p.dedupKey) throw new StoreError('store: savePending: dedupKey is required')
        if (p.toward !== 'open' && p.toward !== 'close') throw new StoreError(`store: savePending ${p.dedupKey}: toward must be "open" or "close"`)
        if (!Number.isSafeInteger(p.blocks) || p.blocks < 1) throw new StoreError(`store: savePending ${p.dedupKey}: blocks must be an integer ≥ 1, got ${p.blocks}`)
      }
      await db.transaction(async () => {
        for (const key of deletes) await db.run('DELETE FROM alert_pending WHERE dedup_key = ?', [key])
        for (const p of upserts) {
          await db.run(
            `INSERT INTO alert_pending (dedup_key, agent, rule, toward, blocks, since_block, since_time) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (dedup_key) DO UPDATE SET agent = excluded.agent, rule = excluded.rule, toward = excluded.toward, blocks = excluded.blocks,
               since_block = excluded.since_block, since_time = excluded.since_time`,
            [p.dedupKey, p.agent, p.rule, p.toward, p.blocks, intToDb(p.sinceBlock, 'savePending sinceBlock'), timeToDb(p.sinceTime, 'savePending sinceTime')],
          )
        }
      })
    },

    async clearPending(agent) {
      return (await db.run('DELETE FROM alert_pending WHERE agent = ?', [agent])).changes
    },

    async countGlitch(input) {
      const n = input.count ?? 1
      if (!Number.isSafeInteger(n) || n < 1) throw new StoreError(`store: countGlitch ${input.dedupKey}: count must be an integer ≥ 1, got ${n}`)
      await db.run(
        `INSERT INTO alert_glitches (agent, rule, count, last_key, last_block, last_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (agent, rule) DO UPDATE SET count = count + excluded.count, last_key = excluded.last_key, last_block = excluded.last_block, last_at = excluded.last_at`,
        [input.agent, input.rule, n, input.dedupKey, optIntToDb(input.blockNumber, 'countGlitch blockNumber'), timeToDb(input.at ?? Date.now(), 'countGlitch at')],
      )
    },

    async glitches(filter = {}) {
      const rows =
        filter.agent === undefined
          ? await db.all<GlitchRow>('SELECT * FROM alert_glitches ORDER BY agent, rule')
          : await db.all<GlitchRow>('SELECT * FROM alert_glitches WHERE agent = ? ORDER BY rule', [filter.agent])
      return rows.map((r) => ({
        agent: str(r.agent),
        rule: str(r.rule),
        count: num(r.count),
        lastKey: str(r.last_key),
        lastBlock: optIntFromDb(r.last_block, 'alert_glitches.last_block'),
        lastAt: num(r.last_at),
      }))
    },
  }
  return q
}
