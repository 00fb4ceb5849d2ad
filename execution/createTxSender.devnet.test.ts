import { encodeFunctionData, erc20Abi, parseEther, parseGwei, type Hex } from 'viem'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Config } from '../config/schema'
import type { Store } from '../store'
import { openTempStore } from '../store/testing'
import type { Intent } from '../store/types'
import { useDevnet } from '../test/devnet'
import { erc4626Abi } from '../venues/abis'
import { gasAlertKey, stuckAlertKey, type TxPoint } from './createTxSender'
import { GasBalanceLowError, NonceConsumedError, PreflightRevertError, SenderPausedError, TxCancelledError, TxRevertedError, TxStuckError } from './errors'
import { chainClient, rpc, sender, setVaultPaused, testConfig, txsFrom } from './testing/devnetHelpers'

const devnet = useDevnet()
const CHAIN = 'ethereum'
const pool = devnet.accounts.pool.address

let store: Store
let cleanup: () => Promise<void>
let config: Config
let startBlock: bigint
let nextBaseFee: bigint
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  config = testConfig(devnet)
  startBlock = await devnet.chain(CHAIN).public.getBlockNumber({ cacheTime: 0 })
  nextBaseFee = (await devnet.chain(CHAIN).public.getBlock({ blockTag: 'pending' })).baseFeePerGas ?? 0n
})
afterEach(async () => {
  // Not undone by evm_revert: anvil's mining mode, mempool and next base fee.
  await rpc(devnet, CHAIN, 'evm_setAutomine', [true])
  await rpc(devnet, CHAIN, 'anvil_dropAllTransactions')
  await rpc(devnet, CHAIN, 'anvil_setNextBlockBaseFeePerGas', [`0x${nextBaseFee.toString(16)}`])
  await cleanup()
})

const vault = () => devnet.venue(`${CHAIN}-vault-core`) as { vault: Hex }
const depositCall = (amount: bigint) => ({ to: vault().vault, data: encodeFunctionData({ abi: erc4626Abi, functionName: 'deposit', args: [amount, pool] }) })
const withdrawCall = (amount: bigint) => ({ to: vault().vault, data: encodeFunctionData({ abi: erc4626Abi, functionName: 'withdraw', args: [amount, pool, pool] }) })
const chainNonce = () => devnet.chain(CHAIN).public.getTransactionCount({ address: pool, blockTag: 'pending' })

/** Thrown by a hook to stop the sender at a point, like a crash (the store keeps what was written). */
class Crash extends Error {}
const crashAt = (point: TxPoint) => ({
  at: (p: TxPoint) => {
    if (p === point) throw new Crash(`crash at ${p}`)
  },
})

