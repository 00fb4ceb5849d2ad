import { BaseError, ContractFunctionRevertedError, encodeFunctionData, erc20Abi, keccak256, maxUint256, parseEther, toHex, type Address, type Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import { rolesAbi } from 'zodiac-roles-sdk'
import { describe, expect, it } from 'vitest'
import { fundingPeriodSeconds } from '../../config/rewards'
import { configSchema, type ConfigInput } from '../../config/schema'
import { devAccount, devKey, ROLES } from '../../devnet/accounts'
import { compileContracts } from '../../devnet/compile'
import { devnetSigningKeys } from '../../devnet/safe/setUpCustody'
import { distributorAbi } from '../../rewards/readChain'
import { useOwnDevnet } from '../../test/devnet'
import { aavePoolAbi, erc4626Abi } from '../../venues/abis'
import { slippageRouterAbi } from '../abis'
import { distributorRoleKeyOf, roleKeyOf } from '../custody'
import { applyCustodyDiff } from '../custody/applyDiff'
import { describeDiff, diffChainCustody } from '../custody/diffRole'

/**
 * The distributor's own Roles role on a custody "safe" devnet (real Safe v1.4.1 and Zodiac Roles v2
 * bytecode on anvil): the distributor's key (#7) may setRoot on the configured distributor and
 * fund it within its allowance — and nothing else. Every escape is first shown refused by the
 * modifier's pre-flight (the Roles status), then SENT on chain anyway and mined reverted, with the
 * Safe's and the outsider's balances unchanged.
 */

const devnet = useOwnDevnet(180, { custody: 'safe' })

const CLAIMS = 'ethereum'
const distributorKey = devAccount(ROLES.distributor)
const executorKey = devAccount(ROLES.pool)
const outsider = '0x000000000000000000000000000000000000dEaD' as Address
const safe = () => devnet.deployment.custody!.safe
const roles = () => devnet.deployment.custody!.roles
const rewards = () => devnet.config.rewards!
const collateral = (chain = CLAIMS) => devnet.deployment.chains[chain]!.collateral
const balance = (who: Address, token = collateral(), chain = CLAIMS) => devnet.chain(chain).public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [who] })
const venue = (id: string) => devnet.config.venues.find((v) => v.id === id)!

/** Roles v2 `Status` of ConditionViolation (contracts/Types.sol). */
const STATUS = [
  'Ok', 'DelegateCallNotAllowed', 'TargetAddressNotAllowed', 'FunctionNotAllowed', 'SendNotAllowed', 'OrViolation', 'NorViolation',
  'ParameterNotAllowed', 'ParameterLessThanAllowed', 'ParameterGreaterThanAllowed', 'ParameterNotAMatch', 'NotEveryArrayElementPasses',
  'NoArrayElementPasses', 'ParameterNotSubsetOfAllowed', 'BitmaskOverflow', 'BitmaskNotAllowed', 'CustomConditionViolation',
  'AllowanceExceeded', 'CallAllowanceExceeded', 'EtherAllowanceExceeded',
] as const

interface RoleCall { to: Address; data: Hex; operation?: 0 | 1 }
interface As { account?: PrivateKeyAccount; roleKey?: Hex; chain?: string }
const asDistributor = (): Required<As> => ({ account: distributorKey, roleKey: distributorRoleKeyOf(devnet.config), chain: CLAIMS })

/** What `execTransactionWithRole` does for `as` (default: the distributor's key in its own role): the refusal's name, or 'ok'. */
async function simulateRole(call: RoleCall, as: As = {}): Promise<string> {
  const a = { ...asDistributor(), ...as }
  try {
    await devnet.chain(a.chain).public.simulateContract({ account: a.account, address: roles(), abi: rolesAbi, functionName: 'execTransactionWithRole', args: [call.to, 0n, call.data, call.operation ?? 0, a.roleKey, true] })
    return 'ok'
  } catch (err) {
    const rev = err instanceof BaseError ? (err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null) : null
    if (rev?.data?.errorName === 'ConditionViolation') return STATUS[Number(rev.data.args?.[0])] ?? `status ${String(rev.data.args?.[0])}`
    return rev?.data?.errorName ?? `unknown: ${(err as Error).message.split('\n')[0]}`
  }
}

/** Sends it anyway (fixed gas: no estimate) and returns the receipt's status. */
async function sendRole(call: RoleCall, as: As = {}): Promise<'success' | 'reverted'> {
  return (await sendRoleMined(call, as)).status
}

