import snapshot from '@snapshot-labs/snapshot.js'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { mulberry32 } from '../../core/random'
import { VOTING_TYPES } from '../../governance/types'
import { ethersSignerFromViem } from '../../governance/viemSigner'
import { ANVIL_KEYS } from '../accounts'
import { loadScenario } from '../scenario'
import { createDelegatorActor, invalidChoice, randomChoice, type DelegatorIdentity } from './delegators'
import { governanceScenarioSchema } from './scenario'

const isValid = (type: string, choice: unknown, n: number) =>
  (snapshot.utils.voting[type as 'basic'] as unknown as { isValidChoice(c: unknown, choices: string[]): boolean }).isValidChoice(
    choice,
    Array.from({ length: n }, (_, i) => `c${i + 1}`),
  )

describe('delegator choices', () => {
  it('randomChoice is valid for every type by snapshot.js isValidChoice; invalidChoice never is', () => {
    const rng = mulberry32(42)
    for (const type of VOTING_TYPES) {
      for (const n of type === 'basic' ? [2, 3] : [1, 2, 3, 5]) {
        for (let i = 0; i < 200; i++) expect(isValid(type, randomChoice(type, n, rng), n), `${type} n=${n}`).toBe(true)
        expect(isValid(type, invalidChoice(type, n), n), `invalid ${type} n=${n}`).toBe(false)
      }
    }
  })
})

describe('delegator plan', () => {
  const delegators: DelegatorIdentity[] = [2, 3, 4, 5, 6, 7].map((i) => {
    const a = privateKeyToAccount(ANVIL_KEYS[i]!)
    return { label: `#${i}`, address: a.address, signer: ethersSignerFromViem(a) }
  })
  const config = governanceScenarioSchema.parse({ delegators: { seed: 11, voteAfter: [5, 30], silentShare: 0.3, revote: { share: 0.5, after: [20, 60] } } }).delegators
  const actor = (c = config) => createDelegatorActor({ sequencerUrl: 'http://127.0.0.1:1', graphqlUrl: 'http://127.0.0.1:1/graphql', space: 's', delegators, config: c })
  const p = { id: '0xabc', type: 'approval', choices: ['a', 'b', 'c'], start: 1_800_000_000, end: 1_800_000_300 }

  it('is deterministic from the seed, inside the window, with one invalid choice and one late vote', () => {
    const plan = actor().planFor(p)
    expect(actor().planFor(p)).toEqual(plan)
    const other = actor({ ...config, seed: 12 }).planFor(p)
    expect(other.map((a) => [a.at, a.choice])).not.toEqual(plan.map((a) => [a.at, a.choice]))
    for (const a of plan.filter((x) => x.action === 'vote' || x.action === 'revote')) {
      expect(a.at).toBeGreaterThanOrEqual(p.start)
      expect(a.at).toBeLessThan(p.end)
      expect(isValid(p.type, a.choice, 3)).toBe(true)
    }
    expect(plan.filter((a) => a.action === 'invalid-choice')).toHaveLength(1)
    expect(plan.filter((a) => a.action === 'late').map((a) => a.at)).toEqual([p.end + 2])
    // A revote comes after its vote, with another choice.
    for (const r of plan.filter((a) => a.action === 'revote')) {
      const v = plan.find((a) => a.action === 'vote' && a.delegator === r.delegator)!
      expect(r.at).toBeGreaterThan(v.at)
      expect(r.choice).not.toEqual(v.choice)
    }
    expect(plan.map((a) => a.at)).toEqual([...plan.map((a) => a.at)].sort((x, y) => x - y))
  })

  it('silentShare 1 plans no votes; share 0 plans one vote per delegator', () => {
    const none = actor({ ...config, silentShare: 1 }).planFor(p)
    expect(none.filter((a) => a.action === 'vote')).toEqual([])
    const all = actor({ ...config, silentShare: 0 }).planFor(p)
    expect(new Set(all.filter((a) => a.action === 'vote').map((a) => a.delegator.address))).toEqual(new Set(delegators.map((d) => d.address)))
  })

  it('the bundled scenarios have a governance world: every voting type and on-chain proposals', async () => {
    for (const name of ['calm', 'stress']) {
      const g = (await loadScenario(name)).governance!
      expect(new Set(g.snapshotProposals.map((x) => x.type))).toEqual(new Set(VOTING_TYPES))
      expect(g.governorProposals.length).toBeGreaterThan(0)
      expect(g.delegators.accounts).toContain('wallet1271')
    }
  })
})
