import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import SafeApiKit, { HttpError } from '@safe-global/api-kit'
import sqlite3 from 'sqlite3'
import { createPublicClient, encodeFunctionData, erc20Abi, http, parseEther, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildSafeTx, contractNetworksOf, safeKit, type SafeTarget, type SafeTransaction } from '../../execution/custody/safeTx'
import { committeeAccount, committeeKey, devKey, ROLES } from '../accounts'
import { startLocalDevnet, type LocalDevnet } from '../local'
import { startSafeTxService, type SafeTxService } from './txService'

/**
 * The local Safe Transaction Service against `@safe-global/api-kit` (v5) unchanged, on a Safe
 * devnet of its own (the shared test devnet runs custody "eoa"): the pool's Safe v1.4.1, owners
 * alice, bob, carol, threshold 2. Signatures are protocol-kit's EIP-712 SafeTx signatures; the
 * service checks them with the Safe contract. Every refusal must be HTTP 422 and leave the
 * transaction's confirmations as they were.
 */

let d: LocalDevnet
let svc: SafeTxService
let dir: string
let snapshot: Hex
const CHAIN = 'ethereum'

beforeAll(async () => {
  d = await startLocalDevnet({ basePort: Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 60, custody: 'safe' })
}, 300_000)
afterAll(async () => {
  await d?.stop()
})
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'safe-tx-service-'))
  svc = await startSafeTxService({ dbPath: path.join(dir, 'service.sqlite'), chains: d.config.chains.map((c) => ({ chainId: c.chainId, rpcUrl: c.rpc[0]!.url })) })
  snapshot = await rpc<Hex>('evm_snapshot')
})
afterEach(async () => {
  await svc.close()
  await rm(dir, { recursive: true, force: true })
  await rpc('evm_revert', [snapshot])
})

const chain = () => d.deployment.chains[CHAIN]!
const safe = (): Address => d.deployment.custody!.safe
const client = () => createPublicClient({ transport: http(chain().url) })
async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(chain().url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  return ((await res.json()) as { result: T }).result
}
const target = (): SafeTarget => ({ url: chain().url, safe: safe(), contractNetworks: contractNetworksOf(d.config) })
const apiKit = () => new SafeApiKit({ chainId: BigInt(chain().chainId), txServiceUrl: svc.urlFor(chain().chainId) })
const collateral = (): Address => chain().collateral
const balance = (who: Address) => client().readContract({ address: collateral(), abi: erc20Abi, functionName: 'balanceOf', args: [who] })

/** A Safe transaction paying `amount` collateral to `to`, at `nonce`, built by protocol-kit. */
async function payTx(to: Address, amount: bigint, nonce: number): Promise<SafeTransaction> {
  const kit = await safeKit(target(), committeeKey('alice'))
  const data = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] })
  const tx = await buildSafeTx(kit, [{ to: collateral(), data }])
  return kit.createTransaction({ transactions: [{ to: tx.data.to, data: tx.data.data, value: tx.data.value }], options: { nonce } })
}

/** `key`'s EIP-712 signature of `tx` (protocol-kit), and the SafeTx hash. */
async function sign(tx: SafeTransaction, key: Hex): Promise<{ hash: Hex; signature: Hex; signer: Address }> {
  const kit = await safeKit(target(), key)
  const hash = (await kit.getTransactionHash(tx)) as Hex
  const account = privateKeyToAccount(key)
  if (!(await kit.isOwner(account.address))) {
    // protocol-kit refuses to sign for a non-owner: the same EIP-712 signature is the ECDSA
    // signature of the SafeTx hash (the typed-data digest) protocol-kit computed.
    return { hash, signature: await account.sign({ hash }), signer: account.address }
  }
  const signed = await kit.signTransaction(tx)
  return { hash, signature: signed.getSignature(account.address)!.data as Hex, signer: account.address }
}

async function propose(tx: SafeTransaction, key: Hex) {
  const s = await sign(tx, key)
  await apiKit().proposeTransaction({ safeAddress: safe(), safeTransactionData: tx.data, safeTxHash: s.hash, senderAddress: s.signer, senderSignature: s.signature, origin: 'test' })
  return s
}

/** The HTTP status api-kit surfaced (and its message), or 'ok'. */
async function statusOf(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p
    return 'ok'
  } catch (err) {
    if (err instanceof HttpError) return err.statusCode
    throw err
  }
}

