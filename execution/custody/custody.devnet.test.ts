import { BaseError, ContractFunctionRevertedError, encodeFunctionData, erc20Abi, getAddress, maxUint256, pad, parseEther, type Abi, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { rolesAbi } from 'zodiac-roles-sdk'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ChainClient } from '../../chains/createChainClient'
import { devAccount, devKey, ROLES } from '../../devnet/accounts'
import { compileContracts } from '../../devnet/compile'
import { ChainSession, type ChainDeployment } from '../../devnet/deploy'
import { startLocalDevnet, type LocalDevnet } from '../../devnet/local'
import { safeAbi } from '../../devnet/safe/deploySafe'
import { DEVNET_MOVE_BUDGET } from '../../devnet/safe/setUpCustody'
import { openTempStore } from '../../store/testing'
import type { Store } from '../../store'
import { aavePoolAbi, erc4626Abi } from '../../venues/abis'
import { createTxSender, type TxSender } from '../createTxSender'
import { slippageRouterAbi } from '../abis'
import { executePlan } from '../executePlan'
import { readPosition } from '../readPosition'
import { chainClient, silentLogger } from '../testing/devnetHelpers'
import { createTestPlan } from '../testing/plans'
import { custodySenders, roleKeyOf } from '.'
import { applyCustodyDiff } from './applyDiff'
import { describeDiff, diffChainCustody } from './diffRole'
import { configSchema, type ConfigInput } from '../../config/schema'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGuardian } from '../../devnet/wormhole/guardian'
import { createSdkBridgePort } from '../bridgeSdk'
import { createBridgePlan } from '../testing/bridgeDevnet'
import { devnetSigningKeys } from '../../devnet/safe/setUpCustody'

/**
 * Custody "safe" on a devnet of its own (the shared test devnet runs custody "eoa"): the pool's
 * Safe v1.4.1 and the Zodiac Roles v2 modifier from real bytecode, the role generated from the
 * config. Every escape below is sent ON CHAIN by the executor's key (after the pre-flight call
 * shows the Roles modifier's refusal) and must be mined reverted with nothing moved.
 */

let d: LocalDevnet
let store: Store
let cleanup: () => Promise<void>
const snapshots = new Map<string, Hex>()
const CHAIN = 'ethereum'
const executor = devAccount(ROLES.pool)
const outsider = getAddress('0x000000000000000000000000000000000000dEaD')

/** Roles v2 `Status` of ConditionViolation (contracts/Types.sol). */
const STATUS = [
  'Ok', 'DelegateCallNotAllowed', 'TargetAddressNotAllowed', 'FunctionNotAllowed', 'SendNotAllowed', 'OrViolation', 'NorViolation',
  'ParameterNotAllowed', 'ParameterLessThanAllowed', 'ParameterGreaterThanAllowed', 'ParameterNotAMatch', 'NotEveryArrayElementPasses',
  'NoArrayElementPasses', 'ParameterNotSubsetOfAllowed', 'BitmaskOverflow', 'BitmaskNotAllowed', 'CustomConditionViolation',
  'AllowanceExceeded', 'CallAllowanceExceeded', 'EtherAllowanceExceeded',
] as const

beforeAll(async () => {
  const base = Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 40
  d = await startLocalDevnet({ basePort: base, custody: 'safe' })
}, 300_000)
afterAll(async () => {
  await d?.stop()
})
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  for (const c of d.config.chains) snapshots.set(c.name, await session(c.name).rpc<Hex>('evm_snapshot'))
})
afterEach(async () => {
  await cleanup()
  for (const c of d.config.chains) await session(c.name).rpc('evm_revert', [snapshots.get(c.name)])
})

const sessions = new Map<string, ChainSession>()
function session(name: string): ChainSession {
  let s = sessions.get(name)
  if (!s) {
    const c = d.deployment.chains[name]!
    s = new ChainSession({ name, chainId: c.chainId, url: c.url })
    sessions.set(name, s)
  }
  return s
}
const dep = (name = CHAIN): ChainDeployment => d.deployment.chains[name]!
const safe = () => d.deployment.custody!.safe
const roles = () => d.deployment.custody!.roles
const venue = (id: string) => d.config.venues.find((v) => v.id === id)!
const balance = (token: Address, who: Address, chain = CHAIN) => session(chain).public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [who] })

