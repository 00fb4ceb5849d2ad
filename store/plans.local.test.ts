import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Store } from './db.js'
import { StoreError } from './errors.js'
import { openTempStore } from './testing.js'
import type { PlanInput } from './types.js'

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const plan = (id: string, over: Partial<PlanInput> = {}): PlanInput => ({
  id,
  chain: 'ethereum',
  basedOnBlock: { ethereum: 120n },
  totalAmount: 10n ** 19n,
  expectedGain: 5n * 10n ** 15n,
  cost: 10n ** 14n,
  needsApproval: false,
  approvalsRequired: 0,
  explanation: { scores: { 'ethereum-vault-boost': 0.81 }, amount: 7n },
  steps: [
    { kind: 'withdraw', chain: 'ethereum', venueId: 'ethereum-vault-core', amount: 10n ** 19n },
    { kind: 'deposit', chain: 'ethereum', venueId: 'ethereum-vault-boost', amount: 10n ** 19n, detail: { from: 'ethereum-vault-core' } },
  ],
  at: 1000,
  ...over,
})

describe('plans', () => {
  it('create writes the plan and its steps; a second create with the same id returns the first', async () => {
    const first = await store.plans.create(plan('p-ethereum-120-0'))
    expect(first.inserted).toBe(true)
    expect(first.plan).toEqual({
      id: 'p-ethereum-120-0',
      createdAt: 1000,
      updatedAt: 1000,
      chain: 'ethereum',
      status: 'proposed',
      basedOnBlock: { ethereum: 120n },
      totalAmount: 10n ** 19n,
      expectedGain: 5n * 10n ** 15n,
      cost: 10n ** 14n,
      needsApproval: false,
      approvalsRequired: 0,
      explanation: { scores: { 'ethereum-vault-boost': 0.81 }, amount: '7' },
      error: null,
    })
    const again = await store.plans.create(plan('p-ethereum-120-0', { totalAmount: 1n, at: 2000 }))
    expect(again).toEqual({ inserted: false, plan: first.plan })
    const steps = await store.plans.steps('p-ethereum-120-0')
    expect(steps.map((s) => [s.idx, s.kind, s.venueId, s.amount, s.status])).toEqual([
      [0, 'withdraw', 'ethereum-vault-core', 10n ** 19n, 'pending'],
      [1, 'deposit', 'ethereum-vault-boost', 10n ** 19n, 'pending'],
    ])
    expect(steps[1]?.detail).toEqual({ from: 'ethereum-vault-core' })
    expect((await store.plans.getWithSteps('p-ethereum-120-0'))?.steps).toHaveLength(2)
    expect(await store.plans.get('nope')).toBeUndefined()
    expect(await store.plans.getWithSteps('nope')).toBeUndefined()
  })

  it('create validates and writes nothing on a bad step (one transaction)', async () => {
    await expect(store.plans.create(plan('p1', { steps: [] }))).rejects.toThrow(/at least one step/)
    await expect(
      store.plans.create(plan('p1', { steps: [{ kind: 'withdraw', chain: 'ethereum', venueId: 'v', amount: 1n }, { kind: 'swap' as never, chain: 'ethereum', venueId: 'v', amount: 1n }] })),
    ).rejects.toThrow(/step 1: unknown kind "swap"/)
    await expect(store.plans.create(plan('p1', { steps: [{ kind: 'deposit', chain: 'ethereum', venueId: 'v', amount: 0n }] }))).rejects.toThrow(/positive/)
    await expect(store.plans.create(plan('p1', { status: 'executing' as never }))).rejects.toThrow(/starts as/)
    await expect(store.plans.create(plan('p1', { approvalsRequired: -1 }))).rejects.toThrow(StoreError)
    expect(await store.plans.list()).toEqual([])
  })

  it('transition is compare-and-set and refuses moves outside the life cycle', async () => {
    await store.plans.create(plan('p1', { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 }))
    expect(await store.plans.transition('p1', 'proposed', 'approved')).toBe(false)
    expect(await store.plans.transition('p1', ['proposed', 'awaiting_approval'], 'approved', { at: 3000 })).toBe(true)
    expect(await store.plans.transition('p1', 'approved', 'executing')).toBe(true)
    expect(await store.plans.transition('p1', 'approved', 'executing')).toBe(false) // lost the race
    expect(await store.plans.transition('p1', 'executing', 'failed', { error: 'step 1 reverted' })).toBe(true)
    const p = await store.plans.get('p1')
    expect([p?.status, p?.error]).toEqual(['failed', 'step 1 reverted'])
    await expect(store.plans.transition('p1', 'failed', 'executing')).rejects.toThrow(/cannot move from failed to executing/)
    await expect(store.plans.transition('p1', 'approved', 'completed')).rejects.toThrow(/cannot move from approved to completed/)
    expect(await store.plans.transition('nope', 'approved', 'executing')).toBe(false)
  })

  it('list filters by status and chain, newest or oldest first', async () => {
    await store.plans.create(plan('a', { at: 1 }))
    await store.plans.create(plan('b', { at: 2, status: 'approved' }))
    await store.plans.create(plan('c', { at: 3, status: 'approved', chain: 'base', steps: [{ kind: 'deposit', chain: 'base', venueId: 'v', amount: 1n }] }))
    await store.plans.create(plan('d', { at: 4, chain: null }))
    expect((await store.plans.list()).map((p) => p.id)).toEqual(['d', 'c', 'b', 'a'])
    expect((await store.plans.list({ status: 'approved', order: 'oldest' })).map((p) => p.id)).toEqual(['b', 'c'])
    expect((await store.plans.list({ status: ['approved', 'proposed'], chain: 'ethereum' })).map((p) => p.id)).toEqual(['b', 'a'])
    expect((await store.plans.list({ chain: null })).map((p) => p.id)).toEqual(['d'])
    expect((await store.plans.list({ limit: 1 })).map((p) => p.id)).toEqual(['d'])
    expect(await store.plans.list({ status: [] })).toEqual([])
  })

  it('supersedeOpen supersedes open plans of one chain only, never executing ones', async () => {
    await store.plans.create(plan('a', { at: 1 }))
    await store.plans.create(plan('b', { at: 2, status: 'awaiting_approval' }))
    await store.plans.create(plan('c', { at: 3, status: 'approved' }))
    await store.plans.create(plan('d', { at: 4, status: 'approved' }))
    await store.plans.transition('d', 'approved', 'executing')
    await store.plans.create(plan('e', { at: 5, chain: 'base', steps: [{ kind: 'deposit', chain: 'base', venueId: 'v', amount: 1n }] }))
    await store.plans.create(plan('f', { at: 6 }))
    expect(await store.plans.supersedeOpen('ethereum', { except: 'f' })).toEqual(['a', 'b', 'c'])
    const status = Object.fromEntries((await store.plans.list()).map((p) => [p.id, p.status]))
    expect(status).toEqual({ a: 'superseded', b: 'superseded', c: 'superseded', d: 'executing', e: 'proposed', f: 'proposed' })
    expect(await store.plans.supersedeOpen('ethereum', { except: ['f'] })).toEqual([])
  })

  it('step status: compare-and-set, life cycle, detail merge, error', async () => {
    await store.plans.create(plan('p1'))
    expect(await store.plans.setStepStatus('p1', 0, 'sent', { mergeDetail: { before: 5n } })).toBe(true)
    expect(await store.plans.setStepStatus('p1', 0, 'sent')).toBe(false) // already sent: no allowed source
    expect(await store.plans.setStepStatus('p1', 0, 'confirmed', { from: 'pending' })).toBe(false)
    expect(await store.plans.setStepStatus('p1', 0, 'confirmed', { from: 'sent', mergeDetail: { txs: ['0xab'] } })).toBe(true)
    expect(await store.plans.mergeStepDetail('p1', 1, { note: 'x' })).toBe(true)
    expect(await store.plans.setStepStatus('p1', 1, 'failed', { error: 'reverted' })).toBe(true)
    await expect(store.plans.setStepStatus('p1', 1, 'pending', { from: 'failed' })).rejects.toThrow(/cannot move from failed to pending/)
    expect(await store.plans.setStepStatus('p1', 7, 'sent')).toBe(false)
    expect(await store.plans.mergeStepDetail('p1', 7, {})).toBe(false)
    const steps = await store.plans.steps('p1')
    expect(steps.map((s) => [s.status, s.detail, s.error])).toEqual([
      ['confirmed', { before: '5', txs: ['0xab'] }, null],
      ['failed', { from: 'ethereum-vault-core', note: 'x' }, 'reverted'],
    ])
  })
})

