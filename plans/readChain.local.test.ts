import { parseEther } from 'viem'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../config/load'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import type { PlanInput } from '../store/types'
import { readChain } from './proposePlan'

// The strategist's view of a chain (real SQLite store): what plans already moved counts in the
// period's move budget and the venues' cooldowns — completed and executing plans whole, plans that
// ended part-way (stopped, expired, failed) by their confirmed steps only.
const TOKEN = '0x00000000000000000000000000000000000000a1'
const VAULT_A = '0x00000000000000000000000000000000000000b1'
const VAULT_B = '0x00000000000000000000000000000000000000b2'
const config = parseConfig({
  chains: [{ name: 'ethereum', chainId: 31337, rpc: [{ url: 'http://127.0.0.1:1/' }], blockTimeMs: 1000 }],
  pool: { account: TOKEN, collateral: [{ chain: 'ethereum', symbol: 'wstETH', token: TOKEN, decimals: 18 }] },
  venues: [
    { id: 'idle', chain: 'ethereum', protocol: 'lido', kind: 'lst', address: TOKEN, rateMethod: 'stEthPerToken' },
    { id: 'vault-a', chain: 'ethereum', protocol: 'sim', kind: 'erc4626', address: VAULT_A },
    { id: 'vault-b', chain: 'ethereum', protocol: 'sim', kind: 'erc4626', address: VAULT_B },
  ],
})

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  await store.cursors.set({ chain: 'ethereum', blockNumber: 200n, blockHash: `0x${'11'.repeat(32)}` })
})
afterEach(() => cleanup())

const plan = (id: string, block: bigint, over: Partial<PlanInput> = {}): PlanInput => ({
  id,
  chain: 'ethereum',
  status: 'approved',
  basedOnBlock: { ethereum: block },
  totalAmount: parseEther('40'),
  expectedGain: 1n,
  cost: 1n,
  needsApproval: false,
  approvalsRequired: 0,
  steps: [
    { kind: 'withdraw', chain: 'ethereum', venueId: 'vault-a', amount: parseEther('40') },
    { kind: 'deposit', chain: 'ethereum', venueId: 'vault-b', amount: parseEther('40') },
  ],
  ...over,
})

async function view() {
  const v = await readChain(config, store, 'ethereum')
  if (typeof v === 'string') throw new Error(v)
  return { moved: v.chain.movedThisPeriod, lastMoved: Object.fromEntries(v.venues.map((x) => [x.id, x.lastMovedBlock])) }
}

describe('readChain: moves already made', () => {
  it('a stopped plan counts its confirmed withdrawal, not its pending deposit', async () => {
    await store.plans.create(plan('p-stopped', 150n))
    await store.plans.transition('p-stopped', 'approved', 'executing')
    await store.plans.setStepStatus('p-stopped', 0, 'confirmed')
    await store.plans.transition('p-stopped', 'executing', 'stopped', { error: 'target venue vault-b paused at block 151' })
    expect(await view()).toEqual({ moved: parseEther('40'), lastMoved: { idle: null, 'vault-a': 150n, 'vault-b': null } })
  })

  it('an expired plan that never ran counts nothing; a completed one counts every step', async () => {
    await store.plans.create(plan('p-expired', 150n, { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 }))
    await store.plans.transition('p-expired', 'awaiting_approval', 'expired')
    expect(await view()).toEqual({ moved: 0n, lastMoved: { idle: null, 'vault-a': null, 'vault-b': null } })
    await store.plans.create(plan('p-done', 160n))
    await store.plans.transition('p-done', 'approved', 'executing')
    await store.plans.transition('p-done', 'executing', 'completed')
    expect(await view()).toEqual({ moved: parseEther('40'), lastMoved: { idle: null, 'vault-a': 160n, 'vault-b': 160n } })
  })
})
