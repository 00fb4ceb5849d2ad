/**
 * `npm run tally -- [<proposal>] [--json file]` — the latest tally receipt of a proposal (an
 * upstream proposal id, its mirrored signalling id, a store key, or `#<tally id>`): delegators,
 * signals, weights, signature checks, the result and the calldata; `--json` exports the receipt
 * that `npm run recompute -- <file>` re-derives the pool's vote from. Without a proposal: lists them.
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { loadConfig } from '../config/load'
import { UsageError } from '../core/errors'
import { runCli } from './lib/cli'
import { createLogger } from '../core/logger'
import { receiptToJson, type Receipt } from '../governance/receipt'
import { renderReceipt } from '../governance/renderReceipt'
import { renderProposalTable, shortProposalId } from '../governance/proposalList'
import { getReceipt, listProposals, matchProposal, openStore } from '../store'

const USAGE = 'usage: npm run tally -- [<proposal id | signalling id | #tally>] [--json receipt.json] [--limit n]'

async function main() {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { json: { type: 'string' }, limit: { type: 'string' } } })
  const [id] = positionals
  if (positionals.length > 1) throw new UsageError(USAGE)
  const config = loadConfig()
  const store = await openStore({ path: config.store.path, logger: createLogger({ cli: 'tally' }, 'warn') })
  try {
    if (!id) {
      const rows = await listProposals(store, { limit: Number(values.limit ?? 20) })
      if (rows.length === 0) return console.log('no governance proposals yet (the governor agent records them)')
      for (const line of renderProposalTable(rows)) console.log(line)
      return
    }
    const m = await matchProposal(store, id)
    if (m.kind === 'ambiguous') throw new UsageError(`"${id}" starts ${m.candidates.length > 5 ? 'more than 5' : m.candidates.length} proposals' ids (${m.candidates.slice(0, 5).map((p) => shortProposalId(p.upstreamId)).join(', ')}): give more characters`)
    const found = await getReceipt(store, id)
    if (!found) {
      const p = m.kind === 'one' ? m.proposal : undefined
      throw new UsageError(p ? `proposal ${p.upstreamId}: no tally yet (status ${p.status})` : `no proposal ${JSON.stringify(id.slice(0, 80))} in the store: npm run tally lists them`)
    }
    const { proposal: p, tally } = found
    const receipt = tally.receipt as Receipt
    const casts = await store.governance.listCasts(p.key)
    console.log(
      renderReceipt(receipt, {
        upstream: p.source === 'snapshot' ? `Snapshot ${p.space} ${p.upstreamId} "${p.title}"` : `Governor ${p.governor} on ${p.chain}, proposal ${p.upstreamId} "${p.title}"`,
        casts,
        tallyAt: tally.createdAt,
        hash: tally.hash,
      }),
    )
    if (values.json) {
      // The export carries the stored hash: npm run recompute recomputes it from the content.
      writeFileSync(values.json, `${receiptToJson({ ...receipt, hash: tally.hash as `0x${string}` })}\n`)
      console.log(`\nreceipt written to ${values.json} — check it: npm run recompute -- ${values.json} --rpc <chain>=<url> …`)
    }
  } finally {
    await store.close()
  }
}

runCli('tally', main, { usage: USAGE })
