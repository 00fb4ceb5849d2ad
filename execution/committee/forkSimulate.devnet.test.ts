import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import SafeApiKit from '@safe-global/api-kit'
import type { Address, Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ChainClient } from '../../chains/createChainClient'
import { committeeKey, devKey, ROLES } from '../../devnet/accounts'
import { simVaultAbi } from '../../devnet/abis'
import { ChainSession } from '../../devnet/deploy'
import { startLocalDevnet, type LocalDevnet } from '../../devnet/local'
import { forkDeltaText } from '../../plans/forkReport'
import type { Store } from '../../store'
import { openTempStore } from '../../store/testing'
import { createTxSender } from '../createTxSender'
import { readPosition } from '../readPosition'
import { chainClient, silentLogger } from '../testing/devnetHelpers'
import { createTestPlan, rebalanceSteps } from '../testing/plans'
import { forkSimulate, ForkUnavailableError } from './forkSimulate'
import { signAndSubmit } from './planSafeTx'
import { execIntentKey, runCommitteePlan, type RunCommitteePlanDeps } from './runCommitteePlan'

/**
 * The committee's Safe transaction executed on an anvil fork of the chain before anyone signs
 * (forkSimulate.ts), on a Safe devnet of its own (real Safe, Roles, venues; 2 of 3 owners) with
 * the local Safe Transaction Service: the positions the fork shows are the ones the real chain
 * shows once the committee has signed and it executed; a paused venue makes the fork revert and
 * the plan is held; a fork that cannot start holds the plan with that reason.
 */

let d: LocalDevnet
let store: Store
let cleanup: () => Promise<void>
let svc: Awaited<ReturnType<typeof import('../../devnet/safe/txService').startSafeTxService>>
let dir: string
let snapshot: Hex
const CHAIN = 'ethereum'
const E = 10n ** 18n

beforeAll(async () => {
  d = await startLocalDevnet({ basePort: Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 180, custody: 'safe' })
}, 300_000)
afterAll(async () => {
  await d?.stop()
})
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  dir = await mkdtemp(path.join(os.tmpdir(), 'fork-sim-'))
  const { startSafeTxService } = await import('../../devnet/safe/txService')
  svc = await startSafeTxService({ dbPath: path.join(dir, 'service.sqlite'), chains: d.config.chains.map((c) => ({ chainId: c.chainId, rpcUrl: c.rpc[0]!.url })) })
  snapshot = (await cc().client.request({ method: 'evm_snapshot' as never })) as Hex
})
afterEach(async () => {
  await svc.close()
  await cleanup()
  await rm(dir, { recursive: true, force: true })
  await cc().client.request({ method: 'evm_revert' as never, params: [snapshot] as never })
})

let client_: ChainClient | undefined
const cc = (): ChainClient => (client_ ??= chainClient(d.config, CHAIN))
const safe = (): Address => d.deployment.custody!.safe
const chainId = () => d.config.chains.find((c) => c.name === CHAIN)!.chainId
const service = () => new SafeApiKit({ chainId: BigInt(chainId()), txServiceUrl: svc.urlFor(chainId()) })
const venue = (id: string) => d.config.venues.find((v) => v.id === id)!

function deps(over: Partial<RunCommitteePlanDeps> = {}): RunCommitteePlanDeps {
  const sender = createTxSender({ common: { config: d.config, logger: silentLogger }, store, chain: cc(), account: privateKeyToAccount(devKey(ROLES.pool)), options: { pollIntervalMs: 20 } })
  return { common: { config: d.config, logger: silentLogger }, store, chains: { [CHAIN]: cc() }, senders: { [CHAIN]: sender }, services: { [CHAIN]: service() }, ...over }
}

async function approveAs(planId: string, who: 'alice' | 'bob') {
  const st = (await store.safeTxs.get(planId, CHAIN))!
  return signAndSubmit(d.config, { name: CHAIN, url: cc().config.rpc[0]!.url, client: cc().client }, st, committeeKey(who), service())
}

