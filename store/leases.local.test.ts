import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from './db.js'
import { LeaseLostError } from './errors.js'
import { tempDir } from './testing.js'
import type { Hex, PlanInput, SampleInput } from './types.js'

/**
 * Leases and the fence (issue 16 item 2) on a real SQLite file, with two connections standing for
 * two instances of one role (the agent processes' stores are exactly such connections).
 */

const FROM = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Hex
const TO = '0x000000000000000000000000000000000000dEaD' as Hex
const hash = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex
const sample = (n: number): SampleInput => ({ venueId: 'v1', chain: 'ethereum', blockNumber: BigInt(n), blockHash: hash(n), blockTime: 1_700_000_000 + n, available: true, exchangeRate: 10n ** 18n, apy: 0.05, tvl: 1n })
const plan = (id: string): PlanInput => ({
  id,
  chain: null,
  basedOnBlock: { ethereum: 10n },
  totalAmount: 10n ** 19n,
  expectedGain: 1n,
  cost: 1n,
  needsApproval: false,
  approvalsRequired: 0,
  explanation: {},
  steps: [
    { kind: 'bridge', chain: 'ethereum', venueId: 'ethereum-wsteth', amount: 10n ** 19n },
    { kind: 'redeem', chain: 'arbitrum', venueId: 'arbitrum-wsteth', amount: 10n ** 9n },
  ],
  at: 1,
})
const transfer = (planId: string) => ({
  planId,
  stepIdx: 0,
  redeemIdx: 1,
  sourceChain: 'ethereum',
  destChain: 'arbitrum',
  token: '0xAAaaAAaaaAaAaAaAaaaAaaaaAAaAAAAaAAaaAAaA' as Hex,
  destToken: '0xBbBBbbBBbbbBBbbbbBBBbbbBbbBbbbBBBBbBbbbb' as Hex,
  recipient: '0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC' as Hex,
  amount: 10n ** 19n,
  received: 10n ** 9n,
})

let cleanup: () => Promise<void>
let a: Store
let b: Store
beforeEach(async () => {
  const tmp = await tempDir('poolwarden-leases-')
  cleanup = tmp.cleanup
  const path = join(tmp.dir, 'store.sqlite')
  a = await openStore({ path })
  b = await openStore({ path })
})
afterEach(async () => {
  await a.close()
  await b.close()
  await cleanup()
})

describe('leases', () => {
  it('one holder at a time: a live lease is refused to another holder, an expired one is taken with the next token, a released one at once', async () => {
    const first = await a.leases.acquire('executor', 'host:1:aa', 5_000, 1_000)
    expect(first).toMatchObject({ acquired: true, lease: { holder: 'host:1:aa', token: 1, expiresAt: 6_000 } })
    // The standby, while the lease is live (even one ms before its expiry).
    expect(await b.leases.acquire('executor', 'host:2:bb', 5_000, 5_999)).toMatchObject({ acquired: false, lease: { holder: 'host:1:aa', token: 1 } })
    // The holder renews: the standby has to wait longer.
    expect(await a.leases.renew({ role: 'executor', holder: 'host:1:aa', token: 1 }, 5_000, 5_000)).toBe(true)
    expect(await b.leases.acquire('executor', 'host:2:bb', 5_000, 9_999)).toMatchObject({ acquired: false })
    // Expired: the standby takes it, token 2; the old holder can neither renew nor take it back.
    expect(await b.leases.acquire('executor', 'host:2:bb', 5_000, 10_000)).toMatchObject({ acquired: true, lease: { holder: 'host:2:bb', token: 2, expiresAt: 15_000 } })
    expect(await a.leases.renew({ role: 'executor', holder: 'host:1:aa', token: 1 }, 5_000, 10_001)).toBe(false)
    expect(await a.leases.acquire('executor', 'host:1:aa', 5_000, 10_001)).toMatchObject({ acquired: false, lease: { holder: 'host:2:bb' } })
    // A clean shutdown releases: the other instance takes it at once, token 3.
    await b.leases.release({ role: 'executor', holder: 'host:2:bb', token: 2 })
    expect(await a.leases.acquire('executor', 'host:1:aa', 5_000, 10_002)).toMatchObject({ acquired: true, lease: { holder: 'host:1:aa', token: 3 } })
    // Roles are independent.
    expect(await b.leases.acquire('watcher-ethereum', 'host:2:bb', 5_000, 10_002)).toMatchObject({ acquired: true, lease: { token: 1 } })
    expect((await a.leases.all()).map((l) => [l.role, l.holder, l.token])).toEqual([
      ['executor', 'host:1:aa', 3],
      ['watcher-ethereum', 'host:2:bb', 1],
    ])
  })

  it('an expired lease nobody took is still current: its holder renews it and its fence holds', async () => {
    await a.leases.acquire('governor', 'h:1:a', 1_000, 1_000)
    a.leases.setFence({ role: 'governor', holder: 'h:1:a', token: 1 })
    expect(await a.leases.renew({ role: 'governor', holder: 'h:1:a', token: 1 }, 1_000, 50_000)).toBe(true)
    await expect(a.leases.check()).resolves.toBeUndefined()
  })

  it('a bad ttl is refused with the field named', async () => {
    await expect(a.leases.acquire('executor', 'h', 0)).rejects.toThrow('store: lease ttl must be a positive integer of ms, got 0')
  })
})