describe('local Safe Transaction Service through api-kit', () => {
  it('serves the Safe as on chain: owners, threshold, nonce', async () => {
    const info = await apiKit().getSafeInfo(safe())
    expect(info.address).toBe(safe())
    expect(new Set(info.owners)).toEqual(new Set(['alice', 'bob', 'carol'].map((n) => committeeAccount(n as 'alice').address)))
    expect(info.threshold).toBe(2)
    expect(info.singleton).toBe(d.deployment.custody!.contracts.safeSingleton)
    expect(info.modules).toContain(d.deployment.custody!.roles)
    expect(info.version).toBe('1.4.1')
    const onChainNonce = await (await safeKit(target(), committeeKey('alice'))).getNonce()
    expect(info.nonce).toBe(String(onChainNonce))
    expect(await apiKit().getNextNonce(safe())).toBe(String(onChainNonce))
  })

  it('propose → confirm → pending → executed by anyone with the two signatures read back', async () => {
    const api = apiKit()
    const carol = committeeAccount('carol').address
    const nonce = Number(await api.getNextNonce(safe()))
    const tx = await payTx(carol, parseEther('3'), nonce)
    const a = await propose(tx, committeeKey('alice'))

    const proposed = await api.getTransaction(a.hash)
    expect(proposed.safeTxHash).toBe(a.hash)
    expect(proposed.nonce).toBe(String(nonce))
    expect(proposed.isExecuted).toBe(false)
    expect(proposed.confirmationsRequired).toBe(2)
    expect(proposed.confirmations?.map((c) => c.owner)).toEqual([committeeAccount('alice').address])
    expect(proposed.confirmations?.[0]?.signatureType).toBe('EOA')
    // A second proposal at the next nonce: getNextNonce counts pending transactions.
    expect(await api.getNextNonce(safe())).toBe(String(nonce + 1))

    const b = await sign(tx, committeeKey('bob'))
    expect(b.hash).toBe(a.hash)
    expect(await api.confirmTransaction(a.hash, b.signature)).toEqual({ signature: b.signature })

    const pending = await api.getPendingTransactions(safe())
    expect(pending.results.map((t) => t.safeTxHash)).toEqual([a.hash])
    expect(new Set(pending.results[0]!.confirmations!.map((c) => c.owner))).toEqual(new Set([committeeAccount('alice').address, committeeAccount('bob').address]))

    // The executor: reads the signatures back from the service and executes with its own gas.
    const before = await balance(carol)
    const submitter = await safeKit(target(), devKey(ROLES.pool))
    const fromService = await api.getTransaction(a.hash)
    const res = await submitter.executeTransaction(fromService)
    const receipt = await client().waitForTransactionReceipt({ hash: res.hash as Hex, pollingInterval: 50 })
    expect(receipt.status).toBe('success')
    expect((await balance(carol)) - before).toBe(parseEther('3'))

    const executed = await api.getTransaction(a.hash)
    expect(executed.isExecuted).toBe(true)
    expect(executed.isSuccessful).toBe(true)
    expect(executed.transactionHash).toBe(res.hash)
    expect(executed.blockNumber).toBe(Number(receipt.blockNumber))
    expect((await api.getPendingTransactions(safe())).results).toEqual([])
    expect((await api.getSafeInfo(safe())).nonce).toBe(String(nonce + 1))
    // Carol's late confirmation of an executed transaction is refused.
    const c = await sign(tx, committeeKey('carol'))
    expect(await statusOf(api.confirmTransaction(a.hash, c.signature))).toBe(422)
  })

  it('refuses (422) a non-owner, a signature over another SafeTx, a replay on a later nonce, the same owner twice', async () => {
    const api = apiKit()
    const carol = committeeAccount('carol').address
    const nonce = Number(await api.getNextNonce(safe()))
    const tx = await payTx(carol, parseEther('1'), nonce)
    const a = await propose(tx, committeeKey('alice'))
    const confirmations = async () => (await api.getTransaction(a.hash)).confirmations?.map((c) => c.owner)

    // A non-owner (the executor's own key) signs the right SafeTx.
    const outsider = await sign(tx, devKey(ROLES.pool))
    expect(outsider.hash).toBe(a.hash)
    expect(await statusOf(api.confirmTransaction(a.hash, outsider.signature))).toBe(422)
    // Bob signs a different SafeTx (another amount) and posts it as a confirmation of this one.
    const other = await payTx(carol, parseEther('2'), nonce)
    const bobOther = await sign(other, committeeKey('bob'))
    expect(bobOther.hash).not.toBe(a.hash)
    expect(await statusOf(api.confirmTransaction(a.hash, bobOther.signature))).toBe(422)
    // Alice signs twice.
    expect(await statusOf(api.confirmTransaction(a.hash, a.signature))).toBe(422)
    expect(await confirmations()).toEqual([committeeAccount('alice').address])

    // The same call at the next nonce, proposed by bob; alice's signature of nonce N replayed on it.
    const later = await payTx(carol, parseEther('1'), nonce + 1)
    const b = await propose(later, committeeKey('bob'))
    expect(b.hash).not.toBe(a.hash)
    expect(await statusOf(api.confirmTransaction(b.hash, a.signature))).toBe(422)
    expect((await api.getTransaction(b.hash)).confirmations?.map((c) => c.owner)).toEqual([committeeAccount('bob').address])

    // A proposal whose signature is not the sender's, and one whose hash is not the transaction's.
    const third = await payTx(carol, parseEther('5'), nonce + 2)
    const thirdHash = (await sign(third, committeeKey('carol'))).hash
    const bobThird = await sign(third, committeeKey('bob'))
    expect(await statusOf(api.proposeTransaction({ safeAddress: safe(), safeTransactionData: third.data, safeTxHash: thirdHash, senderAddress: carol, senderSignature: bobThird.signature }))).toBe(422)
    expect(await statusOf(api.proposeTransaction({ safeAddress: safe(), safeTransactionData: third.data, safeTxHash: a.hash, senderAddress: bobThird.signer, senderSignature: bobThird.signature }))).toBe(422)
    // A non-owner proposing.
    const out3 = await sign(third, devKey(ROLES.pool))
    expect(await statusOf(api.proposeTransaction({ safeAddress: safe(), safeTransactionData: third.data, safeTxHash: thirdHash, senderAddress: out3.signer, senderSignature: out3.signature }))).toBe(422)
    expect(await statusOf(api.getTransaction(thirdHash))).toBe(404)

    // A valid second signature is still accepted after the refusals.
    const bobRight = await sign(tx, committeeKey('bob'))
    expect(await statusOf(api.confirmTransaction(a.hash, bobRight.signature))).toBe('ok')
    expect(new Set(await confirmations())).toEqual(new Set([committeeAccount('alice').address, committeeAccount('bob').address]))
  })

  it('refuses a proposal below the Safe nonce', async () => {
    const api = apiKit()
    const nonce = Number(await api.getNextNonce(safe()))
    if (nonce === 0) {
      // Consume nonce 0 first so that "below" exists.
      const tx = await payTx(committeeAccount('carol').address, 1n, 0)
      const a = await propose(tx, committeeKey('alice'))
      const b = await sign(tx, committeeKey('bob'))
      await api.confirmTransaction(a.hash, b.signature)
      const res = await (await safeKit(target(), devKey(ROLES.pool))).executeTransaction(await api.getTransaction(a.hash))
      await client().waitForTransactionReceipt({ hash: res.hash as Hex, pollingInterval: 50 })
    }
    const current = Number((await api.getSafeInfo(safe())).nonce)
    expect(current).toBeGreaterThan(0)
    const stale = await payTx(committeeAccount('carol').address, 1n, current - 1)
    const s = await sign(stale, committeeKey('alice'))
    expect(await statusOf(api.proposeTransaction({ safeAddress: safe(), safeTransactionData: stale.data, safeTxHash: s.hash, senderAddress: s.signer, senderSignature: s.signature }))).toBe(422)
  })
})

