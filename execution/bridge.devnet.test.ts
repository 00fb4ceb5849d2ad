import { parseEther, type Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ChainClient } from '../chains/createChainClient'
import type { Config } from '../config/schema'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import { useDevnet } from '../test/devnet'
import { bridgeBadVaaAlertKey, bridgeUnreachableAlertKey, BridgeWaitingError, type BridgeOptions } from './bridge'
import { createSdkBridgePort } from './bridgeSdk'
import { createTxSender, type TxSender } from './createTxSender'
import { executePlan } from './executePlan'
import { readPosition } from './readPosition'
import { callsTo, createBridgePlan, idleBalances, startBridgeWorld, sum18, type BridgeWorld } from './testing/bridgeDevnet'
import { chainClient, silentLogger } from './testing/devnetHelpers'

/**
 * Cross-chain transfers on the devnet: the real Wormhole core and token bridges on three anvils,
 * the local guardian signing VAAs over HTTP, the SDK building the txs, our TxSender sending them.
 */

const devnet = useDevnet()
const FROM = 'ethereum'
const TO = 'arbitrum'
const pool = devnet.accounts.pool.address

let world: BridgeWorld
beforeAll(async () => {
  world = await startBridgeWorld(devnet)
})
afterAll(() => world?.stop())

let store: Store
let cleanup: () => Promise<void>
let stopTicker: () => Promise<void>
let config: Config
let chains: Record<string, ChainClient>
let senders: Record<string, TxSender>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  config = world.config()
  for (const p of Object.values(world.proxies)) p.mode = 'pass'
  world.guardian.setFault({ kind: 'none' })
  chains = {}
  senders = {}
  for (const c of config.chains) {
    chains[c.name] = chainClient(config, c.name)
    senders[c.name] = createTxSender({ common: { config, logger: silentLogger }, store, chain: chains[c.name]!, account: privateKeyToAccount(devnet.poolKey), options: { pollIntervalMs: 20, rpcAttempts: 2 } })
  }
  stopTicker = world.tick(100)
})
afterEach(async () => {
  await stopTicker()
  await cleanup()
})

const wh = (chain: string) => config.wormhole!.chains.find((c) => c.chain === chain)!
const run = (planId: string, options: BridgeOptions = {}) =>
  executePlan({
    common: { config, logger: silentLogger },
    store,
    chains,
    senders,
    plan: { id: planId },
    bridge: { port: createSdkBridgePort(config), options: { backoffMs: { initial: 50, max: 300 }, waitMs: 20_000, ...options } },
  })
const head = (chain: string) => devnet.chain(chain).public.getBlockNumber({ cacheTime: 0 })
const arbVault = () => config.venues.find((v) => v.chain === TO && v.kind === 'erc4626')!

