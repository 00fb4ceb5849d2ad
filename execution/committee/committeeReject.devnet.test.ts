import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import SafeApiKit from '@safe-global/api-kit'
import { getAddress, parseEther, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ChainClient } from '../../chains/createChainClient'
import { committeeAccount, committeeKey, devKey, ROLES } from '../../devnet/accounts'
import { startLocalDevnet, type LocalDevnet } from '../../devnet/local'
import { safeAbi } from '../../devnet/safe/deploySafe'
import { startSafeTxService, type SafeTxService } from '../../devnet/safe/txService'
import type { Store } from '../../store'
import { openTempStore } from '../../store/testing'
import { createTxSender } from '../createTxSender'
import { contractNetworksOf, safeKit } from '../custody/safeTx'
import { chainClient, silentLogger } from '../testing/devnetHelpers'
import { createTestPlan, rebalanceSteps } from '../testing/plans'
import { addProposerDelegate } from './delegate'
import { EXECUTION_SUCCESS, signAndSubmit } from './planSafeTx'
import { rejectAbandonedSafeTxs, rejectionOrigin, type RejectAbandonedDeps } from './rejectAbandoned'
import { runCommitteePlan, type RunCommitteePlanDeps } from './runCommitteePlan'

/**
 * An ended committee plan's Safe tx (superseded, expired…) must not stay executable: the executor
 * refuses it whatever signatures arrive, and proposes the same-nonce rejection (a 0-value call of
 * the Safe to itself) to the local Safe Transaction Service as a delegate of the Safe; once the
 * committee executes the rejection, the plan's Safe tx is cancelled for good.
 */

let d: LocalDevnet
let store: Store
let cleanup: () => Promise<void>
let svc: SafeTxService
let dir: string
let snapshot: Hex
const CHAIN = 'ethereum'

beforeAll(async () => {
  d = await startLocalDevnet({ basePort: Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 160, custody: 'safe' })
}, 300_000)
afterAll(async () => {
  await d?.stop()
})
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  dir = await mkdtemp(path.join(os.tmpdir(), 'committee-rej-'))
  svc = await startSafeTxService({ dbPath: path.join(dir, 'service.sqlite'), chains: d.config.chains.map((c) => ({ chainId: c.chainId, rpcUrl: c.rpc[0]!.url })) })
  snapshot = (await cc().client.request({ method: 'evm_snapshot' as never })) as Hex
})
afterEach(async () => {
  await svc.close()
  await cleanup()
  await rm(dir, { recursive: true, force: true })
  await cc().client.request({ method: 'evm_revert' as never, params: [snapshot] as never })
})

let chain: ChainClient | undefined
const cc = (): ChainClient => (chain ??= chainClient(d.config, CHAIN))
const safe = (): Address => d.deployment.custody!.safe
const chainId = () => d.config.chains.find((c) => c.name === CHAIN)!.chainId
const url = () => cc().config.rpc[0]!.url
const service = () => new SafeApiKit({ chainId: BigInt(chainId()), txServiceUrl: svc.urlFor(chainId()) })
const safeNonce = async () => cc().client.readContract({ address: safe(), abi: safeAbi, functionName: 'nonce' }) as Promise<bigint>
const executor = privateKeyToAccount(devKey(ROLES.pool))

function runDeps(): RunCommitteePlanDeps {
  const sender = createTxSender({ common: { config: d.config, logger: silentLogger }, store, chain: cc(), account: executor, options: { pollIntervalMs: 20 } })
  return { common: { config: d.config, logger: silentLogger }, store, chains: { [CHAIN]: cc() }, senders: { [CHAIN]: sender }, services: { [CHAIN]: service() } }
}
const rejectDeps = (): RejectAbandonedDeps => ({ common: { config: d.config, logger: silentLogger }, store, chains: { [CHAIN]: cc() }, services: { [CHAIN]: service() }, proposer: executor })

async function committeePlan(id: string, amount = parseEther('40')) {
  const steps = rebalanceSteps(CHAIN).map((s, i) => (i === 0 ? { ...s, amount } : s))
  await createTestPlan(store, id, CHAIN, amount === parseEther('40') ? steps : [steps[0]!], { status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2 })
}
const sign = async (planId: string, who: 'alice' | 'bob' | 'carol') => {
  const st = (await store.safeTxs.get(planId, CHAIN))!
  return signAndSubmit(d.config, { name: CHAIN, url: url(), client: cc().client }, st, committeeKey(who), service())
}
const executions = async (safeTxHash: string) =>
  (await cc().client.getLogs({ address: safe(), event: EXECUTION_SUCCESS, args: { txHash: safeTxHash as Hex }, fromBlock: 0n, toBlock: 'latest' })).length
const registerDelegate = () => addProposerDelegate(service(), { safe: safe(), delegate: executor.address, ownerKey: committeeKey('alice'), chainId: chainId(), rpcUrl: url() })