/** Sends it anyway; its status and where it was mined (block, timestamp). */
async function sendRoleMined(call: RoleCall, as: As = {}): Promise<{ status: 'success' | 'reverted'; where: string }> {
  const a = { ...asDistributor(), ...as }
  const c = devnet.chain(a.chain)
  const data = encodeFunctionData({ abi: rolesAbi, functionName: 'execTransactionWithRole', args: [call.to, 0n, call.data, call.operation ?? 0, a.roleKey, true] })
  const hash = await c.wallet(a.account).sendTransaction({ to: roles(), data, gas: 1_000_000n })
  const receipt = await c.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })
  const block = await c.public.getBlock({ blockNumber: receipt.blockNumber })
  const period = fundingPeriodSeconds(rewards())
  return { status: receipt.status, where: `block ${receipt.blockNumber} at ${block.timestamp} (funding period ${block.timestamp / BigInt(period)})` }
}

/** Refused in pre-flight with `status`, then mined reverted (the message says where it was mined). */
async function expectRefused(call: RoleCall, status: string, as: As = {}, before = '') {
  expect(await simulateRole(call, as)).toBe(status)
  const sent = await sendRoleMined(call, as)
  expect(sent.status, `mined in ${sent.where}${before ? `; ${before}` : ''}`).toBe('reverted')
}

const transfer = (to: Address, amount: bigint) => encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] })
const approve = (spender: Address, amount: bigint) => encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [spender, amount] })
const setRoot = (epoch: bigint, root: Hex) => encodeFunctionData({ abi: distributorAbi, functionName: 'setRoot', args: [epoch, root] })
const rootOf = (distributor: Address, epoch: bigint, chain = CLAIMS) => devnet.chain(chain).public.readContract({ address: distributor, abi: distributorAbi, functionName: 'rootOf', args: [epoch] })
const ROOT = keccak256(toHex('poolwarden distributor role test'))
const ZERO = `0x${'0'.repeat(64)}` as Hex

/** Mines the next block at the start of a funding period (so a test's few blocks stay inside one period). */
async function startOfPeriod() {
  const period = fundingPeriodSeconds(rewards())
  const c = devnet.chain(CLAIMS)
  const now = Number((await c.public.getBlock({ blockTag: 'latest' })).timestamp)
  await c.test.setNextBlockTimestamp({ timestamp: BigInt((Math.floor(now / period) + 1) * period + 1) })
  await c.test.mine({ blocks: 1 })
}

describe('the distributor\'s own role: what it may do', () => {
  it('setRoot on the configured distributor and a funding within the allowance pass through its role; the executor\'s role and key can do neither, and neither key is a member of the other\'s role', async () => {
    const d = rewards().distributor
    expect(await sendRole({ to: d, data: setRoot(1n, ROOT) })).toBe('success')
    expect(await rootOf(d, 1n)).toBe(ROOT)
    const s0 = await balance(safe())
    const d0 = await balance(d)
    expect(await sendRole({ to: collateral(), data: transfer(d, parseEther('10')) })).toBe('success')
    expect(await balance(d)).toBe(d0 + parseEther('10'))
    expect(await balance(safe())).toBe(s0 - parseEther('10'))
    expect(await balance(distributorKey.address)).toBe(0n) // the key never holds the funds

    // The executor's role no longer holds the distributor's permissions (one key, one job).
    const executor: As = { account: executorKey, roleKey: roleKeyOf(devnet.config) }
    await expectRefused({ to: d, data: setRoot(2n, ROOT) }, 'TargetAddressNotAllowed', executor)
    await expectRefused({ to: collateral(), data: transfer(d, 1n) }, 'FunctionNotAllowed', executor)
    // Neither key may use the other's role.
    await expectRefused({ to: d, data: setRoot(2n, ROOT) }, 'NoMembership', { account: executorKey })
    await expectRefused({ to: collateral(), data: approve(devnet.config.chains.find((c) => c.name === CLAIMS)!.router!, 1n) }, 'NoMembership', { account: distributorKey, roleKey: roleKeyOf(devnet.config) })
    expect(await rootOf(d, 2n)).toBe(ZERO)
    expect(await balance(d)).toBe(d0 + parseEther('10'))
  })
})

