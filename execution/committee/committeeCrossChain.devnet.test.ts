import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import SafeApiKit from '@safe-global/api-kit'
import { erc20Abi, getAddress, parseEther, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ChainClient } from '../../chains/createChainClient'
import { committeeAccount, committeeKey, devKey, ROLES } from '../../devnet/accounts'
import { startLocalDevnet, type LocalDevnet } from '../../devnet/local'
import { safeAbi } from '../../devnet/safe/deploySafe'
import { startSafeTxService, type SafeTxService } from '../../devnet/safe/txService'
import type { Store } from '../../store'
import { openTempStore } from '../../store/testing'
import { bridgeReceived } from '../../strategies/constraints'
import type { PlanStepInput } from '../../store/types'
import { createSdkBridgePort } from '../bridgeSdk'
import { createTxSender, type TxSender } from '../createTxSender'
import { readPosition } from '../readPosition'
import { chainClient, silentLogger } from '../testing/devnetHelpers'
import { createTestPlan } from '../testing/plans'
import { EXECUTION_SUCCESS, signAndSubmit } from './planSafeTx'
import { execIntentKey, runCommitteePlan, type RunCommitteePlanDeps } from './runCommitteePlan'

/**
 * A cross-chain committee plan in custody "safe" on the devnet (real Safe v1.4.1 on three anvils,
 * the real Wormhole core and token bridges, the local guardian signing VAAs, the local Safe
 * Transaction Service over HTTP through api-kit): withdraw on ethereum → bridge → redeem on
 * arbitrum → deposit there. One Safe tx per chain, both signed by the committee before anything
 * moves, executed in the order the money flows, each exactly once.
 */

let d: LocalDevnet
let store: Store
let cleanup: () => Promise<void>
let svc: SafeTxService
let dir: string
let stopTicker: () => Promise<void>
const FROM = 'ethereum'
const TO = 'arbitrum'

beforeAll(async () => {
  d = await startLocalDevnet({ basePort: Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 140, custody: 'safe', guardian: { pollMs: 50 } })
}, 300_000)
afterAll(async () => {
  await d?.stop()
})
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  dir = await mkdtemp(path.join(os.tmpdir(), 'committee-x-'))
  svc = await startSafeTxService({ dbPath: path.join(dir, 'service.sqlite'), chains: d.config.chains.map((c) => ({ chainId: c.chainId, rpcUrl: c.rpc[0]!.url })) })
  // The guardian signs a message once its block is final: blocks keep coming on every chain.
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(d.config.chains.map((c) => cc(c.name).client.request({ method: 'evm_mine' as never }).catch(() => undefined)))
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  stopTicker = async () => {
    stopped = true
    await loop
  }
})
afterEach(async () => {
  await stopTicker()
  await svc.close()
  await cleanup()
  await rm(dir, { recursive: true, force: true })
})

const clients = new Map<string, ChainClient>()
const cc = (name: string): ChainClient => {
  let c = clients.get(name)
  if (!c) clients.set(name, (c = chainClient(d.config, name)))
  return c
}
const safe = (): Address => d.deployment.custody!.safe
const chainIdOf = (name: string) => d.config.chains.find((c) => c.name === name)!.chainId
const service = (name: string) => new SafeApiKit({ chainId: BigInt(chainIdOf(name)), txServiceUrl: svc.urlFor(chainIdOf(name)) })
const committeeChain = (name: string) => ({ name, url: cc(name).config.rpc[0]!.url, client: cc(name).client })
const venue = (id: string) => d.config.venues.find((v) => v.id === id)!
const collateral = (chain: string) => d.config.pool.collateral.find((c) => c.chain === chain)!
const safeNonce = async (chain: string) => cc(chain).client.readContract({ address: safe(), abi: safeAbi, functionName: 'nonce' }) as Promise<bigint>
const balance = (chain: string, who: Address) => cc(chain).client.readContract({ address: collateral(chain).token, abi: erc20Abi, functionName: 'balanceOf', args: [who] })
const head = (chain: string) => cc(chain).client.getBlockNumber({ cacheTime: 0 })
const executor = privateKeyToAccount(devKey(ROLES.pool))

function deps(): RunCommitteePlanDeps {
  const chains: Record<string, ChainClient> = {}
  const senders: Record<string, TxSender> = {}
  const services: Record<string, SafeApiKit> = {}
  for (const c of d.config.chains) {
    chains[c.name] = cc(c.name)
    senders[c.name] = createTxSender({ common: { config: d.config, logger: silentLogger }, store, chain: cc(c.name), account: executor, options: { pollIntervalMs: 20 } })
    services[c.name] = service(c.name)
  }
  return {
    common: { config: d.config, logger: silentLogger }, store, chains, senders, services,
    bridge: { port: createSdkBridgePort(d.config), options: { backoffMs: { initial: 50, max: 300 }, waitMs: 60_000 } },
  }
}

