import { createWalletClient, encodeFunctionData, erc20Abi, formatEther, getAddress, http, parseEther, type Address, type Hex, type PublicClient } from 'viem'
import { rolesAbi } from 'zodiac-roles-sdk'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Config } from '../../config/schema'
import { devAccount, devKey, ROLES } from '../../devnet/accounts'
import { GOV_ROLES } from '../../devnet/governance/constants'
import { simLstAbi } from '../../devnet/abis'
import { distributorAbi } from '../../rewards/readChain'
import { buildTree, leavesOf, proofFor, type PublishedEpoch } from '../../rewards/tree'
import { verifyEpoch } from '../../rewards/verify'
import type { Store } from '../../store'
import { openTempStore } from '../../store/testing'
import { useOwnDevnet } from '../../test/devnet'
import { devnetSigningKeys } from '../../devnet/safe/setUpCustody'
import { distributorRoleKeyOf, distributorSender, rewardsAllowanceKey } from '../custody'
import { applyCustodyDiff } from '../custody/applyDiff'
import { describeDiff, diffChainCustody } from '../custody/diffRole'
import { chainClient, sender, silentLogger, testConfig } from '../testing/devnetHelpers'
import { createDistributor, epochWindow, type DistributorDeps, type DistributorPoint } from './closeEpoch'

/**
 * Reward epochs on real devnet chains in custody "safe" (a devnet of its own: the pool's Safe owns
 * the distributor and holds the funds; the distributor's key #7 sends setRoot and the funding
 * through its OWN Roles role, never the executor's): the contract's refusals, epochs closed end to
 * end (tree → root → funding), claims by an EOA and by the EIP-1271 wallet, verify MATCH /
 * MISMATCH, a losing epoch, a crash right after each stored step resumed by a fresh distributor
 * exactly once, and fundings the role's allowance does not cover (above the configured cap; above
 * what is left on chain in the period) waiting with nothing sent.
 */
const devnet = useOwnDevnet(186, { custody: 'safe' })
const CLAIMS = 'ethereum'

let config: Config
let store: Store
let cleanup: () => Promise<void>
beforeEach(async () => {
  const t = await openTempStore()
  store = t.store
  cleanup = t.cleanup
  // The tests mint 10 wstETH of "earnings" into a pool of ~2,000 within one short devnet epoch: far
  // above any believable APY, so the plausibility bound (rewards.maxEpochApy) is lifted here; its
  // own test below keeps it.
  const base = testConfig(devnet, { storePath: t.path })
  config = { ...base, rewards: { ...base.rewards!, maxEpochApy: 1e9 } }
})
afterEach(async () => {
  await store.close()
  await cleanup()
})

const r = () => config.rewards!
const eth = () => devnet.chain(CLAIMS)
const collateral = () => devnet.deployment.chains[CLAIMS]!.collateral
const balance = (a: Address) => eth().public.readContract({ address: collateral(), abi: erc20Abi, functionName: 'balanceOf', args: [a] })
const wallet1271 = () => devnet.deployment.contractDelegators![0]!.address
/** The pool: its Safe (same address on every chain). */
const safe = () => devnet.deployment.custody!.safe
const distributorKey = devAccount(ROLES.distributor)

/** `call` sent by the distributor's key through its own Roles role (the Safe acts). */
async function viaDistributorRole(to: Address, data: Hex): Promise<'success' | 'reverted'> {
  const c = devnet.chain(CLAIMS)
  const wrapped = encodeFunctionData({ abi: rolesAbi, functionName: 'execTransactionWithRole', args: [to, 0n, data, 0, distributorRoleKeyOf(config), true] })
  const hash = await c.wallet(distributorKey).sendTransaction({ to: devnet.deployment.custody!.roles, data: wrapped, gas: 1_000_000n })
  return (await c.public.waitForTransactionReceipt({ hash })).status
}

async function write(account: number, address: Address, abi: readonly unknown[], functionName: string, args: unknown[], chain = CLAIMS): Promise<'success' | 'reverted'> {
  const c = devnet.chain(chain)
  try {
    const hash = await c.wallet(account).writeContract({ address, abi: abi as never, functionName: functionName as never, args: args as never })
    return (await c.public.waitForTransactionReceipt({ hash })).status
  } catch (err) {
    if (process.env.REWARDS_TEST_DEBUG) console.log(functionName, (err as Error).message.slice(0, 400))
    return 'reverted'
  }
}

