import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import snapshot from '@snapshot-labs/snapshot.js'
import { hashTypedData, recoverTypedDataAddress, type Hex } from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SNAPSHOT_DOMAIN, verifyVoteEnvelope, voteTypesFor } from '../../governance/verify.js'
import { ethersSignerFromViem } from '../../governance/viemSigner.js'
import { PROPOSAL_TYPES, startHub, type SnapshotHub } from './hub.js'

const pool = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const bob = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
const owner = privateKeyToAccount('0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6')
/** A "contract wallet" address whose EIP-1271 check accepts its owner's signatures. */
const WALLET = '0x00000000000000000000000000000000000C0DE1' as const

const SIGNALS = 'signals.eth'
const OPEN = 'open.eth'
const STRICT = 'strict.eth'
const clock = Math.floor(Date.now() / 1000)
const BLOCK = 500
let hub: SnapshotHub
let dir: string

function proposalMessage(over: Record<string, unknown> = {}) {
  return {
    space: SIGNALS,
    type: 'single-choice',
    title: 'Mirror: raise the fee',
    body: 'mirrored from upstream',
    discussion: '',
    choices: ['Yes', 'No', 'Abstain'],
    start: clock - 10,
    end: clock + 600,
    snapshot: BLOCK - 1,
    plugins: '{}',
    app: 'poolwarden',
    timestamp: clock,
    ...over,
  }
}

/** snapshot.js Client712.proposal, as the governor agent calls it. */
function propose(account: PrivateKeyAccount, over: Record<string, unknown> = {}) {
  return new snapshot.Client712(hub.url).proposal(ethersSignerFromViem(account) as never, account.address, proposalMessage(over) as never) as Promise<{ id: string; ipfs: string }>
}

const refusal = (error_description: string) => ({ error: 'client_error', error_description })

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-proposals-'))
  hub = await startHub({
    dbPath: join(dir, 'hub.sqlite'),
    now: () => clock,
    blockNumber: async (network) => (network === '31337' ? BLOCK : Promise.reject(new Error('unknown network'))),
    contractSignature: async ({ address, hash, sig }) => {
      if (address.toLowerCase() !== WALLET.toLowerCase()) return undefined
      return (await recoverTypedDataAddressOfHash(hash, sig)) === owner.address
    },
    devnetApi: true,
  })
  await hub.createSpace({ id: SIGNALS, network: '31337', symbol: 'pwSHARE', admins: [pool.address], onlyMembers: true })
  await hub.createSpace({ id: OPEN, network: '31337' })
  await hub.createSpace({ id: STRICT, network: '31337', voting: { delay: 60, period: 3600, type: 'approval' } })
})

