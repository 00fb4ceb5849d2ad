import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import snapshot from '@snapshot-labs/snapshot.js'
import { keccak256, recoverTypedDataAddress, toHex, type Address, type Hex } from 'viem'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { VOTING_TYPES } from '../../governance/types'
import { SNAPSHOT_DOMAIN, voteTypesFor, type VoteKind } from '../../governance/verify'
import { ethersSignerFromViem } from '../../governance/viemSigner'
import { useDevnet } from '../../test/devnet'
import { devAccount } from '../accounts'
import { poolShareAbi } from '../abis'
import { loadScenario } from '../scenario'
import { startHub, type SnapshotHub } from '../snapshot/hub'
import { devnetGovernorAbi } from './abis'
import { DEVNET_SPACES, GOV_ROLES } from './constants'
import { createDelegatorActor, delegatorIdentities } from './delegators'
import { hubChainHooks } from './hubHooks'
import { governanceScenarioSchema, type GovernanceScenario } from './scenario'
import { governorProposalActions, seedGovernance } from './seed'

const devnet = useDevnet()
const eth = () => devnet.chain('ethereum')
const dao = devnet.deployment.chains.ethereum!.dao!

/** A hub on a real SQLite file, its clock movable by the test, the chain hooks of this devnet. */
let hub: SnapshotHub
let dir: string
const clock = { t: 0 }
beforeEach(async () => {
  clock.t = Math.floor(Date.now() / 1000)
  dir = mkdtempSync(join(tmpdir(), 'gov-devnet-'))
  hub = await startHub({ dbPath: join(dir, 'hub.sqlite'), now: () => clock.t, devnetApi: true, ...hubChainHooks(devnet.deployment, DEVNET_SPACES) })
})
afterEach(async () => {
  await hub.close()
  rmSync(dir, { recursive: true, force: true })
})

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(hub.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })
  return ((await res.json()) as { data: T }).data
}

describe('delegators: pool shares on several chains', () => {
  it('every holder (EOAs and the EIP-1271 wallet) has its self-delegated shares at one snapshot timestamp on every chain', async () => {
    const chains = devnet.allChains()
    // One instant on all chains, after the deployment: set it as the next block's time everywhere, then move past it.
    const latest = await Promise.all(chains.map(async (c) => Number((await c.public.getBlock()).timestamp)))
    const t = Math.max(...latest) + 10
    for (const c of chains) {
      await c.test.setNextBlockTimestamp({ timestamp: BigInt(t) })
      await c.test.mine({ blocks: 2, interval: 1 })
    }
    const holders = new Set(Object.values(devnet.deployment.chains).flatMap((c) => Object.keys(c.shareHolders)))
    const onChains = new Map<string, bigint[]>()
    for (const holder of holders) {
      const amounts: bigint[] = []
      for (const c of chains) {
        const token = devnet.deployment.chains[c.name]!.poolShare
        const past = await c.public.readContract({ address: token, abi: poolShareAbi, functionName: 'getPastVotes', args: [holder as Address, BigInt(t)] })
        expect(past, `${holder} on ${c.name}`).toBe(BigInt(devnet.deployment.chains[c.name]!.shareHolders[holder as Address] ?? '0'))
        amounts.push(past)
      }
      onChains.set(holder, amounts)
    }
    // Several delegators hold on several chains, with different amounts.
    const multi = [...onChains.entries()].filter(([, a]) => a.filter((x) => x > 0n).length >= 2)
    expect(multi.length).toBeGreaterThanOrEqual(3)
    expect(multi.every(([, a]) => new Set(a.filter((x) => x > 0n)).size >= 2)).toBe(true)
    // The wallet: one address, shares on ethereum and arbitrum, none on base.
    const wallet = devnet.deployment.contractDelegators![0]!
    expect(wallet.chains).toEqual(['ethereum', 'arbitrum'])
    expect(onChains.get(wallet.address)).toEqual([180n * 10n ** 18n, 90n * 10n ** 18n, 0n])
  })

  it('the wallet answers EIP-1271 for its owner\'s signature only', async () => {
    const wallet = devnet.deployment.contractDelegators![0]!
    const hash = keccak256(toHex('a snapshot message'))
    const hooks = hubChainHooks(devnet.deployment, DEVNET_SPACES)
    const owner = devAccount(GOV_ROLES.walletOwner)
    expect(wallet.owner).toBe(owner.address)
    const ownerSig = await owner.sign({ hash })
    const otherSig = await devAccount(2).sign({ hash })
    expect(await hooks.contractSignature({ network: '31337', address: wallet.address, hash, sig: ownerSig })).toBe(true)
    expect(await hooks.contractSignature({ network: '31338', address: wallet.address, hash, sig: ownerSig })).toBe(true)
    expect(await hooks.contractSignature({ network: '31337', address: wallet.address, hash, sig: otherSig })).toBe(false)
    // No code on base: not a contract there.
    expect(await hooks.contractSignature({ network: '31339', address: wallet.address, hash, sig: ownerSig })).toBeUndefined()
  })
})

