import { decodeFunctionData, parseEther, type Address } from 'viem'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ChainClient } from '../chains/createChainClient'
import type { Config } from '../config/schema'
import { pauseKey, type Store } from '../store'
import { openTempStore } from '../store/testing'
import type { Intent } from '../store/types'
import { useDevnet } from '../test/devnet'
import { erc20ApproveAbi, slippageRouterAbi } from './abis'
import type { TxPoint, TxSender } from './createTxSender'
import { executePlan, planFailedAlertKey, type ExecutePlanInput } from './executePlan'
import { readPosition } from './readPosition'
import { chainClient, sender, setPoolAllowance, setVaultPaused, silentLogger, testConfig, txsFrom } from './testing/devnetHelpers'
import { createTestPlan, rebalanceSteps } from './testing/plans'

const devnet = useDevnet()
const CHAIN = 'ethereum'
const pool = devnet.accounts.pool.address
const ids = { core: `${CHAIN}-vault-core`, boost: `${CHAIN}-vault-boost`, aave: `${CHAIN}-aave`, idle: `${CHAIN}-wsteth` }

let store: Store
let cleanup: () => Promise<void>
let config: Config
let chain: ChainClient
let startBlock: bigint
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  config = testConfig(devnet)
  chain = chainClient(config, CHAIN)
  startBlock = await devnet.chain(CHAIN).public.getBlockNumber({ cacheTime: 0 })
})
afterEach(() => cleanup())

function run(planId: string, over: Partial<ExecutePlanInput> & { txHooks?: { at(p: TxPoint, i: Intent): void | Promise<void> } } = {}) {
  const s: TxSender = sender(devnet, config, store, chain, over.txHooks ? { hooks: over.txHooks } : {})
  return executePlan({ common: { config, logger: silentLogger }, store, chains: { [CHAIN]: chain }, senders: { [CHAIN]: s }, plan: { id: planId }, ...over })
}

const venueOf = (id: string) => config.venues.find((v) => v.id === id)!
const position = async (id: string, block?: bigint) => readPosition(chain.client, venueOf(id), pool, block ?? (await chain.client.getBlockNumber({ cacheTime: 0 })))

