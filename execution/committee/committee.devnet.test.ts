import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import SafeApiKit from '@safe-global/api-kit'
import { encodeFunctionData, erc20Abi, getAddress, parseEther, parseEventLogs, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ChainClient } from '../../chains/createChainClient'
import { committeeAccount, committeeKey, devKey, ROLES } from '../../devnet/accounts'
import { startLocalDevnet, type LocalDevnet } from '../../devnet/local'
import { safeAbi } from '../../devnet/safe/deploySafe'
import { startSafeTxService, type SafeTxService } from '../../devnet/safe/txService'
import type { Store } from '../../store'
import { openTempStore } from '../../store/testing'
import { createTxSender, type TxSender } from '../createTxSender'
import { buildSafeTx, contractNetworksOf, safeKit, signAndExecute } from '../custody/safeTx'
import { readPosition } from '../readPosition'
import { chainClient, silentLogger } from '../testing/devnetHelpers'
import { createTestPlan, rebalanceSteps } from '../testing/plans'
import { EXECUTION_SUCCESS, signAndSubmit } from './planSafeTx'
import { execIntentKey, runCommitteePlan, type RunCommitteePlanDeps } from './runCommitteePlan'

/**
 * Committee plans in custody "safe" on a Safe devnet of its own (owners alice, bob, carol; 2 of 3)
 * with the local Safe Transaction Service over HTTP: the plan becomes one stored Safe transaction
 * (MultiSendCallOnly batch), owners sign it (EIP-712, protocol-kit) and confirm through api-kit,
 * the executor reads the signatures back, verifies them on chain and executes exactly once.
 */

let d: LocalDevnet
let store: Store
let cleanup: () => Promise<void>
let svc: SafeTxService
let dir: string
let snapshot: Hex
const CHAIN = 'ethereum'

beforeAll(async () => {
  d = await startLocalDevnet({ basePort: Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 80, custody: 'safe' })
}, 300_000)
afterAll(async () => {
  await d?.stop()
})
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  dir = await mkdtemp(path.join(os.tmpdir(), 'committee-'))
  svc = await startSafeTxService({ dbPath: path.join(dir, 'service.sqlite'), chains: d.config.chains.map((c) => ({ chainId: c.chainId, rpcUrl: c.rpc[0]!.url })) })
  snapshot = await client().request({ method: 'evm_snapshot' as never }) as Hex
})
afterEach(async () => {
  await svc.close()
  await cleanup()
  await rm(dir, { recursive: true, force: true })
  await client().request({ method: 'evm_revert' as never, params: [snapshot] as never })
})

const clients = new Map<string, ChainClient>()
const cc = (name = CHAIN): ChainClient => {
  let c = clients.get(name)
  if (!c) clients.set(name, (c = chainClient(d.config, name)))
  return c
}
const client = () => cc().client
const safe = (): Address => d.deployment.custody!.safe
const chainId = () => d.config.chains.find((c) => c.name === CHAIN)!.chainId
const service = () => new SafeApiKit({ chainId: BigInt(chainId()), txServiceUrl: svc.urlFor(chainId()) })
const committeeChain = () => ({ name: CHAIN, url: cc().config.rpc[0]!.url, client: client() })
const venue = (id: string) => d.config.venues.find((v) => v.id === id)!
const safeNonce = async () => client().readContract({ address: safe(), abi: safeAbi, functionName: 'nonce' }) as Promise<bigint>

function deps(over: Partial<RunCommitteePlanDeps> = {}): RunCommitteePlanDeps {
  const sender: TxSender = createTxSender({ common: { config: d.config, logger: silentLogger }, store, chain: cc(), account: privateKeyToAccount(devKey(ROLES.pool)), options: { pollIntervalMs: 20 } })
  return { common: { config: d.config, logger: silentLogger }, store, chains: { [CHAIN]: cc() }, senders: { [CHAIN]: sender }, services: { [CHAIN]: service() }, ...over }
}

async function committeePlan(id: string) {
  await createTestPlan(store, id, CHAIN, rebalanceSteps(CHAIN), { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 })
}

async function approveAs(planId: string, who: 'alice' | 'bob' | 'carol') {
  const st = (await store.safeTxs.get(planId, CHAIN))!
  return signAndSubmit(d.config, committeeChain(), st, committeeKey(who), service())
}

/** ExecutionSuccess events of the Safe for `safeTxHash` on the chain so far. */
async function executions(safeTxHash: string) {
  const logs = await client().getLogs({ address: safe(), event: EXECUTION_SUCCESS, args: { txHash: safeTxHash as Hex }, fromBlock: 0n, toBlock: 'latest' })
  return logs.length
}

