import { parseEther, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ChainClient } from '../chains/createChainClient'
import type { Config } from '../config/schema'
import { rpcRequest } from '../devnet/anvil'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import type { Intent } from '../store/types'
import { useOwnDevnet } from '../test/devnet'
import { BridgeWaitingError, type BridgeOptions } from './bridge'
import { createSdkBridgePort } from './bridgeSdk'
import { createTxSender, type TxPoint, type TxSender } from './createTxSender'
import { executePlan } from './executePlan'
import { readPosition } from './readPosition'
import { callsTo, createBridgePlan, idleBalances, startBridgeWorld, type BridgeWorld } from './testing/bridgeDevnet'
import { chainClient, silentLogger } from './testing/devnetHelpers'

/**
 * Reorgs while a plan executes and while a Wormhole transfer is in flight (issue 16), made by
 * anvil itself (`anvil_reorg`: the last N blocks replaced; anvil drops the orphaned blocks' txs,
 * they do not go back to its pool). Every chain has finalityDepth 3 here (the guardian's too).
 *
 * Within finality (1 and 3 blocks) under a mined tx of the bridge step, the redeem and the
 * deposit: the sender notices the receipt gone on the next head and re-sends the same signed tx
 * exactly once; the guardian signs only the message of the block that stayed; the plan completes
 * with one transferTokens, one completeTransfer, one deposit on the canonical chains.
 * Deeper than finality (4 blocks) after the transfer was initiated: the guardian never serves the
 * VAA of the orphaned message, the redeem waits, nothing lands on the destination and the
 * collateral stays on the source (the watcher's halt is watch/reorg.devnet.test.ts).
 *
 * On a devnet of this file's own: after a long history an anvil 1.7.1 reorg can rebuild blocks on
 * a state that lost the code set by `anvil_setCode` (devnet/anvil.devnet.test.ts pins it), and the
 * shared devnet's history depends on the files run before this one.
 */

const FINALITY = 3
const devnet = useOwnDevnet(260, { custody: 'eoa' })
const FROM = 'ethereum'
const TO = 'arbitrum'

let world: BridgeWorld
let pool: Hex
beforeAll(async () => {
  pool = devnet.accounts.pool.address
  world = await startBridgeWorld(devnet, { finalityDepth: FINALITY })
})
afterAll(() => world?.stop())

/** A block on every chain every `ms`, paused while a reorg is made (so its depth is exact). */
function ticker(ms: number) {
  let stopped = false
  let paused = 0
  let busy: Promise<unknown> = Promise.resolve()
  const loop = (async () => {
    while (!stopped) {
      if (paused === 0) {
        busy = Promise.all(world.config().chains.map((c) => devnet.mine(c.name, 1).catch(() => undefined)))
        await busy
      }
      await new Promise((r) => setTimeout(r, ms))
    }
  })()
  return {
    /** Holds the ticker until the returned function is called. */
    async pause(): Promise<() => void> {
      paused++
      await busy
      let done = false
      return () => {
        if (!done) paused--
        done = true
      }
    },
    async hold<T>(fn: () => Promise<T>): Promise<T> {
      paused++
      try {
        await busy
        return await fn()
      } finally {
        paused--
      }
    },
    async stop() {
      stopped = true
      await loop
    },
  }
}

const rpc = <T>(chain: string, method: string, params: unknown[]) => rpcRequest<T>(devnet.chain(chain).url, method, params)
/** anvil_reorg of `depth` blocks, a transfer in the first new block (so the new blocks differ). */
const reorg = (chain: string, depth: number) => rpc(chain, 'anvil_reorg', [depth, [[{ from: devnet.accounts.delegators[0]!.address, to: devnet.accounts.operator.address, value: '0x1' }, 0]]])
const head = (chain: string) => devnet.chain(chain).public.getBlockNumber({ cacheTime: 0 })
const blockHashAt = async (chain: string, n: bigint) => (await devnet.chain(chain).public.getBlock({ blockNumber: n })).hash

let store: Store
let cleanup: () => Promise<void>
let config: Config
let chains: Record<string, ChainClient>
let tick: ReturnType<typeof ticker>
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  config = world.config()
  for (const p of Object.values(world.proxies)) p.mode = 'pass'
  world.guardian.setFault({ kind: 'none' })
  chains = {}
  for (const c of config.chains) chains[c.name] = chainClient(config, c.name)
  tick = ticker(150)
})
afterEach(async () => {
  await tick.stop()
  await cleanup()
})

