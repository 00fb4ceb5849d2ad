import { describe, expect, it } from 'vitest'
import type { Config } from '../config/schema'
import { useDevnet } from '../test/devnet'
import { checkOnline, configuredContracts } from './checkOnline'

const devnet = useDevnet()

/** A writable copy of the devnet config (the loaded one is frozen). */
const copy = (): Config => structuredClone(devnet.config) as Config

describe('checkOnline against the devnet (real anvil chains and contracts)', () => {
  it('passes the devnet config: every RPC, contract and venue answers', async () => {
    expect(configuredContracts(devnet.config).length).toBeGreaterThan(10)
    expect(await checkOnline(devnet.config)).toEqual([])
  })

  it('one line per problem: wrong chain id, dead RPC, no contract, a venue that does not answer its adapter', async () => {
    const c = copy() as unknown as { chains: Array<{ name: string; chainId: number; rpc: Array<{ url: string }> }>; venues: Array<{ id: string; chain: string; kind: string; address: string }>; pool: { account: string } }
    const eth = c.chains[0]!
    const arb = c.chains[1]!
    // arbitrum's node is told to be another chain: its URL answers 'wrong id' and nothing on it is checked.
    const arbId = arb.chainId
    arb.chainId = 999
    // A second, dead URL for ethereum (port 9 on 127.0.0.1: discard, nothing listens).
    eth.rpc.push({ url: 'http://127.0.0.1:9/' })
    // An ethereum venue moved to the pool's account (an EOA: no code, no answers).
    const vi = c.venues.findIndex((v) => v.chain === eth.name && v.kind === 'erc4626')
    expect(vi).toBeGreaterThanOrEqual(0)
    const venue = c.venues[vi]!
    venue.address = c.pool.account
    const lines = await checkOnline(c as unknown as Config, { timeoutMs: 5_000 })
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^chains\\[0\\]\\.rpc\\[${eth.rpc.length - 1}\\]\\.url: no answer to eth_chainId \\(.*\\): check the URL and that the node is up$`)))
    expect(lines).toContain(`chains[1].rpc[0].url: answers chain id ${arbId}, but arbitrum is chainId 999: use an RPC of arbitrum, or fix chainId`)
    expect(lines).toContain('chains[1] (arbitrum): no RPC answered with chain id 999: contracts on arbitrum not checked')
    expect(lines).toContain(`venues[${vi}].address: no contract at ${c.pool.account} on ethereum: check the address (and the chain it is on)`)
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^venues\\[${vi}\\] \\(${venue.id}\\): does not answer the erc4626 adapter's calls on ethereum: convertToAssets reverted`)))
    expect(lines).toHaveLength(5)
    for (const l of lines) expect(l).not.toContain('\n')
  })
})
