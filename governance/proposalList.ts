/**
 * The proposal list as `npm run tally` prints it: a header and aligned columns, each proposal by
 * its short id (the first 10 characters of a long upstream id, shown with "…"), which `npm run
 * tally -- <id>` and Telegram's `/tally <id>` accept as a unique prefix (store/governance.ts
 * matchProposal). Pure: rows in, lines out.
 */

export interface ProposalListRow {
  upstreamId: string
  status: string
  end: number
  tallyStatus: string | null
  source: string
  space: string | null
  chain: string | null
  title: string
}

/** Upstream ids longer than this are shown shortened. */
const SHORT = 10

/** The id shown for a proposal: short ids whole, long ones (0x… hashes, uint256 ids) as their first 10 characters + "…". */
export const shortProposalId = (upstreamId: string): string => (upstreamId.length <= SHORT + 2 ? upstreamId : `${upstreamId.slice(0, SHORT)}…`)

const isoMinute = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString().slice(0, 16).replace('T', ' ')

/** Where a proposal lives: its Snapshot space, or "<chain> governor". */
export const proposalWhere = (p: Pick<ProposalListRow, 'source' | 'space' | 'chain'>): string => (p.source === 'snapshot' ? (p.space ?? 'snapshot') : `${p.chain ?? '?'} governor`)

/** Lines of an aligned table (header first); the last column (title) is left unpadded. */
export function renderProposalTable(rows: readonly ProposalListRow[]): string[] {
  const header = ['ID', 'STATUS', 'ENDS (UTC)', 'TALLY', 'WHERE', 'TITLE']
  const cells = rows.map((p) => [shortProposalId(p.upstreamId), p.status, isoMinute(p.end), p.tallyStatus ?? '-', proposalWhere(p), p.title])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), ...cells.map(line)]
}
