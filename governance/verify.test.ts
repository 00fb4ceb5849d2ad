import snapshot from '@snapshot-labs/snapshot.js'
import { hashTypedData } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { SNAPSHOT_DOMAIN, signatureCheckOf, verifyVoteEnvelope, voteKindFor, voteTypesFor, type VoteKind } from './verify.js'
import { ethersSignerFromViem } from './viemSigner.js'

const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const bob = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')

async function envelope(kind: VoteKind, choice: unknown, account = alice, over: Record<string, unknown> = {}) {
  const message = {
    from: account.address,
    space: 'pool-signals.eth',
    timestamp: 1_700_000_000,
    proposal: '0x' + 'ab'.repeat(32),
    choice,
    reason: '',
    app: 'poolwarden',
    metadata: '{}',
    ...over,
  }
  const types = voteTypesFor(kind)
  const sig = await ethersSignerFromViem(account)._signTypedData(SNAPSHOT_DOMAIN, structuredClone(types) as never, message)
  return { address: account.address, sig, data: { domain: { ...SNAPSHOT_DOMAIN }, types: structuredClone(types), message } }
}

describe('verifyVoteEnvelope', () => {
  it('accepts votes signed by viem accounts for each Vote type', async () => {
    for (const [kind, choice, parsed] of [
      ['vote', 2, 2],
      ['vote-array', [2, 1, 3], [2, 1, 3]],
      ['vote-string', JSON.stringify({ 1: 3, 2: 1 }), { 1: 3, 2: 1 }],
    ] as const) {
      const v = await verifyVoteEnvelope(await envelope(kind, choice))
      expect(v).toMatchObject({ ok: true, signer: alice.address, kind, choice: parsed })
    }
    expect(voteKindFor('ranked-choice')).toBe('vote-array')
    expect(voteKindFor('weighted')).toBe('vote-string')
    expect(voteKindFor('basic')).toBe('vote')
  })

  it('hashes exactly as snapshot.js (ethers) does', async () => {
    const e = await envelope('vote-array', [1, 3])
    expect(snapshot.utils.getHash(e.data as never)).toBe(
      hashTypedData({ domain: SNAPSHOT_DOMAIN, types: voteTypesFor('vote-array'), primaryType: 'Vote', message: e.data.message as never }),
    )
  })

  it('refuses forged and tampered envelopes without throwing', async () => {
    const good = await envelope('vote', 1)
    const cases: [string, unknown, RegExp][] = [
      ['tampered choice', { ...good, data: { ...good.data, message: { ...good.data.message, choice: 2 } } }, /not by/],
      ['tampered timestamp', { ...good, data: { ...good.data, message: { ...good.data.message, timestamp: 1_700_000_001 } } }, /not by/],
      ['signed by bob, claims alice', { ...(await envelope('vote', 1, bob)), address: alice.address }, /not the envelope address|not by/],
      ['bob signs a message from alice', await envelope('vote', 1, bob, { from: alice.address }), /not the envelope address/],
      ['wrong domain version', { ...good, data: { ...good.data, domain: { name: 'snapshot', version: '0.1.3' } } }, /wrong domain/],
      ['extra domain field', { ...good, data: { ...good.data, domain: { ...SNAPSHOT_DOMAIN, verifyingContract: alice.address } } }, /wrong domain/],
      ['not a Vote type', { ...good, data: { ...good.data, types: { Vote: [{ name: 'from', type: 'string' }] } } }, /not a Snapshot Vote type/],
      ['garbage signature', { ...good, sig: '0x1234' }, /does not recover|not by/],
      ['not hex', { ...good, sig: 'nope' }, /hex/],
      ['choice of the wrong type', { ...good, data: { ...good.data, message: { ...good.data.message, choice: 'x' } } }, /uint32/],
      ['unsigned extra field', { ...good, data: { ...good.data, message: { ...good.data.message, type: 'basic' } } }, /does not sign/],
      ['no envelope', null, /object/],
    ]
    for (const [name, env, err] of cases) {
      const v = await verifyVoteEnvelope(env)
      expect(v.ok, name).toBe(false)
      if (!v.ok) expect(v.error, name).toMatch(err)
    }
    expect(await signatureCheckOf(cases[0]![1])).toMatchObject({ ok: false, method: 'eoa' })
    expect(await signatureCheckOf(good)).toEqual({ ok: true, method: 'eoa' })
  })

  it('a high-s (malleated) signature of the same vote is still the signer (recovery), a different sig string', async () => {
    const good = await envelope('vote', 1)
    // Flip s to n - s and v: same signer, different bytes (why duplicates are keyed by message too).
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const r = good.sig.slice(2, 66)
    const s = BigInt('0x' + good.sig.slice(66, 130))
    const v = parseInt(good.sig.slice(130, 132), 16)
    const flipped = `0x${r}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`
    const res = await verifyVoteEnvelope({ ...good, sig: flipped })
    expect(res.ok ? res.signer : res.error).toBe(alice.address)
  })
})
