import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startHub, type SnapshotHub } from '../devnet/snapshot/hub.js'
import { HubResponseError, HubUnavailableError } from './errors.js'
import { isRetryable } from '../core/errors.js'
import { createSnapshotClient } from './snapshotClient.js'
import { SNAPSHOT_DOMAIN, voteTypesFor } from './verify.js'

const SPACE = 'pool-signals.eth'
const clock = Math.floor(Date.now() / 1000)
let hub: SnapshotHub
let proposalId: string
const voters = Array.from({ length: 11 }, () => privateKeyToAccount(generatePrivateKey()))

beforeAll(async () => {
  hub = await startHub({ dbPath: ':memory:', now: () => clock })
  await hub.createSpace({ id: SPACE, name: 'Pool signals' })
  const base = { space: SPACE, author: voters[0]!.address, start: clock - 1000, end: clock + 1000, snapshot: 1, type: 'single-choice', choices: ['a', 'b'] }
  proposalId = (await hub.createProposal({ ...base, title: 'one', created: clock - 30 })).id
  await hub.createProposal({ ...base, title: 'two', created: clock - 20 })
  await hub.createProposal({ ...base, title: 'closed', start: clock - 5000, end: clock - 4000, created: clock - 5000 })
  // Votes at few distinct timestamps, so pages end inside runs of equal `created`.
  for (const [i, v] of voters.entries()) {
    const message = { from: v.address, space: SPACE, timestamp: clock - 100 + Math.floor(i / 4), proposal: proposalId, choice: 1 + (i % 2), reason: '', app: '', metadata: '{}' }
    const sig = await v.signTypedData({ domain: SNAPSHOT_DOMAIN, types: voteTypesFor('vote'), primaryType: 'Vote', message })
    const res = await fetch(hub.url, { method: 'POST', body: JSON.stringify({ address: v.address, sig, data: { domain: SNAPSHOT_DOMAIN, types: voteTypesFor('vote'), message } }) })
    expect(res.status).toBe(200)
  }
})

afterAll(async () => {
  await hub?.close()
})

describe('Snapshot hub client', () => {
  const fast = { backoffMs: () => 5 }

  it('reads space, proposal, proposals with filters', async () => {
    const c = createSnapshotClient({ graphqlUrl: hub.graphqlUrl, ...fast })
    expect(await c.space(SPACE)).toMatchObject({ id: SPACE, name: 'Pool signals' })
    expect(await c.space('nope.eth')).toBeNull()
    expect(await c.proposal(proposalId)).toMatchObject({ id: proposalId, title: 'one', state: 'active', choices: ['a', 'b'], space: { id: SPACE }, snapshot: '1' })
    expect((await c.proposals({ spaces: [SPACE], state: 'active' })).map((p) => p.title)).toEqual(['two', 'one'])
    expect((await c.proposals({ spaces: [SPACE], state: 'closed' })).map((p) => p.title)).toEqual(['closed'])
    expect((await c.proposals({ spaces: [SPACE], first: 1, skip: 1, orderDirection: 'asc' })).map((p) => p.title)).toEqual(['one'])
  })

  it('reads every vote across pages, also when a page ends inside equal timestamps', async () => {
    const c = createSnapshotClient({ graphqlUrl: hub.graphqlUrl, ...fast })
    for (const pageSize of [1, 3, 4, 5, 1000]) {
      const votes = await c.votes(proposalId, { pageSize })
      expect(votes.map((v) => v.voter).sort()).toEqual(voters.map((v) => v.address).sort())
      expect(votes.map((v) => v.created)).toEqual([...votes.map((v) => v.created)].sort((a, b) => a - b))
    }
  })

  it('backs off and retries on 429, then succeeds', async () => {
    let refused = 0
    hub.setFault(({ path }) => (path === '/graphql' && refused++ < 2 ? { status: 429, body: { error: 'too many requests' }, headers: { 'retry-after': '0' } } : undefined))
    try {
      const c = createSnapshotClient({ graphqlUrl: hub.graphqlUrl, ...fast })
      expect(await c.space(SPACE)).toMatchObject({ id: SPACE })
      expect(c.requests).toBe(3)
    } finally {
      hub.setFault(undefined)
    }
  })

  it('gives up on a hub that keeps saying 429 with a retryable error', async () => {
    hub.setFault(() => ({ status: 429, body: {} }))
    try {
      const c = createSnapshotClient({ graphqlUrl: hub.graphqlUrl, maxRetries: 2, ...fast })
      const err = await c.space(SPACE).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(HubUnavailableError)
      expect(isRetryable(err)).toBe(true)
      expect(c.requests).toBe(3)
    } finally {
      hub.setFault(undefined)
    }
  })

  it('refuses malformed responses and GraphQL errors with a clear, non-retryable error', async () => {
    const c = createSnapshotClient({ graphqlUrl: hub.graphqlUrl, ...fast })
    hub.setFault(() => ({ status: 200, body: { data: { proposals: [{ id: 'x', title: 't', choices: 'a,b' }] } } }))
    try {
      const err = (await c.proposals().catch((e: unknown) => e)) as HubResponseError
      expect(err).toBeInstanceOf(HubResponseError)
      expect(err.message).toMatch(/hub: data\.proposals\[0\]\.choices/)
      expect(isRetryable(err)).toBe(false)
      hub.setFault(() => ({ status: 200, body: { data: { votes: [{ id: 'v', voter: 'bob', choice: 1, created: 1 }] } } }))
      await expect(c.votes(proposalId)).rejects.toThrow(/votes\[0\]\.voter: expected an EVM address/)
      hub.setFault(() => ({ status: 200, body: 'hello' }))
      await expect(c.space(SPACE)).rejects.toThrow(/without data/)
    } finally {
      hub.setFault(undefined)
    }
    await expect(c.query('{ nope }', {}, (await import('zod')).z.unknown())).rejects.toThrow(/GraphQL error/)
  })

  it('rate-limits to the configured requests per window', async () => {
    const c = createSnapshotClient({ graphqlUrl: hub.graphqlUrl, rateLimit: { requests: 3, windowMs: 250 } })
    const started = Date.now()
    await Promise.all(Array.from({ length: 7 }, () => c.space(SPACE)))
    // 7 requests at 3 per 250 ms need two refills.
    expect(Date.now() - started).toBeGreaterThanOrEqual(450)
  })

  it('sends the API key as x-api-key', async () => {
    const seen: (string | null)[] = []
    const c = createSnapshotClient({
      graphqlUrl: hub.graphqlUrl,
      apiKey: 'k-123',
      fetch: (url, init) => {
        seen.push(new Headers(init?.headers).get('x-api-key'))
        return fetch(url, init)
      },
    })
    await c.space(SPACE)
    expect(seen).toEqual(['k-123'])
  })
})
