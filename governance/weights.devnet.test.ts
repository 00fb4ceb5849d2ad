import { describe, expect, it } from 'vitest'
import { poolShareAbi } from '../devnet/abis'
import { useDevnet } from '../test/devnet'
import { blockAtTimestamp, readShareWeights } from './weights'

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
})