/** Mines one block on every chain at `time` (anvil_setNextBlockTimestamp + mine). */
async function mineAt(time: number) {
  for (const c of devnet.allChains()) {
    const head = await c.public.getBlock({ blockTag: 'latest' })
    await c.test.setNextBlockTimestamp({ timestamp: BigInt(Math.max(time, Number(head.timestamp) + 1)) })
    await c.test.mine({ blocks: 1 })
  }
}

async function chainNow(): Promise<number> {
  let t = 0
  for (const c of devnet.allChains()) t = Math.max(t, Number((await c.public.getBlock({ blockTag: 'latest' })).timestamp))
  return t
}

function distributor(now: () => number, hooks?: DistributorDeps['hooks']) {
  const clients = Object.fromEntries(config.chains.map((c) => [c.name, devnet.chain(c.name).public as PublicClient]))
  // The distributor's own key (#7) through its own role, as agents/distributor.ts wires it.
  const s = distributorSender(config, CLAIMS, sender(devnet, config, store, chainClient(config, CLAIMS), {}, devKey(ROLES.distributor)))
  return createDistributor({ common: { config, logger: silentLogger }, store, clients, sender: s, now, ...(hooks ? { hooks } : {}) })
}

describe('CumulativeMerkleDistributor on chain', () => {
  it('pays the difference to the account; a wrong proof, another account, a second claim and a stranger setting the root revert and pay nothing', async () => {
    const d = r().distributor
    const A = devnet.accounts.delegators[0]!.address
    const B = devnet.accounts.delegators[1]!.address
    const W = wallet1271()
    const tree = buildTree(new Map([[A.toLowerCase(), 5_000n], [W.toLowerCase(), 7_000n], [B.toLowerCase(), 1n]]))
    const setRoot = (epoch: bigint, root: string) => encodeFunctionData({ abi: distributorAbi, functionName: 'setRoot', args: [epoch, root as Hex] })
    expect(await write(3, d, distributorAbi, 'setRoot', [1n, tree.root])).toBe('reverted') // not the owner
    expect(await write(ROLES.distributor, d, distributorAbi, 'setRoot', [1n, tree.root])).toBe('reverted') // the distributor's key itself is not the owner: only through its role, as the Safe
    expect(await viaDistributorRole(d, setRoot(1n, tree.root))).toBe('success')
    expect(await viaDistributorRole(d, setRoot(1n, tree.root))).toBe('reverted') // epoch not after
    await devnet.chain(CLAIMS).wallet(0).writeContract({ address: collateral(), abi: simLstAbi, functionName: 'mint', args: [d, 20_000n] }).then((h) => eth().public.waitForTransactionReceipt({ hash: h }))
    const pa = proofFor(tree, A)!
    const pw = proofFor(tree, W)!
    const a0 = await balance(A)
    const d0 = await balance(d)
    expect(await write(5, d, distributorAbi, 'claim', [A, 5_001n, pa.proof])).toBe('reverted') // amount not in the tree
    expect(await write(5, d, distributorAbi, 'claim', [A, 5_000n, pw.proof])).toBe('reverted') // another leaf's proof
    expect(await write(5, d, distributorAbi, 'claim', [B, 5_000n, pa.proof])).toBe('reverted') // A's leaf for another account
    expect(await balance(d)).toBe(d0)
    // Anyone may submit for A (here #5); the funds go to A.
    expect(await write(5, d, distributorAbi, 'claim', [A, 5_000n, pa.proof])).toBe('success')
    expect(await balance(A)).toBe(a0 + 5_000n)
    expect(await write(2, d, distributorAbi, 'claim', [A, 5_000n, pa.proof])).toBe('reverted') // second claim
    expect(await balance(A)).toBe(a0 + 5_000n)
    // The EIP-1271 wallet claims like an EOA: its owner (#8) submits, the wallet receives.
    const w0 = await balance(W)
    expect(await write(GOV_ROLES.walletOwner, d, distributorAbi, 'claim', [W, 7_000n, pw.proof])).toBe('success')
    expect(await balance(W)).toBe(w0 + 7_000n)
    expect(await balance(d)).toBe(d0 - 12_000n)
    // A later epoch's cumulative amount pays only the difference.
    const tree2 = buildTree(new Map([[A.toLowerCase(), 8_000n], [W.toLowerCase(), 7_000n]]))
    expect(await viaDistributorRole(d, setRoot(3n, tree2.root))).toBe('success')
    expect(await write(5, d, distributorAbi, 'claim', [A, 8_000n, proofFor(tree2, A)!.proof])).toBe('success')
    expect(await balance(A)).toBe(a0 + 8_000n)
    expect(await eth().public.readContract({ address: d, abi: distributorAbi, functionName: 'rootOf', args: [1n] })).toBe(tree.root)
  })
})

