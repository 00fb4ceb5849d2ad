import { parseEther } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import type { ChainClient } from '../chains/createChainClient'
import type { Config } from '../config/schema'
import { openTempStore } from '../store/testing'
import { useDevnet } from '../test/devnet'
import { redeemRevertsEveryTime } from '../test/faults/redeem'
import { completeTransfer, TransferHeldError } from './bridge'
import { createSdkBridgePort } from './bridgeSdk'
import { createTxSender, type TxSender } from './createTxSender'
import { callsTo, createBridgePlan, startBridgeWorld, type BridgeWorld } from './testing/bridgeDevnet'
import { chainClient, silentLogger } from './testing/devnetHelpers'

/** Bounded retries (issue 16 item 5) on the devnet Wormhole: a redeem that fails every time stops at the cap. */

const devnet = useDevnet()
let world: BridgeWorld
let cleanup: (() => Promise<void>) | undefined
let stopTicker: (() => Promise<void>) | undefined
beforeAll(async () => {
  world = await startBridgeWorld(devnet)
})
afterAll(() => world?.stop())
afterEach(async () => {
  await stopTicker?.()
  await cleanup?.()
})

it('a redeem that reverts every time stops after execution.redeemMaxAttempts with one alert; the transfer is held with its VAA, and nothing more is sent', async () => {
  const base = world.config()
  const config: Config = { ...base, execution: { ...base.execution, redeemMaxAttempts: 3 } }
  const opened = await openTempStore()
  cleanup = opened.cleanup
  const store = opened.store
  const chains: Record<string, ChainClient> = {}
  const senders: Record<string, TxSender> = {}
  for (const c of config.chains) {
    chains[c.name] = chainClient(config, c.name)
    senders[c.name] = createTxSender({ common: { config, logger: silentLogger }, store, chain: chains[c.name]!, account: privateKeyToAccount(devnet.poolKey), options: { pollIntervalMs: 20, rpcAttempts: 2 } })
  }
  stopTicker = world.tick(100)
  await createBridgePlan(store, config, 'r1', { from: 'ethereum', to: 'arbitrum', amount: parseEther('1') })
  const bridgeTo = config.wormhole!.chains.find((c) => c.chain === 'arbitrum')!.tokenBridge
  const startTo = await devnet.chain('arbitrum').public.getBlockNumber({ cacheTime: 0 })

  const row = await redeemRevertsEveryTime({ config, logger: silentLogger, store, chains, senders, port: createSdkBridgePort(config), planId: 'r1', rounds: 3 })
  expect(row.observed).toMatch(/^3 redeem intent\(s\), 1 alert\(s\), plan failed/)
  expect(row.passed).toBe(true)
  expect(row.redeemIntents).toBe(3)
  expect(row.alerts).toBe(1)
  const [t] = await store.transfers.list({ planId: 'r1' })
  expect(t).toMatchObject({ state: 'vaa_signed', heldReason: expect.stringMatching(/^the redeem on arbitrum failed 3 time\(s\) \(execution\.redeemMaxAttempts = 3\)/) })
  expect(t!.vaa).toMatch(/^0x01/)
  const intents = await store.intents.list({ keyPrefix: `r1:${t!.redeemIdx}:` })
  expect(intents.map((i) => i.status)).toEqual(['failed', 'failed', 'failed'])
  expect((await store.plans.getWithSteps('r1'))!.steps.map((s) => [s.kind, s.status])).toEqual([
    ['bridge', 'confirmed'],
    ['redeem', 'failed'],
  ])

  // Asked again (a restart, another round): refused at once, nothing sent, still one alert.
  await expect(completeTransfer({ common: { config, logger: silentLogger }, store, senders, port: createSdkBridgePort(config) }, t!.id)).rejects.toBeInstanceOf(TransferHeldError)
  expect(await store.intents.list({ keyPrefix: `r1:${t!.redeemIdx}:` })).toHaveLength(3)
  expect((await store.alerts.recent()).filter((a) => a.rule === 'bridge-redeem-held')).toHaveLength(1)

  // A person releases it (the cause fixed: the real VAA): the next redeem lands, exactly one completeTransfer on chain.
  expect(await store.transfers.release(t!.id)).toBe(true)
  const landed = await completeTransfer({ common: { config, logger: silentLogger }, store, senders, port: createSdkBridgePort(config), options: { backoffMs: { initial: 50, max: 300 }, waitMs: 60_000 } }, t!.id)
  expect(landed.state).toBe('redeemed')
  expect(await callsTo(devnet, 'arbitrum', devnet.accounts.pool.address, bridgeTo, startTo)).toHaveLength(1)
}, 600_000)
