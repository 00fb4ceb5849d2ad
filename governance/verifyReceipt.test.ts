import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { keccak256, toHex } from 'viem'
import { buildReceipt, canonicalJson, receiptHash, recomputeFromReceipt, type Receipt } from './receipt'
import type { Signal } from './types'
import { SNAPSHOT_DOMAIN, voteTypesFor } from './verify'
import { verifyReceipt } from './verifyReceipt'

// Fixed keys: reproducible signatures, no I/O.
const keys = ['0x' + '0a'.repeat(32), '0x' + '0b'.repeat(32), '0x' + '0c'.repeat(32)] as const
const accounts = keys.map((k) => privateKeyToAccount(k as `0x${string}`))
const SPACE = 'signals.eth'
const PROPOSAL = '0xproposal'

async function signedSignal(i: number, choice: number, timestamp: number): Promise<Signal> {
  const a = accounts[i]!
  const message = { from: a.address, space: SPACE, timestamp, proposal: PROPOSAL, choice, reason: '', app: 'test', metadata: '{}' }
  const types = voteTypesFor('vote')
  const sig = await a.signTypedData({ domain: SNAPSHOT_DOMAIN, types, primaryType: 'Vote', message })
  return {
    id: `v${i}`,
    voter: a.address,
    choice,
    timestamp,
    proposal: PROPOSAL,
    sig,
    sigCheck: { ok: true, method: 'eoa' },
    envelope: { address: a.address, sig, data: { domain: { ...SNAPSHOT_DOMAIN }, types, message } },
  }
}

async function receipt(): Promise<Receipt> {
  const signals = [await signedSignal(0, 1, 1000), await signedSignal(1, 2, 1001), await signedSignal(2, 2, 1002)]
  const r = buildReceipt(
    {
      proposal: { id: PROPOSAL, type: 'single-choice', choices: ['Yes', 'No'], start: 900, end: 2000 },
      delegators: [
        { address: accounts[0]!.address, weightByChain: { ethereum: 500n } },
        { address: accounts[1]!.address, weightByChain: { ethereum: 300n } },
        { address: accounts[2]!.address, weightByChain: { base: 100n } },
      ],
      signals,
      policy: { silent: 'not-cast', quorumBps: 0 },
    },
    { snapshot: { space: 'dao.eth', proposal: '0xup' } },
    undefined,
    { signalling: { space: SPACE, chain: 'ethereum', chainId: 31337 } },
  )
  return JSON.parse(JSON.stringify({ ...r, hash: receiptHash(r) })) as Receipt
}

/** The edit with the result and the hash recomputed to agree with it (what a careful forger does). */
function fixedUp(r: Receipt): Receipt {
  const { hash: _h, ...out } = recomputeFromReceipt({ ...r, hash: undefined }).recomputed
  return JSON.parse(JSON.stringify({ ...out, hash: receiptHash(out) })) as Receipt
}

describe('verifyReceipt (offline: signatures from the signed messages, arithmetic, hash)', () => {
  it('an untouched receipt: nothing differs; weights not re-read without an RPC URL → INCOMPLETE', async () => {
    const r = await receipt()
    const v = await verifyReceipt(r)
    expect(v.mismatches).toEqual([])
    expect(v.checked.eoaSignatures).toBe(3)
    expect(v.verdict).toBe('INCOMPLETE')
    expect(v.unchecked).toEqual(['weights: the receipt records no snapshot blocks (version 1 receipt)'])
  })

  it('a changed choice with the scores fixed up is a MISMATCH naming the choice', async () => {
    const r = await receipt()
    r.signals[1]!.choice = 1
    const forged = fixedUp(r)
    expect(forged.result.winner).toBe(1) // the forger's scores: Yes wins now
    expect(recomputeFromReceipt(forged).ok).toBe(true)
    const v = await verifyReceipt(forged)
    expect(v.verdict).toBe('MISMATCH')
    expect(v.mismatches).toEqual([`signals[1] (${accounts[1]!.address}).choice: receipt says 1, the signed message says 2`])
  })

  it('a signature replaced by 0x1111… (signal and signed message) is a MISMATCH naming the signature', async () => {
    const r = await receipt()
    const ones = `0x${'11'.repeat(65)}`
    r.signals[2]!.sig = ones
    r.signals[2]!.envelope!.sig = ones
    const v = await verifyReceipt(fixedUp(r))
    expect(v.verdict).toBe('MISMATCH')
    expect(v.mismatches).toEqual([expect.stringMatching(new RegExp(`^signals\\[2\\] \\(${accounts[2]!.address}\\)\\.signature: the receipt says it checked \\(eoa\\), but it does not verify`))])
  })

  it('a signature replaced in the signal only, a refused valid signal, a missing signed message, an edited hash', async () => {
    const r = await receipt()
    r.signals[0]!.sig = `0x${'22'.repeat(65)}`
    expect((await verifyReceipt(fixedUp(r))).mismatches).toEqual([`signals[0] (${accounts[0]!.address}).signature: receipt says 0x${'22'.repeat(65)}, its signed message carries ${(await receipt()).signals[0]!.envelope!.sig}`])
    const refused = await receipt()
    refused.signals[1]!.sigCheck = { ok: false, method: 'eoa', error: 'forged' }
    expect((await verifyReceipt(fixedUp(refused))).mismatches).toEqual([
      `signals[1] (${accounts[1]!.address}).signature: the receipt refused it (forged), but it verifies and matches its signed message`,
    ])
    const bare = await receipt()
    delete bare.signals[0]!.envelope
    expect((await verifyReceipt(fixedUp(bare))).mismatches).toEqual([
      `signals[0] (${accounts[0]!.address}).signature: the receipt counts its signature as checked, but carries no signed message`,
    ])
    const r2 = await receipt()
    const published = r2.hash!
    r2.delegators[2]!.weightByChain.base = '99'
    const v = await verifyReceipt(fixedUp(r2), { expectedHash: published })
    expect(v.mismatches).toEqual([expect.stringMatching(new RegExp(`^hash: receipt says 0x[0-9a-f]{64}, expected ${published}$`))])
  })

  it('receiptHash: keccak256 of the UTF-8 canonical JSON (keys sorted at every level, undefined members left out, hash field ignored)', () => {
    const value = { z: [1, undefined, { b: 'é\u2028"', a: null, u: undefined }], a: 'ü😀', hash: '0xdead', n: { y: true, x: [] } }
    const text = '{"a":"ü😀","n":{"x":[],"y":true},"z":[1,null,{"a":null,"b":"é\u2028\\""}]}'
    const { hash: _h, ...rest } = value
    expect(canonicalJson(rest)).toBe(text)
    expect(receiptHash(value)).toBe(keccak256(toHex(text)))
  })
})

