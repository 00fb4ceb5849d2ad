import { receiptToJson, type Receipt } from '../../governance/receipt'
import { listProposals } from '../../store'
import { rangeWindow, type WebDeps } from '../context'
import { fmtTime, html, type Cell, type Page, type RangeName, type Table } from '../html'

/** The stored receipt of a tally as the JSON file `npm run recompute` checks (the same text `npm run tally -- --json` writes). */
export async function receiptDownload(deps: WebDeps, tallyId: string): Promise<{ json: string; filename: string } | undefined> {
  const id = /^\d+$/.test(tallyId) ? Number(tallyId) : NaN
  if (!Number.isSafeInteger(id)) return undefined
  const t = await deps.store.governance.getTally(id)
  if (!t) return undefined
  return { json: `${receiptToJson(t.receipt as Receipt)}\n`, filename: `receipt-${t.id}.json` }
}

const isAddress = (s: string) => /^0x[0-9a-fA-F]{40}$/.test(s)

/** Proposals, the pool's votes, each tally's receipt, and "how was my signal counted". */
export async function renderGovernance(deps: WebDeps, range: RangeName, q: { delegator?: string }): Promise<Page> {
  const { config, store } = deps
  const w = await rangeWindow(deps, range)
  const fromMs = w.from * 1000
  const proposals = (await listProposals(store, { limit: config.web.maxRows })).filter((p) => p.updatedAt >= fromMs || p.end * 1000 >= fromMs)
  const tallies = await Promise.all(proposals.map((p) => store.governance.latestTally(p.key)))
  const casts = (await Promise.all(proposals.map((p) => store.governance.listCasts(p.key)))).flat()

  const proposalsTable: Table = {
    id: 'proposals',
    title: 'Proposals',
    columns: [
      { key: 'proposal', label: 'proposal' },
      { key: 'source', label: 'source' },
      { key: 'title', label: 'title' },
      { key: 'type', label: 'type' },
      { key: 'ends', label: 'ends' },
      { key: 'status', label: 'status' },
      { key: 'tally', label: 'tally' },
      { key: 'tallyStatus', label: 'tally result' },
      { key: 'receipt', label: 'receipt (JSON)', href: (r) => (r.tally === null ? null : `/governance/receipt/${String(r.tally)}`) },
    ],
    rows: proposals.map((p, i) => {
      const t = tallies[i]
      return {
        proposal: p.upstreamId,
        source: p.source === 'snapshot' ? `snapshot ${p.space ?? ''}`.trim() : `governor ${p.chain ?? ''}`.trim(),
        title: p.title,
        type: p.type,
        ends: fmtTime(p.end * 1000),
        status: p.status,
        tally: t ? t.id : null,
        tallyStatus: t?.status ?? null,
        receipt: t ? `receipt-${t.id}.json` : null,
      }
    }),
    empty: 'no proposal in this range',
  }
  const castsTable: Table = {
    id: 'votes',
    title: "The pool's votes",
    columns: [
      { key: 'proposal', label: 'proposal' },
      { key: 'target', label: 'target' },
      { key: 'status', label: 'status' },
      { key: 'tally', label: 'tally', numeric: true },
      { key: 'choice', label: 'vote' },
      { key: 'result', label: 'receipt id / tx' },
      { key: 'at', label: 'updated' },
      { key: 'error', label: 'error' },
    ],
    rows: casts.map((c) => {
      const p = proposals.find((x) => x.key === c.proposalKey)
      const payload = c.payload as { choice?: unknown; split?: unknown } | null
      return {
        proposal: p?.upstreamId ?? c.proposalKey,
        target: c.target,
        status: c.status,
        tally: c.tallyId,
        choice: payload ? JSON.stringify(payload.choice ?? payload.split ?? payload).slice(0, 200) : null,
        result: c.txHash ?? c.resultId,
        at: fmtTime(c.updatedAt),
        error: c.error,
      }
    }),
    empty: 'no vote cast in this range',
  }

  // "How was my signal counted": the delegator's row and signals in each tally's receipt.
  const delegator = q.delegator?.trim() ?? ''
  const lookupRows: Record<string, Cell>[] = []
  let lookupNote: string | undefined
  if (delegator && !isAddress(delegator)) lookupNote = `delegator: "${delegator}" is not an address (0x and 40 hex digits)`
  else if (delegator) {
    const me = delegator.toLowerCase()
    for (const [i, p] of proposals.entries()) {
      const t = tallies[i]
      if (!t) continue
      const r = t.receipt as Receipt
      const d = r.delegators?.find((x) => x.address.toLowerCase() === me)
      const signals = (r.signals ?? []).filter((s) => s.voter.toLowerCase() === me)
      if (!d && signals.length === 0) continue
      const base = { proposal: p.upstreamId, tally: t.id, weight: d?.weight ?? null, signalled: d ? d.signalled : false }
      if (signals.length === 0) lookupRows.push({ ...base, choice: null, status: `silent: ${r.policy.silent}`, reason: null, at: null })
      for (const s of signals) lookupRows.push({ ...base, choice: JSON.stringify(s.choice), status: s.status, reason: s.reason ?? (s.sigCheck.ok ? null : (s.sigCheck.error ?? 'signature not valid')), at: fmtTime(s.timestamp * 1000) })
    }
    lookupNote = `${delegator}: ${lookupRows.length} row(s) in ${tallies.filter(Boolean).length} tally receipt(s) of this range`
  }
  const lookupTable: Table = {
    id: 'my-signal',
    title: 'How was my signal counted',
    note: lookupNote,
    columns: [
      { key: 'proposal', label: 'proposal' },
      { key: 'tally', label: 'tally', numeric: true },
      { key: 'weight', label: 'weight (wei)', numeric: true },
      { key: 'signalled', label: 'signalled' },
      { key: 'choice', label: 'choice' },
      { key: 'status', label: 'counted as' },
      { key: 'reason', label: 'reason' },
      { key: 'at', label: 'signed at' },
    ],
    rows: lookupRows,
    empty: delegator ? 'this address is in no tally receipt of this range' : 'enter a delegator address above',
  }
  const body = html`<form class="lookup" method="get" action="/governance"><input type="hidden" name="range" value="${range}"><label>Delegator address <input name="delegator" value="${delegator}" placeholder="0x…" autocomplete="off" spellcheck="false"></label><button type="submit">Look up</button></form>
<p class="note">Each receipt is the JSON <code>npm run recompute -- receipt.json</code> checks: weights, every signal's fate, the scores and the vote.</p>`
  return { title: 'Governance', section: '/governance', body, tables: [lookupTable, proposalsTable, castsTable] }
}
