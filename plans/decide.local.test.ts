import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { committeeVerdict, recordDecision } from './decide'

const committee = { members: ['alice', 'bob', 'carol'], required: 2 }
let store: Store
let cleanup: () => Promise<void>

beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  await store.plans.create({
    id: 'p-1', chain: 'ethereum', status: 'awaiting_approval', basedOnBlock: { ethereum: 10n }, totalAmount: 500n, expectedGain: 5n, cost: 1n,
    needsApproval: true, approvalsRequired: 2, steps: [{ kind: 'withdraw', chain: 'ethereum', venueId: 'a', amount: 500n }],
  })
})
afterEach(() => cleanup())

const decide = (member: string, decision: 'approve' | 'reject' = 'approve') => recordDecision(store, { planId: 'p-1', member, decision, via: 'cli', committee })

describe('committee decisions', () => {
  it('approves a plan on the M-th approval, once per member', async () => {
    expect((await decide('alice')).outcome).toBe('recorded')
    expect((await decide('alice')).outcome).toBe('duplicate')
    expect((await store.plans.get('p-1'))!.status).toBe('awaiting_approval')
    const r = await decide('bob')
    expect(r.outcome).toBe('approved')
    expect((await store.plans.get('p-1'))!.status).toBe('approved')
    // Too late: the plan is no longer awaiting approval.
    expect((await decide('carol', 'reject')).outcome).toBe('refused')
    expect(await store.approvals.count('p-1')).toEqual({ approve: 2, reject: 0 })
  })

  it('rejects once the approvals can no longer be reached', async () => {
    expect((await decide('alice', 'reject')).outcome).toBe('recorded')
    expect((await decide('bob', 'reject')).outcome).toBe('rejected')
    expect((await store.plans.get('p-1'))!.status).toBe('rejected')
  })

  it('refuses strangers and unknown plans, changes nothing, and audits every call', async () => {
    expect((await decide('mallory')).outcome).toBe('refused')
    expect((await recordDecision(store, { planId: 'nope', member: 'alice', decision: 'approve', via: 'cli', committee })).outcome).toBe('refused')
    expect(await store.approvals.count('p-1')).toEqual({ approve: 0, reject: 0 })
    const audit = await store.audit.recent(10)
    expect(audit.map((a) => [a.actor, a.action])).toEqual([['cli:alice', 'plan.approve'], ['cli:mallory', 'plan.approve']])
  })

  it('verdict arithmetic', () => {
    expect(committeeVerdict({ approve: 2, reject: 0 }, committee)).toBe('approved')
    expect(committeeVerdict({ approve: 1, reject: 1 }, committee)).toBe('pending')
    expect(committeeVerdict({ approve: 0, reject: 2 }, committee)).toBe('rejected')
  })

  it('counts against the plan\'s own approvalsRequired, never a former member, and refuses names in custody "safe"', async () => {
    await store.plans.create({
      id: 'p-3', chain: 'ethereum', status: 'awaiting_approval', basedOnBlock: { ethereum: 10n }, totalAmount: 900n, expectedGain: 5n, cost: 1n,
      needsApproval: true, approvalsRequired: 3, steps: [{ kind: 'withdraw', chain: 'ethereum', venueId: 'a', amount: 900n }],
    })
    const on = (member: string, c = committee) => recordDecision(store, { planId: 'p-3', member, decision: 'approve', via: 'cli', committee: c })
    expect((await on('alice')).outcome).toBe('recorded')
    // Two approvals meet the config's 2 but not the plan's 3.
    expect((await on('bob')).message).toBe('approve by bob recorded: 2/3 approvals')
    expect((await store.plans.get('p-3'))!.status).toBe('awaiting_approval')
    // Alice leaves, dave joins: alice's approval stays on record but no longer counts.
    const changed = { members: ['bob', 'carol', 'dave'], required: 2 }
    expect((await on('carol', changed)).message).toBe('approve by carol recorded: 2/3 approvals')
    expect((await on('dave', changed)).outcome).toBe('approved')
    expect(await store.approvals.count('p-3')).toEqual({ approve: 4, reject: 0 })

    const safe = await recordDecision(store, { planId: 'p-1', member: 'alice', decision: 'approve', via: 'telegram', committee, custody: 'safe' })
    expect(safe.outcome).toBe('refused')
    expect(safe.message).toMatch(/Safe transaction, not a name/)
    expect(await store.approvals.count('p-1')).toEqual({ approve: 0, reject: 0 })
  })
})
