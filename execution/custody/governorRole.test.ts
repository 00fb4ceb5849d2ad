import { toFunctionSelector, type Address } from 'viem'
import { describe, expect, it } from 'vitest'
import { encodeKey } from 'zodiac-roles-sdk'
import { configSchema, type ConfigInput } from '../../config/schema'
import { governorRole, PermissionsConfigError, roleOf } from './permissions'
import { chainRoles } from './roles'

const A = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address
const SAFE = A(0x5afe)
const EXECUTOR = A(0xe1)
const VOTER = A(0xf0)
const GOV1 = A(0x6001)
const GOV2 = A(0x6002)
const GOV_ARB = A(0x6003)

function config(over: { governance?: Record<string, unknown>; custody?: Record<string, unknown> } = {}) {
  const input = {
    chains: [
      { name: 'ethereum', chainId: 1, rpc: [{ url: 'http://127.0.0.1:1/' }] },
      { name: 'arbitrum', chainId: 42161, rpc: [{ url: 'http://127.0.0.1:2/' }] },
      { name: 'base', chainId: 8453, rpc: [{ url: 'http://127.0.0.1:3/' }] },
    ],
    pool: {
      account: SAFE,
      collateral: ['ethereum', 'arbitrum', 'base'].map((chain, i) => ({ chain, symbol: 'wstETH', token: A(0x10 + i), decimals: 18 })),
    },
    venues: [],
    custody: {
      kind: 'safe',
      owners: [A(0xa1), A(0xb2), A(0xc3)],
      threshold: 2,
      executor: EXECUTOR,
      chains: [
        { chain: 'ethereum', roles: A(0x7001) },
        { chain: 'arbitrum', roles: A(0x7002) },
        { chain: 'base', roles: A(0x7003) },
      ],
      allowance: { amount: 300 },
      ...over.custody,
    },
    governance: {
      voter: { account: VOTER },
      upstream: {
        governors: [
          { chain: 'ethereum', address: GOV1 },
          { chain: 'ethereum', address: GOV2 },
          { chain: 'arbitrum', address: GOV_ARB },
        ],
      },
      ...over.governance,
    },
  } as unknown as ConfigInput
  return configSchema.parse(input)
}

const sel = (sig: string) => toFunctionSelector(`function ${sig}`)
const VOTES = ['castVote(uint256,uint8)', 'castVoteWithReason(uint256,uint8,string)', 'castVoteWithReasonAndParams(uint256,uint8,string,bytes)']

describe('governorRole (config → the governor\'s permissions)', () => {
  it('lets only the voting key call only the vote functions, on only the configured Governors of the chain', () => {
    const r = governorRole(config(), 'ethereum')!
    expect(r.roleKey).toBe(encodeKey('poolwarden-governor'))
    expect(r.members).toEqual([VOTER.toLowerCase()])
    expect(r.allowances).toEqual([])
    const role = roleOf(r)
    // Two targets (the chain's two Governors, not arbitrum's), each scoped to the three cast functions
    // as plain calls: no condition, no ETH, no delegatecall (execution options 0).
    expect(role.targets.map((t) => t.address).sort()).toEqual([GOV1.toLowerCase(), GOV2.toLowerCase()])
    for (const t of role.targets) {
      expect(t.clearance).toBe(2)
      expect(t.executionOptions).toBe(0)
      expect(t.functions.map((f) => f.selector).sort()).toEqual(VOTES.map(sel).sort())
      for (const f of t.functions) expect(f).toMatchObject({ wildcarded: true, executionOptions: 0 })
    }
    // Not a token function: transfer, delegate, approve are absent.
    const selectors = role.targets.flatMap((t) => t.functions.map((f) => f.selector))
    for (const s of ['transfer(address,uint256)', 'delegate(address)', 'approve(address,uint256)', 'castVoteBySig(uint256,uint8,address,bytes)']) expect(selectors).not.toContain(sel(s))
  })

  it('arbitrum gets its own Governor only; a chain without Governors gets no governor role', () => {
    expect(roleOf(governorRole(config(), 'arbitrum')!).targets.map((t) => t.address)).toEqual([GOV_ARB.toLowerCase()])
    expect(governorRole(config(), 'base')).toBeUndefined()
  })

  it('chainRoles: the executor\'s role first, then the governor\'s where the chain has a Governor; separate keys and members', () => {
    const eth = chainRoles(config(), 'ethereum')
    expect(eth.map((r) => r.roleKey)).toEqual([encodeKey('poolwarden-executor'), encodeKey('poolwarden-governor')])
    expect(eth.map((r) => r.members)).toEqual([[EXECUTOR.toLowerCase()], [VOTER.toLowerCase()]])
    expect(chainRoles(config(), 'base').map((r) => r.roleKey)).toEqual([encodeKey('poolwarden-executor')])
  })

  it('names the field: no voting address, the executor\'s role key, the executor\'s address, custody "eoa"', () => {
    // (the config schema refuses it too, below; governorRole also guards a config built in code)
    const c = config()
    const noAccount = { ...c, governance: { ...c.governance, voter: { ...c.governance.voter, account: undefined } } }
    expect(() => governorRole(noAccount, 'ethereum')).toThrow(/^governance\.voter\.account: missing/)
    expect(() => governorRole(config({ governance: { voter: { account: VOTER, roleKey: 'poolwarden-executor' } } }), 'ethereum')).toThrow(/^governance\.voter\.roleKey: "poolwarden-executor" is the executor's role/)
    expect(() => governorRole(config({ governance: { voter: { account: EXECUTOR } } }), 'ethereum')).toThrow(/^governance\.voter\.account: the executor's address/)
    expect(() => governorRole(config({ custody: { kind: 'eoa' } }), 'ethereum')).toThrow(PermissionsConfigError)
  })

  it('config: custody "safe" with upstream Governors needs the voting key\'s address, named', () => {
    const r = configSchema.safeParse({ ...config(), governance: { ...config().governance, voter: { keyEnv: 'POOLWARDEN_VOTER_KEY' } } })
    expect(r.success).toBe(false)
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContainEqual(expect.stringMatching(/^governance\.voter\.account: missing: in custody "safe" the voting key's address is the member of the governor's Roles role/))
    // Without Governors (Snapshot only) there is no role, so no address is needed.
    expect(configSchema.safeParse({ ...config(), governance: { voter: {}, upstream: { spaces: ['x.eth'], governors: [] } } }).success).toBe(true)
  })

  it('refuses a role key that is not lower-case letters, digits and dashes', () => {
    const r = configSchema.safeParse({ ...config(), governance: { voter: { account: VOTER, roleKey: 'Governor Role' } } })
    expect(r.success).toBe(false)
    expect(r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')).toMatch(/governance\.voter\.roleKey: lower-case letters/)
  })
})
