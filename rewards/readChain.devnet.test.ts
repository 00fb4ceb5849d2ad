import { erc20Abi, type Address, type PublicClient } from 'viem'
import { describe, expect, it } from 'vitest'
import { useDevnet } from '../test/devnet'
import { timeWeights } from './entitlements'
import { readShareHistory, type ShareCursor } from './readChain'

/**
 * The share-log scan resumes from a stored cursor: a second epoch reads only its own blocks'
 * Transfer logs and arrives at the same history (opening, transfers, closing) and the same
 * entitlements as a scan from block 0; a cursor whose block was reorged away is not used.
 */
const devnet = useDevnet()
const CHAIN = 'ethereum'
const FRESH = '0x00000000000000000000000000000000c0ffee01' as Address

async function mineAt(time: number) {
  const c = devnet.chain(CHAIN)
  const head = await c.public.getBlock({ blockTag: 'latest' })
  await c.test.setNextBlockTimestamp({ timestamp: BigInt(Math.max(time, Number(head.timestamp) + 1)) })
  await c.test.mine({ blocks: 1 })
  return (await c.public.getBlock({ blockTag: 'latest' })).number
}

async function send(account: number, to: Address, value: bigint) {
  const c = devnet.chain(CHAIN)
  const hash = await c.wallet(account).writeContract({ address: devnet.deployment.chains[CHAIN]!.poolShare, abi: erc20Abi, functionName: 'transfer', args: [to, value] })
  const r = await c.public.waitForTransactionReceipt({ hash })
  expect(r.status).toBe('success')
  return Number((await c.public.getBlock({ blockNumber: r.blockNumber })).timestamp)
}

/** The chain's public client, recording the block ranges of its eth_getLogs calls. */
function recording() {
  const base = devnet.chain(CHAIN).public as PublicClient
  const ranges: [bigint, bigint][] = []
  const client = {
    ...base,
    getLogs: ((args: { fromBlock: bigint; toBlock: bigint }) => {
      ranges.push([args.fromBlock, args.toBlock])
      return base.getLogs(args as never)
    }) as PublicClient['getLogs'],
  } as PublicClient
  return { client, ranges }
}

describe('share history from a stored cursor', () => {
  it('epoch 2 reads only blocks after epoch 1’s end and gets the same history and entitlements as a scan from block 0; a reorged cursor is not used', async () => {
    const c = devnet.chain(CHAIN)
    const token = devnet.deployment.chains[CHAIN]!.poolShare
    const multicall3 = devnet.config.chains.find((x) => x.name === CHAIN)!.multicall3
    const holders = Object.keys(devnet.deployment.chains[CHAIN]!.shareHolders).map((a) => a.toLowerCase())
    const idx = devnet.accounts.delegators.findIndex((a) => holders.includes(a.address.toLowerCase()))
    expect(idx).toBeGreaterThanOrEqual(0)
    const holder = 2 + idx
    const other = devnet.accounts.delegators.find((_, i) => i !== idx)!.address
    const t0 = Number((await c.public.getBlock({ blockTag: 'latest' })).timestamp) + 10
    const w1 = { startTime: t0, endTime: t0 + 600 }
    const w2 = { startTime: w1.endTime, endTime: w1.endTime + 600 }

    // Epoch 1: one transfer mid-epoch.
    const start1 = await mineAt(w1.startTime)
    await mineAt(w1.startTime + 100)
    await send(holder, other, 10n ** 18n)
    const end1 = await mineAt(w1.endTime)
    const first = recording()
    const h1 = await readShareHistory({ client: first.client, chain: CHAIN, token, multicall3, startBlock: start1, endBlock: end1 })
    expect(h1.scan).toMatchObject({ fromBlock: 0n, toBlock: end1, fromCursor: false })
    expect(first.ranges[0]![0]).toBe(0n)
    expect(h1.transfers).toHaveLength(1)
    expect(h1.next.block).toBe(end1)
    const cursor: ShareCursor = JSON.parse(JSON.stringify({ ...h1.next, block: String(h1.next.block) }), (k, v: unknown) => (k === 'block' ? BigInt(v as string) : v)) as ShareCursor

    // Epoch 2: a transfer to an address that never held shares, and one back.
    await mineAt(w2.startTime + 50)
    const freshAt = await send(holder, FRESH, 3n * 10n ** 17n)
    await mineAt(w2.startTime + 200)
    await send(holder, other, 5n * 10n ** 17n)
    const end2 = await mineAt(w2.endTime)
    await mineAt(w2.endTime + 1)

    const inc = recording()
    const h2 = await readShareHistory({ client: inc.client, chain: CHAIN, token, multicall3, startBlock: end1, endBlock: end2, cursor })
    const full = recording()
    const f2 = await readShareHistory({ client: full.client, chain: CHAIN, token, multicall3, startBlock: end1, endBlock: end2 })
    // Only the new range was read.
    expect(h2.scan).toMatchObject({ fromBlock: end1 + 1n, toBlock: end2, fromCursor: true })
    expect(inc.ranges.length).toBeGreaterThan(0)
    for (const [lo, hi] of inc.ranges) expect(lo > end1 && hi <= end2).toBe(true)
    expect(full.ranges[0]![0]).toBe(0n)
    expect(h2.scan.logs).toBe(2)
    expect(f2.scan.logs).toBeGreaterThan(h2.scan.logs)
    // The same history and entitlements as the scan from block 0.
    expect(h2.opening).toEqual(f2.opening)
    expect(h2.transfers).toEqual(f2.transfers)
    expect(h2.closing).toEqual(f2.closing)
    expect(h2.closing!.get(FRESH.toLowerCase())).toBe(3n * 10n ** 17n)
    expect(h2.next.holders).toEqual(f2.next.holders)
    const weights = timeWeights(w2, [h2])
    expect(weights).toEqual(timeWeights(w2, [f2]))
    expect(weights.get(FRESH.toLowerCase())).toBe(3n * 10n ** 17n * BigInt(w2.endTime - freshAt))

    // A cursor whose block hash is not the chain's (reorged away): scanned from block 0 instead.
    const stale = { ...cursor, hash: `0x${'ab'.repeat(32)}` as const }
    const again = await readShareHistory({ client: c.public as PublicClient, chain: CHAIN, token, multicall3, startBlock: end1, endBlock: end2, cursor: stale })
    expect(again.scan).toMatchObject({ fromBlock: 0n, fromCursor: false })
    expect(again.closing).toEqual(f2.closing)
  })
})
