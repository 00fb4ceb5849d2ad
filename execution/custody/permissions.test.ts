import { decodeFunctionData, parseEther, toFunctionSelector, type Address } from 'viem'
import { describe, expect, it } from 'vitest'
import { configSchema, type ConfigInput } from '../../config/schema'
import { chainRole, moveAllowanceKey, PermissionsConfigError, roleOf } from './permissions'
import { wrapRoleCall } from './createRoleSender'
import { custodyWarning } from '.'
import { rolesAbi } from 'zodiac-roles-sdk'

const A = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address
const SAFE = A(0x5afe)
const EXECUTOR = A(0xe1)
const TOKEN = { ethereum: A(0x10), arbitrum: A(0x20) }
const VAULT = A(0x11)
const AAVE = A(0x12)
const BRIDGE = { ethereum: A(0x13), arbitrum: A(0x23) }
const ROUTER = A(0x16)
const ATOKEN = A(0x14)

function config(over: Partial<ConfigInput> = {}) {
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
    venues: [
      { id: 'eth-vault', chain: 'ethereum', kind: 'erc4626', protocol: 'v', address: VAULT },
      { id: 'eth-aave', chain: 'ethereum', kind: 'aave-v3', protocol: 'aave-v3', address: AAVE, dataProvider: AAVE, asset: TOKEN.ethereum, aToken: A(0x14) },
      { id: 'eth-wsteth', chain: 'ethereum', kind: 'lst', protocol: 'lido', address: TOKEN.ethereum, rateMethod: 'stEthPerToken' },
    ],
    wormhole: {
      network: 'Devnet',
      api: 'http://127.0.0.1:7071',
      lstHomeChain: 'ethereum',
      chains: [
        { chain: 'ethereum', wormholeChain: 'Ethereum', wormholeChainId: 2, coreBridge: A(0x15), tokenBridge: BRIDGE.ethereum, lst: TOKEN.ethereum },
        { chain: 'arbitrum', wormholeChain: 'Arbitrum', wormholeChainId: 23, coreBridge: A(0x25), tokenBridge: BRIDGE.arbitrum, lst: TOKEN.arbitrum },
      ],
    },
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
    ...over,
  }
  return configSchema.parse(input)
}

const sel = (sig: string) => toFunctionSelector(`function ${sig}`)
const fns = (r: ReturnType<typeof chainRole>) => r.permissions.map((p) => `${p.targetAddress}:${'signature' in p ? p.signature : ''}`).sort()