describe('the distributor closes epochs from chain data', () => {
  it('two epochs: a winning one (tree → root → funding, claims by an EOA and the EIP-1271 wallet, verify MATCH, tampered MISMATCH), then a losing one (no root, loss carried, one alert), a second losing one (still one alert), a winning one (alert resolved); a crash after each stored step resumes exactly once', async () => {
    const len = r().epochSeconds
    const t0 = await chainNow()
    const first = Math.floor(t0 / len) + 1
    await store.rewards.initMeta('firstEpoch', String(first))
    const w1 = epochWindow(len, first)
    let now = t0
    const clock = () => now
    const pool = safe()
    const shares = (chain: string) => devnet.deployment.chains[chain]!.poolShare

    // Epoch 1: mid-epoch, #2 moves shares to #3 on ethereum; the pool earns 10 wstETH on ethereum.
    await mineAt(w1.startTime + 1)
    await mineAt(w1.startTime + 60)
    // A delegator holding shares on ethereum sends some to another delegator.
    const holders = Object.keys(devnet.deployment.chains[CLAIMS]!.shareHolders).map((a) => a.toLowerCase())
    const senderIdx = devnet.accounts.delegators.findIndex((a) => holders.includes(a.address.toLowerCase()))
    expect(senderIdx).toBeGreaterThanOrEqual(0)
    const fromAcc = devnet.accounts.delegators[senderIdx]!
    const toAcc = devnet.accounts.delegators.find((a) => a !== fromAcc)!
    const moved = 10n ** 18n
    expect(await write(2 + senderIdx, shares(CLAIMS), erc20Abi, 'transfer', [toAcc.address, moved])).toBe('success')
    await eth().wallet(0).writeContract({ address: collateral(), abi: simLstAbi, functionName: 'mint', args: [pool, parseEther('10')] }).then((h) => eth().public.waitForTransactionReceipt({ hash: h }))
    await mineAt(w1.endTime + 5)
    now = w1.endTime + r().settleSeconds + 1

    // Crash right after the tree is stored (before the root): a fresh distributor resumes.
    const crash = (at: DistributorPoint) => ({ at: (p: DistributorPoint) => { if (p === at) throw new Error(`crash at ${p}`) } })
    await distributor(clock, crash('built'))().catch(() => undefined)
    expect((await store.rewards.get(first))!.status).toBe('built')
    // Crash right after the root is confirmed (before the funding).
    await expect(distributor(clock, crash('rooted'))()).rejects.toThrow(/crash at rooted/)
    // (the crash after 'built' ended that round; a fresh distributor sent the root and stopped at 'rooted')
    expect((await store.rewards.get(first))!.status).toBe('rooted')
    expect(await distributor(clock)()).toMatchObject({ status: 'funded', epoch: first })
    expect(await distributor(clock)()).toMatchObject({ status: 'idle' })
    const e1 = (await store.rewards.get(first))!
    const p1 = JSON.parse(e1.tree!) as PublishedEpoch
    // Exactly once on chain: one RootSet for the epoch, one funding transfer.
    const rootLogs = await eth().public.getContractEvents({ address: r().distributor, abi: distributorAbi, eventName: 'RootSet', fromBlock: 0n })
    expect(rootLogs.filter((l) => l.args.epoch === BigInt(first))).toHaveLength(1)
    const funds = await eth().public.getContractEvents({ address: collateral(), abi: erc20Abi, eventName: 'Transfer', args: { from: pool, to: r().distributor }, fromBlock: 0n })
    expect(funds).toHaveLength(1)
    expect(funds[0]!.args.value).toBe(e1.funding)
    expect(await balance(r().distributor)).toBe(e1.funding)
    expect(await eth().public.readContract({ address: r().distributor, abi: distributorAbi, functionName: 'rootOf', args: [BigInt(first)] })).toBe(p1.root)
    // The earnings: 10 wstETH gained (minted into the pool's idle balance), 10 % commission.
    expect(BigInt(p1.commission)).toBe(parseEther('1') + (BigInt(e1.summary.gain as string) - parseEther('10')) / 10n)
    const sum = p1.leaves.reduce((s, l) => s + BigInt(l.amount), 0n)
    expect(sum + BigInt(p1.remainder)).toBe(BigInt(p1.distributable) + BigInt(p1.commission))
    expect(BigInt(p1.remainder) < BigInt(p1.leaves.length)).toBe(true)

    // verify from chain reads alone: MATCH; a tampered leaf: MISMATCH naming it.
    const clients = Object.fromEntries(config.chains.map((c) => [c.name, devnet.chain(c.name).public as PublicClient]))
    const multicall3 = Object.fromEntries(config.chains.map((c) => [c.name, c.multicall3]))
    expect(await verifyEpoch({ published: p1, clients, multicall3 })).toMatchObject({ match: true })
    const victim = p1.leaves.find((l) => l.account.toLowerCase() === toAcc.address.toLowerCase())!
    const tampered = { ...p1, leaves: p1.leaves.map((l) => (l === victim ? { ...l, cumulative: String(BigInt(l.cumulative) + 1n) } : l)) }
    const bad = await verifyEpoch({ published: tampered, clients, multicall3 })
    expect(bad.match).toBe(false)
    expect(!bad.match && bad.leaf?.account).toBe(getAddress(toAcc.address))

    // Claims: an EOA (#2, for itself) and the EIP-1271 wallet (submitted by its owner #8).
    const tree = buildTree(leavesOf(p1))
    for (const [account, submitter] of [[fromAcc.address, 2 + senderIdx], [wallet1271(), GOV_ROLES.walletOwner]] as const) {
      const leaf = proofFor(tree, account)!
      expect(leaf.cumulative > 0n).toBe(true)
      const before = await balance(account)
      expect(await write(submitter, r().distributor, distributorAbi, 'claim', [account, leaf.cumulative, leaf.proof as Hex[]])).toBe('success')
      expect(await balance(account)).toBe(before + leaf.cumulative)
      expect(await write(submitter, r().distributor, distributorAbi, 'claim', [account, leaf.cumulative, leaf.proof as Hex[]])).toBe('reverted')
    }

    // Epoch 2: the pool loses 5 wstETH (sent to a venue's address without a position: value gone).
    const w2 = epochWindow(len, first + 1)
    await mineAt(w2.startTime + 30)
    const core = devnet.deployment.chains[CLAIMS]!.venues.find((v) => v.kind === 'erc4626')!
    const lost = parseEther('5')
    // The loss: the Safe's collateral leaves it (the test acts as the Safe: anvil impersonation).
    const t = eth().test
    await t.impersonateAccount({ address: pool })
    await t.setBalance({ address: pool, value: parseEther('1') })
    const asSafe = createWalletClient({ account: pool, chain: eth().chain, transport: http(eth().url) })
    await eth().public.waitForTransactionReceipt({ hash: await asSafe.writeContract({ address: collateral(), abi: erc20Abi, functionName: 'transfer', args: [(core as { vault: Address }).vault, lost] }) })
    await t.stopImpersonatingAccount({ address: pool })
    await mineAt(w2.endTime + 5)
    now = w2.endTime + r().settleSeconds + 1
    const epochBefore = await eth().public.readContract({ address: r().distributor, abi: distributorAbi, functionName: 'epoch' })
    // Epoch 2's share scan resumes from epoch 1's end block on every chain (the stored cursor).
    const scans = new Map<string, { fromBlock: bigint; fromCursor: boolean }>()
    const res = await distributor(clock, { scanned: (chain, scan) => void scans.set(chain, scan) })()
    expect(res).toMatchObject({ status: 'losing', epoch: first + 1 })
    expect(scans.size).toBe(p1.inputs.length)
    for (const input of p1.inputs) expect(scans.get(input.chain)).toMatchObject({ fromBlock: BigInt(input.endBlock) + 1n, fromCursor: true })
    const e2 = (await store.rewards.get(first + 1))!
    expect(e2.root).toBeNull()
    // The funding of epoch 1 happened in epoch 2 and is not a loss: the loss is the 5 wstETH
    // (less the venues' yield of the epoch, which is ≥ 0).
    expect(e2.carriedLoss > 0n && e2.carriedLoss <= lost).toBe(true)
    expect(await eth().public.readContract({ address: r().distributor, abi: distributorAbi, functionName: 'epoch' })).toBe(epochBefore)
    expect(await store.alerts.isOpen('rewards-losing')).toBe(true)
    const losingAlerts = async () => (await store.alerts.recent(1000)).filter((a) => a.rule === 'rewards-losing' && a.kind === 'open')
    expect(await losingAlerts()).toHaveLength(1)

    // Epoch 3: still under the high-water mark (a few blocks of yield do not repay 5 wstETH): losing
    // again, but the loss episode keeps its one alert (no page per epoch).
    const w3 = epochWindow(len, first + 2)
    await mineAt(w3.endTime + 5)
    now = w3.endTime + r().settleSeconds + 1
    expect(await distributor(clock)()).toMatchObject({ status: 'losing', epoch: first + 2 })
    expect(await losingAlerts()).toHaveLength(1)
    expect(await store.alerts.isOpen('rewards-losing')).toBe(true)

    // Epoch 4: 6 wstETH come back to the Safe (more than the carried loss): a root again, and the
    // loss alert is resolved.
    const w4 = epochWindow(len, first + 3)
    await mineAt(w4.startTime + 1)
    await eth().wallet(0).writeContract({ address: collateral(), abi: simLstAbi, functionName: 'mint', args: [pool, parseEther('6')] }).then((h) => eth().public.waitForTransactionReceipt({ hash: h }))
    await mineAt(w4.endTime + 5)
    now = w4.endTime + r().settleSeconds + 1
    expect(await distributor(clock)()).toMatchObject({ status: 'built', epoch: first + 3 })
    expect(await store.alerts.isOpen('rewards-losing')).toBe(false)
    expect(await losingAlerts()).toHaveLength(1)
    // Every reward tx went from the distributor's own key to the Roles modifier (its own role):
    // never from the executor's key, never straight to the distributor or the token.
    const intents = await store.intents.list({ keyPrefix: 'rewards:' })
    expect(intents.map((i) => [i.key, i.from, i.to, i.status])).toEqual([
      [`rewards:${first}:root`, distributorKey.address.toLowerCase(), devnet.deployment.custody!.roles.toLowerCase(), 'confirmed'],
      [`rewards:${first}:fund`, distributorKey.address.toLowerCase(), devnet.deployment.custody!.roles.toLowerCase(), 'confirmed'],
    ])
  })

  it('custody "safe": a funding above rewards.fundingAllowance.amount waits after the root with a critical alert naming the setting (no funding intent, nothing moved); raised, the same epoch is funded once', async () => {
    const len = r().epochSeconds
    const first = Math.floor((await chainNow()) / len) + 1
    await store.rewards.initMeta('firstEpoch', String(first))
    const w = epochWindow(len, first)
    await mineAt(w.startTime + 1)
    await eth().wallet(0).writeContract({ address: collateral(), abi: simLstAbi, functionName: 'mint', args: [safe(), parseEther('10')] }).then((h) => eth().public.waitForTransactionReceipt({ hash: h }))
    await mineAt(w.endTime + 5)
    const clock = () => w.endTime + r().settleSeconds + 1
    const d0 = await balance(r().distributor)
    const generous = config
    config = { ...config, rewards: { ...r(), fundingAllowance: { ...r().fundingAllowance, amount: 1 } } }
    expect(await distributor(clock)()).toMatchObject({ status: 'built', epoch: first })
    expect(await distributor(clock)()).toMatchObject({ status: 'rooted', epoch: first })
    const waiting = await distributor(clock)()
    expect(waiting).toMatchObject({ status: 'waiting', epoch: first })
    expect(waiting.status === 'waiting' && waiting.reason).toMatch(/above rewards\.fundingAllowance\.amount 1 per period: .*raise rewards\.fundingAllowance\.amount and run npm run custody -- apply/)
    expect(await store.alerts.isOpen(`rewards-funding-cap:${first}`)).toBe(true)
    expect(await store.intents.get(`rewards:${first}:fund`)).toBeUndefined()
    expect(await balance(r().distributor)).toBe(d0)
    expect((await store.rewards.get(first))!.status).toBe('rooted')
    // The cap raised (the chain's allowance is the devnet's 100): funded once, the alert resolved.
    config = generous
    expect(await distributor(clock)()).toMatchObject({ status: 'funded', epoch: first })
    const e = (await store.rewards.get(first))!
    expect(e.funding > parseEther('1')).toBe(true)
    expect(await balance(r().distributor)).toBe(d0 + e.funding)
    expect(await store.alerts.isOpen(`rewards-funding-cap:${first}`)).toBe(false)
  })

  it('custody "safe": two epochs funded in one allowance period, the second above what the first left: it waits after its root with a warning naming the figures and the next refill (no funding intent, nothing moved); one second before the refill it still waits, at the refill it is funded once', async () => {
    // The distributor's allowance, set on chain the product's way (custody apply, the committee
    // signs): 15 wstETH per 10 epochs, so two epochs of ~10 wstETH fundings fall in one period.
    const len = r().epochSeconds
    const period = 10 * len
    const fifteen = parseEther('15')
    config = { ...config, rewards: { ...r(), fundingAllowance: { amount: 15, periodSeconds: period } } }
    const diff = await diffChainCustody(config, CLAIMS, eth().public as PublicClient)
    expect(describeDiff(diff)).toEqual([`~ allowance rewards-wsteth: ${fifteen} per ${period} s (balance set to ${fifteen})`])
    expect(await applyCustodyDiff(config, eth().url, diff, { ownerKeys: devnetSigningKeys(), submitterKey: devKey(ROLES.deployer) })).toHaveLength(1)
    const allowance = async () => {
      const [refill, maxRefill, p, left, timestamp] = await eth().public.readContract({ address: devnet.deployment.custody!.roles, abi: rolesAbi, functionName: 'allowances', args: [rewardsAllowanceKey('wstETH')] })
      return { refill, maxRefill, period: BigInt(p), balance: left, timestamp: BigInt(timestamp) }
    }
    const set = await allowance()
    expect(set).toMatchObject({ refill: fifteen, maxRefill: fifteen, period: BigInt(period), balance: fifteen })
    const refillAt = Number(set.timestamp) + period // the period's window is anchored at the apply's block
    const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z')

    const first = Math.floor((await chainNow()) / len) + 1
    await store.rewards.initMeta('firstEpoch', String(first))
    const d0 = await balance(r().distributor)
    const earn = async (epoch: number) => {
      const w = epochWindow(len, epoch)
      await mineAt(w.startTime + 1)
      await eth().wallet(0).writeContract({ address: collateral(), abi: simLstAbi, functionName: 'mint', args: [safe(), parseEther('10')] }).then((h) => eth().public.waitForTransactionReceipt({ hash: h }))
      await mineAt(w.endTime + 5)
      return () => w.endTime + r().settleSeconds + 1
    }
    // Epoch 1: funded from the full allowance.
    const clock1 = await earn(first)
    expect(await distributor(clock1)()).toMatchObject({ status: 'built', epoch: first })
    expect(await distributor(clock1)()).toMatchObject({ status: 'rooted', epoch: first })
    expect(await distributor(clock1)()).toMatchObject({ status: 'funded', epoch: first })
    const e1 = (await store.rewards.get(first))!
    const left = fifteen - e1.funding
    expect((await allowance()).balance).toBe(left)

    // Epoch 2, in the same period: its funding is above what epoch 1 left.
    const clock2 = await earn(first + 1)
    expect(await chainNow()).toBeLessThan(refillAt)
    expect(await distributor(clock2)()).toMatchObject({ status: 'built', epoch: first + 1 })
    expect(await distributor(clock2)()).toMatchObject({ status: 'rooted', epoch: first + 1 })
    const e2 = (await store.rewards.get(first + 1))!
    expect(e2.funding > left && e2.funding <= fifteen).toBe(true)
    const waiting = await distributor(clock2)()
    expect(waiting).toMatchObject({ status: 'waiting', epoch: first + 1 })
    const reason = waiting.status === 'waiting' ? waiting.reason : ''
    expect(reason).toContain(`the epoch's funding ${formatEther(e2.funding)} wstETH is above what the distributor's Roles allowance (rewards-wsteth) holds ${formatEther(left)} wstETH at block `)
    expect(reason).toContain(`refills 15 wstETH up to 15 wstETH every ${period} s)`)
    expect(reason).toContain(`the next refill is at ${iso(refillAt)} (unix ${refillAt}), the funding fits from ${iso(refillAt)} (unix ${refillAt}); nothing sent`)
    const open = await store.alerts.open({ rule: 'rewards-waiting' })
    expect(open.map((a) => [a.dedupKey, a.severity])).toEqual([[`rewards-funding-allowance:${first + 1}`, 'warning']])
    expect(await store.intents.get(`rewards:${first + 1}:fund`)).toBeUndefined()
    expect(await balance(r().distributor)).toBe(d0 + e1.funding)
    expect((await store.rewards.get(first + 1))!.status).toBe('rooted')

    // One second before the refill: still waiting, still nothing sent.
    await mineAt(refillAt - 1)
    expect(await distributor(clock2)()).toMatchObject({ status: 'waiting', epoch: first + 1 })
    expect(await store.intents.get(`rewards:${first + 1}:fund`)).toBeUndefined()
    // At the refill (15 wstETH again, the cap): funded once, the alert resolved.
    await mineAt(refillAt)
    expect(await distributor(clock2)()).toMatchObject({ status: 'funded', epoch: first + 1 })
    expect(await distributor(clock2)()).toMatchObject({ status: 'idle' })
    expect(await balance(r().distributor)).toBe(d0 + e1.funding + e2.funding)
    const funds = await eth().public.getContractEvents({ address: collateral(), abi: erc20Abi, eventName: 'Transfer', args: { from: safe(), to: r().distributor }, fromBlock: 0n })
    expect(funds.map((f) => f.args.value)).toEqual([e1.funding, e2.funding])
    expect((await store.intents.get(`rewards:${first + 1}:fund`))!.status).toBe('confirmed')
    expect(await store.alerts.isOpen(`rewards-funding-allowance:${first + 1}`)).toBe(false)
    expect(await allowance()).toMatchObject({ balance: fifteen - e2.funding, timestamp: BigInt(refillAt) })
  })

  it('earnings no pool makes (10 wstETH on ~2,000 in one short epoch) under the default rewards.maxEpochApy: the epoch waits with a critical alert, nothing stored, nothing sent', async () => {
    config = { ...config, rewards: { ...r(), maxEpochApy: 1 } }
    const len = r().epochSeconds
    const t0 = await chainNow()
    const first = Math.floor(t0 / len) + 1
    await store.rewards.initMeta('firstEpoch', String(first))
    const w = epochWindow(len, first)
    await mineAt(w.startTime + 1)
    await eth().wallet(0).writeContract({ address: collateral(), abi: simLstAbi, functionName: 'mint', args: [safe(), parseEther('10')] }).then((h) => eth().public.waitForTransactionReceipt({ hash: h }))
    await mineAt(w.endTime + 5)
    const out = await distributor(() => w.endTime + 60)()
    expect(out).toMatchObject({ status: 'waiting', epoch: first })
    expect(out.status === 'waiting' && out.reason).toMatch(/^the epoch's gain annualises to [\d,.]+ % of the pool's value, above rewards\.maxEpochApy 100 %/)
    expect(await store.rewards.get(first)).toBeUndefined()
    expect(await store.alerts.isOpen(`rewards-waiting:${first}`)).toBe(true)
    expect(await store.intents.list({ keyPrefix: `rewards:${first}:` })).toEqual([])
  })

  it('a chain that is unreachable at the epoch end: the epoch waits with an alert and nothing is stored', async () => {
    const len = r().epochSeconds
    const t0 = await chainNow()
    const first = Math.floor(t0 / len) + 1
    await store.rewards.initMeta('firstEpoch', String(first))
    const w = epochWindow(len, first)
    await mineAt(w.endTime + 5)
    const clients = Object.fromEntries(config.chains.map((c) => [c.name, devnet.chain(c.name).public as PublicClient]))
    const { createPublicClient, http } = await import('viem')
    clients.base = createPublicClient({ transport: http('http://127.0.0.1:9', { retryCount: 0 }) }) as PublicClient
    const s = distributorSender(config, CLAIMS, sender(devnet, config, store, chainClient(config, CLAIMS), {}, devKey(ROLES.distributor)))
    const round = createDistributor({ common: { config, logger: silentLogger }, store, clients, sender: s, now: () => w.endTime + 60 })
    expect(await round()).toMatchObject({ status: 'waiting', epoch: first })
    expect(await store.rewards.get(first)).toBeUndefined()
    expect(await store.alerts.isOpen(`rewards-waiting:${first}`)).toBe(true)
  })
})