describe('scenario seeding', () => {
  it('creates both spaces, an upstream Snapshot proposal of every voting type at the scenario times, and the on-chain proposals; again: nothing new', async () => {
    const gov = (await loadScenario('calm')).governance!
    const t0 = clock.t - 5
    const seeded = await seedGovernance({ hubUrl: hub.url, deployment: devnet.deployment, governance: gov, t0, now: () => clock.t })
    expect(new Set(seeded.snapshotProposals.map((p) => p.type))).toEqual(new Set(VOTING_TYPES))
    expect(seeded.snapshotProposals.every((p) => p.created)).toBe(true)
    for (const [i, p] of gov.snapshotProposals.entries()) {
      expect(seeded.snapshotProposals[i]).toMatchObject({ title: p.title, type: p.type, start: t0 + p.start, end: t0 + p.start + p.duration })
    }
    const data = await gql<{ up: { admins: string[]; network: string }; sig: { admins: string[] }; proposals: { id: string; type: string; author: string; state: string }[] }>(
      `{ up: space(id: "${DEVNET_SPACES.upstream}") { admins network } sig: space(id: "${DEVNET_SPACES.signals}") { admins }
         proposals(first: 100, where: { space: "${DEVNET_SPACES.upstream}" }) { id type author state } }`,
    )
    expect(data.up).toEqual({ admins: [devAccount(GOV_ROLES.upstreamAdmin).address], network: '31337' })
    expect(data.sig.admins).toEqual([devnet.deployment.accounts.voter])
    expect(data.proposals.map((p) => p.id).sort()).toEqual(seeded.snapshotProposals.map((p) => p.id).sort())
    expect(new Set(data.proposals.map((p) => p.author))).toEqual(new Set([devAccount(GOV_ROLES.upstreamAdmin).address]))
    expect(data.proposals.filter((p) => p.state === 'active').length).toBe(2) // the two with start 0

    expect(seeded.governorProposals.map((p) => [p.description, p.state, p.created])).toEqual(gov.governorProposals.map((p) => [p.description, 'Pending', true]))
    const { targets, values, calldatas } = governorProposalActions(devnet.deployment)
    for (const p of seeded.governorProposals) {
      expect(await eth().public.readContract({ address: dao.governor, abi: devnetGovernorAbi, functionName: 'proposalProposer', args: [p.id] })).toBe(devAccount(GOV_ROLES.upstreamAdmin).address)
      expect(p.id).toBe(await eth().public.readContract({ address: dao.governor, abi: devnetGovernorAbi, functionName: 'hashProposal', args: [targets, values, calldatas, keccak256(toHex(p.description))] }))
    }

    const again = await seedGovernance({ hubUrl: hub.url, deployment: devnet.deployment, governance: gov, t0, now: () => clock.t })
    expect(again.snapshotProposals.map((p) => [p.id, p.created])).toEqual(seeded.snapshotProposals.map((p) => [p.id, false]))
    expect(again.governorProposals.map((p) => [p.id, p.created])).toEqual(seeded.governorProposals.map((p) => [p.id, false]))
  })

  it('the on-chain proposal reaches Active after the voting delay, for the voting period', async () => {
    const gov = governanceScenarioSchema.parse({ governorProposals: [{ description: 'DIP-test: reach Active' }] })
    const [p] = (await seedGovernance({ hubUrl: hub.url, deployment: devnet.deployment, governance: gov, t0: clock.t })).governorProposals
    const state = () => eth().public.readContract({ address: dao.governor, abi: devnetGovernorAbi, functionName: 'state', args: [p!.id] })
    expect(await state()).toBe(0) // Pending
    await devnet.mine('ethereum', dao.votingDelay + 1)
    expect(await state()).toBe(1) // Active
    const [snap, deadline] = await Promise.all([
      eth().public.readContract({ address: dao.governor, abi: devnetGovernorAbi, functionName: 'proposalSnapshot', args: [p!.id] }),
      eth().public.readContract({ address: dao.governor, abi: devnetGovernorAbi, functionName: 'proposalDeadline', args: [p!.id] }),
    ])
    expect(deadline - snap).toBe(BigInt(dao.votingPeriod))
  })

  it('refuses a scenario whose basic proposal has 4 choices or whose titles repeat', async () => {
    const { parseScenario } = await import('../market')
    const base = { name: 'x', seed: 1 }
    const p = { title: 'same', type: 'basic', choices: ['a', 'b', 'c', 'd'], duration: 60 }
    expect(() => parseScenario({ ...base, governance: { snapshotProposals: [p, { ...p, choices: ['a', 'b'] }] } })).toThrow(
      /snapshotProposals\.0\.choices: a basic proposal has 2 or 3 choices\nscenario: governance\.snapshotProposals\.1\.title: "same" is used twice/,
    )
    expect(() => parseScenario({ ...base, governance: { snapshotProposals: [{ ...p, type: 'copeland' }] } })).toThrow(/governance\.snapshotProposals\.0\.type/)
  })
})

