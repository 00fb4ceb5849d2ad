import { mkdir, writeFile, rename } from 'node:fs/promises'
import path from 'node:path'
import { encodeFunctionData, erc20Abi, formatUnits, getAddress, parseUnits, type Address, type Hex, type PublicClient } from 'viem'
import type { Config } from '../../config/schema'
import { describeError, isRetryable } from '../../core/errors'
import type { Logger } from '../../core/logger'
import type { RewardEpoch, Store } from '../../store'
import { epochEarnings, implausibleGain, type Earnings } from '../../rewards/earnings'
import { timeWeights, type ChainShareHistory } from '../../rewards/entitlements'
import { boundaryBlocks, decodeShareCursor, distributorAbi, encodeShareCursor, readShareHistory, type ShareCursor } from '../../rewards/readChain'
import { loadKeccak } from '../../rewards/merkle'
import { buildTree, epochLeaves, leavesOf, publishedLeaves, type PublishedEpoch } from '../../rewards/tree'
import type { TxSender } from '../createTxSender'
import { accruedAllowance, allowanceFitsAt, nextRefillAt } from '../custody/allowance'
import { rewardsAllowanceKey } from '../custody/distributorRole'
import { readAllowanceAtHead } from '../custody/readRole'
import { collateralAt, collateralFlows, ethPerCollateral, gasPaid, inFlightAt } from './readValuation'

/**
 * The distributor's round: closes reward epochs one at a time, exactly once.
 *
 *   epoch e ended (+ settleSeconds) and every chain settled past its end
 *     → read boundary blocks, share histories, valuations, flows, gas (any chain unreachable or
 *       not settled: the epoch waits, alert `rewards-waiting`, nothing stored)
 *     → losing: row `losing` (no root, loss carried), alert `rewards-losing` (one per loss episode,
 *       resolved when an epoch publishes a root again)
 *     → else: tree built, the published JSON stored as row `built` (and written to the data dir)
 *   built  → setRoot(e, root) as intent `rewards:<e>:root` (through the distributor's Roles role in custody "safe") → `rooted`
 *   rooted → collateral.transfer(distributor, funding) as intent `rewards:<e>:fund` → `funded`
 *            (custody "safe": through the distributor's own role; a funding above
 *            rewards.fundingAllowance.amount waits with a critical alert, one above what the role's
 *            allowance holds on chain now (used earlier this period, refill not yet come) waits with
 *            a warning naming the refill time; nothing sent either way)
 * Every step is stored before the next side effect; a restart resumes the same intents (never a
 * second setRoot or funding). Epochs are closed in order; the next waits for the previous one.
 */
export const DISTRIBUTOR_AGENT = 'distributor'
/** The dedup key of the loss-episode alert: open from the first losing epoch until an epoch publishes a root. */
export const REWARDS_LOSING = 'rewards-losing'

export type DistributorPoint = 'built' | 'rooted' | 'funded'

export interface DistributorDeps {
  common: { config: Config; logger: Logger }
  store: Store
  clients: Readonly<Record<string, PublicClient>>
  /** The claims chain's exactly-once sender (custody "safe": through the distributor's own Roles role). */
  sender: TxSender
  now?: () => number
  /** Tests stop a process right after a stored state change, and see each chain's log scan. */
  hooks?: { at?(point: DistributorPoint, epoch: number): void | Promise<void>; scanned?(chain: string, scan: { fromBlock: bigint; toBlock: bigint; logs: number; fromCursor: boolean }): void }
}

export type RoundResult =
  | { status: 'idle'; reason: string }
  | { status: 'waiting'; epoch: number; reason: string }
  | { status: 'losing'; epoch: number; carriedLoss: string }
  | { status: DistributorPoint; epoch: number; root: string }

export const epochWindow = (epochSeconds: number, epoch: number) => ({ startTime: epoch * epochSeconds, endTime: (epoch + 1) * epochSeconds })

/** The reward_meta key of a share token's scan cursor. */
export const shareCursorKey = (chain: string, token: string) => `shareCursor:${chain}:${token.toLowerCase()}`

export function rewardsDataDir(config: Config): string {
  return config.rewards?.dataDir ?? path.join(path.dirname(config.store.path), 'rewards')
}

