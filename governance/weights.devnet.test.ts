import { describe, expect, it } from 'vitest'
import { poolShareAbi } from '../devnet/abis'
import { useDevnet } from '../test/devnet'
import { blockAtTimestamp, createShareWeightReader, readShareWeights } from './weights'

const devnet = useDevnet()

describe('weights from chain reads', () => {
  it('blockAtTimestamp: the last block at or before a time (binary search), null before genesis', async () => {
    const c = devnet.chain('arbitrum').public
    const head = await c.getBlock({ blockTag: 'latest' })
    const genesis = await c.getBlock({ blockNumber: 0n })
    expect(await blockAtTimestamp(c, head.timestamp + 1000n)).toBe(head.number)
    expect(await blockAtTimestamp(c, genesis.timestamp - 1n)).toBeNull()
    // Every block's own timestamp finds the last block carrying it; one second less finds an earlier block.
    for (const n of [1n, head.number / 2n, head.number - 1n]) {
      const b = await c.getBlock({ blockNumber: n })
      const found = (await blockAtTimestamp(c, b.timestamp))!
      expect((await c.getBlock({ blockNumber: found })).timestamp).toBe(b.timestamp)
      if (found + 1n <= head.number) expect((await c.getBlock({ blockNumber: found + 1n })).timestamp).toBeGreaterThan(b.timestamp)
      expect(await blockAtTimestamp(c, b.timestamp - 1n)).toBeLessThan(n)
    }
  })

  it('sums pool shares per delegator over every chain at a time; later mints do not count; extra voters listed at zero', async () => {
    const chains = Object.values(devnet.deployment.chains).map((d) => ({
      chain: d.name,
      client: devnet.chain(d.name).public,
      token: d.poolShare,
      multicall3: d.multicall3,
    }))
    const heads = await Promise.all(chains.map((c) => c.client.getBlock({ blockTag: 'latest' })))
    const t = Number(heads.reduce((m, h) => (h.timestamp > m ? h.timestamp : m), 0n))
    // A mint on base after t.
    const base = devnet.chain('base')
    const [d2] = devnet.accounts.delegators
    await base.test.setNextBlockTimestamp({ timestamp: BigInt(t) + 50n })
    const hash = await base.wallet(devnet.accounts.deployer).writeContract({ address: devnet.deployment.chains.base!.poolShare, abi: poolShareAbi, functionName: 'mint', args: [d2!.address, 7n] })
    await base.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })
    const stranger = '0x000000000000000000000000000000000000bEEF'
    const w = await readShareWeights({ chains, time: t, extra: [stranger, 'not-an-address'] })
    const expected: Record<string, Record<string, string>> = {}
    for (const d of Object.values(devnet.deployment.chains)) {
      for (const [a, v] of Object.entries(d.shareHolders)) (expected[a.toLowerCase()] ??= {})[d.name] = v
    }
    expected[stranger.toLowerCase()] = {}
    const got = Object.fromEntries(w.delegators.map((d) => [d.address.toLowerCase(), Object.fromEntries(Object.entries(d.weightByChain).map(([k, v]) => [k, v.toString()]))]))
    expect(got).toEqual(expected)
    const supply = Object.values(w.totalSupply).reduce((a, b) => a + b, 0n)
    const sum = w.delegators.reduce((a, d) => a + Object.values(d.weightByChain).reduce((x, y) => x + y, 0n), 0n)
    expect(sum).toBe(supply)
    const after = await readShareWeights({ chains, time: t + 60 })
    expect(after.delegators.find((d) => d.address === d2!.address)!.weightByChain.base).toBe(BigInt(devnet.deployment.chains.base!.shareHolders[d2!.address]!) + 7n)
  })

  it('a reader asked again with nothing changed answers from memory (no balance read, no log scan); a new voter or a seeded balance is read or used', async () => {
    const chains = Object.values(devnet.deployment.chains).map((d) => ({ chain: d.name, client: devnet.chain(d.name).public, token: d.poolShare, multicall3: d.multicall3 }))
    // A time with later blocks on every chain: every block found is final.
    const heads = await Promise.all(chains.map((c) => c.client.getBlock({ blockTag: 'latest' })))
    const t = Number(heads.reduce((m, h) => (h.timestamp > m ? h.timestamp : m), 0n))
    for (const c of chains) {
      const test = devnet.chain(c.chain).test
      await test.setNextBlockTimestamp({ timestamp: BigInt(t) + 5n })
      await test.mine({ blocks: 1 })
    }
    const voter = '0x000000000000000000000000000000000000dEaD'
    const reader = createShareWeightReader()
    const first = await reader.read({ chains, time: t, extra: [voter] })
    const s1 = reader.stats()
    expect(s1.balanceReads).toBe(chains.length)
    const again = await reader.read({ chains, time: t, extra: [voter] })
    expect(again).toEqual(first)
    const s2 = reader.stats()
    expect(s2).toMatchObject({ balanceReads: s1.balanceReads, logScans: s1.logScans, memoHits: 1 })
    // A new voter: its balance (and only the missing ones) is read again on every chain.
    const other = '0x000000000000000000000000000000000000bEEF'
    const third = await reader.read({ chains, time: t, extra: [voter, other] })
    expect(reader.stats().balanceReads).toBe(s1.balanceReads + chains.length)
    expect(third.delegators.map((d) => d.address)).toContain(other)
    // Seeded balances at the block's hash are used as read there (a restart from a stored receipt).
    const fresh = createShareWeightReader()
    const c0 = chains[0]!
    fresh.seed({ chain: c0.chain, token: c0.token, block: { hash: first.hashes[c0.chain]! }, balances: [[voter, 12345n]], totalSupply: 1n })
    const seeded = await fresh.read({ chains: [c0], time: t, extra: [voter] })
    expect(seeded.delegators.find((d) => d.address === voter)!.weightByChain[c0.chain]).toBe(12345n)
    // The holders missing from the seed were read (with the real total supply); the seeded voter was not.
    expect(seeded.totalSupply[c0.chain]).toBe(first.totalSupply[c0.chain])
  })

  it('a block past the chain\'s finality depth is confirmed once more, then never read again; a complete seed reads no balance', async () => {
    const chains = Object.values(devnet.deployment.chains).map((d) => ({ chain: d.name, client: devnet.chain(d.name).public, token: d.poolShare, multicall3: d.multicall3, finalityDepth: 3 }))
    const heads0 = await Promise.all(chains.map((c) => c.client.getBlock({ blockTag: 'latest' })))
    const t = Number(heads0.reduce((m, h) => (h.timestamp > m ? h.timestamp : m), 0n))
    for (const c of chains) {
      const test = devnet.chain(c.chain).test
      await test.setNextBlockTimestamp({ timestamp: BigInt(t) + 5n })
      await test.mine({ blocks: 1 })
    }
    const headsNow = async () => Object.fromEntries(await Promise.all(chains.map(async (c) => [c.chain, await c.client.getBlockNumber({ cacheTime: 0 })] as const)))
    const reader = createShareWeightReader()
    const first = await reader.read({ chains, time: t, heads: await headsNow() })
    // Not yet 3 blocks deep: every read confirms the blocks' hashes (one header per chain).
    const h1 = reader.stats().headers
    await reader.read({ chains, time: t, heads: await headsNow() })
    expect(reader.stats().headers).toBe(h1 + chains.length)
    for (const c of chains) await devnet.chain(c.chain).test.mine({ blocks: 3 })
    // Deep now: confirmed once more (the last header read of those blocks), then answered without a request.
    await reader.read({ chains, time: t, heads: await headsNow() })
    const h2 = reader.stats().headers
    expect(h2).toBe(h1 + 2 * chains.length)
    const again = await reader.read({ chains, time: t, heads: await headsNow() })
    expect(reader.stats().headers).toBe(h2)
    expect(again).toEqual(first)
    // Settled blocks stay settled, whether or not a later read passes the heads.
    await reader.read({ chains, time: t })
    expect(reader.stats().headers).toBe(h2)

    // A seed marked complete (a receipt's delegators): any other address holds 0 there, nothing is read.
    const fresh = createShareWeightReader()
    for (const c of chains) {
      const balances = first.delegators.flatMap((d) => (d.weightByChain[c.chain] !== undefined ? [[d.address, d.weightByChain[c.chain]!] as [string, bigint]] : []))
      fresh.seed({ chain: c.chain, token: c.token, block: { hash: first.hashes[c.chain]! }, balances, totalSupply: first.totalSupply[c.chain]!, complete: true })
    }
    const stranger = '0x000000000000000000000000000000000000bEEF'
    const seeded = await fresh.read({ chains, time: t, extra: [stranger] })
    expect(fresh.stats().balanceReads).toBe(0)
    expect(seeded.delegators.filter((d) => d.address !== stranger)).toEqual(first.delegators)
    expect(seeded.delegators.find((d) => d.address === stranger)!.weightByChain).toEqual({})
  })
})
