import { getAddress, type Address, type Hex, type PublicClient } from 'viem'
import { canonical } from './collectSignals.js'
import { recomputeFromReceipt, type Receipt, type Recomputation } from './receipt.js'
import { verifyVoteEnvelope, voteKindOf, voteTypesFor, type VoteEnvelope } from './verify.js'
import { blockRefAtTimestamp, shareTokenAbi } from './weights.js'

/**
 * Checks a tally receipt without trusting poolwarden (`npm run recompute`):
 *  1. the arithmetic (recomputeFromReceipt: every weight sum, signal fate, score, the Snapshot
 *     choice, the fractional split, the calldata) and the receipt's hash;
 *  2. every signal against its signed message: the signature re-verified (EOA by recovery; a
 *     contract wallet by its EIP-1271 `isValidSignature` on the signalling chain, given an RPC),
 *     and the signal's voter, choice, timestamp and proposal must be the signed ones; a signal the
 *     receipt counts must verify, one it refused as unsigned must not;
 *  3. with RPC URLs (`clients` by chain name): per chain, the recorded snapshot block is the
 *     chain's (same hash), it is the last block at or before the snapshot time, every delegator's
 *     weight is its `balanceOf` there, and the weights listed add up to the token's totalSupply
 *     there (no holder left out).
 * Verdict: `MATCH` (everything checked and equal), `MISMATCH` (something differs: each line
 * names it), `INCOMPLETE` (nothing differs, but some checks need an RPC URL that was not given).
 */

export type Verdict = 'MATCH' | 'MISMATCH' | 'INCOMPLETE'

export interface ReceiptVerification {
  verdict: Verdict
  /** What differs, one line each, naming the field. */
  mismatches: string[]
  /** What could not be checked and why (e.g. no RPC URL for a chain). */
  unchecked: string[]
  /** What was checked, for the report. */
  checked: { eoaSignatures: number; contractSignatures: number; weightChains: string[] }
  recomputation: Recomputation
}

export interface VerifyReceiptOptions {
  /** A public client per chain name (from `--rpc chain=url`). */
  clients?: Record<string, PublicClient>
  /** A hash published elsewhere (`npm run tally`, Telegram /tally) the receipt must have. */
  expectedHash?: string
  /** Balance reads per multicall (default 500). */
  batch?: number
}

const lc = (a: string) => a.toLowerCase()

/** The signed fields of a signal's message, with the choice as a value. */
function signedFields(env: VoteEnvelope): { from: string; space: unknown; timestamp: unknown; proposal: unknown; choice: unknown } {
  const m = env.data.message
  let choice: unknown = m.choice
  if (voteKindOf(env.data.types) === 'vote-string' && typeof choice === 'string') {
    try {
      choice = JSON.parse(choice)
    } catch {
      /* compared as the string */
    }
  }
  return { from: String(m.from ?? ''), space: m.space, timestamp: m.timestamp, proposal: m.proposal, choice }
}

async function contractSignatureOk(client: PublicClient, address: Address, env: VoteEnvelope): Promise<boolean | undefined> {
  const code = await client.getCode({ address })
  if (!code || code === '0x') return undefined
  const kind = voteKindOf(env.data.types)
  if (!kind) return false
  return client
    .verifyTypedData({ address, domain: env.data.domain as { name: string; version: string }, types: voteTypesFor(kind), primaryType: 'Vote', message: env.data.message as never, signature: env.sig as Hex })
    .catch(() => false)
}

