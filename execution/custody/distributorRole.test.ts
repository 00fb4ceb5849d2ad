import { parseEther, toFunctionSelector, type Address } from 'viem'
import { encodeKey } from 'zodiac-roles-sdk'
import { describe, expect, it } from 'vitest'
import { configSchema, type ConfigInput } from '../../config/schema'
import { distributorRole, rewardsAllowanceKey } from './distributorRole'
import { chainRole, roleOf } from './permissions'
import { chainRoles } from './roles'

/** The distributor's own role (config → permissions), beside the executor's; pure. */
const A = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address
const SAFE = A(0x5afe)
const EXECUTOR = A(0xe1)
const DISTRIBUTOR_KEY = A(0xd7)
const DISTRIBUTOR = A(0xd1)
const TOKEN = { ethereum: A(0x10), arbitrum: A(0x20) }
const ROUTER = A(0x16)

function config(rewards: Partial<NonNullable<ConfigInput['rewards']>> = {}, over: Partial<ConfigInput> = {}) {
  const input: ConfigInput = {
    chains: [
      { name: 'ethereum', chainId: 1, rpc: [{ url: 'http://127.0.0.1:1/' }], router: ROUTER },
      { name: 'arbitrum', chainId: 42161, rpc: [{ url: 'http://127.0.0.1:2/' }] },
    ],
    pool: {
      account: SAFE,
      collateral: [
        { chain: 'ethereum', symbol: 'wstETH', token: TOKEN.ethereum, decimals: 18 },
        { chain: 'arbitrum', symbol: 'wstETH', token: TOKEN.arbitrum, decimals: 18 },
      ],
    },
    venues: [{ id: 'eth-vault', chain: 'ethereum', kind: 'erc4626', protocol: 'v', address: A(0x11) }],
    custody: {
      kind: 'safe',
      owners: [A(0xa1), A(0xb2), A(0xc3)],
      threshold: 2,
      executor: EXECUTOR,
      chains: [
        { chain: 'ethereum', roles: A(0x7001) },
        { chain: 'arbitrum', roles: A(0x7002) },
      ],
      allowance: { amount: 300, periodSeconds: 86_400 },
    },
    rewards: { chain: 'ethereum', distributor: DISTRIBUTOR, feeRecipient: A(0xfee), epochSeconds: 604_800, signer: { account: DISTRIBUTOR_KEY }, ...rewards },
    ...over,
  }
  return configSchema.parse(input)
}

const sel = (sig: string) => toFunctionSelector(`function ${sig}`)

describe('distributorRole (config → the distributor\'s own role)', () => {
  it('on the claims chain: setRoot on the configured distributor and collateral.transfer to it within its own allowance — nothing else; its key the only member', () => {
    const r = distributorRole(config({ fundingAllowance: { amount: 40 } }), 'ethereum')!
    expect(r.roleKey).toBe(encodeKey('poolwarden-distributor'))
    expect(r.members).toEqual([DISTRIBUTOR_KEY])
    const role = roleOf(r)
    expect(role.targets.map((t) => [t.address, t.clearance, t.executionOptions, t.functions.map((f) => [f.selector, f.wildcarded, f.executionOptions])])).toEqual([
      [DISTRIBUTOR, 2, 0, [[sel('setRoot(uint256,bytes32)'), true, 0]]],
      [TOKEN.ethereum, 2, 0, [[sel('transfer(address,uint256)'), false, 0]]],
    ])
    // The transfer's condition: recipient = the distributor (the address as a 32-byte word), amount within the allowance.
    const cond = JSON.stringify(role.targets[1]!.functions[0]!.condition).toLowerCase()
    expect(cond).toContain(`0x${'0'.repeat(24)}${DISTRIBUTOR.slice(2)}`)
    expect(cond).toContain(rewardsAllowanceKey('wstETH').slice(2))
    // 40 whole tokens per epoch (the period defaults to the epoch: one funding per epoch).
    expect(r.allowances).toEqual([{ key: rewardsAllowanceKey('wstETH'), refill: parseEther('40'), maxRefill: parseEther('40'), period: 604_800n, balance: parseEther('40'), timestamp: 0n }])
  })

  it('a configured period wins over the epoch default', () => {
    expect(distributorRole(config({ fundingAllowance: { amount: 40, periodSeconds: 3_600 } }), 'ethereum')!.allowances[0]!.period).toBe(3_600n)
  })

  it('on another chain the role is empty (so a diff there revokes what a former config left)', () => {
    expect(distributorRole(config(), 'arbitrum')).toEqual({ chain: 'arbitrum', roleKey: encodeKey('poolwarden-distributor'), members: [], permissions: [], allowances: [] })
  })

  it('no rewards section: no distributor role', () => {
    expect(distributorRole(config({}, { rewards: undefined }), 'ethereum')).toBeUndefined()
    expect(chainRoles(config({}, { rewards: undefined }), 'ethereum')).toHaveLength(1)
  })

  it('the executor\'s role holds none of it and the distributor\'s key is not its member; the two roles have different keys', () => {
    const c = config()
    const [executor, distributor] = chainRoles(c, 'ethereum')
    const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
    expect(json(roleOf(executor!))).toBe(json(roleOf(chainRole(c, 'ethereum'))))
    expect(executor!.members).toEqual([EXECUTOR])
    const targets = roleOf(executor!).targets
    expect(targets.some((t) => t.address === DISTRIBUTOR)).toBe(false)
    expect(targets.flatMap((t) => t.functions.map((f) => f.selector))).not.toContain(sel('transfer(address,uint256)'))
    expect(executor!.allowances.map((a) => a.key)).not.toContain(rewardsAllowanceKey('wstETH'))
    expect(distributor!.roleKey).not.toBe(executor!.roleKey)
  })

  it('config: the distributor\'s role key may not be the executor\'s; the distributor\'s key may not be the executor\'s', () => {
    const r = configSchema.safeParse({ ...config(), rewards: { ...config().rewards, roleKey: 'poolwarden-executor' } })
    expect(r.success).toBe(false)
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContain('rewards.roleKey: "poolwarden-executor" is the executor\'s role (custody.roleKey): give the distributor a role of its own, e.g. "poolwarden-distributor"')
    expect(() => distributorRole(config({ signer: { account: EXECUTOR } }), 'ethereum')).toThrow(/rewards\.signer\.account: .* is the executor's key/)
  })
})