/** What `execTransactionWithRole` from the executor does: the pre-flight refusal (Status name) or 'ok'. */
async function simulateRole(call: { to: Address; data: Hex; operation?: 0 | 1 }, chain = CHAIN): Promise<string> {
  try {
    await session(chain).public.simulateContract({
      account: executor,
      address: roles(),
      abi: rolesAbi,
      functionName: 'execTransactionWithRole',
      args: [call.to, 0n, call.data, call.operation ?? 0, roleKeyOf(d.config), true],
    })
    return 'ok'
  } catch (err) {
    const rev = err instanceof BaseError ? (err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null) : null
    if (rev?.data?.errorName === 'ConditionViolation') return STATUS[Number(rev.data.args?.[0])] ?? `status ${String(rev.data.args?.[0])}`
    return rev?.data?.errorName ?? `unknown: ${(err as Error).message.split('\n')[0]}`
  }
}

/** Sends it anyway (fixed gas: no estimate) and returns the receipt status. */
async function sendRole(call: { to: Address; data: Hex; operation?: 0 | 1 }, chain = CHAIN): Promise<'success' | 'reverted'> {
  const s = session(chain)
  const data = encodeFunctionData({ abi: rolesAbi, functionName: 'execTransactionWithRole', args: [call.to, 0n, call.data, call.operation ?? 0, roleKeyOf(d.config), true] })
  const hash = await s.wallet(executor).sendTransaction({ to: roles(), data, gas: 1_000_000n })
  return (await s.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })).status
}

/** Refused in pre-flight with `status`, then mined reverted. */
async function expectRefused(call: { to: Address; data: Hex; operation?: 0 | 1 }, status: string, chain = CHAIN) {
  expect(await simulateRole(call, chain)).toBe(status)
  expect(await sendRole(call, chain)).toBe('reverted')
}

const approve = (spender: Address, amount: bigint) => encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spender, amount] })
const deposit = (amount: bigint, receiver: Address) => encodeFunctionData({ abi: erc4626Abi, functionName: 'deposit', args: [amount, receiver] })
const router = () => d.config.chains.find((c) => c.name === CHAIN)!.router!
/** The router's bounded deposit (min 0: these tests are about who may call what, not slippage). */
const depositChecked = (vault: Address, amount: bigint, receiver: Address, minSharesOut = 0n) =>
  encodeFunctionData({ abi: slippageRouterAbi, functionName: 'depositChecked', args: [vault, amount, receiver, minSharesOut] })
const viaRouter = (data: Hex) => ({ to: router(), data })

describe('custody "safe" deployment', () => {
  it('one Safe address on the three chains, owned by the committee 2-of-3, the Roles modifier enabled; the positions belong to the Safe, the executor holds none', async () => {
    const s = safe()
    expect(d.config.pool.account).toBe(s)
    expect(d.config.custody.kind).toBe('safe')
    for (const name of Object.keys(d.deployment.chains)) {
      const pub = session(name).public
      expect(((await pub.getCode({ address: s })) ?? '0x').length).toBeGreaterThan(2)
      expect(await pub.readContract({ address: s, abi: safeAbi, functionName: 'VERSION' })).toBe('1.4.1')
      expect(await pub.readContract({ address: s, abi: safeAbi, functionName: 'getThreshold' })).toBe(2n)
      expect(await pub.readContract({ address: s, abi: safeAbi, functionName: 'getOwners' })).toEqual(d.deployment.custody!.owners)
      expect(await pub.readContract({ address: s, abi: safeAbi, functionName: 'isModuleEnabled', args: [roles()] })).toBe(true)
      for (const fn of ['owner', 'avatar', 'target'] as const) expect(await pub.readContract({ address: roles(), abi: rolesAbi, functionName: fn })).toBe(s)
      const c = dep(name)
      const core = venue(`${name}-vault-core`)
      const client = chainClient(d.config, name)
      const head = await pub.getBlockNumber()
      // The deposit as deployed plus a few blocks of accrual (< 0.01 %).
      const deposited = BigInt(c.poolPositions[core.id]!)
      const now = await readPosition(client.client, core, s, head)
      expect(now >= deposited && now < deposited + deposited / 10_000n).toBe(true)
      expect(await readPosition(client.client, core, executor.address, head)).toBe(0n)
      expect(await balance(c.collateral, s, name)).toBe(BigInt(c.poolPositions[`${name}-wsteth`]!))
      expect(await balance(c.collateral, executor.address, name)).toBe(0n)
    }
    // The committee's owners are not the executor.
    expect(d.deployment.custody!.owners).not.toContain(executor.address)
  })
})