describe('executePlan (devnet)', () => {
  it('withdraw, deposit, supply (each approve(router) + the router\'s bounded call), idle: completed, each tx once, positions moved', async () => {
    const venues = devnet.deployment.chains[CHAIN]!.venues
    const boost = venues.find((v) => v.id === ids.boost)! as { vault: Address }
    const aave = venues.find((v) => v.id === ids.aave)! as { market: Address }
    await setPoolAllowance(devnet, CHAIN, boost.vault, 0n)
    await setPoolAllowance(devnet, CHAIN, aave.market, 0n)
    const from = await devnet.chain(CHAIN).public.getBlockNumber({ cacheTime: 0 })
    const before = { core: await position(ids.core), boost: await position(ids.boost), aave: await position(ids.aave) }
    await createTestPlan(store, 'p1', CHAIN, [...rebalanceSteps(CHAIN), { kind: 'deposit', chain: CHAIN, venueId: ids.idle, amount: parseEther('0.5') }])

    const res = await run('p1')
    expect(res.status).toBe('completed')
    expect(res.plan.status).toBe('completed')
    expect(res.steps.map((s) => s.status)).toEqual(['confirmed', 'confirmed', 'confirmed', 'confirmed'])
    expect(res.steps[3]!.detail).toMatchObject({ idle: true })
    expect(res.steps[1]!.detail).toMatchObject({ txs: [{ n: 0, label: 'approve' }, { n: 1, label: 'deposit' }] })

    const txs = await txsFrom(devnet, CHAIN, pool, from)
    const fns = txs.map((t) => {
      for (const abi of [slippageRouterAbi, erc20ApproveAbi]) {
        try {
          return decodeFunctionData({ abi, data: t.input }).functionName
        } catch {
          /* next */
        }
      }
      return '?'
    })
    expect(fns).toEqual(['approve', 'withdrawChecked', 'approve', 'depositChecked', 'approve', 'supplyChecked'])
    const intents = await store.intents.list({ keyPrefix: 'p1:' })
    expect(intents.map((i) => [i.key, i.status])).toEqual([
      ['p1:0:0', 'confirmed'],
      ['p1:0:1', 'confirmed'],
      ['p1:1:0', 'confirmed'],
      ['p1:1:1', 'confirmed'],
      ['p1:2:0', 'confirmed'],
      ['p1:2:1', 'confirmed'],
    ])
    expect(txs.map((t) => t.hash)).toEqual(intents.map((i) => i.txHash))

    const after = { core: await position(ids.core), boost: await position(ids.boost), aave: await position(ids.aave) }
    const near = (a: bigint, b: bigint) => expect(Number(a - b) / 1e18).toBeCloseTo(0, 2)
    near(after.core - before.core, -parseEther('40'))
    near(after.boost - before.boost, parseEther('25'))
    near(after.aave - before.aave, parseEther('15'))

    // Run again: nothing more happens.
    expect((await run('p1')).status).toBe('completed')
    expect(await txsFrom(devnet, CHAIN, pool, from)).toHaveLength(6)
  })

  it('a step that reverts on chain stops the plan: step and plan failed, alert, remaining steps pending', async () => {
    await createTestPlan(store, 'p2', CHAIN, rebalanceSteps(CHAIN))
    const res = await run('p2', {
      txHooks: { at: async (p, intent) => (p === 'signed' && intent.key === 'p2:1:1' ? setVaultPaused(devnet, ids.boost, true) : undefined) },
    })
    expect(res.status).toBe('failed')
    if (res.status !== 'failed') return
    expect(res.stepIdx).toBe(1)
    expect(res.error).toMatch(/^deposit: intent p2:1:1: transaction 0x[0-9a-f]{64} reverted in block \d+$/)
    expect(res.plan).toMatchObject({ status: 'failed', error: res.error })
    expect(res.steps.map((s) => s.status)).toEqual(['confirmed', 'failed', 'pending'])
    const alert = (await store.alerts.open({ rule: 'plan-failed' }))[0]
    expect(alert).toMatchObject({ dedupKey: planFailedAlertKey('p2'), severity: 'critical', subject: 'p2', title: `Plan p2 failed at step 1 (deposit ${ids.boost})` })
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toHaveLength(4) // approve + withdraw, approve + the reverted deposit
    // A revert that is not the bound (the vault paused) is a failure, not slippage.
    expect(res.steps[1]!.detail).not.toHaveProperty('slippage')
    // executing it again changes nothing
    expect((await run('p2')).status).toBe('failed')
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toHaveLength(4)
  })

  it('a pre-flight revert stops the plan before the step\'s move is sent (only its approve of the router went out)', async () => {
    await setVaultPaused(devnet, ids.core, true)
    const from = await devnet.chain(CHAIN).public.getBlockNumber({ cacheTime: 0 })
    await createTestPlan(store, 'p3', CHAIN, rebalanceSteps(CHAIN))
    const res = await run('p3')
    expect(res.status).toBe('failed')
    if (res.status !== 'failed') return
    expect(res.error).toMatch(/^withdraw: intent p3:0:1: pre-flight call reverted: (ERC4626ExceededMaxWithdraw|EnforcedPause)/)
    expect(res.steps.map((s) => s.status)).toEqual(['failed', 'pending', 'pending'])
    // The approve of the vault's shares to the router (it moves nothing); the withdrawal itself never left.
    const txs = await txsFrom(devnet, CHAIN, pool, from)
    expect(txs.map((t) => decodeFunctionData({ abi: erc20ApproveAbi, data: t.input }).functionName)).toEqual(['approve'])
    expect(await store.alerts.isOpen(planFailedAlertKey('p3'))).toBe(true)
  })

  it('honours pause:executor before every send; resumes when cleared', async () => {
    await createTestPlan(store, 'p4', CHAIN, rebalanceSteps(CHAIN))
    await store.controls.set(pauseKey('executor'), { reason: 'test' }, 'alice')
    const paused = await run('p4')
    expect(paused).toMatchObject({ status: 'paused', stepIdx: 0 })
    expect(paused.plan.status).toBe('executing')
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toEqual([])
    // pause mid-plan: after step 0's tx
    await store.controls.clear(pauseKey('executor'))
    const mid = await run('p4', { hooks: { at: (p, ctx) => (p === 'step-done' && ctx.stepIdx === 0 ? store.controls.set('pause:all', true, 'bob') : undefined) } })
    expect(mid).toMatchObject({ status: 'paused', stepIdx: 1 })
    expect(mid.steps.map((s) => s.status)).toEqual(['confirmed', 'pending', 'pending'])
    await store.controls.clear('pause:all')
    expect((await run('p4')).status).toBe('completed')
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toHaveLength(6) // each step: approve(router) + the router call
  })

  it('only approved or executing plans run; a stale approved plan is refused', async () => {
    await createTestPlan(store, 'p5', CHAIN, rebalanceSteps(CHAIN), { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 })
    expect(await run('p5')).toMatchObject({ status: 'not-executable', reason: 'plan is awaiting_approval' })
    await createTestPlan(store, 'p6', CHAIN, rebalanceSteps(CHAIN), { basedOnBlock: { [CHAIN]: startBlock - 20n } })
    const stale = await run('p6', { maxPlanAgeBlocks: 10 })
    expect(stale).toMatchObject({ status: 'failed', stepIdx: null })
    if (stale.status === 'failed') expect(stale.error).toMatch(/^stale plan: computed from ethereum block \d+, the head is \d+ \(more than 10 blocks\)$/)
    expect(stale.steps.map((s) => s.status)).toEqual(['pending', 'pending', 'pending'])
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toEqual([])
  })
})
