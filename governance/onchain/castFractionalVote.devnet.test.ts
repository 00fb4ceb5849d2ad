import { encodeFunctionData, keccak256, parseEther, toHex, type Address } from 'viem'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Config } from '../../config/schema'
import { chainClient, sender, testConfig, txsFrom } from '../../execution/testing/devnetHelpers'
import type { Store } from '../../store'
import { openTempStore } from '../../store/testing'
import { useDevnet } from '../../test/devnet'
import { governorAbi } from './abi'
import { castFractionalVote } from './castFractionalVote'
import { readGovernorProposal } from './readGovernorProposal'

const devnet = useDevnet()
const CHAIN = 'ethereum'
const dao = devnet.deployment.chains[CHAIN]!.dao!
// The governor votes with its own key (dev #10): the pool's DAO tokens are delegated to it.
const pool = devnet.accounts.voter.address
const POOL_WEIGHT = BigInt(dao.holders[devnet.accounts.pool.address]!)
const c = () => devnet.chain(CHAIN)

let store: Store
let cleanup: () => Promise<void>
let config: Config
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  config = testConfig(devnet)
})
afterEach(() => cleanup())

/** Holder #6 proposes (a harmless call: the governor reads the token's name); returns the proposal id and the block before it. */
async function propose(description: string): Promise<{ proposalId: bigint; fromBlock: bigint }> {
  const fromBlock = await c().public.getBlockNumber({ cacheTime: 0 })
  const targets: Address[] = [dao.token]
  const values = [0n]
  const calldatas = [encodeFunctionData({ abi: [{ type: 'function', name: 'name', inputs: [], outputs: [{ type: 'string' }], stateMutability: 'view' }], functionName: 'name' })]
  const hash = await c().wallet(6).writeContract({ address: dao.governor, abi: governorAbi, functionName: 'propose', args: [targets, values, calldatas, description] })
  await c().public.waitForTransactionReceipt({ hash, pollingInterval: 20 })
  const proposalId = await c().public.readContract({ address: dao.governor, abi: governorAbi, functionName: 'hashProposal', args: [targets, values, calldatas, keccak256(toHex(description))] })
  return { proposalId, fromBlock }
}

/** Past the voting delay (seconds: blocks are mined one second apart). */
const startVoting = () => devnet.mine(CHAIN, dao.votingDelay + 1)

const totals = async (proposalId: bigint) => {
  const [against, forVotes, abstain] = await c().public.readContract({ address: dao.governor, abi: governorAbi, functionName: 'proposalVotes', args: [proposalId] })
  return { against, for: forVotes, abstain }
}

