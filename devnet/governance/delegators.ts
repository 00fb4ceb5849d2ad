import snapshot from '@snapshot-labs/snapshot.js'
import type { Address } from 'viem'
import type { Logger } from 'pino'
import { mulberry32 } from '../../core/random'
import { sleep } from '../../core/shutdown'
import type { VotingType } from '../../governance/types'
import { ethersSignerFromViem, type EthersStyleSigner } from '../../governance/viemSigner'
import { devAccount } from '../accounts'
import type { Deployment } from '../deploy'
import type { DelegatorRef, DelegatorsScenario } from './scenario'

/**
 * The devnet's delegators as an actor: it watches the pool's signalling space on the hub and, over
 * time, has each delegator sign and submit a vote through snapshot.js `Client712` (a viem-backed
 * ethers-style signer), all decided by a seeded plan per (proposal, delegator):
 * - some delegators stay silent (`silentShare`);
 * - the others vote `voteAfter` seconds after the proposal opens (at once when the actor sees it
 *   later than that), a valid random choice for the proposal's type;
 * - some vote again later with another choice (`revote`): the later timestamp replaces the first;
 * - per proposal, one invalid choice for the type (the sequencer answers "invalid choice") and
 *   one vote after the end ("not in voting window").
 * The EIP-1271 wallet votes with its owner's signature for the wallet's address (the hub checks
 * it with `isValidSignature`). Every attempt is an ActorEvent (and a log line).
 * Restart-safe: actions due before the actor started are only replayed when the hub lacks their
 * effect (no vote from that delegator, or an older one than the planned revote).
 */

export interface DelegatorIdentity {
  label: string
  address: Address
  signer: EthersStyleSigner
}

export type ActorAction = 'vote' | 'revote' | 'invalid-choice' | 'late'

export interface PlannedAction {
  at: number
  action: ActorAction
  delegator: DelegatorIdentity
  choice: unknown
}

export interface ActorEvent {
  /** When it was sent (the message timestamp). */
  at: number
  proposal: string
  voter: Address
  label: string
  action: ActorAction
  choice: unknown
  ok: boolean
  /** The hub's vote id when accepted. */
  id?: string
  /** The hub's error_description when refused. */
  error?: string
}

export interface ActorProposal {
  id: string
  type: string
  choices: string[]
  start: number
  end: number
}

export interface DelegatorActorOptions {
  /** The sequencer (Client712's url). */
  sequencerUrl: string
  graphqlUrl: string
  space: string
  delegators: DelegatorIdentity[]
  config: DelegatorsScenario
  now?: () => number
  logger?: Logger
}

export interface DelegatorActor {
  /** Looks for proposals and sends every action that is due; returns this tick's events. */
  tick(): Promise<ActorEvent[]>
  /** The plan of a proposal (deterministic from the seed). */
  planFor(p: ActorProposal, firstSeen?: number): PlannedAction[]
  readonly events: readonly ActorEvent[]
  /** Ticks every `pollSeconds` until the signal aborts; tick errors are logged, never fatal. */
  run(signal: AbortSignal): Promise<void>
}

/** The delegators a scenario names: dev accounts by index, the deployment's EIP-1271 wallet (signed by its owner). */
export function delegatorIdentities(deployment: Deployment, refs: readonly DelegatorRef[]): DelegatorIdentity[] {
  return refs.map((ref) => {
    if (ref === 'wallet1271') {
      const w = deployment.contractDelegators?.[0]
      if (!w) throw new Error('the deployment has no EIP-1271 wallet delegator (deployment.contractDelegators)')
      const owner = devAccount(ownerIndex(w.owner))
      return { label: 'wallet1271', address: w.address, signer: { ...ethersSignerFromViem(owner), getAddress: async () => w.address } }
    }
    const a = devAccount(ref)
    return { label: `#${ref}`, address: a.address, signer: ethersSignerFromViem(a) }
  })
}

function ownerIndex(owner: Address): number {
  for (let i = 0; i < 10; i++) if (devAccount(i).address.toLowerCase() === owner.toLowerCase()) return i
  throw new Error(`the wallet owner ${owner} is not a dev account`)
}

/** A 32-bit hash of a string (FNV-1a), to seed one PRNG per (seed, proposal, delegator). */
function hash32(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

const between = (rng: () => number, [a, b]: readonly [number, number]) => Math.round(a + (b - a) * rng())

/** A valid Snapshot choice for the type (1-based choice indexes). */
export function randomChoice(type: string, n: number, rng: () => number): unknown {
  const pick = () => 1 + Math.floor(rng() * n)
  switch (type as VotingType) {
    case 'basic':
    case 'single-choice':
      return pick()
    case 'approval': {
      const chosen = Array.from({ length: n }, (_, i) => i + 1).filter(() => rng() < 0.5)
      return chosen.length > 0 ? chosen : [pick()]
    }
    case 'ranked-choice': {
      const order = Array.from({ length: n }, (_, i) => i + 1)
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng() * (i + 1))
        ;[order[i], order[j]] = [order[j]!, order[i]!]
      }
      return order
    }
    case 'weighted':
    case 'quadratic': {
      const out: Record<string, number> = {}
      for (let i = 1; i <= n; i++) if (rng() < 0.6) out[String(i)] = 1 + Math.floor(rng() * 9)
      if (Object.keys(out).length === 0) out[String(pick())] = 1
      return out
    }
    default:
      return pick()
  }
}

