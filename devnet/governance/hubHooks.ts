import { createPublicClient, formatEther, http, stringToHex, zeroHash, type Address, type Hex, type PublicClient } from 'viem'
import { poolShareAbi } from '../abis'
import type { Deployment } from '../deploy'
import type { ContractSignatureFn, HubProposal, VpFunction } from '../snapshot/hub'
import { delegateRegistryAbi, simWallet1271Abi } from './abis'

/**
 * What the local hub needs from the devnet chains, as the real hub gets it from its RPCs and
 * score API: the current block of a space's network, EIP-1271 checks of contract signers, and
 * voting power per space — the signalling space counts pool shares summed over every chain, the
 * upstream space the DAO token on the first chain; both at the timestamp of the proposal's
 * snapshot block (the tokens run on timestamps), one figure per space strategy. The hub's vp is indicative (it gates "no voting
 * power" and scores); the governor agent computes its own weights from chain reads.
 */
export interface HubChainHooks {
  blockNumber(network: string): Promise<number>
  contractSignature: ContractSignatureFn
  vp: VpFunction
}

const MAGIC = '0x1626ba7e'

export function hubChainHooks(deployment: Deployment, spaces: { upstream: string; signals: string }): HubChainHooks {
  const chains = Object.values(deployment.chains)
  const clients = new Map<string, PublicClient>(chains.map((c) => [String(c.chainId), createPublicClient({ transport: http(c.url), cacheTime: 0 })]))
  const client = (network: string) => {
    const c = clients.get(network)
    if (!c) throw new Error(`no devnet chain with id ${network}`)
    return c
  }
  const dao = chains.find((c) => c.dao)

  /** Votes of `voter` on `token` at timestamp `t` (getPastVotes needs a past timepoint: else current votes). */
  async function votesAt(c: PublicClient, token: Address, voter: Address, t: number | undefined): Promise<bigint> {
    if (t !== undefined) {
      try {
        return await c.readContract({ address: token, abi: poolShareAbi, functionName: 'getPastVotes', args: [voter, BigInt(t)] })
      } catch {
        // ERC5805FutureLookup: the snapshot is the current second.
      }
    }
    return c.readContract({ address: token, abi: poolShareAbi, functionName: 'getVotes', args: [voter] })
  }

  /**
   * Who delegates their Snapshot power in `space` to `delegate` on Gnosis' DelegateRegistry at
   * `block`, as snapshot-strategies' getDelegations: a delegation for the space itself overrides
   * one for every space (id 0). Read from the registry's events and its `delegation` view.
   */
  async function delegatorsOf(c: PublicClient, registry: Address, space: string, delegate: Address, block: bigint | undefined): Promise<Address[]> {
    const id = stringToHex(space, { size: 32 })
    const logs = await c.getContractEvents({ address: registry, abi: delegateRegistryAbi, eventName: 'SetDelegate', args: { delegate }, fromBlock: 0n, ...(block !== undefined ? { toBlock: block } : {}) })
    const out: Address[] = []
    for (const d of new Set(logs.filter((l) => l.args.id === id || l.args.id === zeroHash).map((l) => l.args.delegator!))) {
      const at = (k: Hex) => c.readContract({ address: registry, abi: delegateRegistryAbi, functionName: 'delegation', args: [d, k], ...(block !== undefined ? { blockNumber: block } : {}) })
      const forSpace = await at(id)
      const current = forSpace !== '0x0000000000000000000000000000000000000000' ? forSpace : await at(zeroHash)
      if (current.toLowerCase() === delegate.toLowerCase()) out.push(d)
    }
    return out
  }

  async function snapshotTime(p: HubProposal): Promise<number | undefined> {
    const n = Number(p.snapshot)
    if (!Number.isInteger(n) || n <= 0) return undefined
    try {
      return Number((await client(p.network).getBlock({ blockNumber: BigInt(n) })).timestamp)
    } catch {
      return undefined
    }
  }

  return {
    blockNumber: async (network) => Number(await client(network).getBlockNumber()),
    async contractSignature({ network, address, hash, sig }) {
      const c = client(network)
      const code = await c.getCode({ address })
      if (!code || code === '0x') return undefined
      try {
        return (await c.readContract({ address, abi: simWallet1271Abi, functionName: 'isValidSignature', args: [hash, sig] })) === MAGIC
      } catch {
        return false
      }
    },
    async vp({ voter, space, proposal }) {
      const t = await snapshotTime(proposal)
      // One figure per space strategy (seed.ts spaceSettings: the signalling space has one per chain).
      if (space === spaces.signals) {
        const per: number[] = []
        for (const c of chains) per.push(Number(formatEther(await votesAt(client(String(c.chainId)), c.poolShare, voter as Address, t))))
        return per
      }
      if (space === spaces.upstream && dao?.dao) {
        // seed.ts: `erc20-votes` on the DAO token, then (with a DelegateRegistry) `delegation` of it:
        // the power delegated to the voter on the registry (the pool's Safe delegates to the voting key).
        const c = client(String(dao.chainId))
        const own = Number(formatEther(await votesAt(c, dao.dao.token, voter as Address, t)))
        if (!dao.dao.delegateRegistry) return [own]
        const n = Number(proposal.snapshot)
        const block = Number.isInteger(n) && n > 0 ? BigInt(n) : undefined
        let delegated = 0n
        for (const d of await delegatorsOf(c, dao.dao.delegateRegistry, space, voter as Address, block)) delegated += await votesAt(c, dao.dao.token, d, t)
        return [own, Number(formatEther(delegated))]
      }
      return 0
    },
  }
}
