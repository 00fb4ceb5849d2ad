import { copyFile, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from './db.js'
import { StoreError } from './errors.js'
import { MIGRATIONS_DIR } from './migrate.js'
import { openDb } from './sqlite.js'
import { tempDir } from './testing.js'
import type { PlanInput } from './types.js'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

const plan = (id: string, over: Partial<PlanInput> = {}): PlanInput => ({
  id,
  chain: 'ethereum',
  status: 'awaiting_approval',
  basedOnBlock: { ethereum: 120n },
  totalAmount: 10n ** 19n,
  expectedGain: 5n * 10n ** 15n,
  cost: 10n ** 14n,
  needsApproval: true,
  approvalsRequired: 2,
  explanation: { why: 'test' },
  steps: [
    { kind: 'withdraw', chain: 'ethereum', venueId: 'ethereum-vault-core', amount: 10n ** 19n },
    { kind: 'deposit', chain: 'ethereum', venueId: 'ethereum-vault-boost', amount: 10n ** 19n },
  ],
  at: 1000,
  ...over,
})

async function open(path: string, migrationsDir?: string): Promise<Store> {
  const store = await openStore({ path, migrationsDir })
  cleanups.push(() => store.close())
  return store
}

describe('plan statuses expired and stopped (migration 009)', () => {
  it('migrating a store with plans, steps and approvals keeps every row and allows the new statuses', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    // A store as the code before 009 left it: migrations 001–008 only.
    const old = join(dir, 'migrations-008')
    await mkdir(old)
    for (const f of (await readdir(MIGRATIONS_DIR)).filter((f) => /^00[1-8]_.*\.sql$/.test(f))) await copyFile(join(MIGRATIONS_DIR, f), join(old, f))
    const path = join(dir, 'poolwarden.sqlite')
    const before = await open(path, old)
    await before.plans.create(plan('p-1'))
    await before.plans.create(plan('p-2', { status: 'approved', needsApproval: false, approvalsRequired: 0 }))
    await before.approvals.record({ planId: 'p-1', member: 'alice', decision: 'approve', via: 'cli', at: 2000 })
    await expect(before.plans.transition('p-1', 'awaiting_approval', 'expired')).rejects.toThrow(/CHECK constraint failed/)
    await before.close()
    cleanups.pop()

    const store = await open(path)
    expect(await store.plans.getWithSteps('p-1')).toMatchObject({ plan: { id: 'p-1', status: 'awaiting_approval', createdAt: 1000 }, steps: [{ idx: 0 }, { idx: 1 }] })
    expect((await store.approvals.list('p-1')).map((a) => a.member)).toEqual(['alice'])
    expect(await store.plans.transition('p-1', 'awaiting_approval', 'expired', { error: 'too old' })).toBe(true)
    expect(await store.plans.get('p-1')).toMatchObject({ status: 'expired', error: 'too old' })
    expect(await store.plans.transition('p-2', ['approved', 'executing'], 'stopped', { error: 'target paused' })).toBe(true)
    expect((await store.plans.steps('p-2')).map((s) => s.status)).toEqual(['pending', 'pending'])
    // Foreign keys still hold on the rebuilt table.
    const raw = await openDb({ path })
    cleanups.push(() => raw.close())
    expect(await raw.all('PRAGMA foreign_key_check')).toEqual([])
    await expect(raw.run(`INSERT INTO plan_steps (plan_id, idx, kind, chain, venue_id, amount, status, detail, updated_at) VALUES ('p-none', 0, 'deposit', 'ethereum', 'v', '1', 'pending', '{}', 1)`)).rejects.toThrow(/FOREIGN KEY/)
    // Final states: nothing moves out of them; expired and stopped block no new plan.
    await expect(store.plans.transition('p-1', 'expired', 'approved')).rejects.toThrow(StoreError)
    await expect(store.plans.transition('p-2', 'stopped', 'executing')).rejects.toThrow(/cannot move from stopped to executing \(from stopped: final state\)/)
    expect(await store.plans.supersedeOpen('ethereum')).toEqual([])
  })

  it('the life cycle: expired from any state before completion; stopped only once approved', async () => {
    const { dir, cleanup } = await tempDir()
    cleanups.push(cleanup)
    const store = await open(join(dir, 'poolwarden.sqlite'))
    await store.plans.create(plan('p-a', { status: 'proposed' }))
    expect(await store.plans.transition('p-a', 'proposed', 'expired')).toBe(true)
    await store.plans.create(plan('p-b'))
    await expect(store.plans.transition('p-b', 'awaiting_approval', 'stopped')).rejects.toThrow(/cannot move from awaiting_approval to stopped/)
    await store.plans.create(plan('p-c', { status: 'approved' }))
    expect(await store.plans.transition('p-c', 'approved', 'executing')).toBe(true)
    expect(await store.plans.transition('p-c', 'executing', 'expired')).toBe(true)
    await expect(store.plans.transition('p-c', 'completed', 'expired')).rejects.toThrow(/cannot move from completed to expired/)
  })
})