describe('distributor-role escapes: refused on chain, nothing moved', () => {
  it('(a) a transfer of collateral to an outside address (and any approve, even to the distributor)', async () => {
    const before = await balance(safe())
    await expectRefused({ to: collateral(), data: transfer(outsider, parseEther('1')) }, 'ParameterNotAllowed')
    // The Safe's own address as recipient is no different: only the distributor contract.
    await expectRefused({ to: collateral(), data: transfer(distributorKey.address, parseEther('1')) }, 'ParameterNotAllowed')
    await expectRefused({ to: collateral(), data: approve(outsider, maxUint256) }, 'FunctionNotAllowed')
    await expectRefused({ to: collateral(), data: approve(rewards().distributor, maxUint256) }, 'FunctionNotAllowed')
    // Another token of the Safe (rETH): not a target of the role at all.
    const reth = devnet.deployment.chains[CLAIMS]!.tokens.rETH
    await expectRefused({ to: reth, data: transfer(rewards().distributor, 1n) }, 'TargetAddressNotAllowed')
    expect(await balance(safe())).toBe(before)
    expect(await balance(outsider)).toBe(0n)
    expect(await balance(distributorKey.address)).toBe(0n)
    expect(await devnet.chain(CLAIMS).public.readContract({ address: collateral(), abi: erc20Abi, functionName: 'allowance', args: [safe(), outsider] })).toBe(0n)
  })

  it('(b) funding the distributor beyond the period\'s allowance: one call over the cap, and a second call past what is left', async () => {
    await startOfPeriod()
    const d = rewards().distributor
    const cap = parseEther(String(rewards().fundingAllowance.amount))
    const s0 = await balance(safe())
    const d0 = await balance(d)
    expect(s0 > cap + parseEther('1')).toBe(true) // the Safe holds more than the cap: only the role stops it
    await expectRefused({ to: collateral(), data: transfer(d, cap + 1n) }, 'AllowanceExceeded')
    expect(await balance(d)).toBe(d0)
    const first = cap - parseEther('40')
    const firstSent = await sendRoleMined({ to: collateral(), data: transfer(d, first) })
    expect(firstSent.status).toBe('success')
    await expectRefused({ to: collateral(), data: transfer(d, parseEther('40') + 1n) }, 'AllowanceExceeded', {}, `the first funding in ${firstSent.where}`)
    expect(await balance(d)).toBe(d0 + first)
    expect(await balance(safe())).toBe(s0 - first)
    // What is left of the period's allowance still passes.
    expect(await simulateRole({ to: collateral(), data: transfer(d, parseEther('40')) })).toBe('ok')
  })

  it('(c) a venue\'s deposit or withdraw — the venue itself, through the slippage router, Aave, the token bridge', async () => {
    const before = await balance(safe())
    const vault = venue(`${CLAIMS}-vault-core`).address
    const router = devnet.config.chains.find((c) => c.name === CLAIMS)!.router!
    await expectRefused({ to: vault, data: encodeFunctionData({ abi: erc4626Abi, functionName: 'deposit', args: [parseEther('1'), safe()] }) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: vault, data: encodeFunctionData({ abi: erc4626Abi, functionName: 'withdraw', args: [parseEther('1'), distributorKey.address, safe()] }) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: router, data: encodeFunctionData({ abi: slippageRouterAbi, functionName: 'depositChecked', args: [vault, parseEther('1'), safe(), 0n] }) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: router, data: encodeFunctionData({ abi: slippageRouterAbi, functionName: 'withdrawChecked', args: [vault, parseEther('1'), safe(), safe(), maxUint256] }) }, 'TargetAddressNotAllowed')
    const aave = venue(`${CLAIMS}-aave`) as { address: Address; asset: Address }
    await expectRefused({ to: aave.address, data: encodeFunctionData({ abi: aavePoolAbi, functionName: 'supply', args: [aave.asset, parseEther('1'), safe(), 0] }) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: collateral(), data: approve(router, parseEther('1')) }, 'FunctionNotAllowed')
    const bridge = devnet.config.wormhole!.chains.find((c) => c.chain === CLAIMS)!.tokenBridge
    await expectRefused({ to: bridge, data: '0x0f5287b0' }, 'TargetAddressNotAllowed') // transferTokens
    expect(await balance(safe())).toBe(before)
    expect(await balance(vault, vault)).toBe(0n)
  })

  it('(d) setRoot on a contract that is not the configured distributor (a real distributor the Safe owns), on another chain, or as a delegatecall', async () => {
    const artifacts = await compileContracts()
    // A second CumulativeMerkleDistributor owned by the Safe: a setRoot the Safe itself could make — not in the role.
    const other = await devnet.chain(CLAIMS).public.waitForTransactionReceipt({
      hash: await devnet.chain(CLAIMS).wallet(ROLES.deployer).deployContract({ abi: artifacts.CumulativeMerkleDistributor!.abi, bytecode: artifacts.CumulativeMerkleDistributor!.bytecode, args: [collateral(), safe()] }),
    })
    const stray = other.contractAddress!
    await expectRefused({ to: stray, data: setRoot(1n, ROOT) }, 'TargetAddressNotAllowed')
    expect(await rootOf(stray, 1n)).toBe(ZERO)
    // Funding it: the transfer's recipient is pinned to the configured distributor.
    await expectRefused({ to: collateral(), data: transfer(stray, 1n) }, 'ParameterNotAllowed')
    expect(await balance(stray)).toBe(0n)
    // The same on another chain's Roles modifier (the claims chain is ethereum): the key is no module
    // of that modifier at all (NotAuthorized: it holds no role there).
    const arb = 'arbitrum'
    const strayArb = await devnet.chain(arb).public.waitForTransactionReceipt({
      hash: await devnet.chain(arb).wallet(ROLES.deployer).deployContract({ abi: artifacts.CumulativeMerkleDistributor!.abi, bytecode: artifacts.CumulativeMerkleDistributor!.bytecode, args: [collateral(arb), safe()] }),
    })
    await expectRefused({ to: strayArb.contractAddress!, data: setRoot(1n, ROOT) }, 'NotAuthorized', { chain: arb })
    await expectRefused({ to: collateral(arb), data: transfer(strayArb.contractAddress!, 1n) }, 'NotAuthorized', { chain: arb })
    expect(await rootOf(strayArb.contractAddress!, 1n, arb)).toBe(ZERO)
    // A delegatecall to the configured distributor's setRoot (code run as the Safe): refused.
    await expectRefused({ to: rewards().distributor, data: setRoot(1n, ROOT), operation: 1 }, 'DelegateCallNotAllowed')
    expect(await rootOf(rewards().distributor, 1n)).toBe(ZERO)
  })
})