async function checkSignals(receipt: Receipt, opts: VerifyReceiptOptions, out: ReceiptVerification): Promise<void> {
  const sigClient = receipt.signalling ? opts.clients?.[receipt.signalling.chain] : undefined
  for (const [i, s] of receipt.signals.entries()) {
    const at = `signals[${i}] (${s.voter})`
    const env = s.envelope as VoteEnvelope | undefined
    if (!env) {
      if (s.sigCheck.ok) out.mismatches.push(`${at}.signature: the receipt counts its signature as checked, but carries no signed message`)
      continue
    }
    if (s.sig !== undefined && lc(s.sig) !== lc(env.sig)) {
      out.mismatches.push(`${at}.signature: receipt says ${s.sig}, its signed message carries ${env.sig}`)
      continue
    }
    // Does the signature verify, and is it the voter's?
    let valid: boolean | undefined
    let method: 'eoa' | 'eip1271' = 'eoa'
    const eoa = await verifyVoteEnvelope(env)
    if (eoa.ok) {
      valid = lc(eoa.signer) === lc(s.voter)
      if (valid) out.checked.eoaSignatures++
    } else if (/^0x[0-9a-fA-F]{40}$/.test(env.address) && sigClient) {
      const c = await contractSignatureOk(sigClient, getAddress(env.address), env)
      if (c === undefined) valid = false // an EOA whose signature does not recover
      else {
        method = 'eip1271'
        valid = c && lc(env.address) === lc(s.voter) && lc(String(env.data.message.from ?? '')) === lc(s.voter)
        out.checked.contractSignatures++
      }
    } else if (s.sigCheck.ok && s.sigCheck.method === 'eip1271') {
      out.unchecked.push(`${at}: EIP-1271 signature (contract wallet) needs --rpc ${receipt.signalling?.chain ?? '<signalling chain>'}=<url>`)
      valid = undefined
    } else valid = false
    if (valid === undefined) continue
    // The receipt's signal must be what was signed.
    const f = signedFields(env)
    const differs: string[] = []
    if (lc(f.from) !== lc(s.voter)) differs.push(`voter: receipt says ${s.voter}, the signed message is from ${f.from}`)
    if (canonical(f.choice) !== canonical(s.choice)) differs.push(`choice: receipt says ${JSON.stringify(s.choice)}, the signed message says ${JSON.stringify(f.choice)}`)
    if (f.timestamp !== s.timestamp) differs.push(`timestamp: receipt says ${s.timestamp}, the signed message says ${JSON.stringify(f.timestamp)}`)
    if (s.proposal !== undefined && f.proposal !== s.proposal) differs.push(`proposal: receipt says ${s.proposal}, the signed message says ${JSON.stringify(f.proposal)}`)
    if (receipt.signalling && f.space !== receipt.signalling.space) differs.push(`space: the signed message names ${JSON.stringify(f.space)}, not the signalling space ${receipt.signalling.space}`)
    if (s.sigCheck.ok) {
      if (!valid) out.mismatches.push(`${at}.signature: the receipt says it checked (${s.sigCheck.method}), but it does not verify${eoa.ok ? ` (signed by ${eoa.signer})` : `: ${eoa.error}`}`)
      else if (s.sigCheck.method !== method) out.mismatches.push(`${at}.sigCheck.method: receipt says ${s.sigCheck.method}, the signature is ${method}`)
      for (const d of differs) out.mismatches.push(`${at}.${d}`)
    } else if (valid && differs.length === 0) {
      out.mismatches.push(`${at}.signature: the receipt refused it (${s.sigCheck.error ?? 'no reason'}), but it verifies and matches its signed message`)
    }
  }
}