describe('cross-chain transfer (devnet Wormhole)', () => {
  it('bridge → redeem → deposit: completed, one transferTokens and one completeTransfer, funds landed in the venue, collateral conserved', async () => {
    const amount = parseEther('10')
    const { received } = await createBridgePlan(store, config, 'x1', { from: FROM, to: TO, amount, depositVenue: arbVault().id })
    const before = await idleBalances(devnet, config)
    const startFrom = await head(FROM)
    const startTo = await head(TO)
    const vaultBefore = await readPosition(chains[TO]!.client, arbVault(), pool, startTo)

    const res = await run('x1')
    expect(res.status, res.status === 'failed' ? res.error : '').toBe('completed')
    expect(res.steps.map((s) => [s.kind, s.status])).toEqual([
      ['bridge', 'confirmed'],
      ['redeem', 'confirmed'],
      ['deposit', 'confirmed'],
    ])
    const [t] = await store.transfers.list({ planId: 'x1' })
    expect(t).toMatchObject({ state: 'deposited', sourceChain: FROM, destChain: TO, amount, received })
    expect(t!.vaa).toMatch(/^0x01/)
    expect(t!.destTx).toMatch(/^0x/)
    // Exactly one transferTokens on the source token bridge and one completeTransfer on the destination's.
    expect(await callsTo(devnet, FROM, pool, wh(FROM).tokenBridge, startFrom)).toHaveLength(1)
    expect(await callsTo(devnet, TO, pool, wh(TO).tokenBridge, startTo)).toHaveLength(1)
    // The funds left the source, landed on the destination and went into the vault.
    const after = await idleBalances(devnet, config)
    expect(before[FROM]! - after[FROM]!).toBe(amount)
    expect(after[TO]).toBe(before[TO])
    const vaultAfter = await readPosition(chains[TO]!.client, arbVault(), pool, await head(TO))
    expect(Number(vaultAfter - vaultBefore - received)).toBeGreaterThanOrEqual(-2)
    expect(Number(vaultAfter - vaultBefore - received) / Number(received)).toBeLessThan(1e-3)
  })

  it('refuses a VAA with a bad signature and one for another chain: nothing is redeemed, an alert is raised, and a good VAA then completes it', async () => {
    const amount = parseEther('3')
    await createBridgePlan(store, config, 'x2', { from: FROM, to: TO, amount })
    const startTo = await head(TO)
    const before = sum18(config, await idleBalances(devnet, config))
    world.guardian.setFault({ kind: 'bad-signature' })
    await expect(run('x2', { waitMs: 2_500 })).rejects.toBeInstanceOf(BridgeWaitingError)
    let [t] = await store.transfers.list({ planId: 'x2' })
    expect(t!.state).toBe('initiated')
    expect(t!.lastError).toMatch(/VAA refused: bad signature/)
    expect(await store.alerts.isOpen(bridgeBadVaaAlertKey(t!.id))).toBe(true)

    world.guardian.setFault({ kind: 'wrong-target', toChain: wh('base').wormholeChainId })
    await expect(run('x2', { waitMs: 2_500 })).rejects.toBeInstanceOf(BridgeWaitingError)
    ;[t] = await store.transfers.list({ planId: 'x2' })
    expect(t!.state).toBe('initiated')
    expect(t!.lastError).toMatch(/VAA refused: VAA for another chain/)
    expect(await callsTo(devnet, TO, pool, wh(TO).tokenBridge, startTo)).toHaveLength(0)

    world.guardian.setFault({ kind: 'none' })
    const res = await run('x2')
    expect(res.status).toBe('completed')
    expect(await store.alerts.isOpen(bridgeBadVaaAlertKey(t!.id))).toBe(false)
    expect(await callsTo(devnet, TO, pool, wh(TO).tokenBridge, startTo)).toHaveLength(1)
    expect(sum18(config, await idleBalances(devnet, config))).toBe(before)
  })

  it('guardian down: the transfer waits and alerts, and finishes when the guardian is back', async () => {
    await createBridgePlan(store, config, 'x3', { from: FROM, to: TO, amount: parseEther('2') })
    await world.guardian.pause()
    try {
      await expect(run('x3', { waitMs: 2_000, unreachableAfterSeconds: 0.5 })).rejects.toBeInstanceOf(BridgeWaitingError)
      const [t] = await store.transfers.list({ planId: 'x3' })
      expect(t!.state).toBe('initiated')
      expect(t!.lastError).toMatch(/Wormhole API unreachable/)
      expect(await store.alerts.isOpen(bridgeUnreachableAlertKey(t!.id))).toBe(true)
    } finally {
      await world.guardian.resume()
    }
    const res = await run('x3')
    expect(res.status).toBe('completed')
    const [t] = await store.transfers.list({ planId: 'x3' })
    expect(t!.state).toBe('deposited')
    expect(await store.alerts.isOpen(bridgeUnreachableAlertKey(t!.id))).toBe(false)
  })

  it('destination unreachable: the VAA is kept, the transfer waits and alerts, and never gives up; redeemed once it is back', async () => {
    await createBridgePlan(store, config, 'x4', { from: FROM, to: TO, amount: parseEther('1') })
    const startTo = await head(TO)
    world.proxies[TO]!.mode = 'down'
    await expect(run('x4', { waitMs: 5_000, unreachableAfterSeconds: 0.5 })).rejects.toBeInstanceOf(BridgeWaitingError)
    let [t] = await store.transfers.list({ planId: 'x4' })
    expect(['initiated', 'vaa_signed']).toContain(t!.state)
    expect(t!.lastError).toMatch(/destination arbitrum unreachable/)
    expect(await store.alerts.isOpen(bridgeUnreachableAlertKey(t!.id))).toBe(true)
    expect((await store.plans.get('x4'))!.status).toBe('executing') // not failed: the funds are not given up
    world.proxies[TO]!.mode = 'pass'
    const res = await run('x4')
    expect(res.status).toBe('completed')
    ;[t] = await store.transfers.list({ planId: 'x4' })
    expect(t!.state).toBe('deposited')
    expect(await callsTo(devnet, TO, pool, wh(TO).tokenBridge, startTo)).toHaveLength(1)
  })

  it('a transfer already redeemed by someone else is not redeemed again', async () => {
    await createBridgePlan(store, config, 'x5', { from: FROM, to: TO, amount: parseEther('1') })
    // Stop once the VAA is fetched, then redeem it ourselves from another account.
    await expect(run('x5', { waitMs: 20_000, hooks: { at: (p) => { if (p === 'vaa-signed') throw new BridgeWaitingError('stop here') } } })).rejects.toBeInstanceOf(BridgeWaitingError)
    const [t] = await store.transfers.list({ planId: 'x5' })
    expect(t!.state).toBe('vaa_signed')
    const other = devnet.accounts.deployer
    const txs = await createSdkBridgePort(config).redeemTxs(TO, t!.vaa as `0x${string}`, other.address as Address)
    const c = devnet.chain(TO)
    const hash = await c.wallet(other).sendTransaction({ to: txs[0]!.to, data: txs[0]!.data })
    expect((await c.public.waitForTransactionReceipt({ hash })).status).toBe('success')
    const startTo = await head(TO)
    const res = await run('x5')
    expect(res.status).toBe('completed')
    expect((await store.transfers.get(t!.id))!.destTx).toBeNull()
    expect(await callsTo(devnet, TO, pool, wh(TO).tokenBridge, startTo)).toHaveLength(0)
  })
})