export async function writeTreeFile(config: Config, e: Pick<RewardEpoch, 'epoch' | 'tree'>): Promise<string | null> {
  if (!e.tree) return null
  const dir = rewardsDataDir(config)
  await mkdir(dir, { recursive: true })
  const file = path.join(dir, `epoch-${e.epoch}.json`)
  await writeFile(`${file}.tmp`, e.tree)
  await rename(`${file}.tmp`, file)
  return file
}

export function createDistributor(d: DistributorDeps) {
  const { config, logger } = d.common
  const r = config.rewards
  if (!r) throw new Error('config: rewards: missing (the distributor needs the rewards section)')
  const now = d.now ?? (() => Math.floor(Date.now() / 1000))
  const collateral = config.pool.collateral.find((c) => c.chain === r.chain)!
  const distributor = getAddress(r.distributor)

  async function alert(key: string, rule: string, severity: 'info' | 'warning' | 'critical', title: string, body: string) {
    await d.store.alerts.raise({ dedupKey: key, agent: DISTRIBUTOR_AGENT, rule, subject: key, severity, title, body }).catch((err) => logger.warn({ err: describeError(err) }, 'alert not written'))
  }
  async function resolve(key: string, title: string) {
    await d.store.alerts.resolve(key, { agent: DISTRIBUTOR_AGENT, title }).catch(() => undefined)
  }

  async function build(epoch: number, prev: RewardEpoch | undefined): Promise<RoundResult> {
    const w = epochWindow(r!.epochSeconds, epoch)
    const blocks = new Map<string, { startBlock: bigint; endBlock: bigint }>()
    for (const c of config.chains) {
      const client = d.clients[c.name]
      if (!client) throw new Error(`no client for chain ${c.name}`)
      blocks.set(c.name, await boundaryBlocks(client, c.name, w, c.finalityDepth))
    }
    const histories: ChainShareHistory[] = []
    // Each chain's share scan resumes from its stored cursor (the previous epoch's end block):
    // only this epoch's logs are read. The cursors move on once the epoch's row is stored.
    const cursors: [string, ShareCursor][] = []
    for (const s of config.pool.shareToken) {
      const b = blocks.get(s.chain)!
      const key = shareCursorKey(s.chain, s.token)
      const cursor = decodeShareCursor(await d.store.rewards.getMeta(key))
      const h = await readShareHistory({ client: d.clients[s.chain]!, chain: s.chain, token: s.token, multicall3: config.chains.find((c) => c.name === s.chain)!.multicall3, ...b, cursor })
      d.hooks?.scanned?.(s.chain, h.scan)
      histories.push(h)
      cursors.push([key, h.next])
    }
    const saveCursors = async () => {
      for (const [key, c] of cursors) await d.store.rewards.setMeta(key, encodeShareCursor(c))
    }
    const weights = timeWeights(w, histories)
    let valueStart = 0n
    let valueEnd = 0n
    let deposits = 0n
    let withdrawals = 0n
    let rewardsFunded = 0n
    let gasWei = 0n
    const notCounted = new Set<string>()
    for (const c of config.pool.collateral) {
      const b = blocks.get(c.chain)!
      const client = d.clients[c.chain]!
      const s = await collateralAt(config, client, c.chain, b.startBlock)
      const e = await collateralAt(config, client, c.chain, b.endBlock)
      s.notCounted.forEach((x) => notCounted.add(x))
      valueStart += s.idle + s.venues
      valueEnd += e.idle + e.venues
      const f = await collateralFlows(config, client, { chain: c.chain, ...b })
      deposits += f.deposits
      withdrawals += f.withdrawals
      rewardsFunded += f.rewardsFunded
      gasWei += await gasPaid(d.store, { chain: c.chain, ...b })
    }
    const inFlightStart = await inFlightAt(d.store, new Map([...blocks].map(([k, v]) => [k, v.startBlock])))
    const inFlightEnd = await inFlightAt(d.store, new Map([...blocks].map(([k, v]) => [k, v.endBlock])))
    valueStart += inFlightStart
    valueEnd += inFlightEnd
    const rate = gasWei > 0n ? await ethPerCollateral(config, d.clients[r!.chain]!, r!.chain, blocks.get(r!.chain)!.endBlock) : null
    const costs = gasWei > 0n && rate && rate > 0n ? (gasWei * 10n ** BigInt(collateral.decimals)) / rate : 0n
    const carriedLoss = prev?.carriedLoss ?? 0n
    const carriedRemainder = prev?.remainder ?? 0n
    const earnings: Earnings = epochEarnings({
      valueStart,
      valueEnd,
      deposits,
      withdrawals,
      rewardsFunded: rewardsFunded < 0n ? 0n : rewardsFunded,
      costs,
      commissionBps: r!.commissionBps,
      carriedLoss,
      carriedRemainder,
    })
    const inputs = config.pool.shareToken.map((s) => ({ chain: s.chain, shareToken: getAddress(s.token), startBlock: String(blocks.get(s.chain)!.startBlock), endBlock: String(blocks.get(s.chain)!.endBlock) }))
    const summary = {
      ...Object.fromEntries(Object.entries(earnings).map(([k, v]) => [k, typeof v === 'bigint' ? String(v) : v])),
      valueStart: String(valueStart),
      valueEnd: String(valueEnd),
      inFlightStart: String(inFlightStart),
      inFlightEnd: String(inFlightEnd),
      deposits: String(deposits),
      withdrawals: String(withdrawals),
      rewardsFunded: String(rewardsFunded),
      gasWei: String(gasWei),
      costs: String(costs),
      commissionBps: r!.commissionBps,
      carriedLossIn: String(carriedLoss),
      remainderIn: String(carriedRemainder),
      notCounted: [...notCounted].join(','),
      blocks: JSON.stringify(inputs),
    }
    const implausible = implausibleGain(earnings.gain, valueStart, r!.epochSeconds, r!.maxEpochApy)
    if (implausible) throw new Error(implausible)
    if (earnings.losing) {
      await d.store.rewards.insert({ epoch, ...w, status: 'losing', root: null, funding: 0n, carriedLoss: earnings.carriedLoss, remainder: carriedRemainder, tree: null, summary })
      await saveCursors()
      // One alert per loss episode, not per epoch: while the pool stays under its high-water mark
      // every epoch is "losing" (the carried loss), and one shock (a slash) would page the operators
      // again every epochSeconds. The alert stays open until an epoch publishes a root again.
      await alert(REWARDS_LOSING, 'rewards-losing', 'warning', `Reward epoch ${epoch} lost ${-earnings.net} (collateral wei): nothing distributed`, `No root published; the loss ${earnings.carriedLoss} is carried to the next epoch (high-water mark). Value ${valueStart} → ${valueEnd}.`)
      return { status: 'losing', epoch, carriedLoss: String(earnings.carriedLoss) }
    }
    const base = await d.store.rewards.latestWithRoot(epoch)
    const previous = base?.tree ? leavesOf(JSON.parse(base.tree) as PublishedEpoch) : new Map<string, bigint>()
    const leaves = epochLeaves({ weights, distributable: earnings.distributable, commission: earnings.commission, feeRecipient: r!.feeRecipient, previous })
    if (leaves.paid + leaves.remainder !== earnings.distributable || leaves.paid > earnings.distributable) throw new Error(`epoch ${epoch}: paid ${leaves.paid} + remainder ${leaves.remainder} ≠ distributable ${earnings.distributable}`)
    await loadKeccak()
    const tree = buildTree(leaves.cumulative)
    const published: PublishedEpoch = {
      format: 'poolwarden-rewards-v1',
      epoch,
      root: tree.root as Hex,
      claims: { chain: r!.chain, distributor, token: getAddress(collateral.token), decimals: collateral.decimals, symbol: collateral.symbol },
      ...w,
      inputs,
      previousEpoch: base?.epoch ?? null,
      earnings: summary,
      feeRecipient: getAddress(r!.feeRecipient),
      commission: String(earnings.commission),
      distributable: String(earnings.distributable),
      paid: String(leaves.paid),
      remainder: String(leaves.remainder),
      leaves: publishedLeaves(leaves),
    }
    const json = JSON.stringify(published, null, 1)
    const { epoch: row } = await d.store.rewards.insert({ epoch, ...w, status: 'built', root: tree.root, funding: earnings.funding, carriedLoss: 0n, remainder: leaves.remainder, tree: json, summary })
    await saveCursors()
    await resolve(REWARDS_LOSING, `Reward epoch ${epoch} earned again: the pool is back above its high-water mark`)
    await writeTreeFile(config, row)
    await d.hooks?.at?.('built', epoch)
    logger.info({ epoch, root: tree.root, leaves: published.leaves.length, distributable: published.distributable, commission: published.commission }, 'reward epoch built')
    return { status: 'built', epoch, root: tree.root }
  }

  const tokens = (x: bigint) => `${formatUnits(x, collateral.decimals)} ${collateral.symbol}`
  const isoTime = (t: bigint) => new Date(Number(t) * 1000).toISOString().replace('.000Z', 'Z')

  /**
   * Custody "safe", before the funding transfer: does the distributor's role allowance cover it?
   *   - above rewards.fundingAllowance.amount (the config's cap): critical `rewards-funding-cap:<e>`,
   *     a person raises the setting (and applies it on chain);
   *   - above what the allowance holds on chain now (accrued as the Roles modifier does, at the
   *     latest block: an earlier funding this period used part of it, or the period's refill has not
   *     come): warning `rewards-funding-allowance:<e>` naming the figures and the refill that covers
   *     it — the epoch waits for time, and a later round funds it;
   *   - above anything a refill reaches (the allowance on chain is not the configured one: custody
   *     not applied): critical `rewards-funding-cap:<e>`, a person runs custody diff/apply.
   * Undefined: the funding fits now. A chain read that fails throws (nothing sent).
   */
  async function fundingWaits(e: RewardEpoch): Promise<RoundResult | undefined> {
    const cap = parseUnits(String(r!.fundingAllowance.amount), collateral.decimals)
    if (e.funding > cap) {
      const reason = `the epoch's funding ${tokens(e.funding)} is above rewards.fundingAllowance.amount ${r!.fundingAllowance.amount} per period: the distributor's role would refuse it; raise rewards.fundingAllowance.amount and run npm run custody -- apply (the committee signs)`
      await alert(`rewards-funding-cap:${e.epoch}`, 'rewards-waiting', 'critical', `Reward epoch ${e.epoch} waits: funding above the distributor's allowance`, reason)
      logger.warn({ epoch: e.epoch, funding: String(e.funding), cap: String(cap) }, 'reward funding above the role allowance: waits')
      return { status: 'waiting', epoch: e.epoch, reason }
    }
    const custody = config.custody.chains.find((c) => c.chain === r!.chain)
    if (!custody) throw new Error(`config: custody.chains has no Roles modifier for the claims chain "${r!.chain}"`)
    const client = d.clients[r!.chain]
    if (!client) throw new Error(`no client for chain ${r!.chain}`)
    const key = rewardsAllowanceKey(collateral.symbol)
    const { allowance: a, blockNumber, blockTime } = await readAllowanceAtHead(client, getAddress(custody.roles), key)
    const available = accruedAllowance(a, blockTime).balance
    if (e.funding <= available) return undefined
    const fitsAt = allowanceFitsAt(a, e.funding, blockTime)
    const next = nextRefillAt(a, blockTime)
    const held = `the distributor's Roles allowance (rewards-${collateral.symbol.toLowerCase()}) holds ${tokens(available)} at block ${blockNumber} (${isoTime(blockTime)}; refills ${tokens(a.refill)} up to ${tokens(a.maxRefill)} every ${a.period} s)`
    const figures = { epoch: e.epoch, funding: String(e.funding), available: String(available), block: String(blockNumber), nextRefill: next === null ? null : Number(next), fitsAt: fitsAt === null ? null : Number(fitsAt) }
    if (fitsAt === null) {
      const reason = `the epoch's funding ${tokens(e.funding)} is above what ${held} and no refill reaches it: the allowance on chain is not rewards.fundingAllowance (${r!.fundingAllowance.amount} per period); run npm run custody -- diff and apply (the committee signs)`
      await alert(`rewards-funding-cap:${e.epoch}`, 'rewards-waiting', 'critical', `Reward epoch ${e.epoch} waits: the distributor's allowance on chain never covers its funding`, reason)
      logger.warn(figures, 'reward funding above what the role allowance can ever hold: waits')
      return { status: 'waiting', epoch: e.epoch, reason }
    }
    const reason = `the epoch's funding ${tokens(e.funding)} is above what ${held}: the next refill is at ${isoTime(next!)} (unix ${next}), the funding fits from ${isoTime(fitsAt)} (unix ${fitsAt}); nothing sent, the epoch is funded then`
    await alert(`rewards-funding-allowance:${e.epoch}`, 'rewards-waiting', 'warning', `Reward epoch ${e.epoch} waits for the distributor's allowance to refill (${isoTime(fitsAt)})`, reason)
    logger.warn(figures, 'reward funding above what the role allowance holds now: waits for the refill')
    return { status: 'waiting', epoch: e.epoch, reason }
  }

  async function advance(e: RewardEpoch): Promise<RoundResult> {
    if (e.status === 'built') {
      await d.sender.send({ key: `rewards:${e.epoch}:root`, to: distributor, data: encodeFunctionData({ abi: distributorAbi, functionName: 'setRoot', args: [BigInt(e.epoch), e.root as Hex] }), abi: distributorAbi })
      await d.store.rewards.advance(e.epoch, 'built', 'rooted')
      await d.hooks?.at?.('rooted', e.epoch)
      logger.info({ epoch: e.epoch, root: e.root }, 'reward root published')
      return { status: 'rooted', epoch: e.epoch, root: e.root! }
    }
    if (e.status === 'rooted') {
      const fundKey = `rewards:${e.epoch}:fund`
      // Custody "safe": the funding goes through the distributor's role, whose allowance caps it.
      // A transfer the allowance does not cover would be refused on chain and fail its intent for
      // good: the epoch waits instead, nothing sent (once the intent exists, it is only resumed).
      if (config.custody.kind === 'safe' && e.funding > 0n && !(await d.store.intents.get(fundKey))) {
        const waiting = await fundingWaits(e)
        if (waiting) return waiting
      }
      if (e.funding > 0n) {
        await d.sender.send({ key: fundKey, to: getAddress(collateral.token), data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [distributor as Address, e.funding] }) })
      }
      await resolve(`rewards-funding-cap:${e.epoch}`, `Reward epoch ${e.epoch} funded`)
      await resolve(`rewards-funding-allowance:${e.epoch}`, `Reward epoch ${e.epoch} funded`)
      await d.store.rewards.advance(e.epoch, 'rooted', 'funded')
      await d.hooks?.at?.('funded', e.epoch)
      await alert(`rewards-epoch:${e.epoch}`, 'rewards-epoch', 'info', `Reward epoch ${e.epoch} published`, `Root ${e.root}; ${e.funding} funded to the distributor.`)
      logger.info({ epoch: e.epoch, funding: String(e.funding) }, 'reward epoch funded')
      return { status: 'funded', epoch: e.epoch, root: e.root! }
    }
    return { status: 'idle', reason: `epoch ${e.epoch} is ${e.status}` }
  }

  return async function round(): Promise<RoundResult> {
    const latest = await d.store.rewards.latest()
    if (latest && (latest.status === 'built' || latest.status === 'rooted')) {
      const full = (await d.store.rewards.get(latest.epoch))!
      return advance(full)
    }
    const first = Number(await d.store.rewards.initMeta('firstEpoch', String(r!.firstEpoch ?? Math.floor(now() / r!.epochSeconds) + 1)))
    const epoch = Math.max(first, (latest?.epoch ?? -1) + 1)
    const w = epochWindow(r!.epochSeconds, epoch)
    if (now() < w.endTime + r!.settleSeconds) return { status: 'idle', reason: `epoch ${epoch} ends at ${w.endTime}` }
    try {
      const out = await build(epoch, latest)
      await resolve(`rewards-waiting:${epoch}`, `Reward epoch ${epoch} closed`)
      return out
    } catch (err) {
      // A chain away or not settled (retryable), or data that does not add up: the epoch waits,
      // never closes on partial data; the alert says which.
      const reason = describeError(err)
      await alert(`rewards-waiting:${epoch}`, 'rewards-waiting', isRetryable(err) ? 'warning' : 'critical', `Reward epoch ${epoch} waits: ${isRetryable(err) ? 'chain data not settled' : 'chain data unreadable or inconsistent'}`, reason)
      logger.warn({ epoch, err: reason }, 'reward epoch waits')
      return { status: 'waiting', epoch, reason }
    }
  }
}
