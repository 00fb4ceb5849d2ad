/**
 * What the bot says about reward epochs (/rewards [address]). Amounts come from the distributor
 * agent's published trees (store.rewards) and, for what an account has already claimed, from the
 * distributor contract on chain (`claimed(account)`, read by the function the agent gives). An
 * account's claimable amount = its cumulative leaf in the latest epoch whose root is on chain
 * (rooted or funded) − claimed; when the chain read fails it says so and shows no claimable figure.
 */
import { formatUnits, getAddress, isAddress, type Address } from 'viem'
import type { Config } from '../config/schema'
import type { RewardEpoch, Store } from '../store'
import type { PublishedEpoch } from '../rewards/tree'

export interface RewardsReader {
  /** Without an account: the latest epochs. With one (an address): its amounts and proof. */
  text(account?: string): Promise<string>
}

export const NO_REWARDS: RewardsReader = {
  text: async () => 'no rewards data: the config has no rewards section (see README "Rewards")',
}

export interface RewardsReaderDeps {
  config: Pick<Config, 'rewards' | 'pool'>
  store: Pick<Store, 'rewards'>
  /** The cumulative amount `account` has claimed from the distributor (a chain read). */
  claimed(account: Address): Promise<bigint>
}

const short = (h: string | null) => (h ? `${h.slice(0, 10)}…` : '—')

export function storeRewardsReader(d: RewardsReaderDeps): RewardsReader {
  const r = d.config.rewards
  if (!r) return NO_REWARDS
  const collateral = d.config.pool.collateral.find((c) => c.chain === r.chain)
  const decimals = collateral?.decimals ?? 18
  const symbol = collateral?.symbol ?? ''
  const fmt = (x: bigint) => `${formatUnits(x, decimals)} ${symbol}`.trim()
  // The latest published tree, parsed once per epoch (a tree of 100 000 leaves is ~14 MB of JSON).
  let cached: { epoch: number; leaves: Map<string, { amount: bigint; cumulative: bigint }> } | undefined
  const leavesOf = (e: RewardEpoch) => {
    if (cached?.epoch !== e.epoch) {
      const p = JSON.parse(e.tree!) as PublishedEpoch
      cached = { epoch: e.epoch, leaves: new Map(p.leaves.map((l) => [l.account.toLowerCase(), { amount: BigInt(l.amount), cumulative: BigInt(l.cumulative) }])) }
    }
    return cached.leaves
  }
  const latestOnChain = async (): Promise<RewardEpoch | undefined> => {
    const e = (await d.store.rewards.list({ limit: 50 })).find((x) => x.status === 'rooted' || x.status === 'funded')
    return e ? d.store.rewards.get(e.epoch) : undefined
  }

  return {
    async text(account) {
      if (account === undefined) {
        const rows = await d.store.rewards.list({ limit: 5 })
        if (rows.length === 0) return `no reward epoch closed yet (epochs of ${r.epochSeconds} s; claims on ${r.chain})`
        const lines = rows.map((e) => `• epoch ${e.epoch} — ${e.status}${e.root ? `, root ${short(e.root)}` : ''}${e.status === 'losing' ? `, loss carried ${fmt(e.carriedLoss)}` : `, funding ${fmt(e.funding)}`}`)
        return [`Reward epochs (newest first; claims on ${r.chain} at ${r.distributor})`, ...lines, '/rewards <address> for an account’s claimable and claimed amounts'].join('\n')
      }
      if (!isAddress(account, { strict: false })) return `rewards: "${account.slice(0, 60)}" is not an address: give 0x and 40 hex digits, e.g. /rewards 0x70997970C51812dc3A010C7d01b50e0d17dc79C8`
      const a = getAddress(account)
      const e = await latestOnChain()
      if (!e) return `no reward root on chain yet: nothing to claim for ${a}`
      const leaf = leavesOf(e).get(a.toLowerCase())
      const head = `Rewards for ${a} — epoch ${e.epoch} (${e.status}, root ${short(e.root)})`
      let claimed: bigint | null = null
      let why = ''
      try {
        claimed = await d.claimed(a)
      } catch (err) {
        why = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 120) : String(err)
      }
      const claimedLine = claimed === null ? `claimed: unknown (${r.chain} not readable: ${why})` : `claimed: ${fmt(claimed)}`
      if (!leaf) return [head, 'entitled (cumulative): 0 — no leaf in this epoch’s tree', claimedLine, 'proof: none (no leaf)'].join('\n')
      const claimable = claimed === null ? null : leaf.cumulative > claimed ? leaf.cumulative - claimed : 0n
      return [
        head,
        `entitled (cumulative): ${fmt(leaf.cumulative)} (this epoch ${fmt(leaf.amount)})`,
        claimedLine,
        claimable === null ? 'claimable: unknown until the chain answers' : `claimable: ${fmt(claimable)}`,
        `proof: available — npm run rewards -- proof ${a}${claimable !== null && claimable > 0n ? ` (anyone may submit the claim; the funds go to ${a})` : ''}`,
        ...(e.status === 'rooted' ? ['note: the epoch’s funding is not confirmed yet; a claim may revert until it is'] : []),
      ].join('\n')
    },
  }
}
