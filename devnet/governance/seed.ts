import snapshot from '@snapshot-labs/snapshot.js'
import { createPublicClient, createWalletClient, encodeFunctionData, http, keccak256, toHex, type Address } from 'viem'
import { ethersSignerFromViem } from '../../governance/viemSigner'
import { devAccount, ROLES } from '../accounts'
import { poolShareAbi } from '../abis'
import type { Deployment } from '../deploy'
import { devnetChain } from '../deploymentFile'
import { devnetGovernorAbi, PROPOSAL_STATES } from './abis'
import { GOV_ROLES } from './constants'
import type { GovernanceScenario } from './scenario'
import type { HubSpace } from '../snapshot/hub'

/**
 * Seeds the devnet governance world from a scenario's `governance` section, idempotently (run it
 * again and nothing changes; a restarted `delegators` app does):
 * - the two Snapshot spaces on the local hub (through its `/_devnet/space` route): the upstream
 *   DAO's (admin #6, only admins may propose) and the pool's signalling space (admin: the
 *   governor's voting key #10, which the governor agent signs mirrored proposals with; only admins
 *   may propose);
 * - the upstream Snapshot proposals, signed by #6 and sent through snapshot.js
 *   `Client712.proposal` like any proposal (start/end = devnet start + offsets; snapshot = the
 *   first chain's current block); a title already in the space is not proposed again, and one
 *   whose end has passed is skipped (the sequencer would refuse it);
 * - the on-chain proposals on the devnet PoolGovernor, proposed by #6 (a DAO token holder; the
 *   governor's threshold is 0): one call `clock()` on the DAO token each (harmless if executed);
 *   an id already proposed is skipped.
 */

export interface SeedOptions {
  /** The local hub's base URL (sequencer, /graphql, /_devnet routes). */
  hubUrl: string
  deployment: Deployment
  governance: GovernanceScenario
  /** Devnet start, unix seconds (offsets count from it). */
  t0: number
  /** The clock the signed messages are dated with (the hub's). */
  now?: () => number
}

export interface SeededSnapshotProposal {
  id: string
  title: string
  type: string
  start: number
  end: number
  /** false when the proposal was already on the hub. */
  created: boolean
}

export interface SeededGovernorProposal {
  id: bigint
  description: string
  targets: Address[]
  values: bigint[]
  calldatas: `0x${string}`[]
  state: (typeof PROPOSAL_STATES)[number]
  created: boolean
}