interface Seen {
  key: string
  point: TxPoint
  txHash: Hex | null
  blockHash: Hex | null
}

function senders(onPoint: (chain: string, point: TxPoint, intent: Intent) => Promise<void>, seen: Seen[]): Record<string, TxSender> {
  const out: Record<string, TxSender> = {}
  for (const c of config.chains) {
    out[c.name] = createTxSender({
      common: { config, logger: silentLogger },
      store,
      chain: chains[c.name]!,
      account: privateKeyToAccount(devnet.poolKey),
      options: {
        pollIntervalMs: 20,
        rpcAttempts: 2,
        hooks: {
          at: async (point, intent) => {
            seen.push({ key: intent.key, point, txHash: intent.txHash, blockHash: intent.blockHash })
            await onPoint(c.name, point, intent)
          },
        },
      },
    })
  }
  return out
}

const run = (planId: string, s: Record<string, TxSender>, options: BridgeOptions = {}) =>
  executePlan({ common: { config, logger: silentLogger }, store, chains, senders: s, plan: { id: planId }, bridge: { port: createSdkBridgePort(config), options: { backoffMs: { initial: 50, max: 300 }, waitMs: 60_000, ...options } } })

const wh = (chain: string) => config.wormhole!.chains.find((c) => c.chain === chain)!
const arbVault = () => config.venues.find((v) => v.chain === TO && v.kind === 'erc4626')!