describe('a committee plan as one Safe transaction', () => {
  it('2 of 3: stored before signing, alice signs, bob signs, executed once, the Safe\'s positions moved', async () => {
    await committeePlan('p-c1')
    const nonce0 = await safeNonce()
    const head0 = await client().getBlockNumber({ cacheTime: 0 })
    const core = venue(`${CHAIN}-vault-core`)
    const boost = venue(`${CHAIN}-vault-boost`)
    const aave = venue(`${CHAIN}-aave`)
    const before = await Promise.all([core, boost, aave].map((v) => readPosition(client(), v, safe(), head0)))

    const r0 = await runCommitteePlan(deps(), 'p-c1')
    expect(r0).toEqual({ status: 'awaiting-signatures', signatures: { [CHAIN]: { owners: [], needed: 2 } } })
    const stored = (await store.safeTxs.get('p-c1', CHAIN))!
    expect(stored).toMatchObject({ status: 'proposed', nonce: Number(nonce0), safe: safe().toLowerCase() })
    // One Safe tx: a delegatecall to MultiSendCallOnly batching withdraw, approve+deposit, approve+supply.
    expect(getAddress(stored.tx.to)).toBe(d.deployment.custody!.contracts.multiSendCallOnly)
    expect(stored.tx.operation).toBe(1)
    expect((await store.plans.get('p-c1'))!.status).toBe('awaiting_approval')

    const a = await approveAs('p-c1', 'alice')
    expect(a).toEqual({ owner: committeeAccount('alice').address, proposed: true, confirmations: [committeeAccount('alice').address] })
    const r1 = await runCommitteePlan(deps(), 'p-c1')
    expect(r1).toEqual({ status: 'awaiting-signatures', signatures: { [CHAIN]: { owners: [committeeAccount('alice').address], needed: 2 } } })
    expect(await safeNonce()).toBe(nonce0)

    const b = await approveAs('p-c1', 'bob')
    expect(b.proposed).toBe(false)
    const r2 = await runCommitteePlan(deps(), 'p-c1')
    expect(r2).toEqual({ status: 'completed' })
    expect(await safeNonce()).toBe(nonce0 + 1n)
    expect(await executions(stored.safeTxHash)).toBe(1)
    const done = (await store.safeTxs.get('p-c1', CHAIN))!
    expect(done.status).toBe('executed')
    expect(new Set(done.confirmations)).toEqual(new Set([committeeAccount('alice').address, committeeAccount('bob').address]))
    expect((await store.plans.get('p-c1'))!.status).toBe('completed')
    expect((await store.plans.steps('p-c1')).map((s) => s.status)).toEqual(['confirmed', 'confirmed', 'confirmed'])
    const intent = (await store.intents.get(execIntentKey('p-c1', CHAIN)))!
    expect(intent.status).toBe('confirmed')
    expect(intent.to).toBe(safe().toLowerCase())

    const head1 = await client().getBlockNumber({ cacheTime: 0 })
    const after = await Promise.all([core, boost, aave].map((v) => readPosition(client(), v, safe(), head1)))
    const moved = after.map((x, i) => x - before[i]!)
    // withdraw 40 from core (plus a few blocks of accrual on the rest), +25 boost, +15 aave.
    expect(moved[0]! <= -parseEther('39.99') && moved[0]! >= -parseEther('40')).toBe(true)
    expect(moved[1]! >= parseEther('25') && moved[1]! < parseEther('25.01')).toBe(true)
    expect(moved[2]! >= parseEther('15') && moved[2]! < parseEther('15.01')).toBe(true)

    // Once executed, nothing runs again.
    expect(await runCommitteePlan(deps(), 'p-c1')).toEqual({ status: 'completed' })
    expect(await executions(stored.safeTxHash)).toBe(1)
    expect(await safeNonce()).toBe(nonce0 + 1n)
  })

  it('simulated as the Safe before anyone signs: a batch that keeps reverting is never stored nor proposed, and fails after execution.simulationAttempts rounds', async () => {
    await createTestPlan(store, 'p-sim', CHAIN, [{ kind: 'withdraw', chain: CHAIN, venueId: `${CHAIN}-vault-core`, amount: parseEther('1000000') }], {
      status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2,
    })
    // A revert may be a one-block glitch: held and simulated again, twice (execution.simulationAttempts 3)…
    expect(d.config.execution.simulationAttempts).toBe(3)
    for (const attempt of [1, 2]) {
      const held = await runCommitteePlan(deps(), 'p-sim')
      expect(held.status).toBe('held')
      expect((held as { reason: string }).reason).toContain(`attempt ${attempt} of 3`)
      expect(await store.safeTxs.get('p-sim', CHAIN)).toBeUndefined()
      expect((await store.plans.get('p-sim'))!.status).toBe('awaiting_approval')
    }
    // …and the third revert in a row fails the plan.
    const r = await runCommitteePlan(deps(), 'p-sim')
    expect(r.status).toBe('failed')
    expect((r as { error: string }).error).toMatch(/^simulation of the Safe transaction on ethereum \(a fork of block \d+\) reverts: .*\(3 round\(s\) in a row\)$/)
    expect(await store.safeTxs.get('p-sim', CHAIN)).toBeUndefined()
    expect((await store.plans.get('p-sim'))!.status).toBe('rejected')
    // The good plan's simulation is recorded with the stored Safe tx.
    await committeePlan('p-ok')
    await runCommitteePlan(deps(), 'p-ok')
    const stored = (await store.audit.recent(10, { action: 'safe-tx-stored' }))[0]!
    expect(stored.detail).toMatchObject({ plan: 'p-ok', simulatedGas: expect.stringMatching(/^[1-9]\d+$/) })
  })

  it('never trusts the service: a forged, a foreign-hash and a non-owner confirmation are not counted, and audited', async () => {
    await committeePlan('p-lie')
    await runCommitteePlan(deps(), 'p-lie')
    await approveAs('p-lie', 'alice')
    const st = (await store.safeTxs.get('p-lie', CHAIN))!
    const real = await service().getTransaction(st.safeTxHash)
    const carol = committeeAccount('carol')
    const outsider = privateKeyToAccount(devKey(ROLES.deployer))
    // A transaction service that lies: it lists carol and bob as confirmed with signatures that are not theirs over this hash.
    const forged = [
      ...real.confirmations!,
      { owner: carol.address, signature: await carol.sign({ hash: `0x${'11'.repeat(32)}` }), signatureType: 'EOA', submissionDate: '', transactionHash: null },
      { owner: committeeAccount('bob').address, signature: await outsider.sign({ hash: st.safeTxHash as Hex }), signatureType: 'EOA', submissionDate: '', transactionHash: null },
      { owner: outsider.address, signature: await outsider.sign({ hash: st.safeTxHash as Hex }), signatureType: 'EOA', submissionDate: '', transactionHash: null },
    ]
    const liar = Object.assign(Object.create(service()) as SafeApiKit, { getTransaction: async () => ({ ...real, confirmations: forged }) })
    const nonce0 = await safeNonce()
    for (let round = 0; round < 2; round++) {
      const r = await runCommitteePlan(deps({ services: { [CHAIN]: liar } }), 'p-lie')
      expect(r).toEqual({ status: 'awaiting-signatures', signatures: { [CHAIN]: { owners: [committeeAccount('alice').address], needed: 2 } } })
    }
    expect(await safeNonce()).toBe(nonce0)
    const audit = await store.audit.recent(10, { action: 'safe-signature-refused' })
    expect(audit).toHaveLength(1)
    expect((audit[0]!.detail as { refused: string[] }).refused).toEqual([
      `${carol.address}: the signature does not recover to the owner over ${st.safeTxHash}`,
      `${committeeAccount('bob').address}: the signature does not recover to the owner over ${st.safeTxHash}`,
      `${outsider.address}: not a current owner of the Safe`,
    ])
  })

  it('Safe nonces: two open plans take N and N+1; a superseded plan\'s nonce is taken by the next plan', async () => {
    const n = Number(await safeNonce())
    await committeePlan('p-n1')
    await runCommitteePlan(deps(), 'p-n1')
    await createTestPlan(store, 'p-n2', CHAIN, [{ kind: 'withdraw', chain: CHAIN, venueId: `${CHAIN}-vault-core`, amount: parseEther('5') }], { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 })
    await runCommitteePlan(deps(), 'p-n2')
    expect([(await store.safeTxs.get('p-n1', CHAIN))!.nonce, (await store.safeTxs.get('p-n2', CHAIN))!.nonce]).toEqual([n, n + 1])
    await store.plans.transition('p-n2', 'awaiting_approval', 'superseded')
    await createTestPlan(store, 'p-n3', CHAIN, [{ kind: 'withdraw', chain: CHAIN, venueId: `${CHAIN}-vault-core`, amount: parseEther('6') }], { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 })
    await runCommitteePlan(deps(), 'p-n3')
    expect((await store.safeTxs.get('p-n3', CHAIN))!.nonce).toBe(n + 1)
  })

  it('a plan needing more approvals than the Safe\'s threshold waits for them', async () => {
    await createTestPlan(store, 'p-c3', CHAIN, rebalanceSteps(CHAIN), { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 3 })
    await runCommitteePlan(deps(), 'p-c3')
    await approveAs('p-c3', 'alice')
    await approveAs('p-c3', 'bob')
    const r = await runCommitteePlan(deps(), 'p-c3')
    expect(r).toMatchObject({ status: 'awaiting-signatures', signatures: { [CHAIN]: { needed: 3 } } })
    expect(await safeNonce()).toBe(BigInt((await store.safeTxs.get('p-c3', CHAIN))!.nonce))
    await approveAs('p-c3', 'carol')
    expect(await runCommitteePlan(deps(), 'p-c3')).toEqual({ status: 'completed' })
  })

  it('the Safe nonce consumed by another transaction: the plan is cancelled and never retried', async () => {
    await committeePlan('p-c2')
    await runCommitteePlan(deps(), 'p-c2')
    await approveAs('p-c2', 'alice')
    const stored = (await store.safeTxs.get('p-c2', CHAIN))!
    // The committee uses the nonce for something else (a rejection: a 0-value call), signed by bob and carol.
    const target = { url: cc().config.rpc[0]!.url, safe: safe(), contractNetworks: contractNetworksOf(d.config) }
    const kit = await safeKit(target, committeeKey('bob'))
    const other = await buildSafeTx(kit, [{ to: d.deployment.chains[CHAIN]!.collateral, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [safe(), 0n] }) }])
    expect(Number(other.data.nonce)).toBe(stored.nonce)
    await signAndExecute(target, other, [committeeKey('bob'), committeeKey('carol')], devKey(ROLES.deployer))
    // Bob's signature on the plan's tx arrives too late: the service refuses a used nonce.
    await expect(approveAs('p-c2', 'bob')).rejects.toThrow(/already used|executed/)

    const r = await runCommitteePlan(deps(), 'p-c2')
    expect(r.status).toBe('cancelled')
    expect((await store.safeTxs.get('p-c2', CHAIN))!.status).toBe('cancelled')
    const plan = (await store.plans.get('p-c2'))!
    expect(plan.status).toBe('rejected')
    expect(plan.error).toMatch(/cancelled: the Safe's nonce \d+ on ethereum was used by another transaction/)
    expect(await executions(stored.safeTxHash)).toBe(0)
    expect(await store.intents.get(execIntentKey('p-c2', CHAIN))).toBeUndefined()
    expect(await runCommitteePlan(deps(), 'p-c2')).toEqual({ status: 'not-executable', reason: 'plan is rejected' })
    expect(await store.intents.list({ keyPrefix: 'p-c2:' })).toEqual([])
  })

  it('a crash after the last signature is verified, and one after execTransaction is mined: executed exactly once', async () => {
    for (const [id, point] of [['p-k1', 'signatures-verified'], ['p-k2', 'exec-sent']] as const) {
      await committeePlan(id)
      await runCommitteePlan(deps(), id)
      await approveAs(id, 'alice')
      await approveAs(id, 'carol')
      const nonce0 = await safeNonce()
      const crash = deps({ hooks: { at: (p) => { if (p === point) throw new Error(`crash at ${p}`) } } })
      await expect(runCommitteePlan(crash, id)).rejects.toThrow(`crash at ${point}`)
      const st = (await store.safeTxs.get(id, CHAIN))!
      expect(st.status).toBe(point === 'signatures-verified' ? 'proposed' : 'executing')
      expect(await safeNonce()).toBe(point === 'signatures-verified' ? nonce0 : nonce0 + 1n)
      // A new executor (fresh sender over the same store) resumes.
      expect(await runCommitteePlan(deps(), id)).toEqual({ status: 'completed' })
      expect(await executions(st.safeTxHash)).toBe(1)
      expect(await safeNonce()).toBe(nonce0 + 1n)
      const intents = await store.intents.list({ keyPrefix: `${id}:` })
      expect(intents.map((i) => [i.key, i.status])).toEqual([[execIntentKey(id, CHAIN), 'confirmed']])
      const receipt = await client().getTransactionReceipt({ hash: intents[0]!.txHash as Hex })
      expect(parseEventLogs({ abi: [EXECUTION_SUCCESS], logs: receipt.logs }).map((l) => l.args.txHash)).toEqual([st.safeTxHash])
    }
  })
})