describe('chainRole (config → the executor\'s permissions)', () => {
  it('allows the venues only through the slippage router (never their own deposit/withdraw/supply), approve to the router, and the token bridge', () => {
    const r = chainRole(config(), 'ethereum')
    expect(fns(r)).toEqual(
      [
        `${ROUTER}:depositChecked(address,uint256,address,uint256)`,
        `${ROUTER}:withdrawChecked(address,uint256,address,address,uint256)`,
        `${ROUTER}:supplyChecked(address,address,address,uint256,address,uint256)`,
        `${ROUTER}:withdrawSupplyChecked(address,address,address,uint256,address,uint256)`,
        `${BRIDGE.ethereum}:transferTokens(address,uint256,uint16,bytes32,uint256,uint32)`,
        `${BRIDGE.ethereum}:completeTransfer(bytes)`,
        `${TOKEN.ethereum}:approve(address,uint256)`,
        `${VAULT}:approve(address,uint256)`,
        `${ATOKEN}:approve(address,uint256)`,
      ].sort(),
    )
    expect(fns(r).some((f) => f.startsWith(`${VAULT}:deposit`) || f.startsWith(`${AAVE}:`))).toBe(false)
    expect(r.members).toEqual([EXECUTOR])
    expect(r.allowances).toEqual([{ key: moveAllowanceKey('wstETH'), refill: parseEther('300'), maxRefill: parseEther('300'), period: 86_400n, balance: parseEther('300'), timestamp: 0n }])
  })

  it('no function is a wildcard except completeTransfer, and no target allows sending ETH or delegatecall', () => {
    const role = roleOf(chainRole(config(), 'ethereum'))
    for (const t of role.targets) {
      expect(t.clearance).toBe(2) // function-scoped, never the whole target
      expect(t.executionOptions).toBe(0)
      for (const f of t.functions) {
        expect(f.executionOptions).toBe(0)
        expect(f.wildcarded).toBe(f.selector === sel('completeTransfer(bytes)'))
      }
    }
  })

  it('the approve spenders are the router and the bridge; the bridge allows only the other configured chain', () => {
    const r = chainRole(config(), 'ethereum')
    const json = JSON.stringify(roleOf(r).targets, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).toLowerCase()
    for (const spender of [ROUTER, VAULT, AAVE, BRIDGE.ethereum]) expect(json).toContain(spender.slice(2).toLowerCase())
    const tokenApprove = roleOf(r).targets.find((t) => t.address === TOKEN.ethereum.toLowerCase())!.functions[0]!
    const spenders = JSON.stringify(tokenApprove.condition).toLowerCase()
    expect(spenders).toContain(ROUTER.slice(2).toLowerCase())
    expect(spenders).toContain(BRIDGE.ethereum.slice(2).toLowerCase())
    expect(spenders).not.toContain(VAULT.slice(2).toLowerCase())
    expect(spenders).not.toContain(AAVE.slice(2).toLowerCase())
    // recipient = the Safe as bytes32, recipientChain = 23 (arbitrum), not 2 (itself).
    expect(json).toContain(`0x${'0'.repeat(24)}${SAFE.slice(2).toLowerCase()}`)
    expect(json).toContain(`0x${(23).toString(16).padStart(64, '0')}`)
    expect(json).not.toContain(`0x${(2).toString(16).padStart(64, '0')}"`)
  })

  it('a chain without venues and without Wormhole peers gets only the bridge-less role: nothing to call', () => {
    const c = config({ wormhole: undefined })
    expect(fns(chainRole(c, 'arbitrum'))).toEqual([])
  })

  it('refuses a chain with venues but no slippage router, naming the field', () => {
    const c = config()
    const noRouter = { ...c, chains: c.chains.map((x) => ({ ...x, router: undefined })) }
    expect(() => chainRole(noRouter, 'ethereum')).toThrow(/chains\[ethereum\]\.router: missing/)
  })

  it('refuses custody "eoa" and a missing budget with the field named', () => {
    expect(() => chainRole(config({ custody: { kind: 'eoa' } }), 'ethereum')).toThrow(PermissionsConfigError)
    expect(() => chainRole(config({ custody: { kind: 'eoa' } }), 'ethereum')).toThrow(/custody.kind/)
  })
})

describe('wrapRoleCall', () => {
  it('sends the call through execTransactionWithRole as a plain call (operation 0) that reverts on failure', () => {
    const w = wrapRoleCall({ roles: A(0x7001), roleKey: `0x${'ab'.repeat(32)}` }, { to: VAULT, data: '0x12345678', value: 5n })
    expect(w.to).toBe(A(0x7001))
    const d = decodeFunctionData({ abi: rolesAbi, data: w.data })
    expect(d.functionName).toBe('execTransactionWithRole')
    expect(d.args).toEqual([VAULT, 5n, '0x12345678', 0, `0x${'ab'.repeat(32)}`, true])
  })
})

describe('custodyWarning', () => {
  it('warns in eoa mode that approvals are advisory, and not in safe mode', () => {
    expect(custodyWarning(config({ custody: { kind: 'eoa' } }))).toMatch(/approvals are advisory/)
    expect(custodyWarning(config())).toBeUndefined()
  })
})

describe('config: custody section', () => {
  it('defaults to "eoa" (today\'s behaviour)', () => {
    expect(config({ custody: undefined }).custody.kind).toBe('eoa')
  })

  it('safe mode: names each missing or inconsistent field', () => {
    const r = configSchema.safeParse({ ...config(), custody: { kind: 'safe', owners: [A(1)], threshold: 2, executor: SAFE, chains: [{ chain: 'ethereum', roles: A(0x7001) }] } })
    expect(r.success).toBe(false)
    const msgs = r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    expect(msgs).toEqual(
      expect.arrayContaining([
        'custody.threshold: 2 signatures cannot come from 1 owners: lower the threshold or add owners',
        expect.stringMatching(/^custody\.allowance: missing: the move budget/),
        expect.stringMatching(/^custody\.executor: the executor is the pool account itself/),
        'custody.chains: no Roles modifier for chain "arbitrum": add { "chain": "arbitrum", "roles": "0x…" }',
      ]),
    )
  })
})
