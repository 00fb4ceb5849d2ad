/**
 * The online half of `npm run check -- --online`: every RPC URL answers with its chain's id, every
 * configured contract has code, and every venue answers its adapter's calls (the same calls and
 * decoding the watcher uses). Each problem is one line naming the config field and the fix.
 * Reads only (eth_chainId, eth_getCode, eth_call at the latest block); signs nothing.
 */
import { createPublicClient, http, type Abi, type Address, type PublicClient } from 'viem'
import type { Config } from '../config/schema'
import { describeError } from '../core/errors'
import { adapterFor } from '../venues/adapters'
import type { CallResult } from '../venues/types'

export interface CheckOnlineOptions {
  /** Per request, ms (default 10 s). */
  timeoutMs?: number
}

/** A contract the config names, with the field it comes from. */
interface NamedContract {
  field: string
  chain: string
  address: Address
}

/** Every contract address of the config, by chain, with its field path. */
export function configuredContracts(config: Config): NamedContract[] {
  const out: NamedContract[] = []
  const add = (field: string, chain: string, address: string | undefined) => {
    if (address) out.push({ field, chain, address: address as Address })
  }
  config.chains.forEach((c, i) => add(`chains[${i}].multicall3`, c.name, c.multicall3))
  config.pool.collateral.forEach((c, i) => add(`pool.collateral[${i}].token`, c.chain, c.token))
  config.pool.shareToken.forEach((s, i) => add(`pool.shareToken[${i}].token`, s.chain, s.token))
  config.venues.forEach((v, i) => {
    add(`venues[${i}].address`, v.chain, v.address)
    add(`venues[${i}].pegFeed`, v.chain, v.pegFeed)
    if (v.kind === 'lst') add(`venues[${i}].rateSource`, v.chain, v.rateSource)
    if (v.kind === 'aave-v3') {
      add(`venues[${i}].dataProvider`, v.chain, v.dataProvider)
      add(`venues[${i}].asset`, v.chain, v.asset)
      add(`venues[${i}].aToken`, v.chain, v.aToken)
    }
  })
  config.wormhole?.chains.forEach((w, i) => {
    add(`wormhole.chains[${i}].coreBridge`, w.chain, w.coreBridge)
    add(`wormhole.chains[${i}].tokenBridge`, w.chain, w.tokenBridge)
    add(`wormhole.chains[${i}].lst`, w.chain, w.lst)
  })
  config.governance.upstream.governors.forEach((g, i) => add(`governance.upstream.governors[${i}].address`, g.chain, g.address))
  return out
}

/** Problem lines (empty when everything answers as configured). */
export async function checkOnline(config: Config, opts: CheckOnlineOptions = {}): Promise<string[]> {
  const timeout = opts.timeoutMs ?? 10_000
  const problems: string[] = []
  const contracts = configuredContracts(config)
  for (const [ci, chain] of config.chains.entries()) {
    // Every URL on its own: a fallback transport would hide a wrong or dead one behind a good one.
    let good: PublicClient | undefined
    for (const [ri, rpc] of chain.rpc.entries()) {
      const field = `chains[${ci}].rpc[${ri}].url`
      const client = createPublicClient({ transport: http(rpc.url, { timeout, retryCount: 0 }) }) as PublicClient
      try {
        const id = await client.getChainId()
        if (id !== chain.chainId) problems.push(`${field}: answers chain id ${id}, but ${chain.name} is chainId ${chain.chainId}: use an RPC of ${chain.name}, or fix chainId`)
        else good ??= client
      } catch (err) {
        problems.push(`${field}: no answer to eth_chainId (${describeError(err)}): check the URL and that the node is up`)
      }
    }
    if (!good) {
      problems.push(`chains[${ci}] (${chain.name}): no RPC answered with chain id ${chain.chainId}: contracts on ${chain.name} not checked`)
      continue
    }
    for (const c of contracts.filter((c) => c.chain === chain.name)) {
      try {
        const code = await good.getCode({ address: c.address })
        if (!code || code === '0x') problems.push(`${c.field}: no contract at ${c.address} on ${chain.name}: check the address (and the chain it is on)`)
      } catch (err) {
        problems.push(`${c.field}: eth_getCode failed on ${chain.name} (${describeError(err)})`)
      }
    }
    for (const [vi, venue] of config.venues.entries()) {
      if (venue.chain !== chain.name) continue
      const adapter = adapterFor(venue)
      const results: CallResult[] = []
      for (const call of adapter.calls(venue, config.pool.account)) {
        try {
          const result = await good.readContract({ address: call.address, abi: call.abi as Abi, functionName: call.functionName, args: call.args as unknown[] })
          results.push({ status: 'success', result })
        } catch (err) {
          results.push({ status: 'failure', error: err as Error })
        }
      }
      const reading = adapter.decode(venue, results)
      if (!reading.available) {
        problems.push(`venues[${vi}] (${venue.id}): does not answer the ${venue.kind} adapter's calls on ${chain.name}: ${reading.error ?? 'unavailable'}: check kind and addresses`)
      }
    }
  }
  // One line per problem, whatever the nodes put in their error messages.
  return problems.map((p) => p.replace(/\s+/g, ' ').trim())
}
