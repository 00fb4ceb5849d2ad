import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildReceipt, recomputeFromReceipt, receiptToJson } from '../governance/receipt'
import { randomWorld } from '../governance/testing'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { storeGovernanceReader } from './governanceStore'

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const proposal = (n: number) => ({
  key: `snapshot:upstream-dao.eth:0xp${n}`,
  source: 'snapshot' as const,
  space: 'upstream-dao.eth',
  chain: null,
  governor: null,
  upstreamId: `0xp${n}`,
  type: 'single-choice',
  title: `Raise the cap ${n}`,
  choices: ['Yes', 'No'],
  start: 1_800_000_000 + n,
  end: 1_800_086_400 + n,
  snapshot: '100',
  snapshotTime: 1_799_999_000,
})

describe('the bot reads governance from the store', () => {
  it('lists proposals newest first with their tally state, or says there are none', async () => {
    const reader = storeGovernanceReader(store)
    expect(await reader.listProposals()).toMatch(/no governance proposals yet/)
    await store.governance.upsertProposal(proposal(1))
    await store.governance.upsertProposal(proposal(2))
    const text = await reader.listProposals()
    expect(text.indexOf('Raise the cap 2')).toBeLessThan(text.indexOf('Raise the cap 1'))
    expect(text).toContain('id 0xp1 · seen')
    expect(text).toContain('tally -')
  })

  it('lists long ids shortened and finds a proposal by that short id or any unique prefix; an ambiguous one says so', async () => {
    const reader = storeGovernanceReader(store)
    const A = '0x8f3a9c2e11d04b7a6c5e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e'
    const B = '0x8f3a9c2eff000000000000000000000000000000000000000000000000000001'
    await store.governance.upsertProposal({ ...proposal(1), key: `snapshot:upstream-dao.eth:${A}`, upstreamId: A })
    await store.governance.upsertProposal({ ...proposal(2), key: `snapshot:upstream-dao.eth:${B}`, upstreamId: B })
    const text = await reader.listProposals()
    expect(text).toContain('id 0x8f3a9c2e… · seen')
    expect(text).not.toContain(A)
    expect(await reader.receipt('0x8f3a9c2e1')).toBe(`proposal ${A} "Raise the cap 1": no tally yet (status seen)`)
    expect(await reader.receipt('0x8f3a9c2eff…')).toBe(`proposal ${B} "Raise the cap 2": no tally yet (status seen)`)
    expect(await reader.receipt('0x8f3a9c2e…')).toBe('"0x8f3a9c2e…" starts the ids of 2 proposals (0x8f3a9c2e…, 0x8f3a9c2e…): give more characters')
  })

  it('renders the latest receipt for an upstream id; a proposal without tally and an unknown id are told apart', async () => {
    const reader = storeGovernanceReader(store)
    const { proposal: p } = await store.governance.upsertProposal(proposal(1))
    expect(await reader.receipt('0xp1')).toMatch(/no tally yet \(status seen\)/)
    expect(await reader.receipt('0xnothing')).toBeUndefined()

    const world = randomWorld(7, 'single-choice', { choices: 2, delegators: 6 })
    const receipt = buildReceipt(
      { proposal: { id: '0xsig1', type: 'single-choice', choices: world.choices }, delegators: world.delegators, signals: world.signals, policy: { silent: 'not-cast', quorumBps: 0 } },
      { snapshot: { space: 'upstream-dao.eth', proposal: '0xp1' } },
    )
    // The receipt goes through the store as the governor stores it (JSON) and still recomputes.
    await store.governance.addTally({ proposalKey: p.key, status: 'ok', receipt: JSON.parse(receiptToJson(receipt)), hash: '0xfeed' })
    const text = await reader.receipt('0xp1')
    expect(text).toContain('Tally receipt — signalling proposal 0xsig1')
    expect(text).toContain('upstream: Snapshot upstream-dao.eth 0xp1 "Raise the cap 1"')
    expect(text).toContain(`Delegators (${world.delegators.length})`)
    expect(recomputeFromReceipt((await store.governance.latestTally(p.key))!.receipt).ok).toBe(true)
  })
})