/** withdraw `amount` from ethereum's core vault → bridge it → redeem on arbitrum → deposit what lands into arbitrum's core vault. */
async function crossChainPlan(id: string, amount: bigint) {
  const received = bridgeReceived(amount, collateral(FROM).decimals, collateral(TO).decimals)
  const transfer = { from: FROM, to: TO, amount: amount.toString(), received: received.toString() }
  const idle = (chain: string) => d.config.venues.find((v) => v.chain === chain && v.kind === 'lst' && v.address.toLowerCase() === collateral(chain).token.toLowerCase())!.id
  const steps: PlanStepInput[] = [
    { kind: 'withdraw', chain: FROM, venueId: `${FROM}-vault-core`, amount },
    { kind: 'bridge', chain: FROM, venueId: idle(FROM), amount, detail: { transfer } },
    { kind: 'redeem', chain: TO, venueId: idle(TO), amount: received, detail: { transfer, bridgeStep: 1 } },
    { kind: 'deposit', chain: TO, venueId: `${TO}-vault-core`, amount: received },
  ]
  await createTestPlan(store, id, FROM, steps, { chain: null, status: 'awaiting_approval', needsApproval: true, approvalsRequired: 2, basedOnBlock: { [FROM]: 1n, [TO]: 1n } })
  return { received }
}

async function approveAs(planId: string, who: 'alice' | 'bob' | 'carol', chains = [FROM, TO]) {
  for (const chain of chains) {
    const st = (await store.safeTxs.get(planId, chain))!
    await signAndSubmit(d.config, committeeChain(chain), st, committeeKey(who), service(chain))
  }
}

const executions = async (chain: string, safeTxHash: string) =>
  (await cc(chain).client.getLogs({ address: safe(), event: EXECUTION_SUCCESS, args: { txHash: safeTxHash as Hex }, fromBlock: 0n, toBlock: 'latest' })).length