afterAll(async () => {
  await hub?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** ecrecover of a raw digest (what a minimal EIP-1271 wallet does with its owner's signature). */
async function recoverTypedDataAddressOfHash(hash: Hex, sig: Hex): Promise<string> {
  const { recoverAddress } = await import('viem')
  return recoverAddress({ hash, signature: sig })
}

describe('local hub: signed Proposal messages (Client712.proposal)', () => {
  it('an admin of an onlyMembers space proposes; the proposal is served with the message hash as id; the envelope re-verifies', async () => {
    const receipt = await propose(pool)
    const message = { ...proposalMessage(), from: pool.address, labels: [], privacy: '' }
    expect(receipt.id).toBe(hashTypedData({ domain: SNAPSHOT_DOMAIN, types: PROPOSAL_TYPES, primaryType: 'Proposal', message: message as never }))
    const res = await fetch(hub.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ proposal(id: "${receipt.id}") { id ipfs author title choices type start end snapshot state app created space { id } } }` }),
    })
    const { data } = (await res.json()) as { data: { proposal: Record<string, unknown> } }
    expect(data.proposal).toEqual({
      id: receipt.id, ipfs: receipt.ipfs, author: pool.address, title: 'Mirror: raise the fee', choices: ['Yes', 'No', 'Abstain'],
      type: 'single-choice', start: clock - 10, end: clock + 600, snapshot: String(BLOCK - 1), state: 'active', app: 'poolwarden',
      created: clock, space: { id: SIGNALS },
    })
    const envelope = (await (await fetch(`${hub.url}/ipfs/${receipt.ipfs}`)).json()) as { address: string; sig: Hex; data: { message: typeof message } }
    expect(envelope.address).toBe(pool.address)
    expect(await recoverTypedDataAddress({ domain: SNAPSHOT_DOMAIN, types: PROPOSAL_TYPES, primaryType: 'Proposal', message: envelope.data.message as never, signature: envelope.sig })).toBe(pool.address)
    expect((await fetch(`${hub.url}/ipfs/bafkreinope`)).status).toBe(404)
  })

  it('a delegator can vote on the signed proposal through Client712', async () => {
    const { id } = await propose(pool, { title: 'votable' })
    const client = new snapshot.Client712(hub.url)
    await client.vote(ethersSignerFromViem(bob) as never, bob.address, { space: SIGNALS, proposal: id, type: 'single-choice', choice: 2, timestamp: clock } as never)
    expect((await hub.listVotes(id)).map((v) => [v.voter, v.choice])).toEqual([[bob.address, 2]])
  })

  it('refuses what the sequencer refuses, with its error strings', async () => {
    const cases: [string, Promise<unknown>, string][] = [
      ['not an author of an onlyMembers space', propose(bob, { title: 'bob' }), 'only space authors can propose'],
      ['ended', propose(pool, { title: 'old', start: clock - 7200, end: clock - 1 }), 'proposal end date must be in the future'],
      ['basic with 4 choices', propose(pool, { title: 'b4', type: 'basic', choices: ['a', 'b', 'c', 'd'] }), 'wrong choices for basic type voting'],
      ['end before start', propose(pool, { title: 'rev', start: clock + 700, end: clock + 600 }), 'wrong proposal period'],
      ['empty title', propose(pool, { title: '' }), 'wrong proposal format'],
      ['no choices', propose(pool, { title: 'none', choices: [] }), 'wrong proposal format'],
      ['empty choice', propose(pool, { title: 'emptych', choices: ['a', ''] }), 'wrong proposal format'],
      ['unknown type', propose(pool, { title: 'custom', type: 'custom' }), 'wrong proposal format'],
      ['start out of range', propose(pool, { title: 'range', start: 5, end: clock + 60 }), 'wrong proposal format'],
      ['app too long', propose(pool, { title: 'app', app: 'x'.repeat(25) }), 'wrong proposal format'],
      ['discussion not a url', propose(pool, { title: 'disc', discussion: 'see forum' }), 'wrong proposal format'],
      ['snapshot in the future', propose(pool, { title: 'snap', snapshot: BLOCK + 1 }), 'proposal snapshot must be in past'],
      ['timestamp too far ahead', propose(pool, { title: 'ts', timestamp: clock + 301 }), 'wrong timestamp'],
      ['unknown space', propose(pool, { title: 'sp', space: 'nope.eth' }), 'unknown space'],
      ['space voting delay', propose(pool, { title: 'd', space: STRICT, type: 'approval', start: clock + 30, end: clock + 3630 }), 'invalid voting delay'],
      ['space voting period', propose(pool, { title: 'p', space: STRICT, type: 'approval', start: clock + 60, end: clock + 600 }), 'invalid voting period'],
      ['space voting type', propose(pool, { title: 't', space: STRICT, type: 'weighted', start: clock + 60, end: clock + 3660 }), 'invalid voting type'],
    ]
    for (const [name, p, error] of cases) {
      await expect(p.then(() => 'accepted', (e: unknown) => e), name).resolves.toEqual(refusal(error))
    }
    // The same rules accept a proposal that follows them, from anyone in an open space.
    await expect(propose(bob, { title: 'ok strict', space: STRICT, type: 'approval', start: clock + 60, end: clock + 3660 })).resolves.toMatchObject({ id: expect.any(String) })
    await expect(propose(bob, { title: 'ok open', space: OPEN })).resolves.toMatchObject({ id: expect.any(String) })
  })

  it('serves the spaces\' proposal settings (filters.onlyMembers, voting) in GraphQL', async () => {
    const res = await fetch(hub.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ a: space(id: "${SIGNALS}") { admins filters { onlyMembers } voting { delay period type } } b: space(id: "${STRICT}") { filters { onlyMembers } voting { delay period type } } }` }),
    })
    const { data } = (await res.json()) as { data: unknown }
    expect(data).toEqual({
      a: { admins: [pool.address], filters: { onlyMembers: true }, voting: { delay: null, period: null, type: null } },
      b: { filters: { onlyMembers: false }, voting: { delay: 60, period: 3600, type: 'approval' } },
    })
  })

  it('refuses a tampered message, a forged author and a duplicate', async () => {
    const message = { ...proposalMessage({ title: 'dup' }), from: pool.address, labels: [], privacy: '' }
    const sig = await pool.signTypedData({ domain: SNAPSHOT_DOMAIN, types: PROPOSAL_TYPES, primaryType: 'Proposal', message: message as never })
    const envelope = { address: pool.address, sig, data: { domain: SNAPSHOT_DOMAIN, types: PROPOSAL_TYPES, message } }
    const post = async (body: unknown) => {
      const r = await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: r.status, body: (await r.json()) as unknown }
    }
    expect(await post({ ...envelope, data: { ...envelope.data, message: { ...message, end: clock + 601 } } })).toEqual({ status: 400, body: refusal('signature validation failed') })
    const bobSig = await bob.signTypedData({ domain: SNAPSHOT_DOMAIN, types: PROPOSAL_TYPES, primaryType: 'Proposal', message: message as never })
    expect(await post({ ...envelope, sig: bobSig })).toEqual({ status: 400, body: refusal('signature validation failed') })
    expect((await post(envelope)).status).toBe(200)
    expect(await post(envelope)).toEqual({ status: 400, body: refusal('duplicate message') })
  })

  it('accepts a contract signer through the EIP-1271 hook (proposal and vote), and nothing else for it', async () => {
    const message = { ...proposalMessage({ title: 'by contract', space: OPEN }), from: WALLET, labels: [], privacy: '' }
    const sig = await owner.signTypedData({ domain: SNAPSHOT_DOMAIN, types: PROPOSAL_TYPES, primaryType: 'Proposal', message: message as never })
    const post = async (body: unknown) => {
      const r = await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: r.status, body: (await r.json()) as Record<string, unknown> }
    }
    const ok = await post({ address: WALLET, sig, data: { domain: SNAPSHOT_DOMAIN, types: PROPOSAL_TYPES, message } })
    expect(ok.status).toBe(200)
    const proposalId = ok.body.id as string
    const vote = { from: WALLET, space: OPEN, timestamp: clock, proposal: proposalId, choice: 1, reason: '', app: '', metadata: '{}' }
    const bySig = async (a: PrivateKeyAccount) => a.signTypedData({ domain: SNAPSHOT_DOMAIN, types: voteTypesFor('vote'), primaryType: 'Vote', message: vote })
    expect((await post({ address: WALLET, sig: await bySig(bob), data: { domain: SNAPSHOT_DOMAIN, types: voteTypesFor('vote'), message: vote } })).body).toEqual(refusal('signature validation failed'))
    expect((await post({ address: WALLET, sig: await bySig(owner), data: { domain: SNAPSHOT_DOMAIN, types: voteTypesFor('vote'), message: vote } })).status).toBe(200)
    expect((await hub.listVotes(proposalId)).map((v) => v.voter.toLowerCase())).toEqual([WALLET.toLowerCase()])
  })
})