describe('the delegator actor', () => {
  it('delegators (EOAs and the EIP-1271 wallet) sign and land votes over time; revotes replace; bad inputs are refused', async () => {
    const empty: GovernanceScenario = governanceScenarioSchema.parse({})
    await seedGovernance({ hubUrl: hub.url, deployment: devnet.deployment, governance: empty, t0: clock.t, now: () => clock.t })
    // Signalling proposals as the governor agent makes them: signed by its voting key, space admin.
    const pool = devnet.accounts.voter
    const snapshotBlock = Number(await eth().public.getBlockNumber())
    const T = clock.t
    const proposals: { id: string; type: string; choices: string[] }[] = []
    for (const [type, choices] of [['weighted', ['a', 'b', 'c']], ['approval', ['a', 'b', 'c', 'd']], ['ranked-choice', ['x', 'y', 'z']], ['basic', ['For', 'Against', 'Abstain']]] as const) {
      const r = (await new snapshot.Client712(hub.url).proposal(ethersSignerFromViem(pool) as never, pool.address, {
        space: DEVNET_SPACES.signals, type, title: `signal ${type}`, body: '', discussion: '', choices: [...choices], start: T, end: T + 120,
        snapshot: snapshotBlock, plugins: '{}', app: 'poolwarden', timestamp: T,
      } as never)) as { id: string }
      proposals.push({ id: r.id, type, choices: [...choices] })
    }
    const config = governanceScenarioSchema.parse({
      delegators: { seed: 7, voteAfter: [2, 20], silentShare: 0.2, revote: { share: 0.6, after: [10, 40] } },
    }).delegators
    const delegators = delegatorIdentities(devnet.deployment, config.accounts)
    const actor = createDelegatorActor({ sequencerUrl: hub.url, graphqlUrl: hub.graphqlUrl, space: DEVNET_SPACES.signals, delegators, config, now: () => clock.t })
    for (clock.t = T; clock.t <= T + 130; clock.t++) await actor.tick()

    let revotes = 0
    let silent = 0
    for (const p of proposals) {
      const plan = actor.planFor({ ...p, start: T, end: T + 120 })
      const stored = await hub.listVotes(p.id)
      for (const d of delegators) {
        const mine = plan.filter((a) => a.delegator.address === d.address && (a.action === 'vote' || a.action === 'revote'))
        const vote = stored.find((v) => v.voter.toLowerCase() === d.address.toLowerCase())
        if (mine.length === 0) {
          silent++
          expect(vote, `${d.label} is silent on ${p.type}`).toBeUndefined()
          continue
        }
        const last = mine.at(-1)!
        revotes += mine.length - 1
        expect(vote, `${d.label} on ${p.type}`).toMatchObject({ choice: last.choice, created: last.at })
      }
      // Every valid vote and revote was accepted; the invalid choice and the late vote refused.
      const evs = actor.events.filter((e) => e.proposal === p.id)
      expect(evs.filter((e) => e.action === 'vote' || e.action === 'revote').every((e) => e.ok)).toBe(true)
      expect(evs.filter((e) => e.action === 'invalid-choice').map((e) => e.error)).toEqual(['invalid choice'])
      expect(evs.filter((e) => e.action === 'late').map((e) => e.error)).toEqual(['not in voting window'])
    }
    expect(revotes).toBeGreaterThan(0)
    expect(silent).toBeGreaterThan(0)

    // The wallet's votes are the owner's signatures for the wallet's address (EIP-1271 on the hub).
    const wallet = devnet.deployment.contractDelegators![0]!.address
    const walletVotes = (await Promise.all(proposals.map((p) => hub.listVotes(p.id)))).flat().filter((v) => v.voter.toLowerCase() === wallet.toLowerCase())
    expect(walletVotes.length).toBeGreaterThan(0)
    for (const v of walletVotes) {
      const env = (await hub.getEnvelope(v.ipfs)) as { address: string; sig: Hex; data: { types: { Vote: unknown }; message: Record<string, unknown> } }
      expect(env.address).toBe(wallet)
      const kind = (['vote', 'vote-array', 'vote-string'] as VoteKind[]).find((k) => JSON.stringify(voteTypesFor(k).Vote) === JSON.stringify(env.data.types.Vote))!
      const signer = await recoverTypedDataAddress({ domain: SNAPSHOT_DOMAIN, types: voteTypesFor(kind), primaryType: 'Vote', message: env.data.message as never, signature: env.sig })
      expect(signer).toBe(devAccount(GOV_ROLES.walletOwner).address)
    }

    // A non-holder has no voting power in the signalling space (vp from the chains).
    const stranger = devAccount(7)
    clock.t = T + 60
    const refused = await new snapshot.Client712(hub.url)
      .vote(ethersSignerFromViem(stranger) as never, stranger.address, { space: DEVNET_SPACES.signals, proposal: proposals[3]!.id, type: 'basic', choice: 1, timestamp: T + 60 } as never)
      .then(() => 'accepted', (e: unknown) => e)
    expect(refused).toEqual({ error: 'client_error', error_description: 'no voting power' })
  })

  it('a restarted actor does not vote again for what the hub already has', async () => {
    await seedGovernance({ hubUrl: hub.url, deployment: devnet.deployment, governance: governanceScenarioSchema.parse({}), t0: clock.t, now: () => clock.t })
    const pool = devnet.accounts.voter
    const T = clock.t
    const { id } = (await new snapshot.Client712(hub.url).proposal(ethersSignerFromViem(pool) as never, pool.address, {
      space: DEVNET_SPACES.signals, type: 'single-choice', title: 'restart', body: '', discussion: '', choices: ['a', 'b'], start: T, end: T + 300,
      snapshot: Number(await eth().public.getBlockNumber()), plugins: '{}', app: 'poolwarden', timestamp: T,
    } as never)) as { id: string }
    const config = governanceScenarioSchema.parse({ delegators: { seed: 3, voteAfter: [1, 5], silentShare: 0, revote: { share: 0 }, bad: { invalidChoice: false, late: false } } }).delegators
    const delegators = delegatorIdentities(devnet.deployment, config.accounts)
    const first = createDelegatorActor({ sequencerUrl: hub.url, graphqlUrl: hub.graphqlUrl, space: DEVNET_SPACES.signals, delegators, config, now: () => clock.t })
    for (clock.t = T; clock.t <= T + 10; clock.t++) await first.tick()
    const before = await hub.listVotes(id)
    expect(before).toHaveLength(delegators.length)
    const second = createDelegatorActor({ sequencerUrl: hub.url, graphqlUrl: hub.graphqlUrl, space: DEVNET_SPACES.signals, delegators, config, now: () => clock.t })
    for (let i = 0; i < 5; i++, clock.t++) await second.tick()
    expect(second.events).toEqual([])
    expect(await hub.listVotes(id)).toEqual(before)
  })
})