describe('the service checks every chain and Safe before it listens', () => {
  const chains = () => d.config.chains.map((c) => ({ chainId: c.chainId, rpcUrl: c.rpc[0]!.url }))
  const dbIn = (name: string) => path.join(dir, name)

  it('starts with the Safe read and its executions indexed up to the head on every chain', async () => {
    const heads = await Promise.all(d.config.chains.map((c) => createPublicClient({ transport: http(c.rpc[0]!.url) }).getBlockNumber({ cacheTime: 0 })))
    const checked = await startSafeTxService({ dbPath: dbIn('checked.sqlite'), chains: chains(), safes: [safe()] })
    try {
      const rows = await new Promise<Array<{ chain_id: number; safe: string; next_block: number }>>((resolve, reject) => {
        const db = new sqlite3.Database(dbIn('checked.sqlite'), sqlite3.OPEN_READONLY, (err) => {
          if (err) return reject(err)
          db.all<{ chain_id: number; safe: string; next_block: number }>('SELECT chain_id, safe, next_block FROM indexed ORDER BY chain_id', (e, r) => db.close(() => (e ? reject(e) : resolve(r))))
        })
      })
      expect(rows.map((r) => r.chain_id)).toEqual(d.config.chains.map((c) => c.chainId).sort((a, b) => a - b))
      for (const r of rows) {
        expect(r.safe).toBe(safe())
        const i = d.config.chains.findIndex((c) => c.chainId === r.chain_id)
        expect(r.next_block).toBeGreaterThan(Number(heads[i]!))
      }
      expect((await new SafeApiKit({ chainId: BigInt(chain().chainId), txServiceUrl: checked.urlFor(chain().chainId) }).getSafeInfo(safe())).threshold).toBe(2)
    } finally {
      await checked.close()
    }
  })

  it('refuses to start on an RPC of another chain, a Safe with no code, an RPC that does not answer, naming the chain', async () => {
    const [first, second] = chains()
    await expect(startSafeTxService({ dbPath: dbIn('a.sqlite'), chains: [{ chainId: first!.chainId, rpcUrl: second!.rpcUrl }] }))
      .rejects.toThrow(`chain ${first!.chainId}: the RPC at ${second!.rpcUrl} serves chain ${second!.chainId}`)
    const nobody: Address = '0x000000000000000000000000000000000000dEaD'
    await expect(startSafeTxService({ dbPath: dbIn('b.sqlite'), chains: [first!], safes: [nobody] }))
      .rejects.toThrow(`chain ${first!.chainId}: the Safe ${nobody} cannot be read (Safe=${nobody} not found)`)
    const dead = 'http://127.0.0.1:9'
    await expect(startSafeTxService({ dbPath: dbIn('c.sqlite'), chains: [{ chainId: first!.chainId, rpcUrl: dead }] }))
      .rejects.toThrow(`chain ${first!.chainId}: the RPC at ${dead} does not answer`)
  })
})