/** A choice the sequencer refuses for the type ("invalid choice"). */
export function invalidChoice(type: string, n: number): unknown {
  switch (type as VotingType) {
    case 'approval':
      return [n + 1]
    case 'ranked-choice':
      return n > 1 ? [1] : [2]
    case 'weighted':
    case 'quadratic':
      return { [String(n + 1)]: 1 }
    default:
      return n + 1
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

export function createDelegatorActor(opts: DelegatorActorOptions): DelegatorActor {
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000))
  const cfg = opts.config
  const startedAt = now()
  const client = new snapshot.Client712(opts.sequencerUrl)
  const plans = new Map<string, { proposal: ActorProposal; actions: (PlannedAction & { done: boolean })[] }>()
  const events: ActorEvent[] = []

  function planFor(p: ActorProposal, firstSeen = p.start): PlannedAction[] {
    const n = p.choices.length
    const opensAt = Math.max(p.start, firstSeen)
    const lastSecond = p.end - 1
    const actions: PlannedAction[] = []
    let voters: { d: DelegatorIdentity; at: number }[] = []
    for (const d of opts.delegators) {
      const rng = mulberry32(hash32(`${cfg.seed}:${p.id}:${d.address.toLowerCase()}`))
      const silent = rng() < cfg.silentShare
      const at = Math.min(opensAt + between(rng, cfg.voteAfter), lastSecond)
      const choice = randomChoice(p.type, n, rng)
      const revote = rng() < cfg.revote.share
      const revoteAt = at + Math.max(1, between(rng, cfg.revote.after))
      if (silent || at < opensAt) continue
      actions.push({ at, action: 'vote', delegator: d, choice })
      voters.push({ d, at })
      if (revote && revoteAt <= lastSecond) {
        let next = randomChoice(p.type, n, rng)
        for (let i = 0; i < 5 && same(next, choice); i++) next = randomChoice(p.type, n, rng)
        actions.push({ at: revoteAt, action: 'revote', delegator: d, choice: next })
      }
    }
    const rng = mulberry32(hash32(`${cfg.seed}:${p.id}:bad`))
    if (voters.length === 0) voters = opts.delegators.map((d) => ({ d, at: opensAt }))
    if (cfg.bad.invalidChoice && voters.length > 0) {
      const v = voters[Math.floor(rng() * voters.length)]!
      actions.push({ at: Math.max(opensAt, v.at - 1), action: 'invalid-choice', delegator: v.d, choice: invalidChoice(p.type, n) })
    }
    if (cfg.bad.late && voters.length > 0) {
      const v = voters[Math.floor(rng() * voters.length)]!
      actions.push({ at: p.end + 2, action: 'late', delegator: v.d, choice: randomChoice(p.type, n, rng) })
    }
    return actions.sort((a, b) => a.at - b.at)
  }

  async function gql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const res = await fetch(opts.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })
    const json = (await res.json()) as { data?: T; errors?: { message: string }[] }
    if (!res.ok || !json.data) throw new Error(`hub GraphQL: HTTP ${res.status} ${json.errors?.map((e) => e.message).join('; ') ?? ''}`)
    return json.data
  }

  /** A due action planned before the actor started: is its effect already on the hub? */
  async function alreadyDone(p: ActorProposal, a: PlannedAction): Promise<boolean> {
    if (a.at >= startedAt) return false
    if (a.action === 'invalid-choice' || a.action === 'late') return true
    const { votes } = await gql<{ votes: { created: number }[] }>(
      'query($p: String!, $v: String!) { votes(first: 1, where: { proposal: $p, voter: $v }) { created } }',
      { p: p.id, v: a.delegator.address },
    )
    const created = votes[0]?.created
    return created !== undefined && (a.action === 'vote' || created >= a.at)
  }

  async function send(p: ActorProposal, a: PlannedAction): Promise<ActorEvent> {
    const at = now()
    const base = { at, proposal: p.id, voter: a.delegator.address, label: a.delegator.label, action: a.action, choice: a.choice }
    try {
      const receipt = (await client.vote(a.delegator.signer as never, a.delegator.address, {
        space: opts.space, proposal: p.id, type: p.type, choice: a.choice, timestamp: at, reason: `devnet delegator ${a.delegator.label}: ${a.action}`, app: 'poolwarden-devnet',
      } as never)) as { id: string }
      return { ...base, ok: true, id: receipt.id }
    } catch (err) {
      const e = err as { error_description?: unknown; message?: unknown }
      return { ...base, ok: false, error: typeof e?.error_description === 'string' ? e.error_description : String(e?.message ?? err) }
    }
  }

  async function tick(): Promise<ActorEvent[]> {
    const t = now()
    const { proposals } = await gql<{ proposals: ActorProposal[] }>(
      'query($s: String!) { proposals(first: 100, where: { space: $s }, orderBy: "created", orderDirection: desc) { id type choices start end } }',
      { s: opts.space },
    )
    for (const p of proposals) {
      if (!plans.has(p.id)) plans.set(p.id, { proposal: p, actions: planFor(p).map((a) => ({ ...a, done: false })) })
    }
    const out: ActorEvent[] = []
    for (const { proposal, actions } of plans.values()) {
      for (const a of actions) {
        if (a.done || a.at > t) continue
        a.done = true
        if (await alreadyDone(proposal, a)) continue
        const e = await send(proposal, a)
        out.push(e)
        events.push(e)
        opts.logger?.info({ proposal: e.proposal, voter: e.voter, delegator: e.label, action: e.action, choice: e.choice, ok: e.ok, error: e.error }, `delegator ${e.label} ${e.action}: ${e.ok ? 'accepted' : `refused (${e.error})`}`)
      }
    }
    return out
  }

  return {
    tick,
    planFor,
    events,
    async run(signal) {
      while (!signal.aborted) {
        try {
          await tick()
        } catch (err) {
          opts.logger?.warn({ err: (err as Error).message }, 'delegators: tick failed (hub down?), retrying')
        }
        await sleep(cfg.pollSeconds * 1000, signal)
      }
    },
  }
}
