import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeFunctionResult, multicall3Abi, numberToHex, type Hex } from 'viem'
import { chain as chainSchema } from '../config/schema'
import { BlockNotYetAvailableError } from '../core/errors'
import { createChainClient } from './createChainClient'
import { BlockReorgedError, readBlock, ReorgDetectedError } from './readBlock'

/**
 * readBlock against a real HTTP JSON-RPC server on 127.0.0.1 whose answers the test scripts: what
 * goes on the wire (the multicall pinned to the header's hash) and what readBlock makes of a
 * header that changes under the read, a parent of another fork, or a node that lacks a block.
 */

type Call = { method: string; params: unknown[] }
const servers: Server[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

const h = (c: string): Hex => `0x${c.repeat(64)}` as Hex
const header = (n: bigint, hash: Hex, parentHash: Hex) => ({ number: numberToHex(n), hash, parentHash, timestamp: numberToHex(1_700_000_000n + n) })
const EMPTY_AGGREGATE = encodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', result: [] })

/** A node: `head`, and the header it serves for a number on the k-th time it is asked for it. */
async function node(opts: { head: bigint; headers: (n: bigint, k: number) => ReturnType<typeof header> | null }) {
  const seen: Call[] = []
  const asked = new Map<bigint, number>()
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const msgs = JSON.parse(body) as Array<Call & { id: number; jsonrpc: string }>
      const list = Array.isArray(msgs) ? msgs : [msgs]
      const out = list.map((m) => {
        seen.push({ method: m.method, params: m.params })
        let result: unknown = null
        if (m.method === 'eth_blockNumber') result = numberToHex(opts.head)
        else if (m.method === 'eth_getBlockByNumber') {
          const n = BigInt(m.params[0] as string)
          const k = asked.get(n) ?? 0
          asked.set(n, k + 1)
          result = n > opts.head ? null : opts.headers(n, k)
        } else if (m.method === 'eth_call') result = EMPTY_AGGREGATE
        return { jsonrpc: '2.0', id: m.id, result }
      })
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(Array.isArray(msgs) ? out : out[0]))
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  servers.push(server)
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = createChainClient({ chain: chainSchema.parse({ name: 'test', chainId: 31337, rpc: [{ url, maxPerSecond: 1000, maxConcurrent: 8 }] }), timeoutMs: 2_000 })
  return { client, seen }
}

describe('readBlock (a scripted JSON-RPC node)', () => {
  it('pins the multicall to the header’s hash (EIP-1898), never the number, and checks the header again beside it', async () => {
    const { client, seen } = await node({ head: 11n, headers: (n) => header(n, h(n === 10n ? 'a' : 'b'), h('9')) })
    const r = await readBlock(client, [], 10n, { behind: 1 })
    expect(r.block).toEqual({ number: 10n, hash: h('a'), parentHash: h('9'), timestamp: 1_700_000_010 })
    const calls = seen.filter((c) => c.method === 'eth_call')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.params[1]).toEqual({ blockHash: h('a') })
    expect(seen.filter((c) => c.method === 'eth_getBlockByNumber' && c.params[0] === '0xa')).toHaveLength(2)
  })

  it('a block whose hash changed while it was read: BlockReorgedError, the readings are not returned', async () => {
    const { client } = await node({ head: 11n, headers: (n, k) => header(n, h(k === 0 ? 'a' : 'c'), h('9')) })
    await expect(readBlock(client, [], 10n)).rejects.toBeInstanceOf(BlockReorgedError)
  })

  it('the parent we hold is not the chain’s: ReorgDetectedError, also while the next block is not mined', async () => {
    const fork = await node({ head: 11n, headers: (n) => header(n, h(n === 10n ? 'a' : 'e'), h(n === 10n ? 'f' : '8')) })
    // The chain's block 10 builds on f…; we hold 9 as 9…
    const err = await readBlock(fork.client, [], 10n, { parent: h('9') }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ReorgDetectedError)
    expect((err as ReorgDetectedError).number).toBe(9n)
    // Waiting for block 12 (not mined) while the chain's block 11 is no longer the one we hold.
    await expect(readBlock(fork.client, [], 12n, { parent: h('d') })).rejects.toBeInstanceOf(ReorgDetectedError)
  })

  it('a node that lacks the parent or the block is waited for, never taken for a reorg; nor is the head itself read with behind 1', async () => {
    const short = await node({ head: 8n, headers: (n) => header(n, h('a'), h('9')) })
    await expect(readBlock(short.client, [], 10n, { parent: h('9') })).rejects.toBeInstanceOf(BlockNotYetAvailableError)
    const atHead = await node({ head: 10n, headers: (n) => header(n, h(n === 10n ? 'a' : '9'), h('9')) })
    const err = await readBlock(atHead.client, [], 10n, { behind: 1, parent: h('9') }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BlockNotYetAvailableError)
    expect(err).not.toBeInstanceOf(ReorgDetectedError)
    expect(atHead.seen.some((c) => c.method === 'eth_call')).toBe(false)
    expect((await readBlock(atHead.client, [], 10n, { behind: 0, parent: h('9') })).block.hash).toBe(h('a'))
  })
})