describe('on-chain fractional vote (devnet PoolGovernor)', () => {
  it('is deployed on the first chain with a timestamp clock shared by token and governor', async () => {
    const [mode, counting, delay, period] = await Promise.all([
      c().public.readContract({ address: dao.governor, abi: governorAbi, functionName: 'CLOCK_MODE' }),
      c().public.readContract({ address: dao.governor, abi: governorAbi, functionName: 'COUNTING_MODE' }),
      c().public.readContract({ address: dao.governor, abi: governorAbi, functionName: 'votingDelay' }),
      c().public.readContract({ address: dao.governor, abi: governorAbi, functionName: 'votingPeriod' }),
    ])
    expect(mode).toBe('mode=timestamp')
    expect(counting).toBe('support=bravo,fractional&quorum=for,abstain&params=fractional')
    expect([delay, period]).toEqual([BigInt(dao.votingDelay), BigInt(dao.votingPeriod)])
    expect(devnet.deployment.chains.arbitrum!.dao).toBeUndefined()
  })

  it('reads a proposal: pending (no weight yet), then active with the pool weight at the snapshot', async () => {
    const { proposalId } = await propose('read me')
    const pending = await readGovernorProposal({ client: c().public, governor: dao.governor, proposalId, account: pool })
    expect(pending).toMatchObject({ state: 'Pending', weight: null, usedVotes: 0n, clockMode: 'mode=timestamp' })
    expect(pending.deadline - pending.snapshot).toBe(BigInt(dao.votingPeriod))
    await startVoting()
    const active = await readGovernorProposal({ client: c().public, governor: dao.governor, proposalId, account: pool })
    expect(active).toMatchObject({ state: 'Active', weight: POOL_WEIGHT, usedVotes: 0n, snapshot: pending.snapshot })
  })

  it('casts the split to the wei, exactly once per key', async () => {
    const { proposalId } = await propose('full split')
    const pending = castFractionalVote({
      sender: sender(devnet, config, store, chainClient(config, CHAIN), { agent: 'governor' }, devnet.voterKey),
      client: c().public,
      intents: store.intents,
      governor: dao.governor,
      proposalId,
      split: { against: 1n, for: 0n, abstain: 0n },
      reason: 'too early',
      key: 'early',
    })
    await expect(pending).rejects.toMatchObject({ name: 'ProposalNotActiveYetError', retryable: true })
    expect(await store.intents.get('early')).toBeUndefined()

    await startVoting()
    const s = sender(devnet, config, store, chainClient(config, CHAIN), { agent: 'governor' }, devnet.voterKey)
    const split = { against: parseEther('123.456789012345678901'), for: parseEther('600.000000000000000007'), abstain: 0n }
    split.abstain = POOL_WEIGHT - split.against - split.for
    const before = await c().public.getBlockNumber({ cacheTime: 0 })
    const args = { sender: s, client: c().public, intents: store.intents, governor: dao.governor, proposalId, split, reason: 'pool: delegators signalled', key: `gov:${proposalId}:0` }
    const first = await castFractionalVote(args)
    expect(first.status).toBe('sent')
    if (first.status !== 'sent') return
    expect(first.intent).toMatchObject({ status: 'confirmed', receiptStatus: 'success' })
    expect(first.delta).toEqual(split)
    expect(await totals(proposalId)).toEqual(split)
    const after = await readGovernorProposal({ client: c().public, governor: dao.governor, proposalId, account: pool })
    expect(after.usedVotes).toBe(POOL_WEIGHT)

    const nonce = await c().public.getTransactionCount({ address: pool, blockTag: 'pending' })
    const again = await castFractionalVote(args)
    expect(again).toMatchObject({ status: 'resumed', intent: { txHash: first.intent.txHash, status: 'confirmed' } })
    expect(await c().public.getTransactionCount({ address: pool, blockTag: 'pending' })).toBe(nonce)
    expect((await txsFrom(devnet, CHAIN, pool, before)).map((t) => t.hash)).toEqual([first.intent.txHash])
    expect(await totals(proposalId)).toEqual(split)
  })

  it('tops up a partial vote: only the remaining weight is cast, then nothing more', async () => {
    const { proposalId, fromBlock } = await propose('partial then top-up')
    await startVoting()
    const s = sender(devnet, config, store, chainClient(config, CHAIN), { agent: 'governor' }, devnet.voterKey)
    const base = { sender: s, client: c().public, intents: store.intents, governor: dao.governor, proposalId, reason: 'pool', fromBlock }
    const early = { against: parseEther('100'), for: parseEther('250.5'), abstain: 0n }
    const r1 = await castFractionalVote({ ...base, split: early, key: 'gov:p:0' })
    expect(r1.status).toBe('sent')
    expect(await totals(proposalId)).toEqual(early)

    const target = { against: parseEther('300'), for: parseEther('450'), abstain: 0n }
    target.abstain = POOL_WEIGHT - target.against - target.for
    const r2 = await castFractionalVote({ ...base, split: target, key: 'gov:p:1' })
    expect(r2.status).toBe('sent')
    if (r2.status !== 'sent') return
    expect(r2.previous).toEqual(early)
    expect(r2.delta).toEqual({ against: target.against - early.against, for: target.for - early.for, abstain: target.abstain })
    expect(await totals(proposalId)).toEqual(target)
    const read = await readGovernorProposal({ client: c().public, governor: dao.governor, proposalId, account: pool })
    expect(read.usedVotes).toBe(POOL_WEIGHT)

    const head = await c().public.getBlockNumber({ cacheTime: 0 })
    const r3 = await castFractionalVote({ ...base, split: target, key: 'gov:p:2' })
    expect(r3).toMatchObject({ status: 'nothing-to-cast', previous: target })
    expect(await store.intents.get('gov:p:2')).toBeUndefined()
    expect(await txsFrom(devnet, CHAIN, pool, head)).toEqual([])
  })
})
