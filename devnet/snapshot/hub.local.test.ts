import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import snapshot from '@snapshot-labs/snapshot.js'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SNAPSHOT_DOMAIN, voteTypesFor, type VoteKind } from '../../governance/verify.js'
import { ethersSignerFromViem } from '../../governance/viemSigner.js'
import { startHub, type SnapshotHub } from './hub.js'

const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const bob = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
const carol = privateKeyToAccount('0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6')
const VP: Record<string, number> = { [alice.address]: 10, [bob.address]: 5.5 }

const SPACE = 'pool-signals.eth'
let hub: SnapshotHub
let dir: string
const clock = Math.floor(Date.now() / 1000)
const ids: Record<string, string> = {}

async function gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string }[] }> {
  const res = await fetch(hub.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })
  return (await res.json()) as { data?: T; errors?: { message: string }[] }
}

async function envelope(account: PrivateKeyAccount, kind: VoteKind, over: Record<string, unknown>) {
  const message = { from: account.address, space: SPACE, timestamp: clock, proposal: ids.basic, choice: 1, reason: '', app: 'test', metadata: '{}', ...over }
  const sig = await account.signTypedData({ domain: SNAPSHOT_DOMAIN, types: voteTypesFor(kind), primaryType: 'Vote', message: message as never })
  return { address: account.address, sig, data: { domain: SNAPSHOT_DOMAIN, types: voteTypesFor(kind), message } }
}

