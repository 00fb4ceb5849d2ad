/**
 * `npm run recompute -- receipt.json` — recomputes the pool's vote from a tally receipt alone
 * (governance/receipt.ts recomputeFromReceipt: weights, every signal's fate, scores, the Snapshot
 * choice, the exact on-chain split and its calldata) and says MATCH or MISMATCH (exit code 1).
 * Needs no config, store or network.
 */
import { readFileSync } from 'node:fs'
import { describeError } from '../core/errors'
import { recomputeFromReceipt } from '../governance/receipt'
import { quietOnClosedPipe, wantsHelp } from './lib/cli'

const USAGE = 'usage: npm run recompute -- <receipt.json>'

function main(): number {
  const file = process.argv[2]
  if (wantsHelp()) {
    console.log(USAGE)
    return 0
  }
  if (!file || process.argv.length > 3) {
    console.error(USAGE)
    return 2
  }
  const r = recomputeFromReceipt(readFileSync(file, 'utf8'))
  const v = r.vote
  console.log(`receipt ${file}: proposal ${r.receipt.proposal.id} (${r.receipt.proposal.type}), ${r.receipt.signals.length} signals, ${r.receipt.delegators.length} delegators`)
  console.log(`recomputed status: ${r.recomputed.result.status}`)
  if (v.snapshotVote) console.log(`recomputed Snapshot vote: ${v.snapshotVote.space} ${v.snapshotVote.proposal} choice ${JSON.stringify(v.snapshotVote.choice)}`)
  else console.log(`recomputed Snapshot choice: ${JSON.stringify(v.snapshotChoice)}`)
  if (v.onchain) console.log(`recomputed on-chain split: against ${v.onchain.against}, for ${v.onchain.for}, abstain ${v.onchain.abstain}, uncast ${v.onchain.uncast}`)
  if (v.calldata) console.log(`recomputed calldata: ${v.calldata}`)
  if (r.ok) {
    console.log('MATCH: the receipt\'s vote is what its signals and weights give')
    return 0
  }
  console.log(`MISMATCH (${r.mismatches.length}):`)
  for (const m of r.mismatches.slice(0, 50)) console.log(`  ${m}`)
  return 1
}

quietOnClosedPipe()
try {
  process.exitCode = main()
} catch (err) {
  console.error(`recompute: ${describeError(err)}`)
  process.exitCode = 2
}