describe('tx sender (devnet)', () => {
  it('sends once per key: a second send with the same key returns the same confirmed intent, no new tx', async () => {
    const s = sender(devnet, config, store, chainClient(config, CHAIN))
    const first = await s.send({ key: 'p1:0:0', ...depositCall(parseEther('1')) })
    expect(first).toMatchObject({ status: 'confirmed', receiptStatus: 'success', attempts: 1 })
    const nonce = await chainNonce()
    const again = await s.send({ key: 'p1:0:0', ...depositCall(parseEther('1')) })
    expect(again.txHash).toBe(first.txHash)
    expect(await chainNonce()).toBe(nonce)
    const txs = await txsFrom(devnet, CHAIN, pool, startBlock)
    expect(txs.map((t) => t.hash)).toEqual([first.txHash])
    expect(BigInt(txs[0]!.nonce)).toBe(first.nonce)
    expect((await store.intents.nonce(CHAIN, pool))?.nextNonce).toBe(first.nonce! + 1n)
    await expect(s.send({ key: 'p1:0:0', ...depositCall(parseEther('2')) })).rejects.toThrow(/exists for another call/)
  })

  it('pre-flight revert: the intent fails with the decoded reason and nothing is signed or sent', async () => {
    const s = sender(devnet, config, store, chainClient(config, CHAIN))
    const nonce = await chainNonce()
    const err = await s.send({ key: 'p1:0:0', ...withdrawCall(parseEther('100000')) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PreflightRevertError)
    expect((err as PreflightRevertError).reason).toMatch(/^ERC4626ExceededMaxWithdraw\(0x70997970C51812dc3A010C7d01b50e0d17dc79C8, 100000000000000000000000, \d+\)$/)
    expect(await store.intents.get('p1:0:0')).toMatchObject({ status: 'failed', nonce: null, rawTx: null, error: expect.stringMatching(/^pre-flight reverted: ERC4626ExceededMaxWithdraw/) })
    expect(await chainNonce()).toBe(nonce)
    expect(await store.intents.nonce(CHAIN, pool)).toBeUndefined()
    // the key stays failed: no retry under it
    await expect(s.send({ key: 'p1:0:0', ...withdrawCall(parseEther('100000')) })).rejects.toBeInstanceOf(PreflightRevertError)
  })

  it('crash between sign and broadcast: reconcile broadcasts the same raw tx (same hash), once', async () => {
    const chain = chainClient(config, CHAIN)
    const crashing = sender(devnet, config, store, chain, { hooks: crashAt('signed') })
    await expect(crashing.send({ key: 'p1:0:0', ...depositCall(parseEther('1')) })).rejects.toBeInstanceOf(Crash)
    const signed = (await store.intents.get('p1:0:0'))!
    expect(signed.status).toBe('signed')
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toEqual([])

    const restarted = sender(devnet, config, store, chain)
    expect(await restarted.reconcile()).toEqual([{ key: 'p1:0:0', status: 'confirmed' }])
    const done = (await store.intents.get('p1:0:0'))!
    expect(done).toMatchObject({ status: 'confirmed', txHash: signed.txHash, rawTx: signed.rawTx, nonce: signed.nonce, attempts: 1 })
    expect((await txsFrom(devnet, CHAIN, pool, startBlock)).map((t) => t.hash)).toEqual([signed.txHash])
  })

  it('crash after broadcast before the receipt: reconcile finds the receipt, sends nothing', async () => {
    const chain = chainClient(config, CHAIN)
    await expect(sender(devnet, config, store, chain, { hooks: crashAt('broadcast') }).send({ key: 'k', ...depositCall(parseEther('1')) })).rejects.toBeInstanceOf(Crash)
    expect((await store.intents.get('k'))?.status).toBe('broadcast')
    const nonce = await chainNonce()
    const restarted = sender(devnet, config, store, chain)
    await restarted.reconcile()
    expect(await chainNonce()).toBe(nonce)
    expect((await store.intents.get('k'))?.status).toBe('confirmed')
    // a later send on a new key goes after it, with the next nonce
    const next = await restarted.send({ key: 'k2', ...depositCall(parseEther('1')) })
    expect(next.nonce).toBe(BigInt(nonce))
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toHaveLength(2)
  })

  it('send() settles an older unresolved intent first (its nonce comes first)', async () => {
    const chain = chainClient(config, CHAIN)
    await expect(sender(devnet, config, store, chain, { hooks: crashAt('signed') }).send({ key: 'a', ...depositCall(parseEther('1')) })).rejects.toBeInstanceOf(Crash)
    const b = await sender(devnet, config, store, chain).send({ key: 'b', ...depositCall(parseEther('2')) })
    const a = (await store.intents.get('a'))!
    expect(a.status).toBe('confirmed')
    expect(b.nonce).toBe(a.nonce! + 1n)
    expect((await txsFrom(devnet, CHAIN, pool, startBlock)).map((t) => t.hash)).toEqual([a.txHash, b.txHash])
  })

  it('stuck tx (fee below a base fee spike): replaced with the same nonce and higher fees; both attempts recorded', async () => {
    await rpc(devnet, CHAIN, 'evm_setAutomine', [false])
    let broadcasts = 0
    const s = sender(devnet, config, store, chainClient(config, CHAIN), {
      stuckAfterBlocks: 3,
      hooks: {
        at: async (p: TxPoint) => {
          if (p !== 'broadcast') return
          if (++broadcasts === 1) {
            // The base fee jumps far above what the tx pays: it cannot be mined.
            await rpc(devnet, CHAIN, 'anvil_setNextBlockBaseFeePerGas', [`0x${parseGwei('500').toString(16)}`])
            for (let i = 0; i < 3; i++) await rpc(devnet, CHAIN, 'evm_mine')
          } else await rpc(devnet, CHAIN, 'evm_mine')
        },
      },
    })
    const done = await s.send({ key: 'p1:0:0', ...depositCall(parseEther('1')) })
    const attempts = await store.intents.attempts('p1:0:0')
    expect(attempts.map((a) => [a.n, a.status, a.nonce])).toEqual([
      [1, 'replaced', done.nonce],
      [2, 'mined', done.nonce],
    ])
    expect(attempts[1]!.maxFeePerGas * 100n).toBeGreaterThanOrEqual(attempts[0]!.maxFeePerGas * 125n)
    expect(attempts[1]!.maxPriorityFeePerGas * 100n).toBeGreaterThanOrEqual(attempts[0]!.maxPriorityFeePerGas * 125n)
    expect(done).toMatchObject({ status: 'confirmed', txHash: attempts[1]!.txHash, attempts: 2 })
    expect((await txsFrom(devnet, CHAIN, pool, startBlock)).map((t) => t.hash)).toEqual([attempts[1]!.txHash])
  })

  it('stuck past cancelAfterBlocks: cancelled with a same-nonce 0-value self-transfer, intent cancelled, the call never lands', async () => {
    await rpc(devnet, CHAIN, 'evm_setAutomine', [false])
    const shares = () => devnet.chain(CHAIN).public.readContract({ address: vault().vault, abi: erc20Abi, functionName: 'balanceOf', args: [pool] })
    const sharesBefore = await shares()
    const seen: string[] = []
    let broadcasts = 0
    const s = sender(devnet, config, store, chainClient(config, CHAIN), {
      stuckAfterBlocks: 2,
      cancelAfterBlocks: 4,
      hooks: {
        at: async (p: TxPoint) => {
          seen.push(p)
          if (p === 'broadcast' && ++broadcasts === 1) {
            // The base fee jumps far above what the tx pays: it cannot be mined; blocks pass.
            await rpc(devnet, CHAIN, 'anvil_setNextBlockBaseFeePerGas', [`0x${parseGwei('500').toString(16)}`])
            for (let i = 0; i < 2; i++) await rpc(devnet, CHAIN, 'evm_mine')
          } else if (p === 'broadcast' && broadcasts === 2) {
            // The fee-bumped replacement is stuck as well (the base fee jumps again): two more blocks reach cancelAfterBlocks.
            await rpc(devnet, CHAIN, 'anvil_setNextBlockBaseFeePerGas', [`0x${parseGwei('5000').toString(16)}`])
            for (let i = 0; i < 2; i++) await rpc(devnet, CHAIN, 'evm_mine')
          } else if (p === 'cancelling') {
            // The base fee falls back: the cancellation (highest fee for the nonce) is accepted and mined.
            await rpc(devnet, CHAIN, 'anvil_setNextBlockBaseFeePerGas', [`0x${nextBaseFee.toString(16)}`])
          } else if (p === 'broadcast') await rpc(devnet, CHAIN, 'evm_mine')
        },
      },
    })
    const err = await s.send({ key: 'p1:0:0', ...depositCall(parseEther('1')) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TxCancelledError)
    const intent = (await store.intents.get('p1:0:0'))!
    const attempts = await store.intents.attempts('p1:0:0')
    expect(attempts.map((a) => [a.n, a.kind, a.status, a.nonce])).toEqual([
      [1, 'tx', 'replaced', intent.nonce],
      [2, 'tx', 'replaced', intent.nonce],
      [3, 'cancel', 'mined', intent.nonce],
    ])
    expect(attempts[2]!.maxFeePerGas * 100n).toBeGreaterThanOrEqual(attempts[1]!.maxFeePerGas * 125n)
    expect(intent).toMatchObject({ status: 'cancelled', txHash: attempts[2]!.txHash, receiptStatus: 'success' })
    expect(seen).toContain('cancelled')
    // On chain: the nonce went to a 0-value transfer to the pool itself; the deposit never happened.
    const txs = await txsFrom(devnet, CHAIN, pool, startBlock)
    expect(txs.map((t) => [t.hash, t.nonce, t.to?.toLowerCase(), t.input])).toEqual([[attempts[2]!.txHash, Number(intent.nonce), pool.toLowerCase(), '0x']])
    const tx = await devnet.chain(CHAIN).public.getTransaction({ hash: attempts[2]!.txHash })
    expect(tx.value).toBe(0n)
    expect(await shares()).toBe(sharesBefore)
    // Final: the same key is never sent again; a reconcile leaves it cancelled.
    await expect(s.send({ key: 'p1:0:0', ...depositCall(parseEther('1')) })).rejects.toBeInstanceOf(TxCancelledError)
    expect(await s.reconcile()).toEqual([])
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toHaveLength(1)
  })

  it("one key, one job: the governor's sender (its own key) sends while the executor's tx is stuck; neither touches the other's intents", async () => {
    await rpc(devnet, CHAIN, 'evm_setAutomine', [false])
    const voter = devnet.accounts.voter.address
    const chain = chainClient(config, CHAIN)
    // The executor's tx is broadcast, then lost from the mempool, and the executor dies: stuck, unresolved.
    const executor = sender(devnet, config, store, chain, {
      agent: 'executor',
      hooks: {
        at: async (p: TxPoint, intent: Intent) => {
          if (p !== 'broadcast') return
          await rpc(devnet, CHAIN, 'anvil_dropTransaction', [intent.txHash])
          throw new Crash('executor killed')
        },
      },
    })
    await expect(executor.send({ key: 'p1:0:0', ...depositCall(parseEther('1')) })).rejects.toBeInstanceOf(Crash)
    const stuck = (await store.intents.get('p1:0:0'))!
    expect(stuck.status).toBe('broadcast')

    const seen: TxPoint[] = []
    const governor = sender(devnet, config, store, chain, { agent: 'governor', stuckAfterBlocks: 3, hooks: { at: async (p: TxPoint) => {
      seen.push(p)
      if (p === 'broadcast') await rpc(devnet, CHAIN, 'evm_mine')
    } } }, devnet.voterKey)
    expect(governor.address).toBe(voter)
    const vote = await governor.send({ key: 'gov:vote:0', to: devnet.accounts.deployer.address, data: '0x' })
    expect(vote).toMatchObject({ status: 'confirmed', from: voter.toLowerCase(), attempts: 1 })
    expect(seen).toEqual(['created', 'signed', 'sent', 'broadcast', 'mined', 'confirmed'])
    // Its own nonce stream: the voter's first nonce, not the pool's next one.
    expect(vote.nonce).toBe(BigInt(await devnet.chain(CHAIN).public.getTransactionCount({ address: voter, blockTag: 'latest' })) - 1n)
    expect((await store.intents.nonce(CHAIN, voter))?.nextNonce).toBe(vote.nonce! + 1n)
    // The executor's intent was left alone: same attempt, nothing rebroadcast, nothing mined for the pool.
    expect(await store.intents.get('p1:0:0')).toMatchObject({ status: 'broadcast', txHash: stuck.txHash, attempts: 1 })
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toEqual([])
    expect((await txsFrom(devnet, CHAIN, voter, startBlock)).map((t) => t.hash)).toEqual([vote.txHash])
    expect((await store.intents.open(CHAIN, voter)).map((i) => i.key)).toEqual([])
    expect((await store.intents.open(CHAIN, pool)).map((i) => i.key)).toEqual(['p1:0:0'])
  })

  it('paused sender: nothing new is signed (SenderPausedError, intent stays created); unpaused → sent', async () => {
    let paused = true
    const s = sender(devnet, config, store, chainClient(config, CHAIN), { paused: async () => paused })
    const nonce = await chainNonce()
    await expect(s.send({ key: 'k', ...depositCall(parseEther('1')) })).rejects.toBeInstanceOf(SenderPausedError)
    expect(await store.intents.get('k')).toMatchObject({ status: 'created', rawTx: null, nonce: null })
    expect(await chainNonce()).toBe(nonce)
    paused = false
    expect((await s.send({ key: 'k', ...depositCall(parseEther('1')) })).status).toBe('confirmed')
  })

  it('stuck tx replaced, but the original gets mined: the original is accepted (nonce too low → its receipt)', async () => {
    await rpc(devnet, CHAIN, 'evm_setAutomine', [false])
    let original: Intent | undefined
    const s = sender(devnet, config, store, chainClient(config, CHAIN), {
      stuckAfterBlocks: 2,
      hooks: {
        at: async (p: TxPoint, intent: Intent) => {
          if (p === 'broadcast' && !original) {
            original = intent
            // Lost from the node's pool (a dropped tx): empty blocks follow.
            await rpc(devnet, CHAIN, 'anvil_dropTransaction', [intent.txHash])
            for (let i = 0; i < 2; i++) await rpc(devnet, CHAIN, 'evm_mine')
          }
          if (p === 'replaced') {
            // Before the replacement goes out, someone rebroadcasts the original and it is mined.
            await rpc(devnet, CHAIN, 'eth_sendRawTransaction', [original!.rawTx])
            await rpc(devnet, CHAIN, 'evm_mine')
          }
        },
      },
    })
    const done = await s.send({ key: 'k', ...depositCall(parseEther('1')) })
    expect(done).toMatchObject({ status: 'confirmed', txHash: original!.txHash, attempts: 2 })
    expect((await store.intents.attempts('k')).map((a) => a.status)).toEqual(['mined', 'replaced'])
    expect((await txsFrom(devnet, CHAIN, pool, startBlock)).map((t) => t.hash)).toEqual([original!.txHash])
  })

  it('refused for its fee through every allowed attempt: stuck alert, TxStuckError, intent stays signed; later resumed and mined', async () => {
    const s = sender(devnet, config, store, chainClient(config, CHAIN), { maxAttempts: 3 })
    // The node wants far more than the fee estimate (read from the latest block) offers.
    await rpc(devnet, CHAIN, 'anvil_setNextBlockBaseFeePerGas', [`0x${parseGwei('500').toString(16)}`])
    await expect(s.send({ key: 'k', ...depositCall(parseEther('1')) })).rejects.toBeInstanceOf(TxStuckError)
    const stuck = (await store.intents.get('k'))!
    expect([stuck.status, stuck.attempts, stuck.error]).toEqual(['signed', 3, expect.stringMatching(/less than block base fee/)])
    const fees = (await store.intents.attempts('k')).map((a) => a.maxFeePerGas)
    expect(fees[1]! * 100n).toBeGreaterThanOrEqual(fees[0]! * 125n)
    expect(await store.alerts.isOpen(stuckAlertKey('k'))).toBe(true)
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toEqual([])

    await rpc(devnet, CHAIN, 'anvil_setNextBlockBaseFeePerGas', [`0x${nextBaseFee.toString(16)}`])
    const done = await s.send({ key: 'k', ...depositCall(parseEther('1')) })
    expect(done).toMatchObject({ status: 'confirmed', txHash: stuck.txHash, attempts: 3 })
    expect(await store.alerts.isOpen(stuckAlertKey('k'))).toBe(false)
    expect((await txsFrom(devnet, CHAIN, pool, startBlock)).map((t) => t.hash)).toEqual([stuck.txHash])
  })

  it('gas balance below the critical level: alert, intent stays created, nothing sent; funded → sent, alert resolved', async () => {
    const s = sender(devnet, config, store, chainClient(config, CHAIN), { criticalGasBalance: parseEther('1') })
    await rpc(devnet, CHAIN, 'anvil_setBalance', [pool, `0x${parseEther('0.5').toString(16)}`])
    const nonce = await chainNonce()
    await expect(s.send({ key: 'k', ...depositCall(parseEther('1')) })).rejects.toBeInstanceOf(GasBalanceLowError)
    await expect(s.send({ key: 'k', ...depositCall(parseEther('1')) })).rejects.toBeInstanceOf(GasBalanceLowError)
    expect((await store.intents.get('k'))?.status).toBe('created')
    expect(await chainNonce()).toBe(nonce)
    const open = await store.alerts.open({ rule: 'gas-balance' })
    expect(open.map((a) => [a.dedupKey, a.severity, a.chain])).toEqual([[gasAlertKey(CHAIN, pool), 'critical', CHAIN]])
    expect((await store.alerts.recent()).filter((a) => a.rule === 'gas-balance')).toHaveLength(1) // deduplicated

    await rpc(devnet, CHAIN, 'anvil_setBalance', [pool, `0x${parseEther('10').toString(16)}`])
    expect((await s.send({ key: 'k', ...depositCall(parseEther('1')) })).status).toBe('confirmed')
    expect(await store.alerts.isOpen(gasAlertKey(CHAIN, pool))).toBe(false)
    expect((await store.alerts.recent()).map((a) => [a.rule, a.kind])).toContainEqual(['gas-balance', 'recovery'])
    expect(await txsFrom(devnet, CHAIN, pool, startBlock)).toHaveLength(1)
  })

  it('a tx that passes pre-flight but reverts on chain fails its intent (TxRevertedError)', async () => {
    const s = sender(devnet, config, store, chainClient(config, CHAIN), {
      hooks: { at: async (p: TxPoint) => (p === 'signed' ? setVaultPaused(devnet, `${CHAIN}-vault-core`, true) : undefined) },
    })
    const err = await s.send({ key: 'k', ...depositCall(parseEther('1')) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TxRevertedError)
    expect(await store.intents.get('k')).toMatchObject({ status: 'failed', receiptStatus: 'reverted', error: expect.stringMatching(/^reverted in block/) })
    const txs = await txsFrom(devnet, CHAIN, pool, startBlock)
    expect(txs.map((t) => t.hash)).toEqual([(err as TxRevertedError).txHash])
  })

  it('waits for the finality depth before confirming', async () => {
    const deep = testConfig(devnet, { finalityDepth: 2 })
    const seen: string[] = []
    const s = sender(devnet, deep, store, chainClient(deep, CHAIN), {
      hooks: {
        at: async (p: TxPoint, intent: Intent) => {
          seen.push(p)
          if (p === 'mined') {
            await devnet.mine(CHAIN, 1)
            await new Promise((r) => setTimeout(r, 100))
            expect((await store.intents.get(intent.key))?.status).toBe('mined')
            await devnet.mine(CHAIN, 1)
          }
        },
      },
    })
    const done = await s.send({ key: 'k', ...depositCall(parseEther('1')) })
    expect(done.status).toBe('confirmed')
    expect(seen).toEqual(['created', 'signed', 'sent', 'broadcast', 'mined', 'confirmed'])
  })

  it('nonce consumed by a foreign tx: the intent fails (NonceConsumedError), its tx can never land', async () => {
    const s = sender(devnet, config, store, chainClient(config, CHAIN), {
      hooks: {
        at: async (p: TxPoint, intent: Intent) => {
          if (p !== 'signed') return
          // Another tool sends from the pool account with the same nonce.
          const w = devnet.chain(CHAIN).wallet(devnet.accounts.pool)
          const hash = await w.sendTransaction({ to: devnet.accounts.deployer.address, value: 1n, nonce: Number(intent.nonce) })
          await devnet.chain(CHAIN).public.waitForTransactionReceipt({ hash, pollingInterval: 20 })
        },
      },
    })
    await expect(s.send({ key: 'k', ...depositCall(parseEther('1')) })).rejects.toBeInstanceOf(NonceConsumedError)
    expect((await store.intents.get('k'))?.status).toBe('failed')
  })
})
