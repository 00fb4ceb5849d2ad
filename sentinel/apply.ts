import type { Store } from '../store'
import type { Condition } from './rules'

export interface ApplyResult {
  raised: string[]
  resolved: string[]
}

/**
 * Writes the conditions' changes to the alert outbox: an active condition not open yet raises one
 * alert, an inactive one that is open writes one recovery, an unknown one changes nothing. The
 * store's raise/resolve are atomic on the dedup key, so a second sentinel (or a restarted one)
 * never writes a row twice. `open` is the set of the sentinel's open keys (read once a round).
 */
export async function applyConditions(store: Store, agent: string, conditions: readonly Condition[], open: ReadonlySet<string>, now = Date.now()): Promise<ApplyResult> {
  const out: ApplyResult = { raised: [], resolved: [] }
  for (const c of conditions) {
    if (c.active === true && !open.has(c.dedupKey)) {
      const r = await store.alerts.raise({ dedupKey: c.dedupKey, agent, chain: c.chain, rule: c.rule, subject: c.subject, severity: c.severity, title: c.title, body: c.body, at: now })
      if (r.inserted) out.raised.push(c.dedupKey)
    } else if (c.active === false && open.has(c.dedupKey)) {
      const r = await store.alerts.resolve(c.dedupKey, { agent, title: c.recoveryTitle, body: c.recoveryBody, at: now })
      if (r.inserted) out.resolved.push(c.dedupKey)
    }
  }
  return out
}
