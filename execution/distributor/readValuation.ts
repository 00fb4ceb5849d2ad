import { parseAbi, type Address, type PublicClient } from 'viem'
import type { Config } from '../../config/schema'
import type { Store } from '../../store'
import { transferEvent } from '../../rewards/readChain'
import { wstEthAbi, rEthAbi } from '../../venues/abis'

/**
 * What the epoch's earnings need from the chains and the store: the pool's collateral at each
 * boundary block (venues in the collateral + idle + in flight), its principal flows, the rewards
 * it funded and the gas it paid, per chain.
 */
const erc20 = parseAbi(['function balanceOf(address) view returns (uint256)'])
const vaultAbi = parseAbi(['function balanceOf(address) view returns (uint256)', 'function convertToAssets(uint256) view returns (uint256)', 'function asset() view returns (address)'])
const ZERO = '0x0000000000000000000000000000000000000000'

export interface ChainBlocks {
  chain: string
  startBlock: bigint
  endBlock: bigint
}

/** The pool's collateral on one chain at `block`: idle + every venue whose asset is the collateral. */
export async function collateralAt(config: Config, client: PublicClient, chain: string, block: bigint): Promise<{ idle: bigint; venues: bigint; notCounted: string[] }> {
  const col = config.pool.collateral.find((c) => c.chain === chain)
  if (!col) return { idle: 0n, venues: 0n, notCounted: [] }
  const pool = config.pool.account as Address
  const idle = await client.readContract({ address: col.token, abi: erc20, functionName: 'balanceOf', args: [pool], blockNumber: block })
  let venues = 0n
  const notCounted: string[] = []
  for (const v of config.venues.filter((x) => x.chain === chain)) {
    if (v.kind === 'erc4626') {
      const asset = await client.readContract({ address: v.address, abi: vaultAbi, functionName: 'asset', blockNumber: block })
      if (asset.toLowerCase() !== col.token.toLowerCase()) {
        notCounted.push(v.id)
        continue
      }
      const shares = await client.readContract({ address: v.address, abi: vaultAbi, functionName: 'balanceOf', args: [pool], blockNumber: block })
      if (shares > 0n) venues += await client.readContract({ address: v.address, abi: vaultAbi, functionName: 'convertToAssets', args: [shares], blockNumber: block })
    } else if (v.kind === 'aave-v3') {
      if (v.asset.toLowerCase() !== col.token.toLowerCase()) {
        notCounted.push(v.id)
        continue
      }
      venues += await client.readContract({ address: v.aToken, abi: erc20, functionName: 'balanceOf', args: [pool], blockNumber: block })
    } else if (v.address.toLowerCase() !== col.token.toLowerCase()) notCounted.push(v.id)
  }
  return { idle, venues, notCounted }
}

/**
 * Collateral transfers of the pool on one chain in (startBlock, endBlock]: to or from a venue, the
 * chain's SlippageRouter, the token bridge or the zero address (a bridge mint or burn) are internal moves; to the distributor
 * is rewards funding; anything else is principal (a deposit in, a withdrawal out).
 */
export async function collateralFlows(config: Config, client: PublicClient, b: ChainBlocks): Promise<{ deposits: bigint; withdrawals: bigint; rewardsFunded: bigint }> {
  const col = config.pool.collateral.find((c) => c.chain === b.chain)
  const out = { deposits: 0n, withdrawals: 0n, rewardsFunded: 0n }
  if (!col || b.endBlock <= b.startBlock) return out
  const pool = config.pool.account.toLowerCase()
  const internal = new Set<string>([ZERO, pool])
  for (const v of config.venues.filter((x) => x.chain === b.chain)) {
    internal.add(v.address.toLowerCase())
    if (v.kind === 'aave-v3') internal.add(v.aToken.toLowerCase())
  }
  // The chain's SlippageRouter pulls the pool's collateral and deposits it for the pool (and hands
  // withdrawn assets back) in the same transaction: a move between venues, never principal.
  const router = config.chains.find((c) => c.name === b.chain)?.router
  if (router) internal.add(router.toLowerCase())
  const wh = config.wormhole?.chains.find((c) => c.chain === b.chain)
  if (wh) internal.add(wh.tokenBridge.toLowerCase())
  const distributor = config.rewards && config.rewards.chain === b.chain ? config.rewards.distributor.toLowerCase() : null
  const from = b.startBlock + 1n
  const [outLogs, inLogs] = await Promise.all([
    client.getLogs({ address: col.token, event: transferEvent, args: { from: pool as Address }, fromBlock: from, toBlock: b.endBlock }),
    client.getLogs({ address: col.token, event: transferEvent, args: { to: pool as Address }, fromBlock: from, toBlock: b.endBlock }),
  ])
  for (const l of outLogs) {
    const to = (l.args.to ?? ZERO).toLowerCase()
    if (to === distributor) out.rewardsFunded += l.args.value ?? 0n
    else if (!internal.has(to)) out.withdrawals += l.args.value ?? 0n
  }
  for (const l of inLogs) {
    const from_ = (l.args.from ?? ZERO).toLowerCase()
    if (from_ === distributor) out.rewardsFunded -= l.args.value ?? 0n
    else if (!internal.has(from_)) out.deposits += l.args.value ?? 0n
  }
  return out
}

/**
 * Collateral in flight at the boundary: Wormhole transfers whose source tx is in a block ≤ the
 * source chain's boundary block and whose redeem is not in a block ≤ the destination's.
 */
export async function inFlightAt(store: Store, blocks: ReadonlyMap<string, bigint>): Promise<bigint> {
  let sum = 0n
  for (const t of await store.transfers.list({ limit: 10_000 })) {
    const src = blocks.get(t.sourceChain)
    const dst = blocks.get(t.destChain)
    if (src === undefined || t.sourceBlock === null || t.sourceBlock > src) continue
    if (t.destBlock !== null && dst !== undefined && t.destBlock <= dst) continue
    if (t.state === 'failed' && t.destBlock === null) continue
    sum += t.amount
  }
  return sum
}

/**
 * Gas the pool's signing keys paid for transactions mined in (startBlock, endBlock] on a chain
 * (from the stored intents), in wei of ETH.
 */
export async function gasPaid(store: Store, b: ChainBlocks): Promise<bigint> {
  let wei = 0n
  for (const i of await store.intents.list({ chain: b.chain, status: ['mined', 'confirmed', 'failed', 'cancelled'], limit: 100_000 })) {
    if (i.blockNumber === null || i.blockNumber <= b.startBlock || i.blockNumber > b.endBlock) continue
    if (i.gasUsed !== null && i.effectiveGasPrice !== null) wei += i.gasUsed * i.effectiveGasPrice
  }
  return wei
}

/** ETH per collateral token (1e18 scale) from the collateral's LST venue (stEthPerToken / getExchangeRate) at `block`, or null. */
export async function ethPerCollateral(config: Config, client: PublicClient, chain: string, block: bigint): Promise<bigint | null> {
  const col = config.pool.collateral.find((c) => c.chain === chain)
  const lst = config.venues.find((v) => v.chain === chain && v.kind === 'lst' && v.address.toLowerCase() === col?.token.toLowerCase())
  if (!lst || lst.kind !== 'lst') return null
  const source = lst.rateSource ?? lst.address
  if (lst.rateMethod === 'stEthPerToken') return client.readContract({ address: source, abi: wstEthAbi, functionName: 'stEthPerToken', blockNumber: block })
  return client.readContract({ address: source, abi: rEthAbi, functionName: 'getExchangeRate', blockNumber: block })
}