async function checkWeights(receipt: Receipt, opts: VerifyReceiptOptions, out: ReceiptVerification): Promise<void> {
  const snap = receipt.snapshot
  if (!snap) {
    out.unchecked.push('weights: the receipt records no snapshot blocks (version 1 receipt)')
    return
  }
  for (const [chain, rec] of Object.entries(snap.chains)) {
    const client = opts.clients?.[chain]
    const at = `snapshot.chains.${chain}`
    if (!client) {
      out.unchecked.push(`weights on ${chain}: pass --rpc ${chain}=<url> to re-read them at block ${rec.block ?? '(none)'}`)
      continue
    }
    const chainId = await client.getChainId()
    if (chainId !== rec.chainId) throw new Error(`--rpc ${chain}: that node serves chain id ${chainId}, the receipt's ${chain} is ${rec.chainId}`)
    const found = await blockRefAtTimestamp(client, snap.time)
    if (rec.block === null) {
      if (found) out.mismatches.push(`${at}.block: receipt says none, the chain's last block at or before ${snap.time} is ${found.block.number}`)
      continue
    }
    const n = BigInt(rec.block)
    const b = await client.getBlock({ blockNumber: n }).catch(() => null)
    if (!b) {
      out.mismatches.push(`${at}.block: receipt says ${n}, the chain has no such block`)
      continue
    }
    if (rec.hash !== null && lc(b.hash!) !== lc(rec.hash)) out.mismatches.push(`${at}.hash: receipt says ${rec.hash} for block ${n}, the chain's block ${n} is ${b.hash}`)
    if (!found || found.block.number !== n) {
      out.mismatches.push(`${at}.block: receipt says ${n}, the chain's last block at or before the snapshot time ${snap.time} is ${found?.block.number ?? 'none'}`)
      continue
    }
    out.checked.weightChains.push(chain)
    const delegators = receipt.delegators
    const batch = opts.batch ?? 500
    const token = getAddress(rec.token)
    let listed = 0n
    for (let i = 0; i < delegators.length; i += batch) {
      const part = delegators.slice(i, i + batch)
      const contracts = part.map((d) => ({ address: token, abi: shareTokenAbi, functionName: 'balanceOf' as const, args: [getAddress(d.address)] as const }))
      const bals = rec.multicall3
        ? ((await client.multicall({ contracts, allowFailure: false, blockNumber: n, multicallAddress: getAddress(rec.multicall3) })) as bigint[])
        : await Promise.all(contracts.map((c) => client.readContract({ ...c, blockNumber: n }) as Promise<bigint>))
      part.forEach((d, j) => {
        const said = BigInt(d.weightByChain[chain] ?? '0')
        listed += said
        if (said !== bals[j]!) out.mismatches.push(`delegators[${d.address}].weightByChain.${chain}: receipt says ${said}, balanceOf at block ${n} is ${bals[j]}`)
      })
    }
    const supply = (await client.readContract({ address: token, abi: shareTokenAbi, functionName: 'totalSupply', blockNumber: n })) as bigint
    if (supply !== BigInt(rec.totalSupply)) out.mismatches.push(`${at}.totalSupply: receipt says ${rec.totalSupply}, the token's totalSupply at block ${n} is ${supply}`)
    if (listed !== supply) out.mismatches.push(`delegators on ${chain}: the weights listed add up to ${listed}, the token's totalSupply at block ${n} is ${supply} (a holder is missing or added)`)
  }
}

export async function verifyReceipt(json: string | unknown, opts: VerifyReceiptOptions = {}): Promise<ReceiptVerification> {
  const recomputation = recomputeFromReceipt(json)
  const receipt = recomputation.receipt
  const out: ReceiptVerification = {
    verdict: 'MATCH',
    mismatches: [...recomputation.mismatches],
    unchecked: [],
    checked: { eoaSignatures: 0, contractSignatures: 0, weightChains: [] },
    recomputation,
  }
  if (opts.expectedHash !== undefined) {
    if (receipt.hash === undefined) out.mismatches.push(`hash: the receipt carries none, expected ${opts.expectedHash}`)
    else if (lc(receipt.hash) !== lc(opts.expectedHash)) out.mismatches.push(`hash: receipt says ${receipt.hash}, expected ${opts.expectedHash}`)
  } else if (receipt.hash === undefined) out.unchecked.push('hash: the receipt carries none (export it with npm run tally -- <id> --json)')
  if (receipt.version < 2) out.unchecked.push('signatures: a version 1 receipt carries no signed messages')
  else await checkSignals(receipt, opts, out)
  await checkWeights(receipt, opts, out)
  out.verdict = out.mismatches.length > 0 ? 'MISMATCH' : out.unchecked.length > 0 ? 'INCOMPLETE' : 'MATCH'
  return out
}