async function post(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(hub.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** snapshot.js Client712 voting through the hub (the path the pool's own votes take). */
function clientVote(account: PrivateKeyAccount, message: Record<string, unknown>) {
  const client = new snapshot.Client712(hub.url)
  return client.vote(ethersSignerFromViem(account) as never, account.address, { space: SPACE, reason: '', app: 'poolwarden', timestamp: clock, ...message } as never)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-'))
  hub = await startHub({ dbPath: join(dir, 'hub.sqlite'), now: () => clock, vp: ({ voter }) => VP[voter] ?? 0 })
  await hub.createSpace({ id: SPACE, name: 'Pool signals', symbol: 'PWS', network: '31337' })
  await hub.createSpace({ id: 'upstream.eth', name: 'Upstream DAO' })
  const base = { space: SPACE, author: alice.address, start: clock - 100, end: clock + 3600, snapshot: 123 }
  ids.basic = (await hub.createProposal({ ...base, title: 'basic', type: 'basic', choices: ['For', 'Against', 'Abstain'], created: clock - 300 })).id
  ids.weighted = (await hub.createProposal({ ...base, title: 'weighted', type: 'weighted', choices: ['a', 'b', 'c'], created: clock - 200 })).id
  ids.ranked = (await hub.createProposal({ ...base, title: 'ranked', type: 'ranked-choice', choices: ['a', 'b', 'c'], created: clock - 100 })).id
  ids.closed = (await hub.createProposal({ ...base, title: 'closed', type: 'single-choice', choices: ['a', 'b'], start: clock - 7200, end: clock - 3600, created: clock - 7200 })).id
  ids.upstream = (await hub.createProposal({ ...base, space: 'upstream.eth', title: 'up', type: 'approval', choices: ['a', 'b'], created: clock - 50 })).id
})

afterAll(async () => {
  await hub?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('local Snapshot hub: sequencer via snapshot.js Client712', () => {
  it('a vote sent through Client712 lands and the GraphQL votes query returns it', async () => {
    const receipt = (await clientVote(alice, { proposal: ids.basic, type: 'basic', choice: 2, reason: 'no' })) as Record<string, unknown>
    expect(receipt).toMatchObject({ id: expect.stringMatching(/^0x[0-9a-f]{64}$/), ipfs: expect.any(String), relayer: { address: expect.any(String) } })
    const { data } = await gql<{ votes: Record<string, unknown>[] }>(
      `query Votes($p: String!) { votes(first: 10, skip: 0, where: { proposal: $p }, orderBy: "created", orderDirection: desc) {
         id ipfs voter vp created choice reason app space { id } proposal { id type choices scores scores_total votes } } }`,
      { p: ids.basic },
    )
    expect(data!.votes).toEqual([
      {
        id: receipt.id,
        ipfs: receipt.ipfs,
        voter: alice.address,
        vp: 10,
        created: clock,
        choice: 2,
        reason: 'no',
        app: 'poolwarden',
        space: { id: SPACE },
        proposal: { id: ids.basic, type: 'basic', choices: ['For', 'Against', 'Abstain'], scores: [0, 10, 0], scores_total: 10, votes: 1 },
      },
    ])
  })

  it('weighted (vote-string) and ranked-choice (vote-array) votes go through Client712 too', async () => {
    await clientVote(bob, { proposal: ids.weighted, type: 'weighted', choice: { 1: 1, 3: 3 } })
    await clientVote(bob, { proposal: ids.ranked, type: 'ranked-choice', choice: [3, 1, 2] })
    const { data } = await gql<{ votes: { choice: unknown; proposal: { id: string; scores: number[] } }[] }>(
      `{ votes(where: { voter: "${bob.address}" }, orderBy: "created") { choice proposal { id scores } } }`,
    )
    const byProposal = Object.fromEntries(data!.votes.map((v) => [v.proposal.id, v]))
    expect(byProposal[ids.weighted!]).toEqual({ choice: { 1: 1, 3: 3 }, proposal: { id: ids.weighted, scores: [1.375, 0, 4.125] } })
    expect(byProposal[ids.ranked!]!.choice).toEqual([3, 1, 2])
  })

  it('refuses invalid choice, zero voting power and a closed proposal with the hub error shape', async () => {
    await expect(clientVote(alice, { proposal: ids.basic, type: 'basic', choice: 4 })).rejects.toEqual({ error: 'client_error', error_description: 'invalid choice' })
    await expect(clientVote(alice, { proposal: ids.ranked, type: 'ranked-choice', choice: [1, 2] })).rejects.toEqual({ error: 'client_error', error_description: 'invalid choice' })
    await expect(clientVote(carol, { proposal: ids.basic, type: 'basic', choice: 1 })).rejects.toEqual({ error: 'client_error', error_description: 'no voting power' })
    await expect(clientVote(alice, { proposal: ids.closed, type: 'single-choice', choice: 1 })).rejects.toEqual({ error: 'client_error', error_description: 'not in voting window' })
  })

  it('refuses forged and tampered messages, wrong domain/types/from/timestamp, unknown space/proposal', async () => {
    const good = await envelope(bob, 'vote', { choice: 3 })
    const cases: [string, unknown, string][] = [
      ['tampered choice', { ...good, data: { ...good.data, message: { ...good.data.message, choice: 1 } } }, 'signature validation failed'],
      ['forged: bob signs as alice', { ...(await envelope(bob, 'vote', { from: alice.address })), address: alice.address }, 'signature validation failed'],
      ['address is not from', { ...good, address: alice.address }, 'wrong from'],
      ['wrong domain', { ...good, data: { ...good.data, domain: { name: 'snapshot', version: '0.1.3' } } }, 'wrong domain'],
      ['wrong types', { ...good, data: { ...good.data, types: { Vote: [{ name: 'from', type: 'string' }] } } }, 'wrong types'],
      ['too old', await envelope(bob, 'vote', { timestamp: clock - 4 * 24 * 3600 }), 'wrong timestamp'],
      ['too far ahead', await envelope(bob, 'vote', { timestamp: clock + 301 }), 'wrong timestamp'],
      ['unknown space', await envelope(bob, 'vote', { space: 'nope.eth' }), 'unknown space'],
      ['unknown proposal', await envelope(bob, 'vote', { proposal: '0x' + '00'.repeat(32) }), 'unknown proposal'],
      ['proposal of another space', await envelope(bob, 'vote-array', { proposal: ids.upstream, choice: [1] }), 'unknown proposal'],
      ['not an envelope', { hello: 1 }, 'wrong envelope format'],
    ]
    for (const [name, body, error] of cases) {
      const res = await post(body)
      expect({ name, ...res }).toEqual({ name, status: 400, body: { error: 'client_error', error_description: error } })
    }
    expect(await hub.listVotes(ids.basic!)).toHaveLength(1) // only alice's from the first test
  })

  it('refuses a duplicate (same message, or the same message with a malleated signature)', async () => {
    const e = await envelope(bob, 'vote', { choice: 1, timestamp: clock - 10 })
    expect((await post(e)).status).toBe(200)
    expect(await post(e)).toEqual({ status: 400, body: { error: 'client_error', error_description: 'duplicate message' } })
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
    const s = BigInt('0x' + e.sig.slice(66, 130))
    const v = parseInt(e.sig.slice(130, 132), 16)
    const malleated = `${e.sig.slice(0, 66)}${(n - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`
    expect((await post({ ...e, sig: malleated })).body).toEqual({ error: 'client_error', error_description: 'duplicate message' })
  })

  it('a later revote replaces the earlier one; an older one is refused', async () => {
    const first = await envelope(bob, 'vote', { choice: 2, timestamp: clock - 5 })
    expect((await post(first)).status).toBe(200)
    const older = await envelope(bob, 'vote', { choice: 3, timestamp: clock - 20 })
    expect((await post(older)).body).toEqual({ error: 'client_error', error_description: 'already voted at later time' })
    const votes = await hub.listVotes(ids.basic!)
    expect(votes.filter((x) => x.voter === bob.address).map((x) => x.choice)).toEqual([2])
    const p = await hub.getProposal(ids.basic!)
    expect(p!.scores).toEqual([0, 15.5, 0])
    expect(p!.votes).toBe(2)
  })
})

describe('local Snapshot hub: GraphQL', () => {
  it('space, proposal and proposals with space_in / state filters, paging and ordering', async () => {
    const { data } = await gql<{ space: unknown; proposal: unknown; active: { id: string }[]; closed: { id: string }[]; page: { title: string }[]; asc: { title: string }[] }>(`{
      space(id: "${SPACE}") { id name symbol network proposalsCount }
      proposal(id: "${ids.basic}") { id title body choices start end snapshot state type author created space { id } }
      active: proposals(where: { space_in: ["${SPACE}"], state: "active" }) { id }
      closed: proposals(where: { space: "${SPACE}", state: "closed" }) { id }
      page: proposals(first: 2, skip: 1, where: { space_in: ["${SPACE}", "upstream.eth"] }, orderBy: "created", orderDirection: desc) { title }
      asc: proposals(first: 2, where: { space: "${SPACE}" }, orderBy: "created", orderDirection: asc) { title }
    }`)
    expect(data!.space).toEqual({ id: SPACE, name: 'Pool signals', symbol: 'PWS', network: '31337', proposalsCount: 4 })
    expect(data!.proposal).toEqual({
      id: ids.basic, title: 'basic', body: '', choices: ['For', 'Against', 'Abstain'], start: clock - 100, end: clock + 3600,
      snapshot: '123', state: 'active', type: 'basic', author: alice.address, created: clock - 300, space: { id: SPACE },
    })
    expect(data!.active.map((p) => p.id).sort()).toEqual([ids.basic, ids.weighted, ids.ranked].sort())
    expect(data!.closed).toEqual([{ id: ids.closed }])
    expect(data!.page.map((p) => p.title)).toEqual(['ranked', 'weighted'])
    expect(data!.asc.map((p) => p.title)).toEqual(['closed', 'basic'])
  })

  it('votes paginate with first/skip in created order', async () => {
    const all = await gql<{ votes: { voter: string; created: number }[] }>(`{ votes(first: 1000, where: { space: "${SPACE}" }, orderBy: "created", orderDirection: asc) { voter created } }`)
    const pages: unknown[] = []
    for (let skip = 0; ; skip += 2) {
      const { data } = await gql<{ votes: unknown[] }>(`query($s: Int) { votes(first: 2, skip: $s, where: { space: "${SPACE}" }, orderBy: "created", orderDirection: asc) { voter created } }`, { s: skip })
      pages.push(...data!.votes)
      if (data!.votes.length < 2) break
    }
    expect(pages).toEqual(all.data!.votes)
    const created = all.data!.votes.map((v) => v.created)
    expect(created).toEqual([...created].sort((a, b) => a - b))
  })

  it('answers GraphQL errors for unknown fields and out-of-range paging', async () => {
    expect((await gql('{ proposals { nope } }')).errors![0]!.message).toMatch(/nope/)
    expect((await gql('{ votes(first: 5000) { id } }')).errors![0]!.message).toMatch(/first/)
    const res = await fetch(hub.graphqlUrl, { method: 'POST', body: 'not json' })
    expect(res.status).toBe(400)
  })
})