/** The devnet vault's pause (its controller is the deployer), kept APR and idle share. */
async function setPaused(venueId: string, paused: boolean) {
  const v = venue(venueId)
  const c = d.config.chains.find((x) => x.name === CHAIN)!
  const s = new ChainSession({ name: CHAIN, chainId: c.chainId, url: c.rpc[0]!.url })
  const [apr, idle] = await Promise.all([
    s.public.readContract({ address: v.address, abi: simVaultAbi, functionName: 'aprWad' }),
    s.public.readContract({ address: v.address, abi: simVaultAbi, functionName: 'idleBps' }),
  ])
  await s.receipt(s.wallet(privateKeyToAccount(devKey(ROLES.deployer))).writeContract({ address: v.address, abi: simVaultAbi, functionName: 'setParams', args: [apr, idle, paused] }), 'setParams')
}

describe('a committee plan simulated on a fork of the chain before anyone signs', () => {
  it('the fork\'s position changes are the ones the real chain shows after the committee signed and it executed', async () => {
    await createTestPlan(store, 'p-f1', CHAIN, rebalanceSteps(CHAIN), { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 })
    expect(await runCommitteePlan(deps(), 'p-f1')).toMatchObject({ status: 'awaiting-signatures' })
    const st = (await store.safeTxs.get('p-f1', CHAIN))!
    const sim = st.forkSimulation!
    expect(sim).not.toBeNull()
    // Forked at the block the Safe tx was built at; every venue the plan touches, then the idle collateral.
    expect(sim.block).toBe(st.createdBlock.toString())
    expect(sim.positions.map((p) => [p.venueId, p.idle])).toEqual([[`${CHAIN}-vault-core`, false], [`${CHAIN}-vault-boost`, false], [`${CHAIN}-aave`, false], [`${CHAIN}-wsteth`, true]])
    expect(BigInt(sim.gasUsed)).toBeGreaterThan(100_000n)
    const forkDelta = new Map(sim.positions.map((p) => [p.venueId, BigInt(p.valueAfter!) - BigInt(p.valueBefore!)]))
    // The plan's own amounts (rebalanceSteps: withdraw 40 from core, deposit 25 into boost and 15 into Aave; idle unchanged).
    expect(forkDelta.get(`${CHAIN}-vault-core`)! <= -40n * E + E / 1_000n && forkDelta.get(`${CHAIN}-vault-core`)! >= -40n * E - 2n).toBe(true)
    expect(forkDelta.get(`${CHAIN}-vault-boost`)! >= 25n * E - 2n && forkDelta.get(`${CHAIN}-vault-boost`)! <= 25n * E + E / 1_000n).toBe(true)
    expect(forkDelta.get(`${CHAIN}-aave`)! >= 15n * E - 2n && forkDelta.get(`${CHAIN}-aave`)! <= 15n * E + E / 1_000n).toBe(true)
    expect(forkDelta.get(`${CHAIN}-wsteth`)).toBe(0n)
    // The fork left nothing on the real chain: no block, no nonce, no approved hash.
    expect(await cc().client.getBlockNumber({ cacheTime: 0 })).toBe(st.createdBlock)
    expect(forkDeltaText(d.config, CHAIN, sim)).toMatch(new RegExp(`^ethereum, on a fork of block ${st.createdBlock}: ethereum-vault-core −40\\.000 wstETH, ethereum-vault-boost \\+25\\.000 wstETH, ethereum-aave \\+15\\.000 wstETH, idle ±0\\.000 wstETH$`))

    // The committee signs; the executor executes on the real chain.
    await approveAs('p-f1', 'alice')
    await approveAs('p-f1', 'bob')
    expect(await runCommitteePlan(deps(), 'p-f1')).toEqual({ status: 'completed' })
    const mined = (await store.intents.get(execIntentKey('p-f1', CHAIN)))!.blockNumber!
    // The real change is read around the block execTransaction was mined in (the block before → that block).
    for (const p of sim.positions) {
      const v = venue(p.venueId)
      const real = (await readPosition(cc().client, v, safe(), mined)) - (await readPosition(cc().client, v, safe(), mined - 1n))
      const fork = forkDelta.get(p.venueId)!
      // Tolerance: the fork's "before" is read 3 blocks earlier than its "after" (two approveHash
      // blocks and execTransaction's), the real one 1 block earlier, so the fork includes two more
      // blocks of interest on what stays in the venue (≤ ~200 wstETH at ≤ 20 %/yr for 2 s of block
      // time: < 3e-4 wstETH) and the share↔asset rounding of convertToAssets (1–2 wei).
      expect(fork - real <= E / 1_000n && real - fork <= E / 1_000n, `${p.venueId}: fork ${fork}, real ${real}`).toBe(true)
    }
  })

  it('a venue paused on the chain makes the fork revert: the plan is held with the reason, nothing stored; resumed when it unpauses', async () => {
    await createTestPlan(store, 'p-f2', CHAIN, rebalanceSteps(CHAIN), { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 })
    await setPaused(`${CHAIN}-vault-boost`, true)
    const held = await runCommitteePlan(deps(), 'p-f2')
    expect(held.status).toBe('held')
    const reason = (held as { reason: string }).reason
    expect(reason).toMatch(/^simulation of the Safe transaction on ethereum \(a fork of block \d+\) reverts: /)
    // The paused vault's own refusal (maxDeposit 0 while paused), decoded, inside the Safe's batch.
    expect(reason).toMatch(/call \d+ of \d+ \(to 0x[0-9a-fA-F]{40}\): ERC4626ExceededMaxDeposit\(0x[0-9a-fA-F]{40}, 25000000000000000000, 0\)/)
    expect(reason).toContain('attempt 1 of 3')
    expect(await store.safeTxs.get('p-f2', CHAIN)).toBeUndefined()
    expect((await store.plans.get('p-f2'))!.status).toBe('awaiting_approval')
    await setPaused(`${CHAIN}-vault-boost`, false)
    expect(await runCommitteePlan(deps(), 'p-f2')).toMatchObject({ status: 'awaiting-signatures' })
    expect((await store.safeTxs.get('p-f2', CHAIN))!.forkSimulation).not.toBeNull()
  })

  it('a fork that cannot start holds the plan with that reason, never a silent pass: no anvil binary; the chain\'s RPC down', async () => {
    await createTestPlan(store, 'p-f3', CHAIN, rebalanceSteps(CHAIN), { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 })
    const noAnvil = { ...d.config, execution: { ...d.config.execution, forkSimulation: { ...d.config.execution.forkSimulation, anvilPath: path.join(dir, 'no-such-anvil') } } }
    const r1 = await runCommitteePlan({ ...deps(), common: { config: noAnvil, logger: silentLogger } }, 'p-f3')
    expect(r1).toEqual({ status: 'held', reason: expect.stringMatching(/^not simulated: the fork of ethereum at block \d+ could not run \(execution\.forkSimulation\.anvilPath: no anvil binary at .*no-such-anvil/) })
    expect(await store.safeTxs.get('p-f3', CHAIN)).toBeUndefined()
    // The chain's RPC down for the fork (nothing listens there): the same clear failure.
    const st0 = { to: safe(), value: '0', data: '0x', operation: 0, safeTxGas: '0', baseGas: '0', gasPrice: '0', gasToken: safe(), refundReceiver: safe(), nonce: '0' }
    await expect(forkSimulate({ config: d.config, chain: CHAIN, rpcUrl: 'http://127.0.0.1:9/', block: 1n, safe: safe(), safeTxHash: `0x${'00'.repeat(32)}`, tx: st0, venueIds: [] })).rejects.toThrow(ForkUnavailableError)
    // Neither counted as a revert of the plan: with the fork back it is stored at once.
    expect(await runCommitteePlan(deps(), 'p-f3')).toMatchObject({ status: 'awaiting-signatures' })
    expect((await store.safeTxs.get('p-f3', CHAIN))!.forkSimulation).not.toBeNull()
  })
})
