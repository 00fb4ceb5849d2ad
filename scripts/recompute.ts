/**
 * `npm run recompute -- receipt.json [--rpc chain=url …] [--hash 0x…]` — checks a tally receipt
 * without trusting poolwarden (governance/verifyReceipt.ts): recomputes the pool's vote from the
 * JSON (weights, every signal's fate, scores, the Snapshot choice, the exact on-chain split and its
 * calldata), the receipt's hash, every signal's signature from its signed message (EOA; EIP-1271
 * wallets on the signalling chain's RPC) and, per chain given an RPC URL, the weights at the
 * recorded snapshot block. Prints MATCH (exit 0), MISMATCH naming what differs (exit 1) or
 * INCOMPLETE (exit 3: nothing differs, but checks that need an RPC URL were not made).
 * Needs no config or store.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createPublicClient, http, type PublicClient } from 'viem'
import { describeError } from '../core/errors'
import { verifyReceipt } from '../governance/verifyReceipt'
import { quietOnClosedPipe, wantsHelp } from './lib/cli'

const USAGE = 'usage: npm run recompute -- <receipt.json> [--rpc <chain>=<url> …] [--hash 0x<receipt hash>]'

async function main(): Promise<number> {
  if (wantsHelp()) {
    console.log(USAGE)
    return 0
  }
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { rpc: { type: 'string', multiple: true }, hash: { type: 'string' } } })
  const file = positionals[0]
  if (!file || positionals.length > 1) {
    console.error(USAGE)
    return 2
  }
  const clients: Record<string, PublicClient> = {}
  for (const r of values.rpc ?? []) {
    const m = /^([a-z0-9][a-z0-9-]*)=(https?:\/\/.+)$/.exec(r)
    if (!m) {
      console.error(`recompute: --rpc ${r}: expected <chain>=<http(s) url>, e.g. --rpc ethereum=http://127.0.0.1:8545\n${USAGE}`)
      return 2
    }
    clients[m[1]!] = createPublicClient({ transport: http(m[2]!, { batch: true }) })
  }
  if (values.hash !== undefined && !/^0x[0-9a-fA-F]{64}$/.test(values.hash)) {
    console.error(`recompute: --hash: expected 0x and 64 hex digits (the hash npm run tally prints)\n${USAGE}`)
    return 2
  }
  const v = await verifyReceipt(readFileSync(file, 'utf8'), { clients, ...(values.hash ? { expectedHash: values.hash } : {}) })
  const r = v.recomputation
  const vote = r.vote
  console.log(`receipt ${file}: proposal ${r.receipt.proposal.id} (${r.receipt.proposal.type}), ${r.receipt.signals.length} signals, ${r.receipt.delegators.length} delegators`)
  console.log(`recomputed status: ${r.recomputed.result.status}`)
  if (vote.snapshotVote) console.log(`recomputed Snapshot vote: ${vote.snapshotVote.space} ${vote.snapshotVote.proposal} choice ${JSON.stringify(vote.snapshotVote.choice)}`)
  else console.log(`recomputed Snapshot choice: ${JSON.stringify(vote.snapshotChoice)}`)
  if (vote.onchain) console.log(`recomputed on-chain split: against ${vote.onchain.against}, for ${vote.onchain.for}, abstain ${vote.onchain.abstain}, uncast ${vote.onchain.uncast}`)
  if (vote.calldata) console.log(`recomputed calldata: ${vote.calldata}`)
  const snap = r.receipt.snapshot
  if (snap) for (const [chain, c] of Object.entries(snap.chains)) console.log(`snapshot ${chain}: block ${c.block ?? '-'} ${c.hash ?? ''}`)
  console.log(
    `checked: arithmetic, hash${r.receipt.hash ? '' : ' (none in the file)'}, ${v.checked.eoaSignatures} EOA and ${v.checked.contractSignatures} EIP-1271 signatures, weights on ${v.checked.weightChains.join(', ') || 'no chain'}`,
  )
  if (v.verdict === 'MISMATCH') {
    console.log(`MISMATCH (${v.mismatches.length}):`)
    for (const m of v.mismatches.slice(0, 50)) console.log(`  ${m}`)
    if (v.mismatches.length > 50) console.log(`  … and ${v.mismatches.length - 50} more`)
    return 1
  }
  if (v.verdict === 'INCOMPLETE') {
    console.log(`INCOMPLETE: nothing differs in what was checked; not checked (${v.unchecked.length}):`)
    for (const u of v.unchecked) console.log(`  ${u}`)
    return 3
  }
  console.log("MATCH: the receipt's vote is what its signed signals and the chains' weights give")
  return 0
}

quietOnClosedPipe()
main().then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    console.error(`recompute: ${describeError(err)}`)
    process.exitCode = 2
  },
)
