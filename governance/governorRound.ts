import snapshot from '@snapshot-labs/snapshot.js'
import { bytesToHex, getAddress, type LocalAccount, type PublicClient } from 'viem'
import type { Config } from '../config/schema.js'
import { ConfigError, describeError, RetryableError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { TxSender } from '../execution/createTxSender.js'
import { IntentFailedError, TxCancelledError } from '../execution/errors.js'
import type { GovCast, GovProposal, GovProposalInput, NotifyInput, Store } from '../store/index.js'
import { castSnapshotVote, type SnapshotVoteRequest } from './castSnapshot.js'
import { canonical, collectSignals, contractVerifier, ipfsFetcher, type VerifyEoa } from './collectSignals.js'
import { governorAbi, PROPOSAL_STATES } from './onchain/abi.js'
import { castFractionalVote } from './onchain/castFractionalVote.js'
import { readGovernorProposal } from './onchain/readGovernorProposal.js'
import { tallyPolicyOf, type UpstreamGovernorConfig } from './policy.js'
import { buildReceipt, receiptBytes, receiptHash, type Receipt, type SnapshotRecord, type VoteTargets } from './receipt.js'
import type { SnapshotClient } from './snapshotClient.js'
import { tally, type TallyInput } from './tally.js'
import { VOTING_TYPES, type Signal, type SnapshotChoice, type VotingType } from './types.js'
import { verifyVoteEnvelope } from './verify.js'
import { ethersSignerFromViem } from './viemSigner.js'
import { loadKeccak } from './verifyWorker.js'
import { blockAtTimestamp, createShareWeightReader, type HolderCursorStore } from './weights.js'

/**
 * One round of the governor agent (all the logic; agents/governor.ts only loops over it):
 *
 *  1. discover upstream proposals — Snapshot spaces (hub GraphQL) and on-chain Governors
 *     (ProposalCreated events, read at one block) — and record new ones (alert: new proposal);
 *  2. mirror each into the pool's signalling space (a signed Proposal message through
 *     snapshot.js Client712), ending `mirrorBufferSeconds` before the upstream end; idempotent:
 *     the mirror's body names the upstream key and an existing mirror is found before creating;
 *  3. collect the signals and check every signature ourselves (governance/collectSignals);
 *  4. weigh delegators by pool shares at the upstream snapshot time summed over every chain
 *     (governance/weights: chain reads, never the hub's vp), tally (pure), store the receipt when
 *     it changed;
 *  5. inside the cast window (`castWindowSeconds` before the upstream end) cast the pool's vote
 *     — Snapshot: governance/castSnapshot (recorded before signing, the signed payload
 *     resubmitted as the only retry); Governor: castFractionalVote (support 255, 48-byte
 *     params, top-up through usedVotes) — and re-cast when the tally's vote moves;
 *  6. alerts: 24 h and 2 h reminders before the signalling end, quorum not reached, vote cast,
 *     outcome changed near the end.
 * Bad input (malformed hub data, forged signals…) is refused and counted; a failure on one
 * proposal is recorded and never stops the others.
 */

export const AGENT = 'governor'

export interface GovernorRoundDeps {
  config: Config
  store: Store
  logger: Logger
  hub: SnapshotClient
  /** The pool's key (signs mirrors and Snapshot votes). */
  account: LocalAccount
  /** A public client per configured chain (shares are read on every chain with a share token). */
  clients: Record<string, PublicClient>
  /** The pool's exactly-once tx sender per Governor chain. */
  senders: Record<string, TxSender>
  /** Wall clock, unix seconds (default Date.now). */
  now?: () => number
  /** Batch EOA verification (default governance/verify one by one; the agent passes the fast verifier). */
  verifyEoa?: VerifyEoa
  fetchEnvelope?: (cid: string) => Promise<unknown>
  /**
   * The pause controls (default: the store's `pause:governor` / `pause:all`). Read right before
   * every signature and every submission: while paused nothing is signed or sent.
   */
  isPaused?: () => Promise<boolean>
  /** Where the share holders' scan is stored between runs (default: memory only). */
  holderCursors?: HolderCursorStore
  hooks?: { afterSnapshotSign?: (cast: GovCast) => void | Promise<void> }
}

export interface RoundReport {
  discovered: string[]
  mirrored: string[]
  tallied: { key: string; status: string; tallyId: number | null; changed: boolean }[]
  cast: { key: string; target: 'snapshot' | 'governor'; castKey: string; result: string }[]
  errors: { key: string; error: string }[]
  /** What the pause held back this round (`mirror:<key>`, `snapshot:<key>`, `governor:<key>`). */
  held: string[]
  /** Signals whose signature was checked this round (each once: recovered, then EIP-1271 when not an EOA's): 0 when none is new. */
  verified: number
  /** Signals taken from stored receipts this round (a restart) instead of collected and verified again. */
  restored: number
}

const BASIC_CHOICES = ['For', 'Against', 'Abstain']
const HOUR = 3600
const MIRROR_MARK = 'poolwarden-mirror:'
/** Prefix of a failed Governor cast whose tx was cancelled (never mined). */
const CANCELLED = 'tx cancelled:'

/** Failed casts of a target that may be retried with a fresh signature, and whether another try is allowed. */
function retryState(casts: readonly GovCast[], max: number): { retries: number; mayRetry: boolean } {
  const retries = casts.filter((c) => c.status === 'failed' && c.retryable).length
  const last = casts.at(-1)
  return { retries, mayRetry: !!last && last.status === 'failed' && last.retryable && retries <= max }
}

export const snapshotKey = (space: string, id: string) => `snapshot:${space}:${id}`
export const governorKey = (chain: string, governor: string, id: bigint | string) => `governor:${chain}:${governor.toLowerCase()}:${String(id)}`

/** keccak256 of the receipt's canonical JSON: stored beside it, and what tells a changed tally. */
export { receiptHash }

export function createGovernorRound(deps: GovernorRoundDeps): () => Promise<RoundReport> {
  const { config, store, logger, hub, account } = deps
  const gov = config.governance
  const g = store.governance
  const now = deps.now ?? (() => Math.floor(Date.now() / 1000))
  const policy = gov.policy
  const chainsByName = new Map(config.chains.map((c) => [c.name, c]))
  const signallingChain = gov.signalling.chain ?? config.chains[0]!.name
  const problems: string[] = []
  for (const [i, gv] of gov.upstream.governors.entries()) {
    if (!chainsByName.has(gv.chain)) problems.push(`governance.upstream.governors[${i}].chain: unknown chain "${gv.chain}" (known: ${[...chainsByName.keys()].join(', ')})`)
    else if (!deps.senders[gv.chain]) problems.push(`governance.upstream.governors[${i}]: no tx sender for chain "${gv.chain}"`)
  }
  if (!chainsByName.has(signallingChain)) problems.push(`governance.signalling.chain: unknown chain "${signallingChain}"`)
  if (problems.length) throw new ConfigError(problems)
  const client = (chain: string) => {
    const c = deps.clients[chain]
    if (!c) throw new ConfigError([`no client for chain "${chain}"`])
    return c
  }
  /** Whose on-chain votes the pool casts on a chain: its sender's address (custody "safe": the Safe, through the governor's role). */
  const voterOn = (chain: string) => deps.senders[chain]?.address ?? account.address
  const fetchEnvelope = deps.fetchEnvelope ?? ipfsFetcher(gov.snapshot.ipfsUrl)
  const verifyEoa: VerifyEoa = deps.verifyEoa ?? ((envs) => Promise.all(envs.map((e) => verifyVoteEnvelope(e))))
  const verifyContract: ReturnType<typeof contractVerifier> = (address, envelope) => contractVerifier(client(signallingChain))(address, envelope)
  const isPaused = deps.isPaused ?? (() => store.controls.isPaused(AGENT))
  /** True (and noted in the report) when the pause holds back `what`: nothing is signed or sent then. */
  const held = async (report: RoundReport, what: string): Promise<boolean> => {
    if (!(await isPaused())) return false
    report.held.push(what)
    logger.info({ held: what }, 'governor paused: nothing signed or sent')
    return true
  }
  const governorOf = (p: GovProposal): UpstreamGovernorConfig | undefined =>
    gov.upstream.governors.find((x) => x.chain === p.chain && x.address.toLowerCase() === p.governor)
  const weightReader = createShareWeightReader({
    cursors: deps.holderCursors ?? {
      load: async (chain, token) => {
        const c = await g.getShareCursor(chain, token)
        return c ? { block: c.block, hash: c.hash as `0x${string}`, holders: c.holders as `0x${string}`[] } : undefined
      },
      save: (chain, token, c) => g.setShareCursor(chain, token, c),
    },
  })
  const spaceNetworks = new Map<string, string | null>()
  type ProposalCreatedLog = Awaited<ReturnType<PublicClient['getContractEvents']>>[number] & { args: { proposalId?: bigint; description?: string } }
  const governorScans = new Map<string, { next: bigint; events: ProposalCreatedLog[] }>()
  /**
   * Per proposal: the signals collected so far (read incrementally from the hub), and the inputs
   * and outcome of the last tally — a round whose inputs did not change (no new signal, the same
   * snapshot blocks) reuses it instead of tallying and hashing the receipt again.
   */
  const tallies = new Map<string, {
    signalId: string
    signals: Signal[]
    ids: Set<string>
    created: number
    /** Every signal's voter, rebuilt when signals come in. */
    voters?: string[]
    fingerprint?: string
    last?: { receipt: Receipt; result: ReturnType<typeof tally>; tallyId: number | null }
  }>()
  const unsupported = new Set<string>()
  /**
   * Notifications already made (or found made) by this process: a key is written once ever
   * (store.governance.notifyOnce), so a round does not open a write transaction to learn it again.
   */
  const notified = new Set<string>()
  const notifyOnce = async (n: NotifyInput): Promise<boolean> => {
    if (notified.has(n.key)) return false
    const made = await g.notifyOnce(n)
    notified.add(n.key)
    return made
  }
  /** What this process last recorded of each proposal: the same again is not rewritten. */
  const recorded = new Map<string, string>()
  /** Governor proposals known closed or failed: not read again. */
  const governorDone = new Set<string>()
  /** The pool's weight on a Governor proposal, once its snapshot is past (it cannot change then). */
  const governorWeights = new Map<string, bigint>()

  // ── 1. discovery ──────────────────────────────────────────────────────────────────────────
  async function chainOfNetwork(network: string | null | undefined): Promise<string | undefined> {
    if (!network) return undefined
    return config.chains.find((c) => String(c.chainId) === network)?.name
  }

  /** Block timestamps already read (a block below the head keeps its time, short of a reorg). */
  const blockTimes = new Map<string, number>()
  async function blockTime(chain: string, block: bigint): Promise<number | null> {
    const k = `${chain}:${block}`
    const known = blockTimes.get(k)
    if (known !== undefined) return known
    const c = client(chain)
    const head = await c.getBlockNumber({ cacheTime: 0 })
    if (block > head) return null
    const t = Number((await c.getBlock({ blockNumber: block })).timestamp)
    if (blockTimes.size > 10_000) blockTimes.clear()
    blockTimes.set(k, t)
    return t
  }

  async function discoverSnapshot(report: RoundReport): Promise<void> {
    for (const space of gov.upstream.spaces) {
      try {
        if (!spaceNetworks.has(space)) spaceNetworks.set(space, (await hub.space(space))?.network ?? null)
        const chain = await chainOfNetwork(spaceNetworks.get(space))
        const proposals = await hub.proposals({ spaces: [space], state: 'all', first: 50, orderDirection: 'desc' })
        for (const p of proposals) {
          if (p.end < now()) continue
          if (!(VOTING_TYPES as readonly string[]).includes(p.type)) {
            if (!unsupported.has(p.id)) logger.warn({ space, proposal: p.id, type: p.type }, 'unsupported voting type: not mirrored')
            unsupported.add(p.id)
            continue
          }
          const snapshotTime = chain && p.snapshot ? await blockTime(chain, BigInt(p.snapshot)) : null
          await record(report, {
            key: snapshotKey(space, p.id),
            source: 'snapshot',
            space,
            chain: chain ?? null,
            governor: null,
            upstreamId: p.id,
            type: p.type,
            title: p.title,
            choices: p.choices,
            start: p.start,
            end: p.end,
            snapshot: p.snapshot ?? '',
            // Without a configured chain for the space's network, weights are read at the proposal's start.
            snapshotTime: snapshotTime ?? (chain ? null : p.start),
          })
        }
      } catch (err) {
        report.errors.push({ key: `space:${space}`, error: describeError(err) })
      }
    }
  }

  async function discoverGovernors(report: RoundReport): Promise<void> {
    for (const gv of gov.upstream.governors) {
      try {
        const c = client(gv.chain)
        const address = getAddress(gv.address)
        const head = await c.getBlock({ blockTag: 'latest' })
        // ProposalCreated events are read incrementally: only the blocks past the last scan.
        const scanKey = `${gv.chain}:${address.toLowerCase()}`
        const scan = governorScans.get(scanKey) ?? { next: BigInt(gv.fromBlock), events: [] }
        if (scan.next <= head.number) {
          scan.events.push(...(await c.getContractEvents({ address, abi: governorAbi, eventName: 'ProposalCreated', fromBlock: scan.next, toBlock: head.number })))
          scan.next = head.number + 1n
          governorScans.set(scanKey, scan)
        }
        const events = scan.events
        const chainBlockMs = chainsByName.get(gv.chain)!.blockTimeMs
        for (const ev of events) {
          const id = ev.args.proposalId
          if (id === undefined) continue
          const key = governorKey(gv.chain, address, id)
          if (governorDone.has(key)) continue
          const known = await g.getProposal(key)
          if (known && (known.status === 'closed' || known.status === 'failed')) {
            governorDone.add(key)
            continue
          }
          // Recorded already with its snapshot past: its times cannot change, only its state.
          if (known && known.snapshotTime !== null && recorded.has(key)) {
            const stateIndex = (await c.readContract({ address, abi: governorAbi, functionName: 'state', args: [id], blockNumber: head.number } as never)) as number
            const state = PROPOSAL_STATES[stateIndex]
            if (state !== 'Pending' && state !== 'Active') {
              await g.setProposalStatus(key, 'closed')
              governorDone.add(key)
            }
            continue
          }
          const read = await readGovernorProposal({ client: c, governor: address, proposalId: id, account: voterOn(gv.chain), blockNumber: head.number })
          if (!['Pending', 'Active'].includes(read.state)) {
            if (known) await g.setProposalStatus(key, 'closed')
            governorDone.add(key)
            continue
          }
          // Wall-clock times of the Governor's timepoints (its clock: timestamps, or blocks).
          const chainNow = Number(head.timestamp)
          const toWall = (timepoint: bigint) =>
            read.clockMode.includes('timestamp')
              ? now() + (Number(timepoint) - chainNow)
              : now() + Math.round(((Number(timepoint) - Number(head.number)) * chainBlockMs) / 1000)
          const snapshotTime = read.clockMode.includes('timestamp')
            ? Number(read.snapshot)
            : await blockTime(gv.chain, read.snapshot)
          const description = ev.args.description ?? ''
          await record(report, {
            key,
            source: 'governor',
            space: null,
            chain: gv.chain,
            governor: address.toLowerCase(),
            upstreamId: id.toString(),
            type: 'basic',
            title: (description.split('\n')[0]!.replace(/^#+\s*/, '') || `Proposal ${id}`).slice(0, 200),
            choices: BASIC_CHOICES,
            start: toWall(read.snapshot),
            end: toWall(read.deadline),
            snapshot: read.snapshot.toString(),
            snapshotTime: snapshotTime !== null && snapshotTime <= chainNow ? snapshotTime : null,
          })
        }
      } catch (err) {
        report.errors.push({ key: `governor:${gv.chain}:${gv.address}`, error: describeError(err) })
      }
    }
  }

  async function record(report: RoundReport, p: GovProposalInput): Promise<void> {
    // The same proposal as this process recorded last time: nothing to write.
    const text = JSON.stringify(p)
    if (recorded.get(p.key) === text) return
    const { inserted } = await g.upsertProposal(p)
    recorded.set(p.key, text)
    if (!inserted) return
    report.discovered.push(p.key)
    await notifyOnce({
      key: `gov:new:${p.key}`,
      agent: AGENT,
      rule: 'gov-new-proposal',
      subject: p.key,
      severity: 'info',
      chain: p.chain,
      title: `New ${p.source === 'snapshot' ? `Snapshot proposal in ${p.space}` : `Governor proposal on ${p.chain}`}: ${p.title}`,
      body: `Voting ends ${new Date(p.end * 1000).toISOString()}. Delegators signal in ${gov.signalling.space}.`,
    })
  }

  // ── 2. mirror ─────────────────────────────────────────────────────────────────────────────
  async function mirror(report: RoundReport, p: GovProposal): Promise<GovProposal | undefined> {
    if (p.signalId) return p
    const t = now()
    const end = p.end - policy.mirrorBufferSeconds
    if (end <= t) {
      const why = `too late to mirror: the signalling would end ${new Date(end * 1000).toISOString()}, in the past (buffer ${policy.mirrorBufferSeconds} s before the upstream end)`
      await g.setProposalStatus(p.key, 'failed', why)
      await g.notifyOnce({ key: `gov:unmirrored:${p.key}`, agent: AGENT, rule: 'gov-not-mirrored', subject: p.key, severity: 'warning', chain: p.chain, title: `Not mirrored, the pool will not vote: ${p.title}`, body: why })
      return undefined
    }
    const space = gov.signalling.space
    // An earlier round may have created the mirror and died before recording it.
    const existing = (await hub.proposals({ spaces: [space], state: 'all', first: 100, orderDirection: 'desc' })).find(
      (x) => x.author.toLowerCase() === account.address.toLowerCase() && (x.body ?? '').includes(`${MIRROR_MARK} ${p.key}`),
    )
    let id = existing?.id
    let start = existing?.start ?? t
    let signalEnd = existing?.end ?? end
    if (!id) {
      if (await held(report, `mirror:${p.key}`)) return undefined
      const sc = client(signallingChain)
      const chainHead = await sc.getBlock({ blockTag: 'latest' })
      const at = p.snapshotTime !== null ? Math.min(p.snapshotTime, Number(chainHead.timestamp)) : Number(chainHead.timestamp)
      const snapshotBlock = (await blockAtTimestamp(sc, at)) ?? chainHead.number
      const upstream = p.source === 'snapshot' ? `Snapshot ${p.space} ${p.upstreamId}` : `Governor ${p.governor} on ${p.chain}, proposal ${p.upstreamId}`
      const client712 = new snapshot.Client712(gov.snapshot.sequencerUrl)
      start = t
      signalEnd = end
      const r = (await client712.proposal(ethersSignerFromViem(account) as never, account.address, {
        space,
        type: p.type,
        title: `[signal] ${p.title}`.slice(0, 256),
        body: `How should the pool vote on ${upstream}? Signal here; the pool votes with every delegator's share.\n\n${MIRROR_MARK} ${p.key}`,
        discussion: '',
        choices: p.choices,
        labels: [],
        start,
        end: signalEnd,
        snapshot: Number(snapshotBlock),
        plugins: '{}',
        app: 'poolwarden',
        timestamp: t,
      } as never)) as { id?: unknown }
      if (typeof r?.id !== 'string') throw new Error(`sequencer answered no proposal id: ${JSON.stringify(r).slice(0, 200)}`)
      id = r.id
    }
    await g.setMirror(p.key, id, { start, end: signalEnd })
    report.mirrored.push(p.key)
    return g.getProposal(p.key)
  }

  // ── 3–4. signals, weights, tally ──────────────────────────────────────────────────────────
  /**
   * The state of a proposal rebuilt from its latest stored receipt (after a restart): the signals
   * it holds — each with its signature check as this governor made it, and its signed message —
   * become the collection so far, so only hub rows not in it are read and verified (as in a
   * governor that never stopped); the balances it records at each chain's snapshot block (hash)
   * are seeded into the weight reader. A receipt whose stored hash does not match its content, or
   * of another signalling proposal, is ignored (everything is collected and verified afresh).
   */
  async function restore(report: RoundReport, p: GovProposal, mem: NonNullable<ReturnType<typeof tallies.get>>): Promise<void> {
    const latest = await g.latestTally(p.key)
    const receipt = latest?.receipt as Receipt | undefined
    if (!latest || !receipt || receipt.proposal?.id !== p.signalId || !Array.isArray(receipt.signals)) return
    const hash = bytesToHex((await loadKeccak())(receiptBytes(receipt)))
    if (hash !== latest.hash) {
      logger.warn({ proposal: p.key, tally: latest.id }, 'stored receipt does not match its hash: signals collected and verified afresh')
      return
    }
    const t = now()
    for (const r of receipt.signals) {
      const { weight: _w, status: _s, ...signal } = r as typeof r & { weight?: unknown; status?: unknown }
      const s = signal as Signal
      mem.signals.push(s)
      if (s.id) mem.ids.add(s.id)
      if (s.timestamp > mem.created && s.timestamp <= t && s.sigCheck.error?.startsWith('malformed') !== true) mem.created = s.timestamp
    }
    report.restored += receipt.signals.length
    for (const [chain, c] of Object.entries(receipt.snapshot?.chains ?? {})) {
      if (!c.hash) continue
      const balances: [string, bigint][] = []
      for (const d of receipt.delegators) {
        const w = (d.weightByChain as Record<string, unknown>)[chain]
        if (w !== undefined) balances.push([d.address, BigInt(w as string)])
      }
      // The receipt lists every holder with shares at that block: any other address holds none there.
      weightReader.seed({ chain, token: c.token as `0x${string}`, block: { hash: c.hash as `0x${string}` }, balances, totalSupply: BigInt(c.totalSupply as unknown as string), complete: true })
    }
  }

  async function tallyOf(report: RoundReport, p: GovProposal) {
    if (!p.signalId || p.signalStart === null || p.signalEnd === null) return undefined
    if (p.snapshotTime === null) return undefined // weights not readable yet (snapshot in the future)
    let mem = tallies.get(p.key)
    if (!mem || mem.signalId !== p.signalId) {
      tallies.set(p.key, (mem = { signalId: p.signalId, signals: [], ids: new Set(), created: 0 }))
      // A restarted governor (or a new mirror id): what the latest stored receipt already verified is taken from it.
      await restore(report, p, mem)
    }
    const fresh = await collectSignals({
      hub,
      proposalId: p.signalId,
      space: gov.signalling.space,
      fetchEnvelope,
      verifyEoa: (envs) => {
        report.verified += envs.length
        return verifyEoa(envs)
      },
      verifyContract,
      // Re-read from a minute before the newest row seen (rows arriving slightly out of order are
      // still found; the ids collected already are skipped), never past rows dated in our future.
      ...(mem.signals.length > 0 ? { since: { created: Math.max(0, mem.created - 60), ids: mem.ids } } : {}),
    })
    const t = now()
    for (const s of fresh) {
      mem.signals.push(s)
      if (s.id) mem.ids.add(s.id)
      if (s.timestamp > mem.created && s.timestamp <= t && s.sigCheck.error?.startsWith('malformed') !== true) mem.created = s.timestamp
    }
    const signals = mem.signals
    const shareChains = config.pool.shareToken.map((s) => ({
      chain: s.chain,
      client: client(s.chain),
      token: s.token,
      multicall3: chainsByName.get(s.chain)!.multicall3,
      finalityDepth: chainsByName.get(s.chain)!.finalityDepth,
    }))
    // The voters' list is rebuilt only when signals came in (the reader answers from memory for the same list).
    if (!mem.voters || fresh.length > 0) mem.voters = signals.map((s) => s.voter)
    const weights = await weightReader.read({ chains: shareChains, time: p.snapshotTime, extra: mem.voters, heads: await headsOf(shareChains.map((c) => c.chain)) })
    const snapshotRecord: SnapshotRecord = {
      time: p.snapshotTime,
      chains: Object.fromEntries(
        shareChains.map((s) => [
          s.chain,
          {
            chainId: chainsByName.get(s.chain)!.chainId,
            token: s.token,
            multicall3: s.multicall3,
            block: weights.blocks[s.chain] ?? null,
            hash: weights.hashes[s.chain] ?? null,
            totalSupply: weights.totalSupply[s.chain] ?? 0n,
          },
        ]),
      ),
    }
    let onchain: TallyInput['onchain']
    const targets: VoteTargets = {}
    if (p.source === 'snapshot') targets.snapshot = { space: p.space!, proposal: p.upstreamId }
    else {
      const gv = governorOf(p)
      if (!gv) return undefined
      // The pool's weight at a past snapshot never changes: read until known, then kept.
      let weight = governorWeights.get(p.key) ?? null
      if (weight === null) {
        const read = await readGovernorProposal({ client: client(gv.chain), governor: getAddress(gv.address), proposalId: BigInt(p.upstreamId), account: voterOn(gv.chain) })
        weight = read.weight
        if (weight !== null) governorWeights.set(p.key, weight)
      }
      if (weight !== null) onchain = { poolWeight: weight }
      targets.governor = { chainId: chainsByName.get(gv.chain)!.chainId, address: getAddress(gv.address), proposalId: BigInt(p.upstreamId), reason: `poolwarden: delegators' signal ${p.signalId}` }
    }
    // Nothing new since the last tally (same signals, same blocks read, same Governor weight): reuse it.
    const fingerprint = [signals.length, p.signalStart, p.signalEnd, onchain?.poolWeight ?? '-', ...shareChains.map((c) => weights.hashes[c.chain] ?? '-')].join('|')
    if (mem.last && mem.fingerprint === fingerprint) {
      report.tallied.push({ key: p.key, status: mem.last.result.status, tallyId: mem.last.tallyId, changed: false })
      return mem.last
    }
    const input: TallyInput = {
      proposal: { id: p.signalId, type: p.type as VotingType, choices: p.choices, start: p.signalStart, end: p.signalEnd },
      delegators: weights.delegators,
      signals,
      policy: tallyPolicyOf(policy),
      ...(onchain ? { onchain } : {}),
    }
    const result = tally(input)
    const receipt = buildReceipt(input, onchain || p.source === 'snapshot' ? targets : {}, result, {
      snapshot: snapshotRecord,
      signalling: { space: gov.signalling.space, chain: signallingChain, chainId: chainsByName.get(signallingChain)!.chainId },
    })
    // The same hash as receiptHash, with the WebAssembly keccak (a 100k-signal receipt is tens of MB).
    const hash = bytesToHex((await loadKeccak())(receiptBytes(receipt)))
    const latest = await g.latestTally(p.key)
    let tallyId = latest?.id ?? null
    const changed = latest?.hash !== hash
    if (changed) {
      await store.transaction(async () => {
        await g.replaceSignals(
          p.key,
          result.signals.map((o, i) => ({
            voteId: o.signal.id ?? `signal-${i}`,
            voter: o.signal.voter,
            choice: o.signal.choice,
            timestamp: o.signal.timestamp,
            sig: o.signal.sig ?? null,
            sigOk: o.signal.sigCheck.ok,
            sigMethod: o.signal.sigCheck.method,
            status: o.status,
            refusal: o.status === 'counted' || o.status === 'superseded' ? null : (o.signal.sigCheck.error ?? o.status),
            weight: o.weight.toString(),
          })),
        )
        tallyId = (await g.addTally({ proposalKey: p.key, status: result.status, receipt, hash })).id
      })
    }
    report.tallied.push({ key: p.key, status: result.status, tallyId, changed })
    mem.fingerprint = fingerprint
    mem.last = { receipt, result, tallyId }
    return mem.last
  }

  // ── 5. casting ────────────────────────────────────────────────────────────────────────────
  async function castOnSnapshot(report: RoundReport, p: GovProposal, vote: NonNullable<Receipt['result']['snapshotVote']>, tallyId: number | null) {
    const casts = await g.listCasts(p.key, 'snapshot')
    const last = casts.at(-1)
    const lastAccepted = casts.filter((c) => c.status === 'accepted').at(-1)
    const run = async (key: string, req: SnapshotVoteRequest) => {
      if (await held(report, `snapshot:${p.key}`)) return undefined
      const r = await castSnapshotVote({
        governance: g,
        sequencerUrl: gov.snapshot.sequencerUrl,
        account,
        key,
        proposalKey: p.key,
        tallyId,
        vote: req,
        afterSign: deps.hooks?.afterSnapshotSign,
        now,
        notBefore: ((lastAccepted?.payload as { timestamp?: number } | undefined)?.timestamp ?? -1) + 1,
      })
      report.cast.push({ key: p.key, target: 'snapshot', castKey: key, result: r.duplicate ? `${r.id} (duplicate: already taken)` : r.id })
      return r
    }
    // An unfinished cast is finished first, with its stored payload (never signed again).
    if (last && ['created', 'signed', 'submitted'].includes(last.status)) {
      if (await run(last.key, last.payload as SnapshotVoteRequest)) await afterCast(p, last.key, lastAccepted)
      return
    }
    const prev = (lastAccepted?.payload ?? null) as (SnapshotVoteRequest & { timestamp: number }) | null
    if (prev && (!policy.recast || canonical(prev.choice) === canonical(vote.choice))) return
    // A failed vote is not repeated, unless the failure is one a fresh signature fixes (a stale
    // timestamp): then the same vote is signed anew under a new key, up to policy.castRetries times.
    if (last?.status === 'failed' && canonical((last.payload as SnapshotVoteRequest).choice) === canonical(vote.choice) && !retryState(casts, policy.castRetries).mayRetry) return
    const key = `${p.key}:snapshot:${casts.length}`
    const done = await run(key, {
      space: vote.space,
      proposal: vote.proposal,
      type: vote.type,
      choice: vote.choice as SnapshotChoice,
      reason: `poolwarden: delegators' signal ${p.signalId}`,
      app: 'poolwarden',
      // A revote must be later than the vote it replaces.
      timestamp: Math.max(now(), (prev?.timestamp ?? 0) + 1),
    })
    if (done) await afterCast(p, key, lastAccepted)
  }

  async function castOnGovernor(report: RoundReport, p: GovProposal, split: NonNullable<Receipt['result']['onchain']>, tallyId: number | null) {
    const gv = governorOf(p)!
    const casts = await g.listCasts(p.key, 'governor')
    const last = casts.at(-1)
    const lastAccepted = casts.filter((c) => c.status === 'accepted').at(-1)
    const want = { against: split.against, for: split.for, abstain: split.abstain }
    type Payload = typeof want & { intentKey: string }
    let key: string
    let payload: Payload
    if (last && ['created', 'signed', 'submitted'].includes(last.status)) {
      key = last.key
      payload = last.payload as Payload
    } else {
      const prev = lastAccepted?.payload as Payload | undefined
      const same = (x: Payload | undefined) => !!x && x.against === want.against && x.for === want.for && x.abstain === want.abstain
      if (prev && (!policy.recast || same(prev))) return
      // A failed cast is not repeated with the same split, unless a fresh transaction can succeed
      // (cancelled when stuck past execution.cancelAfterBlocks, reverted, its nonce taken): then the
      // split goes out again under a new intent (a new signature; usedVotes makes it a top-up only),
      // up to policy.castRetries times.
      if (last?.status === 'failed' && same(last.payload as Payload) && !retryState(casts, policy.castRetries).mayRetry) return
      if (await held(report, `governor:${p.key}`)) return
      key = `${p.key}:governor:${casts.length}`
      payload = { ...want, intentKey: `gov:${p.chain}:${p.governor}:${p.upstreamId}:${casts.length}` }
      await g.createCast({ key, proposalKey: p.key, target: 'governor', tallyId, payload })
    }
    if (await held(report, `governor:${p.key}`)) return
    await g.markCastSubmitted(key)
    try {
      const r = await castFractionalVote({
        sender: deps.senders[gv.chain]!,
        client: client(gv.chain),
        intents: store.intents,
        governor: getAddress(gv.address),
        proposalId: BigInt(p.upstreamId),
        split: { against: BigInt(payload.against), for: BigInt(payload.for), abstain: BigInt(payload.abstain) },
        reason: `poolwarden: delegators' signal ${p.signalId}`,
        key: payload.intentKey,
        fromBlock: BigInt(gv.fromBlock),
      })
      const txHash = r.status === 'nothing-to-cast' ? null : r.intent.txHash
      await g.markCastAccepted(key, { resultId: r.status === 'nothing-to-cast' ? 'nothing-to-cast' : payload.intentKey, txHash })
      report.cast.push({ key: p.key, target: 'governor', castKey: key, result: r.status === 'nothing-to-cast' ? 'nothing-to-cast' : `${r.status} ${txHash ?? ''}`.trim() })
      if (r.status !== 'nothing-to-cast') await afterCast(p, key, lastAccepted)
    } catch (err) {
      // IntentFailedError: this transaction will not happen (cancelled, reverted, nonce taken,
      // pre-flight revert): a new one, freshly signed, may. Other errors are final (the proposal
      // is not active, no weight…) or transient (RetryableError: the same intent resumes).
      if (err instanceof TxCancelledError) await g.markCastFailed(key, `${CANCELLED} ${describeError(err)}`, undefined, { retryable: true })
      else if (err instanceof IntentFailedError) await g.markCastFailed(key, describeError(err), undefined, { retryable: true })
      else if (!(err instanceof RetryableError)) await g.markCastFailed(key, describeError(err))
      throw err
    }
  }

  /**
   * The outcome a cast stands for: on a Governor the majority of its split (the largest of
   * against / for / abstain), on Snapshot the tally's winning choice (of the tally it was cast from).
   */
  async function outcomeOf(c: GovCast): Promise<string | null> {
    if (c.target === 'governor') {
      const s = c.payload as { against: string; for: string; abstain: string }
      const entries: [string, bigint][] = [['against', BigInt(s.against)], ['for', BigInt(s.for)], ['abstain', BigInt(s.abstain)]]
      const max = entries.reduce((m, e) => (e[1] > m[1] ? e : m))
      return entries.filter((e) => e[1] === max[1]).map((e) => e[0]).join('+')
    }
    if (c.tallyId === null) return null
    const t = await g.getTally(c.tallyId)
    const w = (t?.receipt as Receipt | undefined)?.result.winner
    return w === undefined || w === null ? null : String(w)
  }

  async function afterCast(p: GovProposal, castKey: string, previous: GovCast | undefined): Promise<void> {
    const recast = previous !== undefined
    await g.setProposalStatus(p.key, 'cast')
    await g.notifyOnce({
      key: `gov:cast:${castKey}`,
      agent: AGENT,
      rule: 'gov-vote-cast',
      subject: p.key,
      severity: 'info',
      chain: p.chain,
      title: `${recast ? 'Vote re-cast' : 'Vote cast'}: ${p.title}`,
      body: `The pool's ${p.source === 'snapshot' ? `Snapshot vote in ${p.space}` : `vote on the Governor (${p.chain})`} is in. \`npm run tally -- ${p.upstreamId}\` shows the receipt.`,
    })
    // "Outcome changed" only when the winning choice (the split's majority) moved, not on every re-cast.
    const cast = recast ? await g.getCast(castKey) : undefined
    const before = previous ? await outcomeOf(previous) : null
    const after = cast ? await outcomeOf(cast) : null
    if (recast && before !== after) {
      await g.notifyOnce({
        key: `gov:changed:${castKey}`,
        agent: AGENT,
        rule: 'gov-outcome-changed',
        subject: p.key,
        severity: 'warning',
        chain: p.chain,
        title: `Outcome changed near the end: ${p.title}`,
        body: `Signals moved after the pool's vote: ${p.source === 'snapshot' ? 'the winning choice' : "the split's majority"} went from ${before ?? 'none'} to ${after ?? 'none'}; the pool re-cast before the deadline ${new Date(p.end * 1000).toISOString()}.`,
      })
    }
  }

  // ── 6. reminders ──────────────────────────────────────────────────────────────────────────
  async function remind(p: GovProposal): Promise<void> {
    if (p.signalEnd === null) return
    const left = p.signalEnd - now()
    if (left <= 0) return
    const which = left <= 2 * HOUR ? '2h' : left <= 24 * HOUR ? '24h' : null
    if (!which) return
    await notifyOnce({
      key: `gov:remind${which}:${p.key}`,
      agent: AGENT,
      rule: 'gov-reminder',
      subject: p.key,
      severity: 'info',
      chain: p.chain,
      title: `Signalling ends in ${which === '2h' ? 'under 2 h' : 'under 24 h'}: ${p.title}`,
      body: `Signal in ${gov.signalling.space} on ${p.signalId}.`,
    })
  }

  /**
   * Each chain's head block number, read at most once per round (the weight reader confirms a
   * remembered block's hash only until it is past the chain's finality depth).
   */
  let roundHeads = new Map<string, Promise<bigint>>()
  async function headsOf(chains: readonly string[]): Promise<Record<string, bigint>> {
    const out: Record<string, bigint> = {}
    for (const chain of chains) {
      let h = roundHeads.get(chain)
      if (!h) roundHeads.set(chain, (h = client(chain).getBlockNumber({ cacheTime: 0 })))
      try {
        out[chain] = await h
      } catch {
        roundHeads.delete(chain) // unknown head: the reader confirms hashes as before
      }
    }
    return out
  }

  // ── the round ─────────────────────────────────────────────────────────────────────────────
  return async function round(): Promise<RoundReport> {
    const report: RoundReport = { discovered: [], mirrored: [], tallied: [], cast: [], errors: [], held: [], verified: 0, restored: 0 }
    roundHeads = new Map()
    await discoverSnapshot(report)
    await discoverGovernors(report)
    for (const stored of await g.listProposals({ open: true, limit: 500 })) {
      try {
        if (stored.end < now()) {
          await g.setProposalStatus(stored.key, 'closed')
          continue
        }
        const p = await mirror(report, stored)
        if (!p) continue
        await remind(p)
        const t = await tallyOf(report, p)
        if (!t) continue
        const inWindow = now() >= p.end - policy.castWindowSeconds && now() >= p.start
        if (!inWindow) continue
        if (t.result.status === 'quorum-not-reached') {
          await notifyOnce({
            key: `gov:quorum:${p.key}`,
            agent: AGENT,
            rule: 'gov-quorum',
            subject: p.key,
            severity: 'warning',
            chain: p.chain,
            title: `Signal quorum not reached: ${p.title}`,
            body: `${t.result.signalledWeight} of ${t.result.totalWeight} share wei signalled; quorum ${policy.signalQuorumBps} bps. The pool does not vote unless more delegators signal.`,
          })
        }
        if (t.result.status !== 'ok') continue
        const r = t.receipt.result
        if (p.source === 'snapshot' && r.snapshotVote) await castOnSnapshot(report, p, r.snapshotVote, t.tallyId)
        if (p.source === 'governor' && r.onchain) await castOnGovernor(report, p, r.onchain, t.tallyId)
      } catch (err) {
        report.errors.push({ key: stored.key, error: describeError(err) })
        logger.warn({ proposal: stored.key, err: describeError(err) }, 'governance round: proposal skipped this round')
      }
    }
    return report
  }
}