describe('the executor through the role (execTransactionWithRole via the exactly-once intent path)', () => {
  let chain: ChainClient
  let senders: Record<string, TxSender>
  beforeEach(() => {
    chain = chainClient(d.config, CHAIN)
    const inner = createTxSender({ common: { config: d.config, logger: silentLogger }, store, chain, account: privateKeyToAccount(devKey(ROLES.pool)), options: { pollIntervalMs: 20 } })
    senders = custodySenders(d.config, { [CHAIN]: inner })
  })
  const run = (id: string) => executePlan({ common: { config: d.config, logger: silentLogger }, store, chains: { [CHAIN]: chain }, senders, plan: { id } })
  const pos = async (id: string) => readPosition(chain.client, venue(id), safe(), await chain.client.getBlockNumber({ cacheTime: 0 }))

  it('an autonomous rebalance (withdraw core, deposit boost, supply aave) executes through the role: the Safe\'s positions move, every tx goes to the Roles modifier', async () => {
    const ids = { core: `${CHAIN}-vault-core`, boost: `${CHAIN}-vault-boost`, aave: `${CHAIN}-aave` }
    const before = { core: await pos(ids.core), boost: await pos(ids.boost), aave: await pos(ids.aave) }
    await createTestPlan(store, 'r1', CHAIN, [
      { kind: 'withdraw', chain: CHAIN, venueId: ids.core, amount: parseEther('40') },
      { kind: 'deposit', chain: CHAIN, venueId: ids.boost, amount: parseEther('25') },
      { kind: 'deposit', chain: CHAIN, venueId: ids.aave, amount: parseEther('15') },
    ])
    const res = await run('r1')
    expect(res.status).toBe('completed')
    const after = { core: await pos(ids.core), boost: await pos(ids.boost), aave: await pos(ids.aave) }
    // Venues accrue every block: the moved amounts within 0.1 %.
    const near = (x: bigint, want: bigint) => expect(x > (want * 999n) / 1000n && x < (want * 1001n) / 1000n).toBe(true)
    near(before.core - after.core, parseEther('40'))
    near(after.boost - before.boost, parseEther('25'))
    near(after.aave - before.aave, parseEther('15'))
    const intents = await store.intents.list({ keyPrefix: 'r1:' })
    // Each step: approve(router) + the router's bounded call (the Safe's allowances start at 0).
    expect(intents.map((i) => i.status)).toEqual(Array(6).fill('confirmed'))
    for (const i of intents) {
      expect(getAddress(i.to)).toBe(roles())
      expect(getAddress(i.from)).toBe(executor.address)
    }
    // The executor's own account never held the money.
    expect(await balance(dep().collateral, executor.address)).toBe(0n)
    // Resuming a stored intent (bridge.ts passes the row's own to/data back) is not wrapped twice: the same confirmed tx.
    const again = await senders[CHAIN]!.send({ key: intents[1]!.key, to: intents[1]!.to as Address, data: intents[1]!.data as Hex })
    expect(again.txHash).toBe(intents[1]!.txHash)
    expect(again.status).toBe('confirmed')
  })

  it('a second move past the period\'s allowance fails the plan in pre-flight (AllowanceExceeded): nothing moved', async () => {
    const boost = `${CHAIN}-vault-boost`
    const first = parseEther(String(DEVNET_MOVE_BUDGET - 100))
    await createTestPlan(store, 'a1', CHAIN, [{ kind: 'deposit', chain: CHAIN, venueId: boost, amount: first }])
    expect((await run('a1')).status).toBe('completed')
    const mid = await pos(boost)
    const idle = await balance(dep().collateral, safe())
    await createTestPlan(store, 'a2', CHAIN, [{ kind: 'deposit', chain: CHAIN, venueId: boost, amount: parseEther('150') }])
    const res = await run('a2')
    expect(res.status).toBe('failed')
    expect(res.status === 'failed' && res.error).toMatch(/ConditionViolation|pre-flight/)
    expect(await balance(dep().collateral, safe())).toBe(idle)
    const after = await pos(boost)
    expect(after - mid < parseEther('0.01')).toBe(true) // accrual only
    // On chain too: the same deposit sent anyway is mined reverted.
    expect(await simulateRole(viaRouter(depositChecked(venue(boost).address, parseEther('150'), safe())))).toBe('AllowanceExceeded')
    expect(await sendRole(viaRouter(depositChecked(venue(boost).address, parseEther('150'), safe())))).toBe('reverted')
    expect(await balance(dep().collateral, safe())).toBe(idle)
  })
})