describe('a cross-chain committee plan: one Safe transaction per chain', () => {
  it('withdraw + bridge on ethereum, redeem + deposit on arbitrum: both Safe txs signed 2 of 3 before anything moves, executed in order, exactly once', async () => {
    const amount = parseEther('10')
    const { received } = await crossChainPlan('x-c1', amount)
    const n0 = { [FROM]: await safeNonce(FROM), [TO]: await safeNonce(TO) }
    const core = venue(`${FROM}-vault-core`)
    const dest = venue(`${TO}-vault-core`)
    const before = { core: await readPosition(cc(FROM).client, core, safe(), await head(FROM)), dest: await readPosition(cc(TO).client, dest, safe(), await head(TO)), idleTo: await balance(TO, safe()) }

    const r0 = await runCommitteePlan(deps(), 'x-c1')
    expect(r0).toEqual({ status: 'awaiting-signatures', signatures: { [FROM]: { owners: [], needed: 2 }, [TO]: { owners: [], needed: 2 } } })
    const src = (await store.safeTxs.get('x-c1', FROM))!
    const dst = (await store.safeTxs.get('x-c1', TO))!
    // Each chain's tx is a MultiSendCallOnly batch at that chain's Safe nonce.
    expect(src).toMatchObject({ status: 'proposed', nonce: Number(n0[FROM]) })
    expect(dst).toMatchObject({ status: 'proposed', nonce: Number(n0[TO]) })
    for (const st of [src, dst]) {
      expect(getAddress(st.tx.to)).toBe(d.deployment.custody!.contracts.multiSendCallOnly)
      expect(st.tx.operation).toBe(1)
    }
    // The source batch carries approve(token bridge) + transferTokens to the bridge; the destination's deposits `received`.
    const bridgeAddr = d.config.wormhole!.chains.find((c) => c.chain === FROM)!.tokenBridge.toLowerCase().slice(2)
    expect(src.tx.data.toLowerCase()).toContain(bridgeAddr)
    expect(dst.tx.data.toLowerCase()).toContain(received.toString(16).padStart(64, '0'))

    // alice signs both chains, bob only ethereum: the plan is not approved as a whole, nothing moves anywhere.
    await approveAs('x-c1', 'alice')
    await approveAs('x-c1', 'bob', [FROM])
    const r1 = await runCommitteePlan(deps(), 'x-c1')
    expect(r1).toEqual({
      status: 'awaiting-signatures',
      signatures: { [FROM]: { owners: [committeeAccount('alice').address, committeeAccount('bob').address], needed: 2 }, [TO]: { owners: [committeeAccount('alice').address], needed: 2 } },
    })
    expect([await safeNonce(FROM), await safeNonce(TO)]).toEqual([n0[FROM], n0[TO]])
    expect(await store.transfers.list({ planId: 'x-c1' })).toEqual([])
    expect((await store.plans.get('x-c1'))!.status).toBe('awaiting_approval')

    // bob signs arbitrum too: the whole plan runs.
    await approveAs('x-c1', 'bob', [TO])
    const r2 = await runCommitteePlan(deps(), 'x-c1')
    expect(r2).toEqual({ status: 'completed' })
    expect([await safeNonce(FROM), await safeNonce(TO)]).toEqual([n0[FROM] + 1n, n0[TO] + 1n])
    expect(await executions(FROM, src.safeTxHash)).toBe(1)
    expect(await executions(TO, dst.safeTxHash)).toBe(1)
    expect((await store.plans.steps('x-c1')).map((s) => s.status)).toEqual(['confirmed', 'confirmed', 'confirmed', 'confirmed'])
    const [t] = await store.transfers.list({ planId: 'x-c1' })
    expect(t).toMatchObject({ state: 'deposited', sourceChain: FROM, destChain: TO, amount, received })
    // The transfer started in the source Safe tx, landed before the destination Safe tx ran.
    expect(t!.sourceTx).toBe((await store.intents.get(execIntentKey('x-c1', FROM)))!.txHash)
    const destExec = (await store.intents.get(execIntentKey('x-c1', TO)))!
    expect(t!.redeemedAt).not.toBeNull()
    expect(destExec.blockNumber! > (await cc(TO).client.getTransactionReceipt({ hash: t!.destTx as Hex })).blockNumber).toBe(true)

    const after = { core: await readPosition(cc(FROM).client, core, safe(), await head(FROM)), dest: await readPosition(cc(TO).client, dest, safe(), await head(TO)), idleTo: await balance(TO, safe()) }
    expect(before.core - after.core >= amount - parseEther('0.01') && before.core - after.core <= amount).toBe(true)
    expect(after.dest - before.dest >= received && after.dest - before.dest < received + received / 1000n).toBe(true)
    expect(after.idleTo).toBe(before.idleTo) // all that landed went into the vault
    // The executor's key only paid gas: it never held the collateral on either chain.
    expect(await balance(FROM, executor.address)).toBe(0n)
    expect(await balance(TO, executor.address)).toBe(0n)

    // Once done, nothing runs again.
    expect(await runCommitteePlan(deps(), 'x-c1')).toEqual({ status: 'completed' })
    expect([await safeNonce(FROM), await safeNonce(TO)]).toEqual([n0[FROM] + 1n, n0[TO] + 1n])
  }, 180_000)

  it('a crash after the source Safe tx is mined (funds in flight): the restart redeems and deposits, the source is never executed twice', async () => {
    const amount = parseEther('4')
    await crossChainPlan('x-k1', amount)
    await runCommitteePlan(deps(), 'x-k1')
    await approveAs('x-k1', 'alice')
    await approveAs('x-k1', 'carol')
    const n0 = { [FROM]: await safeNonce(FROM), [TO]: await safeNonce(TO) }
    const crash = { ...deps(), hooks: { at: (p: string, ctx: { chain: string }) => { if (p === 'exec-sent' && ctx.chain === FROM) throw new Error('crash after the source tx') } } }
    await expect(runCommitteePlan(crash, 'x-k1')).rejects.toThrow('crash after the source tx')
    expect(await safeNonce(FROM)).toBe(n0[FROM] + 1n)
    expect(await safeNonce(TO)).toBe(n0[TO])
    expect((await store.plans.get('x-k1'))!.status).toBe('executing')

    expect(await runCommitteePlan(deps(), 'x-k1')).toEqual({ status: 'completed' })
    const src = (await store.safeTxs.get('x-k1', FROM))!
    expect(await executions(FROM, src.safeTxHash)).toBe(1)
    expect([await safeNonce(FROM), await safeNonce(TO)]).toEqual([n0[FROM] + 1n, n0[TO] + 1n])
    const [t] = await store.transfers.list({ planId: 'x-k1' })
    expect(t!.state).toBe('deposited')
    // One redeem intent, one execTransaction per chain.
    const intents = (await store.intents.list({ keyPrefix: 'x-k1:' })).map((i) => [i.key, i.status]).sort()
    expect(intents).toEqual([[execIntentKey('x-k1', TO), 'confirmed'], [execIntentKey('x-k1', FROM), 'confirmed'], ['x-k1:2:0', 'confirmed']].sort())
  }, 180_000)
})
