import { formatEther } from 'viem'
import type { Receipt } from './receipt.js'

/**
 * A receipt as text for the terminal (`npm run tally`): the proposal, every delegator's weight
 * per chain, every signal with its signature check and what became of it, and the pool's vote
 * (Snapshot choice, on-chain split and calldata). Pure.
 */

const tokens = (wei: string) => {
  const s = formatEther(BigInt(wei))
  const [i, f = ''] = s.split('.')
  return f ? `${i}.${f.slice(0, 4).padEnd(4, '0')}` : `${i}.0000`
}
const short = (a: string) => (a.length > 14 ? `${a.slice(0, 8)}…${a.slice(-4)}` : a)
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length))

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => r.map((c, i) => pad(c, widths[i]!)).join('  ').trimEnd()).join('\n')
}

export interface RenderContext {
  /** Where the proposal came from (e.g. "snapshot upstream-dao.eth 0x…"). */
  upstream?: string
  casts?: { key: string; target: string; status: string; resultId: string | null; txHash: string | null }[]
  tallyAt?: number
  hash?: string
}

export function renderReceipt(r: Receipt, ctx: RenderContext = {}): string {
  const out: string[] = []
  const p = r.proposal
  out.push(`Tally receipt — signalling proposal ${p.id} (${p.type}, ${p.choices.length} choices)`)
  if (ctx.upstream) out.push(`upstream: ${ctx.upstream}`)
  if (p.start !== undefined && p.end !== undefined) out.push(`signal window: ${new Date(p.start * 1000).toISOString()} → ${new Date(p.end * 1000).toISOString()}`)
  out.push(`policy: silent delegators ${r.policy.silent}, signal quorum ${r.policy.quorumBps} bps${r.onchain ? `, pool weight on the Governor ${tokens(r.onchain.poolWeight)}` : ''}`)
  if (ctx.tallyAt) out.push(`tallied: ${new Date(ctx.tallyAt).toISOString()}${ctx.hash ? `  hash ${ctx.hash}` : ''}`)
  if (r.snapshot) {
    const blocks = Object.entries(r.snapshot.chains).map(([c, x]) => `${c} #${x.block ?? '-'}${x.hash ? ` ${x.hash.slice(0, 10)}…` : ''}`)
    out.push(`weights read at the snapshot ${new Date(r.snapshot.time * 1000).toISOString()}: ${blocks.join(', ')}`)
  }
  out.push('', `choices: ${p.choices.map((c, i) => `${i + 1}=${c}`).join('  ')}`)

  const chains = [...new Set(r.delegators.flatMap((d) => Object.keys(d.weightByChain)))]
  out.push('', `Delegators (${r.delegators.length}): pool shares at the snapshot, per chain`)
  out.push(
    table([
      ['delegator', ...chains, 'total', 'signalled'],
      ...r.delegators.map((d) => [d.address, ...chains.map((c) => (d.weightByChain[c] ? tokens(d.weightByChain[c]) : '-')), tokens(d.weight), d.signalled ? 'yes' : 'no']),
    ]),
  )

  out.push('', `Signals (${r.signals.length})`)
  out.push(
    table([
      ['voter', 'choice', 'weight', 'signature', 'time', 'result'],
      ...r.signals.map((s) => [
        short(s.voter),
        JSON.stringify(s.choice) ?? 'null',
        tokens(s.weight),
        s.sigCheck.ok ? `ok (${s.sigCheck.method})` : `FAILED${s.sigCheck.error ? `: ${s.sigCheck.error.slice(0, 60)}` : ''}`,
        s.timestamp ? new Date(s.timestamp * 1000).toISOString().slice(0, 19) : '-',
        s.status,
      ]),
    ]),
  )
  const refused = r.signals.filter((s) => s.status !== 'counted')
  const byStatus = refused.reduce<Record<string, number>>((m, s) => ((m[s.status] = (m[s.status] ?? 0) + 1), m), {})
  out.push(`counted ${r.signals.length - refused.length}; refused ${Object.entries(byStatus).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`)

  const res = r.result
  out.push('', `Result: ${res.status}${res.quorumReached ? '' : ' (signal quorum not reached)'}`)
  out.push(`weight: total ${tokens(res.totalWeight)}, signalled ${tokens(res.signalledWeight)}, silent ${tokens(res.silentWeight)}`)
  out.push(table([['choice', 'score', 'with silent'], ...p.choices.map((c, i) => [`${i + 1} ${c}`, tokens(res.scores[i] ?? '0'), tokens(res.effectiveScores[i] ?? '0')])]))
  if (res.snapshotVote) out.push(`Snapshot vote: ${res.snapshotVote.space} ${res.snapshotVote.proposal} choice ${JSON.stringify(res.snapshotVote.choice)}`)
  else if (res.snapshotChoice !== null) out.push(`Snapshot choice: ${JSON.stringify(res.snapshotChoice)}`)
  if (res.onchain) {
    out.push(`On-chain split (wei): against ${res.onchain.against}, for ${res.onchain.for}, abstain ${res.onchain.abstain}, uncast ${res.onchain.uncast}`)
    out.push(`params (48 bytes): ${res.onchain.params}`)
  }
  if (r.targets.governor) out.push(`Governor: chain ${r.targets.governor.chainId} ${r.targets.governor.address} proposal ${r.targets.governor.proposalId}`)
  if (res.calldata) out.push(`calldata castVoteWithReasonAndParams(…, 255, …): ${res.calldata}`)
  if (ctx.casts?.length) {
    out.push('', 'Casts')
    out.push(table([['key', 'target', 'status', 'result'], ...ctx.casts.map((c) => [c.key, c.target, c.status, c.txHash ?? c.resultId ?? '-'])]))
  }
  return out.join('\n')
}
