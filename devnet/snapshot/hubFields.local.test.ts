import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import snapshot from '@snapshot-labs/snapshot.js'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ethersSignerFromViem } from '../../governance/viemSigner.js'
import { startHub, type SnapshotHub } from './hub.js'

/**
 * The Space and Proposal fields real clients read (the Snapshot UI's space and proposal queries,
 * snapshot.js's score inputs), over real HTTP: strategies, the voting object, validations,
 * filters, plugins, and per-strategy scores from votes cast through snapshot.js Client712.
 */
const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const bob = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
/** Voting power per strategy (two chains' share tokens). */
const VP: Record<string, number[]> = { [alice.address]: [10, 2], [bob.address]: [0, 5.5] }
const SPACE = 'fields.eth'
const TOKEN_A = '0x00000000000000000000000000000000000000a1'
const TOKEN_B = '0x00000000000000000000000000000000000000b2'
const clock = Math.floor(Date.now() / 1000)
let hub: SnapshotHub
let dir: string
let proposalId: string

async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(hub.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] }
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '))
  return body.data!
}

function clientVote(account: PrivateKeyAccount, choice: number) {
  return new snapshot.Client712(hub.url).vote(ethersSignerFromViem(account) as never, account.address, {
    space: SPACE, proposal: proposalId, type: 'single-choice', choice, reason: '', app: 'poolwarden', timestamp: clock,
  } as never)
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-fields-'))
  hub = await startHub({ dbPath: join(dir, 'hub.sqlite'), now: () => clock, vp: ({ voter }) => VP[voter] ?? 0 })
  await hub.createSpace({
    id: SPACE, name: 'Fields', symbol: 'pwSHARE', network: '31337', admins: [alice.address], members: [bob.address], onlyMembers: true,
    strategies: [
      { name: 'erc20-votes', params: { address: TOKEN_A, symbol: 'pwSHARE', decimals: 18 } },
      { name: 'erc20-votes', network: '31338', params: { address: TOKEN_B, symbol: 'pwSHARE', decimals: 18 } },
    ],
    voting: { period: 3600, quorum: 12, hideAbstain: true },
    validation: { name: 'basic', params: { minScore: 1 } },
    minScore: 1,
    plugins: { poap: {} },
  })
  proposalId = (await hub.createProposal({ space: SPACE, author: alice.address, title: 'p', type: 'single-choice', choices: ['a', 'b'], start: clock - 10, end: clock + 3590, snapshot: 77, created: clock - 20 })).id
})

afterAll(async () => {
  await hub?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('local Snapshot hub: the fields clients read on Space and Proposal', () => {
  it('Space: strategies with their networks, the voting object, validations, filters, plugins, admins/members, counts', async () => {
    const { space } = await gql<{ space: Record<string, unknown> }>(
      `query Space($id: String!) { space(id: $id) {
         id name network symbol admins members moderators private
         strategies { name network params }
         voting { delay period type quorum quorumType blind hideAbstain privacy aliased }
         validation { name params } voteValidation { name params }
         filters { minScore onlyMembers } plugins categories treasuries { name } proposalsCount activeProposals votesCount verified flagged turbo created } }`,
      { id: SPACE },
    )
    expect(space).toEqual({
      id: SPACE, name: 'Fields', network: '31337', symbol: 'pwSHARE', admins: [alice.address], members: [bob.address], moderators: [], private: false,
      strategies: [
        { name: 'erc20-votes', network: '31337', params: { address: TOKEN_A, symbol: 'pwSHARE', decimals: 18 } },
        { name: 'erc20-votes', network: '31338', params: { address: TOKEN_B, symbol: 'pwSHARE', decimals: 18 } },
      ],
      voting: { delay: null, period: 3600, type: null, quorum: 12, quorumType: 'default', blind: false, hideAbstain: true, privacy: '', aliased: false },
      validation: { name: 'basic', params: { minScore: 1 } },
      voteValidation: { name: 'any', params: {} },
      filters: { minScore: 1, onlyMembers: true },
      plugins: { poap: {} },
      categories: [],
      treasuries: [],
      proposalsCount: 1,
      activeProposals: 1,
      votesCount: 0,
      verified: false,
      flagged: false,
      turbo: false,
      created: clock,
    })
  })

  it('Proposal: strategies, quorum from the space, validation, plugins, and scores per strategy from Client712 votes', async () => {
    await clientVote(alice, 1)
    await clientVote(bob, 2)
    const { proposal } = await gql<{ proposal: Record<string, unknown> }>(
      `query Proposal($id: String!) { proposal(id: $id) {
         id network symbol type snapshot app quorum quorumType privacy state plugins labels
         strategies { name network params } validation { name params }
         scores scores_by_strategy scores_state scores_total votes space { id name } } }`,
      { id: proposalId },
    )
    expect(proposal).toEqual({
      id: proposalId, network: '31337', symbol: 'pwSHARE', type: 'single-choice', snapshot: '77', app: '', quorum: 12, quorumType: 'default', privacy: '',
      state: 'active', plugins: {}, labels: [],
      strategies: [
        { name: 'erc20-votes', network: '31337', params: { address: TOKEN_A, symbol: 'pwSHARE', decimals: 18 } },
        { name: 'erc20-votes', network: '31338', params: { address: TOKEN_B, symbol: 'pwSHARE', decimals: 18 } },
      ],
      validation: { name: 'basic', params: { minScore: 1 } },
      // alice: 10 + 2 on choice 1; bob: 0 + 5.5 on choice 2.
      scores: [12, 5.5],
      scores_by_strategy: [[10, 2], [0, 5.5]],
      scores_state: 'pending',
      scores_total: 17.5,
      votes: 2,
      space: { id: SPACE, name: 'Fields' },
    })
    const { votes } = await gql<{ votes: { voter: string; vp: number; vp_by_strategy: number[] }[] }>(
      `query { votes(where: { proposal: "${proposalId}" }, orderBy: "created", orderDirection: asc) { voter vp vp_by_strategy } }`,
    )
    expect(new Map(votes.map((v) => [v.voter, [v.vp, v.vp_by_strategy]]))).toEqual(new Map([[alice.address, [12, [10, 2]]], [bob.address, [5.5, [0, 5.5]]]]))
  })

  it('a space without settings answers with the real hub defaults (one ticket strategy, basic / any validation)', async () => {
    await hub.createSpace({ id: 'bare.eth', name: 'Bare', network: '5', symbol: 'B' })
    const { space } = await gql<{ space: Record<string, unknown> }>(
      '{ space(id: "bare.eth") { strategies { name network params } validation { name } voteValidation { name } voting { quorum hideAbstain } filters { minScore onlyMembers } } }',
    )
    expect(space).toEqual({
      strategies: [{ name: 'ticket', network: '5', params: { symbol: 'B' } }],
      validation: { name: 'basic' },
      voteValidation: { name: 'any' },
      voting: { quorum: null, hideAbstain: false },
      filters: { minScore: 0, onlyMembers: false },
    })
  })
})