describe('approvals', () => {
  it('one decision per member and plan: the first stands; counts; unknown plan refused', async () => {
    await store.plans.create(plan('p1', { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 }))
    const a = await store.approvals.record({ planId: 'p1', member: 'alice', decision: 'approve', via: 'cli', at: 10 })
    expect(a).toEqual({ inserted: true, approval: { planId: 'p1', member: 'alice', decision: 'approve', at: 10, via: 'cli' }, count: { approve: 1, reject: 0 } })
    const again = await store.approvals.record({ planId: 'p1', member: 'alice', decision: 'reject', via: 'telegram', at: 11 })
    expect(again).toEqual({ inserted: false, approval: a.approval, count: { approve: 1, reject: 0 } })
    await store.approvals.record({ planId: 'p1', member: 'bob', decision: 'reject', via: 'telegram', at: 12 })
    await store.approvals.record({ planId: 'p1', member: 'carol', decision: 'approve', via: 'telegram', at: 13 })
    expect(await store.approvals.count('p1')).toEqual({ approve: 2, reject: 1 })
    expect((await store.approvals.list('p1')).map((x) => `${x.member}:${x.decision}:${x.via}`)).toEqual(['alice:approve:cli', 'bob:reject:telegram', 'carol:approve:telegram'])
    await expect(store.approvals.record({ planId: 'nope', member: 'alice', decision: 'approve', via: 'cli' })).rejects.toThrow(/no such plan/)
    await expect(store.approvals.record({ planId: 'p1', member: 'dave', decision: 'maybe' as never, via: 'cli' })).rejects.toThrow(/decision/)
    expect(await store.approvals.count('nope')).toEqual({ approve: 0, reject: 0 })
  })

  it('record and the quorum transition commit together in one store transaction', async () => {
    await store.plans.create(plan('p1', { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 1 }))
    const moved = await store.transaction(async (tx) => {
      const { count } = await tx.approvals.record({ planId: 'p1', member: 'alice', decision: 'approve', via: 'cli' })
      return count.approve >= 1 && (await tx.plans.transition('p1', 'awaiting_approval', 'approved'))
    })
    expect(moved).toBe(true)
    expect((await store.plans.get('p1'))?.status).toBe('approved')
  })
})
