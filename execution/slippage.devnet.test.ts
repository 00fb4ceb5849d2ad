import { erc20Abi, parseAbi, parseEther, type Address, type Hex } from 'viem'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { planStoppedAlertKey } from '../plans/expire'
import { makePreview, storedPreviewOf, toStoredPreview } from '../plans/slippage'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import type { PlanStepInput } from '../store/types'
import { useDevnet } from '../test/devnet'
import { erc4626Abi } from '../venues/abis'
import { slippageRouterAbi } from './abis'
import { executePlan } from './executePlan'
import { createTestPlan } from './testing/plans'
import { chainClient, sender, silentLogger, testConfig, txsFrom } from './testing/devnetHelpers'
import type { TxSenderOptions } from './createTxSender'

/**
 * The slippage fault (issue 16, `npm run faults` case "slippage"), on a real anvil chain in custody
 * "eoa" (custody "safe" runs the same router through the Roles modifier: custody.devnet.test.ts).
 * A plan's deposit is previewed at its decision block and stored with the step; then the vault's
 * share price moves against the pool — a donation to the vault (deposits get fewer shares) or a
 * strategy loss (withdrawals burn more shares) — before the executor runs the step.
 */
const devnet = useDevnet()
const CHAIN = 'ethereum'
const pool = devnet.accounts.pool.address
const BOOST = `${CHAIN}-vault-boost`
const CORE = `${CHAIN}-vault-core`
const simVaultLossAbi = parseAbi(['function realizeLoss(uint256 lossBps)'])

let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
})
afterEach(() => cleanup())

const cfg = () => testConfig(devnet)
const pub = () => devnet.chain(CHAIN).public
const vaultOf = (id: string) => cfg().venues.find((v) => v.id === id)!.address
const collateral = () => devnet.deployment.chains[CHAIN]!.collateral
const routerAddr = () => cfg().chains.find((c) => c.name === CHAIN)!.router!
const bal = (token: Address, who: Address) => pub().readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [who] })
const wait = (hash: Hex) => pub().waitForTransactionReceipt({ hash, pollingInterval: 20 })

/** A step with its preview at the current head, as the strategist stores it from the sampled exchange rate. */
async function decidedStep(kind: 'deposit' | 'withdraw', venueId: string, amount: bigint): Promise<PlanStepInput> {
  const block = await pub().getBlockNumber({ cacheTime: 0 })
  const rate = await pub().readContract({ address: vaultOf(venueId), abi: erc4626Abi, functionName: 'convertToAssets', args: [10n ** 18n], blockNumber: block })
  const p = makePreview({ venueKind: 'erc4626', kind, amount, rate, slippageBps: cfg().execution.slippageBps, block, source: 'decision' })!
  return { kind, chain: CHAIN, venueId, amount, detail: { preview: toStoredPreview(p) } }
}

/** The share price moves up by `bps`: someone donates assets to the vault. */
async function donate(venueId: string, bps: bigint) {
  const vault = vaultOf(venueId)
  const assets = await pub().readContract({ address: vault, abi: erc4626Abi, functionName: 'totalAssets' })
  await wait(await devnet.chain(CHAIN).wallet(devnet.accounts.deployer).writeContract({ address: collateral(), abi: erc20Abi, functionName: 'transfer', args: [vault, (assets * bps) / 10_000n] }))
}

/** The share price moves down by `bps`: a strategy loss (SimVault.realizeLoss, as the vault's owner). */
async function loss(venueId: string, bps: bigint) {
  await wait(await devnet.chain(CHAIN).wallet(devnet.accounts.deployer).writeContract({ address: vaultOf(venueId), abi: simVaultLossAbi, functionName: 'realizeLoss', args: [bps] }))
}

function run(planId: string, options: TxSenderOptions = {}) {
  const config = cfg()
  const chain = chainClient(config, CHAIN)
  return executePlan({ common: { config, logger: silentLogger }, store, chains: { [CHAIN]: chain }, senders: { [CHAIN]: sender(devnet, config, store, chain, options) }, plan: { id: planId } })
}

async function stoppedAlertBody(planId: string) {
  const a = (await store.alerts.open({ rule: 'plan-stopped' })).find((x) => x.dedupKey === planStoppedAlertKey(planId))
  expect(a).toBeDefined()
  return { title: a!.title, body: (await store.alerts.get(a!.alertId))!.body }
}