describe(`reorgs during a plan and a Wormhole transfer (devnet, finalityDepth ${FINALITY})`, () => {
  it('1- and 3-block reorgs under the mined bridge, redeem and deposit txs: each re-sent once (the same signed tx), the plan completes, every call once on the canonical chains', async () => {
    const amount = parseEther('4')
    const { received } = await createBridgePlan(store, config, 'rg1', { from: FROM, to: TO, amount, depositVenue: arbVault().id })
    const before = await idleBalances(devnet, config)
    const startFrom = await head(FROM)
    const startTo = await head(TO)
    const vaultBefore = await readPosition(chains[TO]!.client, arbVault(), pool, startTo)
    // Which tx is reorged out, and how deep: the bridge's transferTokens (key …:0:1), the redeem, the deposit step's first tx.
    const plan: Record<string, number> = { 'rg1:0:1': 1, 'rg1:1:': 3, 'rg1:2:': 1 }
    const depthOf = (key: string) => plan[key] ?? plan[key.replace(/\d+$/, '')]
    const done = (key: string) => made.some((m) => m.key === key || (!(m.key in plan) && key.startsWith(m.key.replace(/\d+$/, ''))))
    const made: { key: string; depth: number; orphaned: Hex }[] = []
    const seen: Seen[] = []
    // The ticker is held from the signing of a tx to be reorged out until the reorg: anvil mines
    // it alone (automine), so it is in the head block when the reorg is made.
    let resume: (() => void) | undefined
    const s = senders(async (chain, point, intent) => {
      const depth = depthOf(intent.key)
      if (depth === undefined || done(intent.key)) return
      if (point === 'signed') resume = await tick.pause()
      if (point !== 'mined') return
      try {
        expect(await head(chain)).toBe(intent.blockNumber)
        await reorg(chain, depth)
        made.push({ key: intent.key, depth, orphaned: intent.blockHash! })
      } finally {
        resume?.()
      }
    }, seen)

    const res = await run('rg1', s)
    expect(res.status, res.status === 'failed' ? res.error : '').toBe('completed')
    expect(made.map((m) => [m.key.replace(/\d+$/, ''), m.depth])).toEqual([
      ['rg1:0:', 1],
      ['rg1:1:', 3],
      ['rg1:2:', 1],
    ])
    for (const m of made) {
      const points = seen.filter((x) => x.key === m.key).map((x) => x.point)
      // Re-sent exactly once, then mined again and confirmed.
      expect(points).toEqual(['created', 'signed', 'sent', 'broadcast', 'mined', 'reorged', 'resent', 'mined', 'confirmed'])
      const signed = seen.find((x) => x.key === m.key && x.point === 'signed')!.txHash
      const intent = (await store.intents.get(m.key))!
      // The same signed tx (one attempt, the same hash), now in a block of the canonical chain.
      expect(intent).toMatchObject({ status: 'confirmed', attempts: 1, txHash: signed })
      expect(intent.blockHash).not.toBe(m.orphaned)
      expect(await blockHashAt(m.key.startsWith('rg1:0:') ? FROM : TO, intent.blockNumber!)).toBe(intent.blockHash)
    }
    // One transferTokens and one completeTransfer on the canonical chains; the VAA is of the block that stayed.
    expect(await callsTo(devnet, FROM, pool, wh(FROM).tokenBridge, startFrom)).toHaveLength(1)
    expect(await callsTo(devnet, TO, pool, wh(TO).tokenBridge, startTo)).toHaveLength(1)
    const [t] = await store.transfers.list({ planId: 'rg1' })
    expect(t).toMatchObject({ state: 'deposited', sourceTx: (await store.intents.get('rg1:0:1'))!.txHash })
    expect(await blockHashAt(FROM, t!.sourceBlock!)).toBe((await store.intents.get('rg1:0:1'))!.blockHash)
    // The collateral moved once: left the source once, went into the vault once.
    const after = await idleBalances(devnet, config)
    expect(before[FROM]! - after[FROM]!).toBe(amount)
    expect(after[TO]).toBe(before[TO])
    const vaultAfter = await readPosition(chains[TO]!.client, arbVault(), pool, await head(TO))
    expect(Number(vaultAfter - vaultBefore - received)).toBeGreaterThanOrEqual(-2)
    expect(Number(vaultAfter - vaultBefore - received) / Number(received)).toBeLessThan(1e-3)
  }, 600_000)

  it(`a ${FINALITY + 1}-block reorg of the source after the transfer was initiated: the VAA of the orphaned message is never served, the redeem waits, nothing lands and the collateral stays on the source`, async () => {
    const amount = parseEther('2')
    await createBridgePlan(store, config, 'rg2', { from: FROM, to: TO, amount })
    const before = await idleBalances(devnet, config)
    const startTo = await head(TO)
    let deep: { orphaned: bigint } | undefined
    const seen: Seen[] = []
    // From the source tx's signing to the transfer's initiation the ticker is held and the test
    // mines the finality depth itself, so the reorg takes exactly finality + 1 blocks: the source
    // tx's and the 3 above it.
    let resume: (() => void) | undefined
    const s = senders(async (_chain, point, intent) => {
      if (intent.key !== 'rg2:0:1') return
      if (point === 'signed') resume = await tick.pause()
      if (point === 'mined') await rpc(FROM, 'anvil_mine', [`0x${FINALITY.toString(16)}`])
    }, seen)
    const res = run('rg2', s, {
      waitMs: 4_000,
      hooks: {
        at: async (point, transfer) => {
          if (point !== 'initiated' || deep) return
          try {
            expect(await head(FROM)).toBe(transfer.sourceBlock! + BigInt(FINALITY))
            await reorg(FROM, FINALITY + 1)
            deep = { orphaned: transfer.sourceBlock! }
          } finally {
            resume?.()
          }
        },
      },
    })
    await expect(res).rejects.toBeInstanceOf(BridgeWaitingError)
    expect(deep).toBeDefined()
    const [t] = await store.transfers.list({ planId: 'rg2' })
    // Waiting, never redeemed: the guardian serves no VAA for a message whose block is gone.
    expect(t).toMatchObject({ state: 'initiated', vaa: null })
    expect(await createSdkBridgePort(config).fetchVaa(FROM, { emitter: t!.emitter as Hex, sequence: t!.sequence! })).toBeNull()
    expect(t!.lastError).toBe('VAA not signed yet')
    expect(await callsTo(devnet, TO, pool, wh(TO).tokenBridge, startTo)).toHaveLength(0)
    // The source tx went with its block (anvil drops it): the collateral is still on the source chain.
    const after = await idleBalances(devnet, config)
    expect(after[FROM]).toBe(before[FROM])
    expect(after[TO]).toBe(before[TO])
  }, 600_000)
})
