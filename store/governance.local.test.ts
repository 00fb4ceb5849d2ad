import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Store } from './db.js'
import { getReceipt, listProposals, matchProposal, type GovProposalInput } from './governance.js'
import { openTempStore } from './testing.js'

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const proposal = (n: number, over: Partial<GovProposalInput> = {}): GovProposalInput => ({
  key: `snapshot:upstream-dao.eth:0xp${n}`,
  source: 'snapshot',
  space: 'upstream-dao.eth',
  chain: null,
  governor: null,
  upstreamId: `0xp${n}`,
  type: 'single-choice',
  title: `Proposal ${n}`,
  choices: ['A', 'B'],
  start: 1_000 + n,
  end: 2_000 + n,
  snapshot: String(100 + n),
  snapshotTime: 900 + n,
  ...over,
})

describe('store.governance', () => {
  it('upserts proposals: a second sighting refreshes times and keeps the mirror and status', async () => {
    const g = store.governance
    const first = await g.upsertProposal(proposal(1), 10)
    expect(first.inserted).toBe(true)
    expect(first.proposal).toMatchObject({ status: 'seen', signalId: null, choices: ['A', 'B'], snapshotTime: 901, createdAt: 10 })
    await g.setMirror(first.proposal.key, '0xsig1', { start: 1_001, end: 1_990 }, 11)
    const again = await g.upsertProposal(proposal(1, { title: 'renamed', end: 2_500 }), 12)
    expect(again.inserted).toBe(false)
    expect(again.proposal).toMatchObject({ title: 'renamed', end: 2_500, signalId: '0xsig1', signalStart: 1_001, signalEnd: 1_990, status: 'mirrored', createdAt: 10, updatedAt: 12 })
    await expect(g.setMirror('nope', 'x', { start: 0, end: 1 })).rejects.toThrow(/no governance proposal nope/)
  })

  it('finds a proposal by key, upstream id or signalling id; lists newest end first', async () => {
    const g = store.governance
    for (const n of [1, 2, 3]) await g.upsertProposal(proposal(n))
    await g.setMirror(proposal(2).key, '0xmirror2', { start: 1, end: 5 })
    expect((await g.findProposal('0xp1'))?.key).toBe(proposal(1).key)
    expect((await g.findProposal('0xmirror2'))?.key).toBe(proposal(2).key)
    expect((await g.findProposal(proposal(3).key))?.upstreamId).toBe('0xp3')
    expect(await g.findProposal('0xunknown')).toBeUndefined()
    await g.setProposalStatus(proposal(3).key, 'closed')
    expect((await g.listProposals()).map((p) => p.upstreamId)).toEqual(['0xp3', '0xp2', '0xp1'])
    expect((await g.listProposals({ open: true, limit: 1 })).map((p) => p.upstreamId)).toEqual(['0xp2'])
  })

  it('replaces the signals of a proposal as a whole', async () => {
    const g = store.governance
    const key = (await g.upsertProposal(proposal(1))).proposal.key
    const s = (id: string, voter: string, over = {}) => ({
      voteId: id, voter, choice: { 1: 2, 2: 1 }, timestamp: 1_500, sig: '0xabc', sigOk: true, sigMethod: 'eoa' as const, status: 'counted', refusal: null, weight: '1000000000000000000000', ...over,
    })
    await g.replaceSignals(key, [s('v1', '0xa'), s('v2', '0xb', { sigOk: false, status: 'invalid-signature', refusal: 'signature is not by 0xb' })])
    expect(await g.listSignals(key)).toHaveLength(2)
    await g.replaceSignals(key, [s('v3', '0xc', { timestamp: 1_400 })])
    const now = await g.listSignals(key)
    expect(now).toEqual([s('v3', '0xc', { timestamp: 1_400 })])
  })

  it('replaces more signals than one multi-row INSERT holds: every row stored once, duplicates of a vote id kept once', async () => {
    const g = store.governance
    const key = (await g.upsertProposal(proposal(1))).proposal.key
    const rows = Array.from({ length: 1234 }, (_, i) => ({
      voteId: `v${i}`, voter: `0x${i.toString(16).padStart(40, '0')}`, choice: i % 3, timestamp: 2_000 + i, sig: null, sigOk: i % 2 === 0, sigMethod: 'eoa' as const,
      status: i % 2 === 0 ? 'counted' : 'invalid-signature', refusal: i % 2 === 0 ? null : 'bad', weight: String(i),
    }))
    await g.replaceSignals(key, [...rows, { ...rows[7]!, weight: '999' }])
    const got = await g.listSignals(key)
    expect(got).toHaveLength(1234)
    expect(got[0]).toEqual(rows[0])
    expect(got[1233]).toEqual(rows[1233])
    expect(got.find((x) => x.voteId === 'v7')!.weight).toBe('7')
    expect(got.filter((x) => x.status === 'counted')).toHaveLength(617)
  })

  it('stores tallies and serves the latest receipt by proposal id, signalling id or #tally', async () => {
    const g = store.governance
    const key = (await g.upsertProposal(proposal(1))).proposal.key
    await g.setMirror(key, '0xsig', { start: 1_000, end: 1_900 })
    const t1 = await g.addTally({ proposalKey: key, status: 'quorum-not-reached', receipt: { n: 1 }, hash: '0x01' }, 100)
    const t2 = await g.addTally({ proposalKey: key, status: 'ok', receipt: { n: 2, big: 5n }, hash: '0x02' }, 200)
    expect(t2.id).toBeGreaterThan(t1.id)
    expect((await getReceipt(store, '0xp1'))?.tally).toMatchObject({ id: t2.id, receipt: { n: 2, big: '5' }, hash: '0x02', createdAt: 200 })
    expect((await getReceipt(store, '0xsig'))?.tally.id).toBe(t2.id)
    expect((await getReceipt(store, `#${t1.id}`))?.tally.receipt).toEqual({ n: 1 })
    expect(await getReceipt(store, '#999')).toBeUndefined()
    expect(await getReceipt(store, 'nothing')).toBeUndefined()
    const listed = await listProposals(store, { limit: 5 })
    expect(listed).toHaveLength(1)
    expect(listed[0]).toMatchObject({ upstreamId: '0xp1', tallyStatus: 'ok', tallyAt: 200 })
  })

  it('matches a unique prefix of an upstream or signalling id (the short id users see), refuses ambiguous and too-short ones', async () => {
    const g = store.governance
    const A = '0x8f3a9c2e11d04b7a6c5e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e'
    const B = '0x8f3a9c2eff000000000000000000000000000000000000000000000000000001'
    await g.upsertProposal(proposal(1, { key: `snapshot:upstream-dao.eth:${A}`, upstreamId: A }))
    await g.upsertProposal(proposal(2, { key: `snapshot:upstream-dao.eth:${B}`, upstreamId: B }))
    await g.upsertProposal(proposal(3, { key: 'governor:ethereum:0xgov:1234', source: 'governor', space: null, chain: 'ethereum', upstreamId: '73519466402835113066158591338210718917' }))
    await g.setMirror(proposal(3, { key: 'governor:ethereum:0xgov:1234' }).key, '0xc0ffee77aa', { start: 1, end: 5 })
    const one = async (id: string) => {
      const m = await matchProposal(store, id)
      return m.kind === 'one' ? m.proposal.upstreamId : m.kind
    }
    expect(await one('0x8f3a9c2e11')).toBe(A)
    expect(await one('0x8F3A9C2E11')).toBe(A) // hex is case-insensitive
    expect(await one('0x8f3a9c2eff…')).toBe(B)
    expect(await one('0x8f3a9c2e')).toBe('ambiguous')
    expect(await one('7351946640…')).toBe('73519466402835113066158591338210718917')
    expect(await one('0xc0ffee')).toBe('73519466402835113066158591338210718917') // the signalling id's prefix
    expect(await one('0x8')).toBe('none') // shorter than 4 characters: never a prefix
    expect(await one('0x8f_a')).toBe('none') // LIKE wildcards are literal
    expect(await one('0xdead')).toBe('none')
    const m = await matchProposal(store, '0x8f3a')
    expect(m.kind === 'ambiguous' && m.candidates.map((p) => p.upstreamId).sort()).toEqual([A, B])
  })

  it('casts: the row exists before signing, one signed payload per key, resubmits counted', async () => {
    const g = store.governance
    const key = (await g.upsertProposal(proposal(1))).proposal.key
    const c = await g.createCast({ key: `${key}:snapshot:0`, proposalKey: key, target: 'snapshot', payload: { choice: 1 } })
    expect(c.inserted).toBe(true)
    expect(c.cast).toMatchObject({ status: 'created', envelope: null, attempts: 0, payload: { choice: 1 } })
    const again = await g.createCast({ key: `${key}:snapshot:0`, proposalKey: key, target: 'snapshot', payload: { choice: 2 } })
    expect(again).toMatchObject({ inserted: false, cast: { payload: { choice: 1 } } })
    const env = { address: '0xa', sig: '0x01', data: { message: { choice: 1 } } }
    expect((await g.markCastSigned(c.cast.key, env)).status).toBe('signed')
    // The same payload again is fine (idempotent); a different one is refused.
    expect((await g.markCastSigned(c.cast.key, env)).envelope).toEqual(env)
    await expect(g.markCastSigned(c.cast.key, { ...env, sig: '0x02' })).rejects.toThrow(/different signed payload/)
    await g.markCastSubmitted(c.cast.key)
    await g.markCastSubmitted(c.cast.key)
    await g.markCastAccepted(c.cast.key, { resultId: '0xvote' })
    expect(await g.getCast(c.cast.key)).toMatchObject({ status: 'accepted', attempts: 2, resultId: '0xvote', envelope: env })
    await g.createCast({ key: `${key}:governor:0`, proposalKey: key, target: 'governor', payload: { for: '1' } })
    await g.markCastFailed(`${key}:governor:0`, 'reverted')
    expect((await g.listCasts(key)).map((x) => [x.target, x.status])).toEqual([['snapshot', 'accepted'], ['governor', 'failed']])
    expect((await g.listCasts(key, 'governor')).map((x) => x.error)).toEqual(['reverted'])
  })

  it('notifyOnce writes one alert outbox row per key, ever', async () => {
    const g = store.governance
    const n = { key: 'gov:new:0xp1', agent: 'governor', rule: 'gov-new-proposal', subject: '0xp1', severity: 'info' as const, title: 'New proposal' }
    expect(await g.notifyOnce(n)).toBe(true)
    expect(await g.notifyOnce({ ...n, title: 'again' })).toBe(false)
    expect(await g.wasNotified(n.key)).toBe(true)
    const rows = await store.alerts.undelivered()
    expect(rows.map((r) => [r.dedupKey, r.title, r.kind])).toEqual([['gov:new:0xp1', 'New proposal', 'open']])
    expect(await store.alerts.open()).toEqual([]) // a notification is not an open condition
  })
})