describe('slippage-bounded moves (devnet)', () => {
  it('within tolerance: a deposit whose share price rose 0.2 % since the decision goes through, at no fewer shares than its bound', async () => {
    const step = await decidedStep('deposit', BOOST, parseEther('10'))
    const p = storedPreviewOf(step.detail)!
    await createTestPlan(store, 's-ok', CHAIN, [step])
    await donate(BOOST, 20n)
    const sharesBefore = await bal(vaultOf(BOOST), pool)
    const from = await pub().getBlockNumber({ cacheTime: 0 })
    const r = await run('s-ok')
    expect(r.status, r.status === 'failed' ? r.error : '').toBe('completed')
    const got = (await bal(vaultOf(BOOST), pool)) - sharesBefore
    // Fewer shares than previewed (the price rose), but within the 50 bps bound.
    expect(got < p.amount).toBe(true)
    expect(got >= p.bound).toBe(true)
    // The deposit went through the router with the decision's bound.
    const txs = await txsFrom(devnet, CHAIN, pool, from)
    expect(txs.map((t) => t.to?.toLowerCase())).toEqual([collateral().toLowerCase(), routerAddr().toLowerCase()]) // approve(router), depositChecked
  })

  it('beyond tolerance before the send: the re-preview stops the plan, nothing is sent, the alert names the step, the preview and the actual amount', async () => {
    const step = await decidedStep('deposit', BOOST, parseEther('10'))
    const p = storedPreviewOf(step.detail)!
    await createTestPlan(store, 's-pre', CHAIN, [step, { kind: 'deposit', chain: CHAIN, venueId: `${CHAIN}-aave`, amount: parseEther('1') }])
    await donate(BOOST, 200n)
    const from = await pub().getBlockNumber({ cacheTime: 0 })
    const idle = await bal(collateral(), pool)
    const r = await run('s-pre')
    expect(r.status).toBe('stopped')
    if (r.status !== 'stopped') return
    expect(r.stepIdx).toBe(0)
    expect(r.reason).toMatch(new RegExp(`^step 0 \\(deposit ${BOOST}\\): shares out previewed ${p.amount} at block ${p.block} \\(decision\\), minimum ${p.bound} at 50 bps; actual (\\d+) previewed by the venue at block \\d+: beyond the tolerance, the step was not made$`))
    const actual = BigInt(/actual (\d+)/.exec(r.reason)![1]!)
    // The donation cut the shares out by about 2 % (1/1.02 of the preview).
    expect(actual < p.bound && actual > (p.amount * 975n) / 1000n).toBe(true)
    expect(r.steps.map((s) => s.status)).toEqual(['pending', 'pending'])
    expect(await txsFrom(devnet, CHAIN, pool, from)).toEqual([])
    expect(await store.intents.list({ keyPrefix: 's-pre:' })).toEqual([])
    expect(await bal(collateral(), pool)).toBe(idle)
    const alert = await stoppedAlertBody('s-pre')
    expect(alert.title).toBe(`Plan s-pre stopped at step 0 (deposit ${BOOST}): slippage beyond 50 bps`)
    expect(alert.body).toContain(r.reason)
    // Running it again sends nothing either.
    expect((await run('s-pre')).status).toBe('stopped')
    expect(await txsFrom(devnet, CHAIN, pool, from)).toEqual([])
  })

  it('beyond tolerance between the re-preview and mining: the router reverts the deposit on chain, nothing moves, the plan stops', async () => {
    const step = await decidedStep('deposit', BOOST, parseEther('10'))
    const p = storedPreviewOf(step.detail)!
    await createTestPlan(store, 's-chain', CHAIN, [step])
    const idle = await bal(collateral(), pool)
    const shares = await bal(vaultOf(BOOST), pool)
    let moved = false
    // The price moves after the executor previewed, pre-flighted and signed the router call.
    const r = await run('s-chain', {
      hooks: {
        at: async (point, intent) => {
          if (point === 'signed' && intent.key === 's-chain:0:1' && !moved) {
            moved = true
            await donate(BOOST, 200n)
          }
        },
      },
    })
    expect(moved).toBe(true)
    expect(r.status).toBe('stopped')
    if (r.status !== 'stopped') return
    const main = (await store.intents.get('s-chain:0:1'))!
    expect(main.receiptStatus).toBe('reverted')
    expect(main.to.toLowerCase()).toBe(routerAddr().toLowerCase())
    expect((await pub().getTransactionReceipt({ hash: main.txHash as Hex })).status).toBe('reverted')
    expect(r.reason).toContain(`step 0 (deposit ${BOOST}): shares out previewed ${p.amount} at block ${p.block} (decision), minimum ${p.bound} at 50 bps; actual `)
    expect(r.reason).toContain(`at block ${main.blockNumber} (tx ${main.txHash} reverted by the router)`)
    expect(r.steps[0]).toMatchObject({ status: 'failed', error: r.reason })
    expect((r.steps[0]!.detail as { slippage: { bound: string } }).slippage.bound).toBe(p.bound.toString())
    // Nothing moved: the collateral and the shares are where they were (the approve moved nothing).
    expect(await bal(collateral(), pool)).toBe(idle)
    expect(await bal(vaultOf(BOOST), pool)).toBe(shares)
    expect((await stoppedAlertBody('s-chain')).body).toContain('reverted by the router')
  })

  it('a withdrawal after a 2 % strategy loss would burn more shares than its maximum: stopped before sending, nothing moved', async () => {
    const step = await decidedStep('withdraw', CORE, parseEther('5'))
    const p = storedPreviewOf(step.detail)!
    expect(p.what).toBe('sharesIn')
    await createTestPlan(store, 's-loss', CHAIN, [step])
    await loss(CORE, 200n)
    const shares = await bal(vaultOf(CORE), pool)
    const from = await pub().getBlockNumber({ cacheTime: 0 })
    const r = await run('s-loss')
    expect(r.status).toBe('stopped')
    if (r.status !== 'stopped') return
    expect(r.reason).toMatch(new RegExp(`^step 0 \\(withdraw ${CORE}\\): shares in previewed ${p.amount} at block ${p.block} \\(decision\\), maximum ${p.bound} at 50 bps; actual \\d+`))
    const actual = BigInt(/actual (\d+)/.exec(r.reason)![1]!)
    expect(actual > p.bound).toBe(true)
    expect(await txsFrom(devnet, CHAIN, pool, from)).toEqual([])
    expect(await bal(vaultOf(CORE), pool)).toBe(shares)
  })

  it('a plan stored without a preview is bounded by the executor\'s own preview (never unbounded), and the aave supply and withdrawal go through the router', async () => {
    await createTestPlan(store, 's-none', CHAIN, [
      { kind: 'deposit', chain: CHAIN, venueId: `${CHAIN}-aave`, amount: parseEther('3') },
      { kind: 'withdraw', chain: CHAIN, venueId: `${CHAIN}-aave`, amount: parseEther('2') },
      { kind: 'withdraw', chain: CHAIN, venueId: CORE, amount: parseEther('2') },
    ])
    const r = await run('s-none')
    expect(r.status, r.status === 'failed' ? r.error : '').toBe('completed')
    for (const s of r.steps) {
      const p = storedPreviewOf(s.detail)!
      expect(p.source).toBe('execution')
      expect(p.bound > 0n).toBe(true)
    }
    expect(storedPreviewOf(r.steps[0]!.detail)!.bound).toBe((parseEther('3') * 9950n) / 10_000n)
    const mains = await Promise.all([0, 1, 2].map((i) => store.intents.get(`s-none:${i}:1`)))
    for (const m of mains) expect(m!.to.toLowerCase()).toBe(routerAddr().toLowerCase())
  })

  it('the router on its own: it never burns another owner\'s shares, and a deposit below its minimum is mined reverted with nothing moved', async () => {
    const c = devnet.chain(CHAIN)
    const vault = vaultOf(BOOST)
    const router = routerAddr()
    // The deployer tries to withdraw the pool's shares to itself (even had the pool approved the router).
    await wait(await c.wallet(devnet.accounts.pool).writeContract({ address: vault, abi: erc20Abi, functionName: 'approve', args: [router, parseEther('1000')] }))
    await expect(
      pub().simulateContract({ account: devnet.accounts.deployer, address: router, abi: slippageRouterAbi, functionName: 'withdrawChecked', args: [vault, parseEther('1'), devnet.accounts.deployer.address, pool, parseEther('1000')] }),
    ).rejects.toThrow(/OwnerNotCaller/)
    // A deposit asking for one share more than the vault gives: mined reverted (fixed gas: no estimate).
    await wait(await c.wallet(devnet.accounts.pool).writeContract({ address: collateral(), abi: erc20Abi, functionName: 'approve', args: [router, parseEther('1')] }))
    const preview = await pub().readContract({ address: vault, abi: parseAbi(['function previewDeposit(uint256) view returns (uint256)']), functionName: 'previewDeposit', args: [parseEther('1')] })
    const idle = await bal(collateral(), pool)
    const shares = await bal(vault, pool)
    const hash = await c.wallet(devnet.accounts.pool).writeContract({ address: router, abi: slippageRouterAbi, functionName: 'depositChecked', args: [vault, parseEther('1'), pool, preview + 10n ** 15n], gas: 500_000n })
    expect((await wait(hash)).status).toBe('reverted')
    expect(await bal(collateral(), pool)).toBe(idle)
    expect(await bal(vault, pool)).toBe(shares)
    expect(await bal(collateral(), router)).toBe(0n)
    // At the preview it passes, and the router keeps nothing.
    expect((await wait(await c.wallet(devnet.accounts.pool).writeContract({ address: router, abi: slippageRouterAbi, functionName: 'depositChecked', args: [vault, parseEther('1'), pool, preview - 10n ** 12n] }))).status).toBe('success')
    expect(await bal(collateral(), router)).toBe(0n)
    expect(await bal(vault, router)).toBe(0n)
  })
})
