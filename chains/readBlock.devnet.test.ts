import { describe, expect, it } from 'vitest'
import { numberToHex, type Hex } from 'viem'
import { useDevnet } from '../test/devnet'
import { createChainClient } from './createChainClient'
import { encodeReads, planReads, readBlock, type BlockRead } from './readBlock'

const devnet = useDevnet()

type Rpc = { method: string; params: unknown[] }
type Answer = { result?: unknown; error?: { message: string } }

/** One JSON-RPC batch over plain fetch: no client, no cache, no retry — what the node says, as it says it. */
async function batch(url: string, calls: Rpc[]): Promise<Answer[]> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(calls.map((c, id) => ({ jsonrpc: '2.0', id, ...c }))) })
  const body = (await res.json()) as Array<Answer & { id: number }>
  return body.sort((a, b) => a.id - b.id)
}

const show = (a: Answer): string => (a.error ? `error:${a.error.message}` : String(a.result))

interface Fresh {
  number: bigint
  hash: Hex
  /** eth_call pinned to the number, in the same batch as the header (the old readBlock). */
  byNumber: string
  /** eth_call pinned to the hash (EIP-1898), sent right after the header came back. */
  byHash: string
  /** eth_call pinned to the number, in the same batch as the hash-pinned one. */
  byNumberToo: string
  /** eth_call pinned to the number, sent only once the head was past the block. */
  behind?: string
}

/**
 * The race a colleague saw on the calm devnet (a watcher reading the block anvil had just mined
 * got another block's state, or reverts), provoked on purpose: blocks are mined back to back by
 * the market simulator while a reader reads each new head the moment it appears — by number, by
 * hash, and (once the next block exists) one block behind the head. After mining stops every
 * block is read again by hash: the truth each fresh read is compared with.
 */
describe('reading the newest block while anvil mines (ethereum)', () => {
  it('hash pinning alone does not make a read of the newest block right; readBlock one block behind the head is always right', async () => {
    const c = devnet.chain('ethereum')
    const config = devnet.config
    const venues = config.venues.filter((v) => v.chain === 'ethereum')
    const plan = planReads(venues, config.pool.account)
    const { data } = encodeReads(plan)
    const client = createChainClient({ chain: { ...config.chains.find((x) => x.name === 'ethereum')!, rpc: [{ url: c.url, maxPerSecond: 10_000, maxConcurrent: 16 }] } })
    const json = (r: BlockRead) => JSON.stringify({ hash: r.block.hash, readings: r.readings }, (_k, v) => (typeof v === 'bigint' ? String(v) : v))
    /** What the real readBlock returned one block behind the head, while blocks were being mined. */
    const watched = new Map<bigint, string>()
    const to = config.chains.find((x) => x.name === 'ethereum')!.multicall3
    const call = (block: unknown): Rpc => ({ method: 'eth_call', params: [{ to, data }, block] })

    // Back-to-back blocks: the venues accrue with block.timestamp (one second per block), so every
    // block's readings differ from its neighbours' even without a transaction.
    const steps = Number(process.env.POOLWARDEN_RACE_BLOCKS ?? 1500)
    let mining = true
    const miner = (async () => {
      try {
        for (let i = 0; i < steps; i++) await batch(c.url, [{ method: 'evm_mine', params: [] }])
      } finally {
        mining = false
      }
    })()

    const fresh: Fresh[] = []
    let last = BigInt((await batch(c.url, [{ method: 'eth_blockNumber', params: [] }]))[0]!.result as string)
    while (mining) {
      const [h] = await batch(c.url, [{ method: 'eth_blockNumber', params: [] }])
      const head = BigInt(h!.result as string)
      if (head <= last) continue
      last = head
      const [hdr, byNumber] = await batch(c.url, [{ method: 'eth_getBlockByNumber', params: [numberToHex(head), false] }, call(numberToHex(head))])
      const hash = (hdr!.result as { hash: Hex }).hash
      // The same moment for both pins: the hash-pinned call and a number-pinned one in one batch.
      const [byHash, byNumberToo] = await batch(c.url, [call({ blockHash: hash }), call(numberToHex(head))])
      fresh.push({ number: head, hash, byNumber: show(byNumber!), byHash: show(byHash!), byNumberToo: show(byNumberToo!) })
      // The previous head is now behind the head: read it by number, as a watcher one behind would.
      const prev = fresh.at(-2)
      if (prev) prev.behind = show((await batch(c.url, [call(numberToHex(prev.number))]))[0]!)
      // The watcher's read: readBlock of the block before the head, with readBehindHead = 1.
      const r = await readBlock(client, plan, head - 1n, { behind: 1 })
      watched.set(r.block.number, json(r))
    }
    await miner

    let wrongByNumber = 0
    let wrongByHash = 0
    let wrongByNumberToo = 0
    let wrongBehind = 0
    let behindRead = 0
    const examples: string[] = []
    for (const f of fresh) {
      const [truth, hdr] = await batch(c.url, [call({ blockHash: f.hash }), { method: 'eth_getBlockByNumber', params: [numberToHex(f.number), false] }])
      expect((hdr!.result as { hash: Hex }).hash, 'no reorg happened: the block is still the chain’s').toBe(f.hash)
      const t = show(truth!)
      expect(t.startsWith('error')).toBe(false)
      if (f.byNumber !== t) wrongByNumber++
      if (f.byHash !== t) wrongByHash++
      if (f.byNumberToo !== t) wrongByNumberToo++
      if (f.behind !== undefined) {
        behindRead++
        if (f.behind !== t) wrongBehind++
      }
      const verdict = (x: string) => (x === t ? 'ok' : x.startsWith('error') ? x.slice(0, 60) : `WRONG (${x.length === t.length ? 'another state' : 'other length'})`)
      if ((f.byNumber !== t || f.byHash !== t || f.byNumberToo !== t) && examples.length < 4) examples.push(`block ${f.number}: byNumber ${verdict(f.byNumber)}, byHash ${verdict(f.byHash)}, byNumber beside it ${verdict(f.byNumberToo)}`)
    }
    console.log(
      `fresh-head reads on ethereum: ${fresh.length} blocks; wrong by number (with the header) ${wrongByNumber}; in the next batch: wrong by hash ${wrongByHash}, wrong by number ${wrongByNumberToo}; one block behind: ${behindRead} read, ${wrongBehind} wrong${examples.length ? `; e.g. ${examples.join('; ')}` : ''}`,
    )
    // The watcher's reads, each compared with the same block read again once mining stopped.
    let watchedWrong = 0
    for (const [n, got] of watched) if (got !== json(await readBlock(client, plan, n))) watchedWrong++
    console.log(`readBlock one block behind the head: ${watched.size} blocks read while mining, ${watchedWrong} differ from a re-read after mining`)
    expect(fresh.length).toBeGreaterThan(50)
    expect(behindRead).toBeGreaterThan(0)
    expect(wrongBehind).toBe(0)
    expect(watched.size).toBeGreaterThan(50)
    expect(watchedWrong).toBe(0)
  })
})