describe('local hub: test hooks (injectVote, /_devnet routes)', () => {
  it('injectVote stores a forged vote as given; the reconstructed envelope fails re-verification; it replaces the voter\'s vote', async () => {
    const { id: proposal } = await propose(pool, { title: 'inject', type: 'weighted', choices: ['a', 'b'] })
    const forgedSig = await bob.signTypedData({
      domain: SNAPSHOT_DOMAIN, types: voteTypesFor('vote-string'), primaryType: 'Vote',
      message: { from: owner.address, space: SIGNALS, timestamp: clock, proposal, choice: '{"1":1}', reason: '', app: '', metadata: '{}' },
    })
    const v = await hub.injectVote({ voter: owner.address, proposal, choice: { 1: 1 }, created: clock, sig: forgedSig })
    const envelope = await hub.getEnvelope(v.ipfs)
    const check = await verifyVoteEnvelope(envelope)
    expect(check).toEqual({ ok: false, error: `signature is not by ${owner.address}` })
    // outside the window and an invalid choice: stored anyway
    const late = await hub.injectVote({ voter: owner.address, proposal, choice: { 7: 1 }, created: clock + 10_000, sig: forgedSig })
    expect((await hub.listVotes(proposal)).map((x) => [x.id, x.choice, x.created, x.sig])).toEqual([[late.id, { 7: 1 }, clock + 10_000, forgedSig]])
  })

  it('the /_devnet routes create spaces and proposals and inject votes over HTTP', async () => {
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${hub.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      return { status: r.status, body: (await r.json()) as Record<string, unknown> }
    }
    expect((await post('/_devnet/space', { id: 'http.eth', network: '31337' })).status).toBe(200)
    const p = await post('/_devnet/proposal', { space: 'http.eth', author: pool.address, title: 'x', choices: ['a', 'b'], type: 'basic', start: clock, end: clock + 60, snapshot: 1 })
    expect(p.status).toBe(200)
    const v = await post('/_devnet/vote', { voter: bob.address, proposal: p.body.id, choice: 9, sig: '0x1234' })
    expect(v.body).toMatchObject({ voter: bob.address, choice: 9, sig: '0x1234' })
    expect(await post('/_devnet/vote', { voter: bob.address, proposal: '0xnope', choice: 1 })).toEqual({ status: 400, body: refusal('unknown proposal 0xnope') })
  })

  it('the /_devnet routes are not served unless devnetApi is on', async () => {
    const plain = await startHub({ dbPath: ':memory:' })
    try {
      const r = await fetch(`${plain.url}/_devnet/space`, { method: 'POST', body: JSON.stringify({ id: 'x.eth' }) })
      expect(r.status).toBe(404)
    } finally {
      await plain.close()
    }
  })
})