describe('role escapes: refused on chain, nothing moved', () => {
  it('a transfer of collateral to an outside address', async () => {
    const token = dep().collateral
    const before = await balance(token, safe())
    // `transfer` is in no chain's executor role (the epoch's funding is the distributor's own role,
    // execution/distributor/distributorRole.devnet.test.ts): the function itself is refused — to an
    // outsider and to the distributor contract alike.
    await expectRefused({ to: token, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [outsider, parseEther('1')] }) }, 'FunctionNotAllowed')
    await expectRefused({ to: token, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [d.config.rewards!.distributor, parseEther('1')] }) }, 'FunctionNotAllowed')
    expect(await balance(token, safe())).toBe(before)
    expect(await balance(token, outsider)).toBe(0n)
  })

  it('an approve to an outside spender, or to a venue itself (while an approve to the slippage router passes)', async () => {
    const token = dep().collateral
    await expectRefused({ to: token, data: approve(outsider, maxUint256) }, 'OrViolation')
    expect(await session(CHAIN).public.readContract({ address: token, abi: erc20Abi, functionName: 'allowance', args: [safe(), outsider] })).toBe(0n)
    // Moves go through the router only: the venue itself gets no allowance.
    await expectRefused({ to: token, data: approve(venue(`${CHAIN}-vault-core`).address, parseEther('1')) }, 'OrViolation')
    expect(await simulateRole({ to: token, data: approve(router(), parseEther('1')) })).toBe('ok')
  })

  it('a router deposit whose receiver is not the Safe (the same deposit to the Safe passes); the venue\'s own deposit is not in the role at all', async () => {
    const token = dep().collateral
    const vault = venue(`${CHAIN}-vault-core`).address
    expect(await sendRole({ to: token, data: approve(router(), parseEther('5')) })).toBe('success')
    const before = await balance(token, safe())
    // One permission per configured vault (the SDK merges them: an OR on the vault only): a receiver other than the Safe is refused.
    await expectRefused(viaRouter(depositChecked(vault, parseEther('5'), outsider)), 'ParameterNotAllowed')
    expect(await balance(vault, outsider)).toBe(0n)
    expect(await balance(token, safe())).toBe(before)
    expect(await simulateRole(viaRouter(depositChecked(vault, parseEther('5'), safe())))).toBe('ok')
    // Unbounded: the vault's own deposit (to the Safe) is refused.
    await expectRefused({ to: vault, data: deposit(parseEther('5'), safe()) }, 'FunctionNotAllowed')
    // A router withdrawal paying someone else, or burning another owner's shares.
    const withdraw = (receiver: Address, owner: Address) => encodeFunctionData({ abi: slippageRouterAbi, functionName: 'withdrawChecked', args: [vault, parseEther('1'), receiver, owner, maxUint256] })
    await expectRefused(viaRouter(withdraw(outsider, safe())), 'ParameterNotAllowed')
    await expectRefused(viaRouter(withdraw(safe(), outsider)), 'ParameterNotAllowed')
    // Aave: supply through the router on behalf of someone else; the market's own supply.
    const aave = venue(`${CHAIN}-aave`) as { address: Address; asset: Address; aToken: Address }
    const supplyChecked = (onBehalfOf: Address) => encodeFunctionData({ abi: slippageRouterAbi, functionName: 'supplyChecked', args: [aave.address, aave.asset, aave.aToken, parseEther('5'), onBehalfOf, 0n] })
    await expectRefused(viaRouter(supplyChecked(outsider)), 'ParameterNotAllowed')
    expect(await simulateRole(viaRouter(supplyChecked(safe())))).toBe('ok')
    const supply = encodeFunctionData({ abi: aavePoolAbi, functionName: 'supply', args: [aave.asset, parseEther('5'), safe(), 0] })
    await expectRefused({ to: aave.address, data: supply }, 'TargetAddressNotAllowed')
    expect(await balance(token, safe())).toBe(before)
  })

  it('a bridge transfer to a recipient other than the pool\'s Safe (to the Safe it passes)', async () => {
    const wh = d.config.wormhole!.chains.find((c) => c.chain === CHAIN)!
    const peer = d.config.wormhole!.chains.find((c) => c.chain !== CHAIN)!
    const token = dep().collateral
    expect(await sendRole({ to: token, data: approve(wh.tokenBridge, parseEther('2')) })).toBe('success')
    const before = await balance(token, safe())
    const transfer = (recipient: Address, chainId = peer.wormholeChainId) =>
      encodeFunctionData({ abi: transferTokensAbi, functionName: 'transferTokens', args: [token, parseEther('2'), chainId, pad(recipient, { size: 32 }), 0n, 7] })
    await expectRefused({ to: wh.tokenBridge, data: transfer(outsider) }, 'ParameterNotAllowed')
    // Nor to the Safe's address on a chain that is not configured.
    await expectRefused({ to: wh.tokenBridge, data: transfer(safe(), 4) }, 'OrViolation')
    expect(await balance(token, safe())).toBe(before)
    expect(await simulateRole({ to: wh.tokenBridge, data: transfer(safe()) })).toBe('ok')
  })

  it('a call to a venue not in the config', async () => {
    // A real ERC-4626 vault over the collateral, deployed now: not in the config, not in the role.
    const s = session(CHAIN)
    const stray = await s.deploy(devAccount(ROLES.deployer), await compileContracts(), 'SimVault', [dep().collateral, 'Stray', 'STRAY', devAccount(ROLES.deployer).address, 0n, 0n])
    await expectRefused({ to: stray, data: deposit(parseEther('1'), safe()) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: dep().collateral, data: approve(stray, parseEther('1')) }, 'OrViolation')
    // Through the router (allowed for configured vaults only), with the receiver the Safe.
    expect(await sendRole({ to: dep().collateral, data: approve(router(), parseEther('1')) })).toBe('success')
    await expectRefused(viaRouter(depositChecked(stray, parseEther('1'), safe())), 'OrViolation')
    expect(await balance(stray, safe())).toBe(0n)
  })

  it('a delegatecall (even to an allowed target and function)', async () => {
    const vault = venue(`${CHAIN}-vault-core`).address
    const token = dep().collateral
    const before = await balance(token, safe())
    await expectRefused({ ...viaRouter(depositChecked(vault, parseEther('1'), safe())), operation: 1 }, 'DelegateCallNotAllowed')
    // A delegatecall into a batch library (how a Safe module would run arbitrary code as the Safe): not a target of the role at all.
    const multiSend = d.deployment.custody!.contracts.multiSendCallOnly
    await expectRefused({ to: multiSend, data: '0x8d80ff0a', operation: 1 }, 'TargetAddressNotAllowed')
    expect(await balance(token, safe())).toBe(before)
  })

  it('a second move past the period\'s allowance (bridge transfers and deposits share the budget)', async () => {
    const token = dep().collateral
    const vault = venue(`${CHAIN}-vault-core`).address
    const budget = parseEther(String(DEVNET_MOVE_BUDGET))
    expect(await sendRole({ to: token, data: approve(router(), budget) })).toBe('success')
    const first = budget - parseEther('50')
    expect(await sendRole(viaRouter(depositChecked(vault, first, safe())))).toBe('success')
    const before = await balance(token, safe())
    await expectRefused(viaRouter(depositChecked(vault, parseEther('51'), safe())), 'AllowanceExceeded')
    expect(await balance(token, safe())).toBe(before)
    // What is left of the budget still passes.
    expect(await simulateRole(viaRouter(depositChecked(vault, parseEther('50'), safe())))).toBe('ok')
  })
})