describe('an ended committee plan\'s Safe transaction is made unexecutable', () => {
  it('superseded: the executor refuses it with a full set of signatures, proposes the same-nonce rejection as a delegate (once), and once the committee executes the rejection the plan\'s tx is cancelled', async () => {
    await committeePlan('p-s1')
    await runCommitteePlan(runDeps(), 'p-s1')
    const st = (await store.safeTxs.get('p-s1', CHAIN))!
    await sign('p-s1', 'alice')
    expect(await store.plans.transition('p-s1', 'awaiting_approval', 'superseded')).toBe(true)
    // bob's signature arrives after the plan was superseded: the threshold is met on the service…
    await sign('p-s1', 'bob')
    expect((await service().getTransaction(st.safeTxHash)).confirmations).toHaveLength(2)
    // …and the executor still refuses to execute it.
    const nonce0 = await safeNonce()
    expect(await runCommitteePlan(runDeps(), 'p-s1')).toEqual({ status: 'not-executable', reason: 'plan is superseded' })
    expect(await safeNonce()).toBe(nonce0)
    expect(await executions(st.safeTxHash)).toBe(0)

    // Not a delegate yet: the service refuses the executor's proposal; audited once over two rounds.
    for (let i = 0; i < 2; i++) {
      const [r] = await rejectAbandonedSafeTxs(rejectDeps())
      expect(r).toMatchObject({ planId: 'p-s1', outcome: 'refused' })
      expect((r as { reason: string }).reason).toMatch(/is not an owner or delegate/)
    }
    expect(await store.audit.recent(10, { action: 'safe-tx-rejection-refused' })).toHaveLength(1)

    // alice registers the executor's key as a delegate of the Safe: the rejection is proposed.
    await registerDelegate()
    const [r1] = await rejectAbandonedSafeTxs(rejectDeps())
    expect(r1).toMatchObject({ planId: 'p-s1', chain: CHAIN, outcome: 'rejection-proposed' })
    const rejHash = (r1 as { rejectionSafeTxHash: string }).rejectionSafeTxHash
    const rej = await service().getTransaction(rejHash)
    expect({ to: getAddress(rej.to), value: rej.value, data: rej.data ?? '0x', operation: rej.operation, nonce: Number(rej.nonce), origin: rej.origin }).toEqual({
      to: safe(), value: '0', data: '0x', operation: 0, nonce: st.nonce, origin: rejectionOrigin('p-s1', 'superseded'),
    })
    // The delegate proposed; it confirmed nothing.
    expect(rej.confirmations ?? []).toEqual([])
    // Proposed once: the next round finds it on the service.
    expect(await rejectAbandonedSafeTxs(rejectDeps())).toEqual([{ planId: 'p-s1', chain: CHAIN, outcome: 'rejection-pending', rejectionSafeTxHash: rejHash }])
    expect(await store.audit.recent(10, { action: 'safe-tx-rejection-proposed' })).toHaveLength(1)

    // carol and bob sign the rejection (read back from the service, as Safe{Wallet} would), anyone executes it.
    const kit = await safeKit({ url: url(), safe: safe(), contractNetworks: contractNetworksOf(d.config) })
    let tx = await kit.createRejectionTransaction(st.nonce)
    expect(await kit.getTransactionHash(tx)).toBe(rejHash)
    for (const who of ['carol', 'bob'] as const) {
      tx = await (await safeKit({ url: url(), safe: safe(), contractNetworks: contractNetworksOf(d.config) }, committeeKey(who))).signTransaction(tx)
      await service().confirmTransaction(rejHash, tx.getSignature(committeeAccount(who).address)!.data)
    }
    const submitter = await safeKit({ url: url(), safe: safe(), contractNetworks: contractNetworksOf(d.config) }, devKey(ROLES.deployer))
    await cc().client.waitForTransactionReceipt({ hash: (await submitter.executeTransaction(tx)).hash as Hex })
    expect(await safeNonce()).toBe(nonce0 + 1n)
    expect(await executions(rejHash)).toBe(1)

    // The plan's Safe tx can never execute now: recorded as cancelled, and the service refuses more signatures on it.
    expect(await rejectAbandonedSafeTxs(rejectDeps())).toEqual([{ planId: 'p-s1', chain: CHAIN, outcome: 'cancelled' }])
    expect((await store.safeTxs.get('p-s1', CHAIN))!.status).toBe('cancelled')
    await expect(sign('p-s1', 'carol')).rejects.toThrow(/already used|executed/)
    expect(await executions(st.safeTxHash)).toBe(0)
    expect(await rejectAbandonedSafeTxs(rejectDeps())).toEqual([])
  })

  it('an ended plan whose nonce a new open plan took: no rejection (the replacement uses the nonce); an expired plan with its nonce free: rejection proposed', async () => {
    await registerDelegate()
    await committeePlan('p-old', parseEther('5'))
    await runCommitteePlan(runDeps(), 'p-old')
    const old = (await store.safeTxs.get('p-old', CHAIN))!
    await store.plans.transition('p-old', 'awaiting_approval', 'superseded')
    await committeePlan('p-new', parseEther('6'))
    await runCommitteePlan(runDeps(), 'p-new')
    expect((await store.safeTxs.get('p-new', CHAIN))!.nonce).toBe(old.nonce)
    expect(await rejectAbandonedSafeTxs(rejectDeps())).toEqual([{ planId: 'p-old', chain: CHAIN, outcome: 'replaced', by: 'p-new' }])
    expect((await service().getPendingTransactions(safe())).results).toEqual([])

    // The new plan expires too: now nothing replaces nonce N, and the rejection at N is proposed (once for the nonce).
    await store.plans.transition('p-new', 'awaiting_approval', 'expired')
    const out = await rejectAbandonedSafeTxs(rejectDeps())
    expect(out.map((o) => o.outcome).sort()).toEqual(['rejection-pending', 'rejection-proposed'])
    const pending = (await service().getPendingTransactions(safe())).results
    expect(pending.map((t) => [getAddress(t.to), Number(t.nonce), t.data ?? '0x'])).toEqual([[safe(), old.nonce, '0x']])
  }, 300_000) // several Safe transactions, each simulated on its own anvil fork first: slow on a loaded machine
})