describe('custody diff and apply cover the distributor\'s role', () => {
  it('in sync on every chain after deployment; a lower funding cap shows as the distributor\'s allowance, apply (committee-signed) sets it, and the chain then refuses a funding above the new cap', async () => {
    for (const c of devnet.config.chains) expect([c.name, describeDiff(await diffChainCustody(devnet.config, c.name, devnet.chain(c.name).public))]).toEqual([c.name, []])
    const input = structuredClone(devnet.config) as ConfigInput
    input.rewards = { ...input.rewards!, fundingAllowance: { amount: 5 } }
    const next = configSchema.parse(input)
    const client = devnet.chain(CLAIMS).public
    const d1 = await diffChainCustody(next, CLAIMS, client)
    const period = fundingPeriodSeconds(next.rewards!)
    expect(describeDiff(d1)).toEqual([`~ allowance rewards-wsteth: ${parseEther('5')} per ${period} s (balance set to ${parseEther('5')})`])
    // A new distributor key: the member changes in the distributor's role only.
    input.rewards = { ...input.rewards, signer: { ...input.rewards.signer, account: devAccount(ROLES.delegators[0]!).address } }
    const lines = describeDiff(await diffChainCustody(configSchema.parse(input), CLAIMS, client))
    expect(lines).toEqual(expect.arrayContaining([`+ member ${devAccount(ROLES.delegators[0]!).address} (role poolwarden-distributor)`, `- member ${distributorKey.address} (role poolwarden-distributor)`]))
    expect(lines.some((l) => l.includes('poolwarden-executor'))).toBe(false)

    const applied = await applyCustodyDiff(next, devnet.deployment.chains[CLAIMS]!.url, d1, { ownerKeys: devnetSigningKeys(), submitterKey: devKey(ROLES.deployer) })
    expect(applied).toHaveLength(1)
    expect(describeDiff(await diffChainCustody(next, CLAIMS, client))).toEqual([])
    await startOfPeriod()
    const d0 = await balance(rewards().distributor)
    await expectRefused({ to: collateral(), data: transfer(rewards().distributor, parseEther('5') + 1n) }, 'AllowanceExceeded')
    expect(await balance(rewards().distributor)).toBe(d0)
    expect(await simulateRole({ to: collateral(), data: transfer(rewards().distributor, parseEther('5')) })).toBe('ok')
  })
})