describe('cross-chain through the role', () => {
  it('bridge (approve + transferTokens on ethereum) → redeem (completeTransfer on arbitrum) → deposit, each through the chain\'s Roles modifier: the Safe\'s money moves between chains and lands in the venue', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'poolwarden-custody-guardian-'))
    const guardian = await startGuardian({ config: d.config, dbPath: join(dir, 'guardian.sqlite'), port: 0, pollMs: 50 })
    let stopped = false
    const ticker = (async () => {
      while (!stopped) {
        await Promise.all(d.config.chains.map((c) => session(c.name).rpc('evm_mine').catch(() => undefined)))
        await new Promise((r) => setTimeout(r, 100))
      }
    })()
    try {
      const input = structuredClone(d.config) as ConfigInput
      input.wormhole = { ...input.wormhole!, api: guardian.url }
      const config = configSchema.parse(input)
      const chains: Record<string, ChainClient> = {}
      const inner: Record<string, TxSender> = {}
      for (const c of config.chains) {
        chains[c.name] = chainClient(config, c.name)
        inner[c.name] = createTxSender({ common: { config, logger: silentLogger }, store, chain: chains[c.name]!, account: privateKeyToAccount(devKey(ROLES.pool)), options: { pollIntervalMs: 20 } })
      }
      const senders = custodySenders(config, inner)
      const TO = 'arbitrum'
      const vault = config.venues.find((v) => v.id === `${TO}-vault-core`)!
      const amount = parseEther('10')
      const { received } = await createBridgePlan(store, config, 'x1', { from: CHAIN, to: TO, amount, depositVenue: vault.id })
      const idleFrom = await balance(dep().collateral, safe())
      const posBefore = await readPosition(chains[TO]!.client, vault, safe(), await chains[TO]!.client.getBlockNumber({ cacheTime: 0 }))
      const res = await executePlan({
        common: { config, logger: silentLogger },
        store,
        chains,
        senders,
        plan: { id: 'x1' },
        bridge: { port: createSdkBridgePort(config), options: { backoffMs: { initial: 50, max: 300 }, waitMs: 30_000 } },
      })
      expect(res.status, res.status === 'failed' ? res.error : '').toBe('completed')
      expect(await balance(dep().collateral, safe())).toBe(idleFrom - amount)
      const posAfter = await readPosition(chains[TO]!.client, vault, safe(), await chains[TO]!.client.getBlockNumber({ cacheTime: 0 }))
      expect(posAfter - posBefore >= received && posAfter - posBefore < received + received / 1000n).toBe(true)
      const intents = await store.intents.list({ keyPrefix: 'x1:' })
      expect(intents.length).toBeGreaterThanOrEqual(4) // approve, transferTokens, completeTransfer, deposit (+ approve)
      for (const i of intents) {
        expect(i.status).toBe('confirmed')
        expect(getAddress(i.to)).toBe(roles())
      }
      // The executor's account never held any of it on either chain.
      expect(await balance(dep(TO).collateral, executor.address, TO)).toBe(0n)
    } finally {
      stopped = true
      await ticker
      await guardian.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('custody diff and apply', () => {
  it('in sync after deployment; a venue dropped from the config shows as revocations, apply (a committee-signed Safe tx) revokes them on chain, then in sync again', async () => {
    const client = session(CHAIN).public
    const url = dep().url
    const d0 = await diffChainCustody(d.config, CHAIN, client)
    expect(d0.moduleEnabled).toBe(true)
    expect(describeDiff(d0)).toEqual([])

    // The boost vault leaves the config: the router's calls for it and the approve of its shares must go.
    const boost = venue(`${CHAIN}-vault-boost`).address
    const input = structuredClone(d.config) as ConfigInput
    input.venues = input.venues!.filter((v) => v.id !== `${CHAIN}-vault-boost`)
    const next = configSchema.parse(input)
    const d1 = await diffChainCustody(next, CHAIN, client)
    const lines = describeDiff(d1)
    expect(lines).toContain(`- revokeTarget ${boost.toLowerCase()} (role poolwarden-executor)`)
    expect(lines.some((l) => l.includes('poolwarden-distributor'))).toBe(false) // the distributor's role is untouched
    expect(lines.some((l) => l.startsWith('+ scopeFunction') && l.includes(router().toLowerCase()))).toBe(true) // the router's vault condition: one vault fewer
    expect(lines.some((l) => l.includes('allowance'))).toBe(false) // the budget is untouched (no refill)
    // Before the apply the role still lets the router deposit into boost (the router itself then finds no allowance).
    expect(await simulateRole(viaRouter(depositChecked(boost, parseEther('1'), safe())))).toBe('ModuleTransactionFailed')

    const nonce = await client.readContract({ address: safe(), abi: safeAbi, functionName: 'nonce' })
    const applied = await applyCustodyDiff(next, url, d1, { ownerKeys: devnetSigningKeys(), submitterKey: devKey(ROLES.deployer) })
    expect(applied).toHaveLength(1)
    expect(applied[0]!.hash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await client.readContract({ address: safe(), abi: safeAbi, functionName: 'nonce' })).toBe((nonce as bigint) + 1n)
    expect(describeDiff(await diffChainCustody(next, CHAIN, client))).toEqual([])
    // On chain now: the dropped vault is no target, nor an approve spender.
    await expectRefused({ to: boost, data: deposit(parseEther('1'), safe()) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: dep().collateral, data: approve(boost, parseEther('1')) }, 'OrViolation')
    await expectRefused(viaRouter(depositChecked(boost, parseEther('1'), safe())), 'ParameterNotAllowed') // one vault left: no OR
    expect(await simulateRole({ to: dep().collateral, data: approve(router(), parseEther('1')) })).toBe('ok')
  })

  it('apply refuses with one owner signature short of the threshold: nothing changes on chain', async () => {
    const client = session(CHAIN).public
    const input = structuredClone(d.config) as ConfigInput
    input.venues = input.venues!.filter((v) => v.id !== `${CHAIN}-aave`)
    const next = configSchema.parse(input)
    const d1 = await diffChainCustody(next, CHAIN, client)
    await expect(applyCustodyDiff(next, dep().url, d1, { ownerKeys: devnetSigningKeys(1), submitterKey: devKey(ROLES.deployer) })).rejects.toThrow()
    expect(describeDiff(await diffChainCustody(next, CHAIN, client)).length).toBe(describeDiff(d1).length)
  })
})

const transferTokensAbi = [
  {
    type: 'function',
    name: 'transferTokens',
    stateMutability: 'payable',
    inputs: [
      { name: 'token', type: 'address' },
      { name: 'amount', type: 'uint256' },
      { name: 'recipientChain', type: 'uint16' },
      { name: 'recipient', type: 'bytes32' },
      { name: 'arbiterFee', type: 'uint256' },
      { name: 'nonce', type: 'uint32' },
    ],
    outputs: [{ name: 'sequence', type: 'uint64' }],
  },
] as const satisfies Abi

