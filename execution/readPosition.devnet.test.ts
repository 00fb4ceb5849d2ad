import { describe, expect, it } from 'vitest'
import { getAddress, type Hex } from 'viem'
import { createChainClient } from '../chains/createChainClient'
import { rpcRequest } from '../devnet/anvil'
import { useOwnDevnet } from '../test/devnet'
import { readPosition } from './readPosition'

/**
 * The executor verifies each step by reading the pool's position at the mined block and its
 * parent. An ERC-4626 position is two reads (shares, then their value): pinned to the block's
 * hash (EIP-1898) they read one block or fail; by number, a reorg between them mixes two forks.
 * On a devnet of its own: an anvil 1.7.1 reorg after a long history can lose `anvil_setCode`
 * code (devnet/anvil.devnet.test.ts), and the shared devnet's history is the files run before.
 */
const devnet = useOwnDevnet(280, { custody: 'eoa' })
const CHAIN = 'ethereum'
const rpc = <T>(method: string, params: unknown[]) => rpcRequest<T>(devnet.chain(CHAIN).url, method, params)

describe('readPosition pinned to a block hash (devnet, a real anvil reorg)', () => {
  it('reads the same as by number on the canonical chain, and refuses a hash the reorg orphaned', async () => {
    const config = devnet.config
    const chain = createChainClient({ chain: config.chains.find((c) => c.name === CHAIN)!, timeoutMs: 5_000 })
    const pool = getAddress(config.pool.account)
    const vault = config.venues.find((v) => v.chain === CHAIN && v.kind === 'erc4626')!
    await rpc('anvil_mine', ['0x2'])
    const n = BigInt(await rpc<string>('eth_blockNumber', []))
    const hash = (await rpc<{ hash: Hex }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])).hash
    const byNumber = await readPosition(chain.client, vault, pool, n)
    expect(byNumber).toBeGreaterThan(0n)
    expect(await readPosition(chain.client, vault, pool, { blockHash: hash })).toBe(byNumber)

    // Replace the head block: the old hash is no longer on the chain.
    await rpc('anvil_reorg', [1, [[{ from: devnet.accounts.delegators[0]!.address, to: devnet.accounts.operator.address, value: '0x1' }, 0]]])
    const newHash = (await rpc<{ hash: Hex }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])).hash
    expect(newHash).not.toBe(hash)
    await expect(readPosition(chain.client, vault, pool, { blockHash: hash })).rejects.toThrow()
    // The same number now reads the new block, silently: why the executor pins hashes.
    expect(await readPosition(chain.client, vault, pool, { blockHash: newHash })).toBe(await readPosition(chain.client, vault, pool, n))
  })
})