export interface SeedResult {
  spaces: { upstream: string; signals: string }
  snapshotProposals: SeededSnapshotProposal[]
  /** Titles not proposed because their end had passed. */
  skipped: string[]
  governorProposals: SeededGovernorProposal[]
}

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = (await res.json()) as unknown
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(json)}`)
  return json
}

/** The on-chain proposal's actions for a description (exported for tests: its id is hashProposal of these). */
export function governorProposalActions(deployment: Deployment) {
  const dao = Object.values(deployment.chains).find((c) => c.dao)?.dao
  if (!dao) throw new Error('the deployment has no DAO governor (deployed before it existed?)')
  return { governor: dao.governor, targets: [dao.token], values: [0n], calldatas: [encodeFunctionData({ abi: poolShareAbi, functionName: 'clock' })] }
}

/**
 * The two spaces' strategies and validations, as the hub serves them: what the devnet's vp hooks
 * (hubHooks.ts) compute. The signalling space: `erc20-votes` on the pool share of every chain (one
 * strategy per chain, in the deployment's order; a vote's vp_by_strategy follows it); the upstream
 * space: `erc20-votes` on the DAO token and, where the devnet has Gnosis' DelegateRegistry,
 * `delegation` over the same `erc20-votes` (the pool's Safe delegates its power there to the voting key). Proposal validation `basic`, vote validation `any` (the
 * real hub's defaults: anyone with voting power may vote).
 */
export function spaceSettings(deployment: Deployment): { upstream: Partial<HubSpace>; signals: Partial<HubSpace> } {
  const chains = Object.values(deployment.chains)
  const dao = chains.find((c) => c.dao)
  const common = { validation: { name: 'basic', params: {} }, voteValidation: { name: 'any', params: {} }, plugins: {} }
  return {
    upstream: {
      ...common,
      strategies: dao?.dao
        ? [
            { name: 'erc20-votes', network: String(dao.chainId), params: { address: dao.dao.token, symbol: 'simDAO', decimals: 18 } },
            ...(dao.dao.delegateRegistry
              ? [{ name: 'delegation', network: String(dao.chainId), params: { symbol: 'simDAO (delegated)', strategies: [{ name: 'erc20-votes', params: { address: dao.dao.token, symbol: 'simDAO', decimals: 18 } }] } }]
              : []),
          ]
        : [],
    },
    signals: {
      ...common,
      strategies: chains.map((c) => ({ name: 'erc20-votes', network: String(c.chainId), params: { address: c.poolShare, symbol: 'pwSHARE', decimals: 18 } })),
    },
  }
}

export async function seedGovernance(opts: SeedOptions): Promise<SeedResult> {
  const { deployment, governance: g } = opts
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000))
  const first = Object.values(deployment.chains).find((c) => c.dao) ?? Object.values(deployment.chains)[0]!
  const network = String(first.chainId)
  const admin = devAccount(GOV_ROLES.upstreamAdmin)
  const voter = devAccount(ROLES.voter)

  await post(`${opts.hubUrl}/_devnet/space`, {
    id: g.spaces.upstream, name: 'Upstream DAO', about: 'The upstream DAO the pool holds voting weight in (devnet)', network, symbol: 'simDAO',
    admins: [admin.address], onlyMembers: true, ...spaceSettings(deployment).upstream,
  })
  await post(`${opts.hubUrl}/_devnet/space`, {
    id: g.spaces.signals, name: 'Poolwarden signals', about: "The pool's delegators signal how the pool votes (devnet)", network, symbol: 'pwSHARE',
    admins: [voter.address], onlyMembers: true, ...spaceSettings(deployment).signals,
  })

  const existing = (await post(`${opts.hubUrl}/graphql`, {
    query: 'query($s: String!) { proposals(first: 1000, where: { space: $s }) { id title type start end } }',
    variables: { s: g.spaces.upstream },
  })) as { data: { proposals: { id: string; title: string; type: string; start: number; end: number }[] } }
  const byTitle = new Map(existing.data.proposals.map((p) => [p.title, p]))
  const chain = devnetChain(first)
  const client = createPublicClient({ chain, transport: http(first.url), cacheTime: 0 })
  const snapshotBlock = Number(await client.getBlockNumber())
  const hub = new snapshot.Client712(opts.hubUrl)
  const snapshotProposals: SeededSnapshotProposal[] = []
  const skipped: string[] = []
  for (const p of g.snapshotProposals) {
    const have = byTitle.get(p.title)
    if (have) {
      snapshotProposals.push({ ...have, created: false })
      continue
    }
    const start = opts.t0 + p.start
    const end = start + p.duration
    if (end <= now()) {
      skipped.push(p.title)
      continue
    }
    const receipt = (await hub.proposal(ethersSignerFromViem(admin) as never, admin.address, {
      space: g.spaces.upstream, type: p.type, title: p.title, body: p.body, discussion: '', choices: p.choices, start, end,
      snapshot: snapshotBlock, plugins: '{}', app: 'poolwarden-devnet', timestamp: now(),
    } as never)) as { id: string }
    snapshotProposals.push({ id: receipt.id, title: p.title, type: p.type, start, end, created: true })
  }

  const governorProposals: SeededGovernorProposal[] = []
  if (g.governorProposals.length > 0) {
    const { governor, targets, values, calldatas } = governorProposalActions(deployment)
    const wallet = createWalletClient({ account: devAccount(GOV_ROLES.upstreamAdmin), chain, transport: http(first.url), pollingInterval: 100 })
    for (const p of g.governorProposals) {
      const id = await client.readContract({ address: governor, abi: devnetGovernorAbi, functionName: 'hashProposal', args: [targets, values, calldatas, keccak256(toHex(p.description))] })
      const proposed = (await client.readContract({ address: governor, abi: devnetGovernorAbi, functionName: 'proposalSnapshot', args: [id] })) > 0n
      if (!proposed) {
        const hash = await wallet.writeContract({ address: governor, abi: devnetGovernorAbi, functionName: 'propose', args: [targets, values, calldatas, p.description] })
        const r = await client.waitForTransactionReceipt({ hash, pollingInterval: 100 })
        if (r.status !== 'success') throw new Error(`propose "${p.description}" reverted (tx ${hash})`)
      }
      const state = await client.readContract({ address: governor, abi: devnetGovernorAbi, functionName: 'state', args: [id] })
      governorProposals.push({ id, description: p.description, targets, values, calldatas, state: PROPOSAL_STATES[state]!, created: !proposed })
    }
  }
  return { spaces: g.spaces, snapshotProposals, skipped, governorProposals }
}