describe('the fence', () => {
  it('a stale token writes nothing: intents (create, sign, replace), casts, samples and positions, plans and transfers all refuse, and the new holder writes', async () => {
    // Instance A held the executor/watcher/governor lease (token 1), then was paused past its expiry.
    const lostA: LeaseLostError[] = []
    await a.leases.acquire('role', 'A', 1_000, 1_000)
    a.leases.setFence({ role: 'role', holder: 'A', token: 1 }, (e) => lostA.push(e))
    // While A holds it, A writes (an intent created and signed, a sample, a plan).
    await a.intents.create({ key: 'k-signed', chain: 'ethereum', from: FROM, to: TO, data: '0x01', value: 0n })
    await a.intents.sign('k-signed', { minNonce: 0n, sign: async () => ({ rawTx: '0x02aa', txHash: hash(1), gasLimit: 21_000n, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n }) })
    await a.intents.create({ key: 'k-created', chain: 'ethereum', from: FROM, to: TO, data: '0x02', value: 0n })
    await a.cursors.commitBlock({ chain: 'ethereum', blockNumber: 1n, blockHash: hash(1), samples: [sample(1)] })
    await a.plans.create(plan('p-1'))
    await a.governance.upsertProposal({ key: 'snapshot:s:0x1', source: 'snapshot', space: 's', chain: null, governor: null, upstreamId: '0x1', type: 'single-choice', title: 't', choices: ['A', 'B'], start: 1, end: 2, snapshot: '1', snapshotTime: 1 })
    expect(lostA).toEqual([])

    // B, the standby, takes over (token 2).
    expect(await b.leases.acquire('role', 'B', 1_000, 2_001)).toMatchObject({ acquired: true, lease: { token: 2 } })
    b.leases.setFence({ role: 'role', holder: 'B', token: 2 })

    // A resumes: every fenced write throws LeaseLostError and leaves the store as it was.
    const refused = [
      a.intents.create({ key: 'k-new', chain: 'ethereum', from: FROM, to: TO, data: '0x03', value: 0n }),
      a.intents.sign('k-created', { minNonce: 0n, sign: async () => ({ rawTx: '0x02bb', txHash: hash(2), gasLimit: 21_000n, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n }) }),
      a.intents.replace('k-signed', hash(1), { rawTx: '0x02cc', txHash: hash(3), gasLimit: 21_000n, maxFeePerGas: 20n, maxPriorityFeePerGas: 2n }),
      a.cursors.commitBlock({ chain: 'ethereum', blockNumber: 2n, blockHash: hash(2), samples: [sample(2)] }),
      a.samples.insertMany([sample(3)]),
      a.positions.upsert({ chain: 'ethereum', venueId: 'v1', blockNumber: 2n, amount: 5n }),
      a.cursors.rewind('ethereum', 0n, hash(0)),
      a.plans.create(plan('p-2')),
      a.transfers.create(transfer('p-1')),
      a.governance.createCast({ key: 'snapshot:s:0x1:snapshot:0', proposalKey: 'snapshot:s:0x1', target: 'snapshot', payload: { choice: 1 } }),
      a.leases.check(),
    ]
    for (const p of refused) await expect(p).rejects.toThrow(LeaseLostError)
    expect(lostA.length).toBe(refused.length)
    expect(lostA[0]!.message).toBe('lease role: token 1 is no longer current (now 2 held by B): this instance must not act')

    expect((await b.intents.list()).map((i) => [i.key, i.status, i.attempts])).toEqual([
      ['k-signed', 'signed', 1],
      ['k-created', 'created', 0],
    ])
    expect(await b.intents.attempts('k-signed')).toHaveLength(1)
    expect((await b.samples.countByVenue()).map((c) => c.count)).toEqual([1])
    expect(await b.positions.latestPerVenue()).toEqual([])
    expect((await b.cursors.get('ethereum'))?.blockNumber).toBe(1n)
    expect((await b.plans.list()).map((p) => p.id)).toEqual(['p-1'])
    expect(await b.transfers.list()).toEqual([])
    expect(await b.governance.getCast('snapshot:s:0x1:snapshot:0')).toBeUndefined()

    // B, the current holder, does what A could not.
    await b.intents.sign('k-created', { minNonce: 0n, sign: async (n) => ({ rawTx: '0x02dd', txHash: hash(4), gasLimit: 21_000n, maxFeePerGas: 10n, maxPriorityFeePerGas: BigInt(n) + 1n }) })
    await b.cursors.commitBlock({ chain: 'ethereum', blockNumber: 2n, blockHash: hash(2), samples: [sample(2)] })
    expect((await b.intents.get('k-created'))?.status).toBe('signed')
    expect((await b.cursors.get('ethereum'))?.blockNumber).toBe(2n)
  })

  it('an unfenced connection (the CLI, tests, non-singleton agents) writes as before', async () => {
    await a.leases.acquire('executor', 'A', 1_000, 1_000)
    await b.leases.acquire('executor', 'B', 1_000, 5_000)
    await expect(a.intents.create({ key: 'k', chain: 'ethereum', from: FROM, to: TO, data: '0x01', value: 0n })).resolves.toMatchObject({ inserted: true })
  })
})
