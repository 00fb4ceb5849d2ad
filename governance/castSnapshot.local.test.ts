import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isRetryable } from '../core/errors.js'
import { startHub, type SnapshotHub } from '../devnet/snapshot/hub.js'
import type { Store } from '../store/index.js'
import { openTempStore } from '../store/testing.js'
import { castSnapshotVote, envelopeId, SnapshotVoteRefusedError, type CastSnapshotArgs } from './castSnapshot.js'
import { verifyVoteEnvelope, type VoteEnvelope } from './verify.js'

const SPACE = 'upstream-dao.eth'
const clock = Math.floor(Date.now() / 1000)
const pool = privateKeyToAccount(generatePrivateKey())
const powerless = privateKeyToAccount(generatePrivateKey())
let hub: SnapshotHub
let proposal: string
let store: Store
let cleanup: () => Promise<void>

beforeEach(async () => {
  hub = await startHub({ dbPath: ':memory:', now: () => clock, vp: ({ voter }) => (voter === powerless.address ? 0 : 1) })
  await hub.createSpace({ id: SPACE })
  proposal = (await hub.createProposal({ space: SPACE, author: pool.address, title: 'p', start: clock - 100, end: clock + 1000, snapshot: 1, type: 'weighted', choices: ['a', 'b', 'c'] })).id
})
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  await store.governance.upsertProposal({ key: 'k', source: 'snapshot', space: SPACE, chain: null, governor: null, upstreamId: proposal, type: 'weighted', title: 'p', choices: ['a', 'b', 'c'], start: clock - 100, end: clock + 1000, snapshot: '1', snapshotTime: null })
})
afterEach(async () => {
  await hub.close()
  await cleanup()
})

const args = (over: Partial<CastSnapshotArgs> = {}): CastSnapshotArgs => ({
  governance: store.governance,
  sequencerUrl: hub.url,
  account: pool,
  key: 'k:snapshot:0',
  proposalKey: 'k',
  vote: { space: SPACE, proposal, type: 'weighted', choice: { 1: 600_000, 2: 400_000 }, timestamp: clock },
  ...over,
})
const poolVotes = async (who = pool.address) => (await hub.listVotes(proposal)).filter((v) => v.voter === who)

describe('castSnapshotVote', () => {
  it('signs through Client712, stores the envelope, lands once; the same key never votes again', async () => {
    const r = await castSnapshotVote(args())
    expect(r).toMatchObject({ resumed: false, duplicate: false })
    expect(r.id).toBe(envelopeId(r.envelope))
    expect(await verifyVoteEnvelope(r.envelope)).toMatchObject({ ok: true, signer: pool.address, choice: { 1: 600_000, 2: 400_000 } })
    expect((await poolVotes()).map((v) => [v.id, v.choice])).toEqual([[r.id, { 1: 600_000, 2: 400_000 }]])
    // Same key, even with another vote asked: the stored cast is the answer, nothing is signed or sent.
    const again = await castSnapshotVote(args({ vote: { ...args().vote, choice: { 3: 1 } } }))
    expect(again).toMatchObject({ id: r.id, resumed: true })
    expect((await poolVotes()).map((v) => v.id)).toEqual([r.id])
    expect(await store.governance.getCast('k:snapshot:0')).toMatchObject({ status: 'accepted', attempts: 1, resultId: r.id })
  })

  it('killed after signing: the stored envelope is resubmitted, never signed again', async () => {
    await expect(castSnapshotVote(args({ afterSign: () => Promise.reject(new Error('SIGKILL')) }))).rejects.toThrow('SIGKILL')
    const signed = (await store.governance.getCast('k:snapshot:0'))!
    expect(signed.status).toBe('signed')
    expect(await poolVotes()).toEqual([])
    const r = await castSnapshotVote(args())
    expect(r).toMatchObject({ resumed: true, duplicate: false })
    expect(r.envelope).toEqual(signed.envelope)
    expect((await poolVotes()).map((v) => v.sig)).toEqual([(signed.envelope as VoteEnvelope).sig])
  })

  it('sequencer 5xx / 429: retryable, the row keeps its signed payload; the retry sends exactly it', async () => {
    let hits = 0
    hub.setFault(({ path }) => (path === '/' && hits++ < 2 ? { status: hits === 1 ? 503 : 429, body: hits === 1 ? { error: 'server_error', error_description: 'down' } : { error: 'too many requests' } } : undefined))
    const e1 = await castSnapshotVote(args()).catch((e: unknown) => e)
    expect(isRetryable(e1)).toBe(true)
    const e2 = await castSnapshotVote(args()).catch((e: unknown) => e)
    expect(isRetryable(e2)).toBe(true)
    const before = (await store.governance.getCast('k:snapshot:0'))!
    expect(before).toMatchObject({ status: 'submitted', attempts: 2 })
    const r = await castSnapshotVote(args())
    expect(r.envelope).toEqual(before.envelope)
    expect(await store.governance.getCast('k:snapshot:0')).toMatchObject({ status: 'accepted', attempts: 3 })
  })

  it('a refusal (no voting power) fails the cast for good; it is not resent', async () => {
    const e = await castSnapshotVote(args({ account: powerless })).catch((err: unknown) => err)
    expect(e).toBeInstanceOf(SnapshotVoteRefusedError)
    expect(String((e as Error).message)).toContain('no voting power')
    expect(await store.governance.getCast('k:snapshot:0')).toMatchObject({ status: 'failed', error: 'no voting power' })
    await expect(castSnapshotVote(args({ account: powerless }))).rejects.toThrow(/failed before/)
    expect(await poolVotes(powerless.address)).toEqual([])
  })

  it('a cast recorded before a crash but never signed is signed with a fresh timestamp, not the stale recorded one', async () => {
    const stale = clock - 4 * 86_400 // outside the hub's 3-day window
    await store.governance.createCast({ key: 'k:snapshot:0', proposalKey: 'k', target: 'snapshot', payload: { ...args().vote, reason: '', app: 'poolwarden', timestamp: stale } })
    const r = await castSnapshotVote(args({ now: () => clock, notBefore: clock - 10 }))
    expect(r.envelope.data.message.timestamp).toBe(clock)
    expect((await poolVotes()).map((v) => v.created)).toEqual([clock])
    expect(await store.governance.getCast('k:snapshot:0')).toMatchObject({ status: 'accepted', payload: expect.objectContaining({ timestamp: clock }) })
  })

  it('a signed vote the hub refuses for its date fails as retryable (fresh); the vote signed anew under the next key lands', async () => {
    const stale = clock - 4 * 86_400
    const e = await castSnapshotVote(args({ vote: { ...args().vote, timestamp: stale } })).catch((err: unknown) => err)
    expect(e).toBeInstanceOf(SnapshotVoteRefusedError)
    expect((e as SnapshotVoteRefusedError).fresh).toBe(true)
    expect(await store.governance.getCast('k:snapshot:0')).toMatchObject({ status: 'failed', error: 'wrong timestamp', retryable: true })
    const r = await castSnapshotVote(args({ key: 'k:snapshot:1', vote: { ...args().vote, timestamp: clock } }))
    expect(r.envelope.data.message.timestamp).toBe(clock)
    expect(await poolVotes()).toHaveLength(1)
    // A refusal of another kind is final and not marked retryable.
    await castSnapshotVote(args({ key: 'k:snapshot:2', account: powerless })).catch(() => undefined)
    expect(await store.governance.getCast('k:snapshot:2')).toMatchObject({ status: 'failed', retryable: false })
  })
})
