/**
 * The bot's GovernanceReader over the governor agent's tables (store/governance.ts): /proposals
 * lists the newest proposals with their tally state; /tally <id> renders the latest receipt with
 * the same renderer as `npm run tally`.
 */
import { renderReceipt } from '../governance/renderReceipt'
import type { Receipt } from '../governance/receipt'
import { proposalWhere, shortProposalId } from '../governance/proposalList'
import { getReceipt, listProposals, matchProposal } from '../store/governance'
import type { Store } from '../store'
import type { GovernanceReader } from './governance'

const iso = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z')

export function storeGovernanceReader(store: Pick<Store, 'governance'>, opts: { limit?: number } = {}): GovernanceReader {
  return {
    async listProposals() {
      const rows = await listProposals(store, { limit: opts.limit ?? 15 })
      if (rows.length === 0) return 'no governance proposals yet: the governor agent records them as it discovers them'
      const lines = rows.map((p) => {
        return `• ${p.title} — ${proposalWhere(p)}\n  id ${shortProposalId(p.upstreamId)} · ${p.status} · ends ${iso(p.end)} · tally ${p.tallyStatus ?? '-'}`
      })
      return [`Proposals (${rows.length}, newest first) — /tally <id> for the receipt`, ...lines].join('\n')
    },
    async receipt(id) {
      const m = await matchProposal(store, id)
      if (m.kind === 'ambiguous') return `"${id}" starts the ids of ${m.candidates.length > 5 ? 'more than 5' : m.candidates.length} proposals (${m.candidates.slice(0, 5).map((p) => shortProposalId(p.upstreamId)).join(', ')}): give more characters`
      const found = await getReceipt(store, id)
      if (!found) {
        const p = m.kind === 'one' ? m.proposal : undefined
        return p ? `proposal ${p.upstreamId} "${p.title}": no tally yet (status ${p.status})` : undefined
      }
      const { proposal: p, tally } = found
      const casts = await store.governance.listCasts(p.key)
      return renderReceipt(tally.receipt as Receipt, {
        upstream: p.source === 'snapshot' ? `Snapshot ${p.space} ${p.upstreamId} "${p.title}"` : `Governor ${p.governor} on ${p.chain}, proposal ${p.upstreamId} "${p.title}"`,
        casts,
        tallyAt: tally.createdAt,
        hash: tally.hash,
      })
    },
  }
}
