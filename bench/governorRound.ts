/**
 * One governor round over a signalling proposal with 100,000 signals that an earlier round
 * already collected and verified, with nothing new (`npm run bench -- governor`): the real round
 * (governance/governorRound.ts) with a real SQLite store, the devnet chains for the weights (share
 * token, multicall at the snapshot block), the batch verifier. The hub's vote rows and signed
 * messages (bench/signatures.ts's 100k signed signals, cached in .devnet/bench/) are served from
 * memory through the SnapshotClient interface, so the figure is the governor's own work, not a
 * hub's SQL. The first round (collect, verify, read 100k balances on 3 chains, tally, store the
 * receipt) is timed too, for comparison.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAccount } from 'viem/accounts'
import type { PublicClient } from 'viem'
import { z } from 'zod'
import { configSchema, type ConfigInput } from '../config/schema'
import { createLogger } from '../core/logger'
import { devKey, ROLES } from '../devnet/accounts'
import { startLocalDevnet } from '../devnet/local'
import { verifyVotes } from '../governance/fastVerify'
import { createGovernorRound } from '../governance/governorRound'
import type { SnapshotClient } from '../governance/snapshotClient'
import { openStore } from '../store'
import { envelopeOf, loadOrGenerate, PROPOSAL, SPACE } from './signatures'

export interface GovernorRoundBench {
  signals: number
  firstRoundS: number
  /** Rounds with nothing new, after the first: wall seconds each. */
  idleRoundsS: number[]
  status: string
  /** The first round of a restarted governor (same store, no memory): wall seconds, signatures verified, signals restored. */
  restart: { roundS: number; verified: number; restored: number }
}

export async function benchGovernorRound(opts: {
  basePort: number
  signals?: number
  idleRounds?: number
  /** Wraps each round (e.g. a CPU profiler around it). */
  around?: <T>(what: string, fn: () => Promise<T>) => Promise<T>
}): Promise<GovernorRoundBench> {
  const around = opts.around ?? (<T>(_what: string, fn: () => Promise<T>) => fn())
  const n = opts.signals ?? 100_000
  const { rows } = await loadOrGenerate(n)
  const dir = await mkdtemp(join(tmpdir(), 'pw-governor-round-'))
  const devnet = await startLocalDevnet({ basePort: opts.basePort, custody: 'eoa', storePath: join(dir, 'poolwarden.sqlite') })
  const store = await openStore({ path: join(dir, 'poolwarden.sqlite'), logger: createLogger({ bench: 'governor' }, 'warn') })
  try {
    const votes = rows.map((r, i) => ({ id: `0x${i.toString(16).padStart(64, '0')}`, voter: r.address, choice: JSON.parse(r.choice) as unknown, vp: 1, created: r.timestamp, reason: r.reason, ipfs: `bafkbench${i}`, app: 'snapshot' }))
    votes.sort((a, b) => a.created - b.created)
    const envelopes = new Map(rows.map((r, i) => [`bafkbench${i}`, envelopeOf(r)]))
    const hub: SnapshotClient = {
      requests: 0,
      space: async () => null,
      proposal: async () => null,
      proposals: async () => [],
      votes: async () => [],
      async query<T extends z.ZodType>(_q: string, variables: Record<string, unknown>, schema: T) {
        const v = variables as { first: number; skip: number; where: { proposal: string; created_gte: number } }
        let lo = 0
        let hi = votes.length
        while (lo < hi) {
          const mid = (lo + hi) >> 1
          if (votes[mid]!.created < v.where.created_gte) lo = mid + 1
          else hi = mid
        }
        const page = v.where.proposal === PROPOSAL.id ? votes.slice(lo + v.skip, lo + v.skip + v.first) : []
        return schema.parse({ votes: page }) as z.output<T>
      },
    }
    const base = structuredClone(devnet.config) as unknown as ConfigInput
    base.governance = { ...base.governance, upstream: { spaces: [], governors: [] }, signalling: { space: SPACE, chain: 'ethereum' } } as ConfigInput['governance']
    const config = configSchema.parse(base)
    const eth = devnet.config.chains[0]!
    const clients: Record<string, PublicClient> = {}
    const { createPublicClient, http, createTestClient } = await import('viem')
    for (const c of devnet.config.chains) clients[c.name] = createPublicClient({ transport: http(c.rpc[0]!.url, { batch: true }) }) as PublicClient
    const head = await clients[eth.name]!.getBlock({ blockTag: 'latest' })
    // Every chain gets blocks dated after the snapshot time, so the block at that time is final
    // (as on a live chain a few seconds on): anvil dates blocks mined in the same second alike.
    for (const c of devnet.config.chains) {
      const test = createTestClient({ mode: 'anvil', transport: http(c.rpc[0]!.url) })
      const latest = await clients[c.name]!.getBlock({ blockTag: 'latest' })
      await test.setNextBlockTimestamp({ timestamp: (latest.timestamp > head.timestamp ? latest.timestamp : head.timestamp) + 1n })
      await test.mine({ blocks: 2 })
    }
    const now = Math.floor(Date.now() / 1000)
    await store.governance.upsertProposal({
      key: 'snapshot:bench.eth:0xbench', source: 'snapshot', space: 'bench.eth', chain: eth.name, governor: null, upstreamId: '0xbench', type: PROPOSAL.type,
      title: 'bench', choices: PROPOSAL.choices, start: now - 60, end: now + 30 * 86_400, snapshot: head.number.toString(), snapshotTime: Number(head.timestamp),
    })
    await store.governance.setMirror('snapshot:bench.eth:0xbench', PROPOSAL.id, { start: PROPOSAL.start!, end: PROPOSAL.end! })
    const newRound = () => createGovernorRound({
      config, store, logger: createLogger({ bench: 'governor' }, 'warn'), hub, account: privateKeyToAccount(devKey(ROLES.voter)), clients, senders: {},
      fetchEnvelope: async (cid) => envelopes.get(cid) ?? null, verifyEoa: (envs) => verifyVotes(envs),
    })
    const round = newRound()
    let t0 = performance.now()
    const first = await around('first', round)
    const firstRoundS = (performance.now() - t0) / 1000
    if (first.errors.length) throw new Error(`first round: ${first.errors.map((e) => e.error).join('; ')}`)
    const idleRoundsS: number[] = []
    let status = first.tallied[0]?.status ?? 'none'
    for (let i = 0; i < (opts.idleRounds ?? 3); i++) {
      t0 = performance.now()
      const r = await around(`idle${i}`, round)
      idleRoundsS.push((performance.now() - t0) / 1000)
      if (r.errors.length) throw new Error(`round: ${r.errors.map((e) => e.error).join('; ')}`)
      status = r.tallied[0]?.status ?? status
    }
    // A restarted governor: a new round over the same store (its latest receipt), nothing new on the hub.
    const restarted = newRound()
    t0 = performance.now()
    const r = await around('restart', restarted)
    const restart = { roundS: (performance.now() - t0) / 1000, verified: r.verified, restored: r.restored }
    if (r.errors.length) throw new Error(`restarted round: ${r.errors.map((e) => e.error).join('; ')}`)
    return { signals: n, firstRoundS, idleRoundsS, status, restart }
  } finally {
    await store.close()
    await devnet.stop()
    await rm(dir, { recursive: true, force: true })
  }
}
