import { BaseError, ContractFunctionRevertedError, encodeFunctionData, erc20Abi, keccak256, parseEther, parseEventLogs, stringToHex, toHex, type Address, type Hex } from 'viem'
import { rolesAbi } from 'zodiac-roles-sdk'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTxSender } from '../../execution/createTxSender'
import { governorRoleKeyOf, governorSenders, roleKeyOf } from '../../execution/custody'
import { applyCustodyDiff } from '../../execution/custody/applyDiff'
import { checkSnapshotDelegation, DELEGATION_ALERT } from '../delegationCheck'
import { describeDiff, diffChainCustody } from '../../execution/custody/diffRole'
import { readRole } from '../../execution/custody/readRole'
import { slippageRouterAbi } from '../../execution/abis'
import { chainClient, silentLogger } from '../../execution/testing/devnetHelpers'
import { devAccount, devKey, ROLES } from '../../devnet/accounts'
import { devnetSigningKeys } from '../../devnet/safe/setUpCustody'
import type { Config } from '../../config/schema'
import { privateKeyToAccount } from 'viem/accounts'
import { poolShareAbi } from '../../devnet/abis'
import { compileContracts } from '../../devnet/compile'
import { ChainSession } from '../../devnet/deploy'
import { delegateRegistryAbi } from '../../devnet/governance/abis'
import { DEVNET_SPACES } from '../../devnet/governance/constants'
import { hubChainHooks } from '../../devnet/governance/hubHooks'
import { startLocalDevnet, type LocalDevnet } from '../../devnet/local'
import type { HubProposal } from '../../devnet/snapshot/hub'
import type { Store } from '../../store'
import { openTempStore } from '../../store/testing'
import { erc4626Abi } from '../../venues/abis'
import { governorAbi } from './abi'
import { castFractionalVote } from './castFractionalVote'
import { readGovernorProposal } from './readGovernorProposal'

/**
 * Custody "safe" on a devnet of its own: the pool's DAO tokens belong to the Safe, which delegates
 * them to itself (the Governor counts the Safe) and its Snapshot power in the upstream space to the
 * governor's voting key (Gnosis' DelegateRegistry) — one committee Safe transaction at deploy. The
 * voting key casts the Safe's votes through its own Roles role, scoped to the configured Governor's
 * cast functions (real Safe v1.4.1 and Zodiac Roles v2 bytecode). Every escape is refused in
 * pre-flight with the Roles modifier's reason, then sent on chain anyway and mined reverted with
 * nothing moved.
 */

let d: LocalDevnet
let store: Store
let cleanup: () => Promise<void>
const CHAIN = 'ethereum'
const voter = devAccount(ROLES.voter)
const executor = devAccount(ROLES.pool)
const snapshots = new Map<string, Hex>()
let session: ChainSession

/** Roles v2 `Status` of ConditionViolation (contracts/Types.sol). */
const STATUS = ['Ok', 'DelegateCallNotAllowed', 'TargetAddressNotAllowed', 'FunctionNotAllowed', 'SendNotAllowed', 'OrViolation', 'NorViolation', 'ParameterNotAllowed'] as const

beforeAll(async () => {
  const base = Number(process.env.POOLWARDEN_TEST_PORT ?? 18545) + 180
  d = await startLocalDevnet({ basePort: base, custody: 'safe' })
  const c = d.deployment.chains[CHAIN]!
  session = new ChainSession({ name: CHAIN, chainId: c.chainId, url: c.url })
}, 400_000)
afterAll(async () => {
  await d?.stop()
})
beforeEach(async () => {
  ;({ store, cleanup } = await openTempStore())
  snapshots.set(CHAIN, await session.rpc<Hex>('evm_snapshot'))
})
afterEach(async () => {
  await cleanup()
  await session.rpc('evm_revert', [snapshots.get(CHAIN)])
})

const dao = () => d.deployment.chains[CHAIN]!.dao!
const safe = () => d.deployment.custody!.safe
const roles = () => d.deployment.custody!.roles
const pub = () => session.public
const POOL_WEIGHT = () => BigInt(dao().holders[safe()]!)
const votesOf = (who: Address) => pub().readContract({ address: dao().token, abi: poolShareAbi, functionName: 'getVotes', args: [who] })
const balanceOf = (token: Address, who: Address) => pub().readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [who] })
const totals = async (governor: Address, proposalId: bigint) => {
  const [against, forVotes, abstain] = await pub().readContract({ address: governor, abi: governorAbi, functionName: 'proposalVotes', args: [proposalId] })
  return { against, for: forVotes, abstain }
}

/** Holder #6 proposes on `governor` (a harmless call); returns the id and the block before it. */
async function propose(description: string, governor = dao().governor): Promise<{ proposalId: bigint; fromBlock: bigint }> {
  const fromBlock = await pub().getBlockNumber({ cacheTime: 0 })
  const targets: Address[] = [dao().token]
  const calldatas = [encodeFunctionData({ abi: poolShareAbi, functionName: 'clock' })]
  const hash = await session.wallet(devAccount(6)).writeContract({ address: governor, abi: governorAbi, functionName: 'propose', args: [targets, [0n], calldatas, description] })
  await pub().waitForTransactionReceipt({ hash, pollingInterval: 20 })
  const proposalId = await pub().readContract({ address: governor, abi: governorAbi, functionName: 'hashProposal', args: [targets, [0n], calldatas, keccak256(toHex(description))] })
  return { proposalId, fromBlock }
}
/** Past the voting delay: blocks one second apart. */
const startVoting = () => session.rpc('anvil_mine', [toHex(dao().votingDelay + 1), toHex(1)])

/** The governor's exactly-once sender (its own key and nonces), wrapped in its Roles role. */
const voteSender = () =>
  governorSenders(d.config, {
    [CHAIN]: createTxSender({ common: { config: d.config, logger: silentLogger }, store, chain: chainClient(d.config, CHAIN), account: voter, options: { pollIntervalMs: 20, agent: 'governor' } }),
  })[CHAIN]!

type Call = { to: Address; data: Hex; operation?: 0 | 1 }
/** What `execTransactionWithRole` from `who` under `roleKey` does in pre-flight: the Roles refusal (Status name), its error name, or 'ok'. */
async function simulateRole(call: Call, who = voter, roleKey = governorRoleKeyOf(d.config)): Promise<string> {
  try {
    await pub().simulateContract({ account: who, address: roles(), abi: rolesAbi, functionName: 'execTransactionWithRole', args: [call.to, 0n, call.data, call.operation ?? 0, roleKey, true] })
    return 'ok'
  } catch (err) {
    const rev = err instanceof BaseError ? (err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null) : null
    if (rev?.data?.errorName === 'ConditionViolation') return STATUS[Number(rev.data.args?.[0])] ?? `status ${String(rev.data.args?.[0])}`
    return rev?.data?.errorName ?? `unknown: ${(err as Error).message.split('\n')[0]}`
  }
}
/** Refused in pre-flight with `status`, then sent anyway (fixed gas, no estimate) and mined reverted. */
async function expectRefused(call: Call, status: string, who = voter, roleKey = governorRoleKeyOf(d.config)) {
  expect(await simulateRole(call, who, roleKey)).toBe(status)
  const data = encodeFunctionData({ abi: rolesAbi, functionName: 'execTransactionWithRole', args: [call.to, 0n, call.data, call.operation ?? 0, roleKey, true] })
  const hash = await session.wallet(who).sendTransaction({ to: roles(), data, gas: 1_000_000n })
  expect((await pub().waitForTransactionReceipt({ hash, pollingInterval: 20 })).status).toBe('reverted')
}

describe('custody "safe": the pool\'s voting weight is the Safe\'s', () => {
  it('the Safe holds the pool\'s DAO tokens and is their delegate; the voting key holds and is delegated none', async () => {
    expect(dao().poolVoter).toBe(safe())
    expect(d.config.governance.voter.account).toBe(voter.address)
    expect(POOL_WEIGHT()).toBe(parseEther('1000'))
    expect(await balanceOf(dao().token, safe())).toBe(parseEther('1000'))
    expect(await pub().readContract({ address: dao().token, abi: poolShareAbi, functionName: 'delegates', args: [safe()] })).toBe(safe())
    expect(await votesOf(safe())).toBe(parseEther('1000'))
    expect(await votesOf(voter.address)).toBe(0n)
    expect(await balanceOf(dao().token, executor.address)).toBe(0n)
  })

  it('Snapshot: the Safe delegated its power in the upstream space to the voting key on the DelegateRegistry; the hub counts it for the key', async () => {
    const registry = dao().delegateRegistry!
    const spaceId = stringToHex(DEVNET_SPACES.upstream, { size: 32 })
    expect(await pub().readContract({ address: registry, abi: delegateRegistryAbi, functionName: 'delegation', args: [safe(), spaceId] })).toBe(voter.address)
    // The committee's Safe transaction emitted it (the Safe is the delegator, msg.sender).
    const logs = await pub().getContractEvents({ address: registry, abi: delegateRegistryAbi, eventName: 'SetDelegate', fromBlock: 0n })
    expect(logs.map((l) => [l.args.delegator, l.args.id, l.args.delegate])).toEqual([[safe(), spaceId, voter.address]])
    // The local hub's vp (strategies erc20-votes, delegation): the key has 0 of its own and 1000 delegated; the Safe 1000 of its own.
    const hooks = hubChainHooks(d.deployment, DEVNET_SPACES)
    const head = await pub().getBlockNumber({ cacheTime: 0 })
    const proposal = { snapshot: String(head), network: String(d.deployment.chains[CHAIN]!.chainId) } as HubProposal
    expect(await hooks.vp({ voter: voter.address, space: DEVNET_SPACES.upstream, proposal })).toEqual([0, 1000])
    expect(await hooks.vp({ voter: safe(), space: DEVNET_SPACES.upstream, proposal })).toEqual([1000, 0])
    expect(await hooks.vp({ voter: devAccount(6).address, space: DEVNET_SPACES.upstream, proposal })).toEqual([600, 0])
  })

  it('the governor\'s role on chain is what the config implies: custody diff has nothing to do; the voting key is its only member', async () => {
    const diff = await diffChainCustody(d.config, CHAIN, pub())
    expect(diff.calls).toEqual([])
    expect(diff.delegations).toEqual([]) // the Snapshot delegation is checked here (the registry's chain) and holds
    expect(describeDiff(diff)).toEqual([])
    const onChain = await readRole(pub(), roles(), governorRoleKeyOf(d.config))
    expect(onChain.members).toEqual([voter.address.toLowerCase()])
    expect(onChain.targets.map((t) => t.address)).toEqual([dao().governor.toLowerCase()])
    // A chain without a configured Governor has no governor role.
    const arb = d.deployment.chains.arbitrum!
    const arbSession = new ChainSession({ name: 'arbitrum', chainId: arb.chainId, url: arb.url })
    expect((await readRole(arbSession.public, roles(), governorRoleKeyOf(d.config))).members).toEqual([])
  })
})

describe('custody "safe": a rotated voting key', () => {
  it('custody diff names the role member and the Snapshot delegation to move; apply (the committee signs) moves both in one Safe tx; then in sync, and the hub counts the Safe\'s power for the new key', async () => {
    const next = privateKeyToAccount(keccak256(toHex('poolwarden rotated voting key'))).address
    const rotated: Config = { ...d.config, governance: { ...d.config.governance, voter: { ...d.config.governance.voter, account: next } } }
    const spaceId = stringToHex(DEVNET_SPACES.upstream, { size: 32 })
    const delegation = () => pub().readContract({ address: dao().delegateRegistry!, abi: delegateRegistryAbi, functionName: 'delegation', args: [safe(), spaceId] })

    const before = await diffChainCustody(rotated, CHAIN, pub())
    expect(before.delegations).toEqual([{ space: DEVNET_SPACES.upstream, onChain: voter.address, configured: next }])
    const lines = describeDiff(before)
    expect(lines).toContain(`~ Snapshot delegation in ${DEVNET_SPACES.upstream}: ${voter.address} → ${next} (governance.voter.account)`)
    expect(lines.filter((l) => /member/.test(l)).map((l) => l.toLowerCase()).sort()).toEqual([`+ member ${next.toLowerCase()} (role poolwarden-governor)`, `- member ${voter.address.toLowerCase()} (role poolwarden-governor)`])

    // The governor's round check: one warning naming the space, the holder and the fix.
    const check = (config: Config) => checkSnapshotDelegation({ config, clients: { [CHAIN]: pub() }, store, logger: silentLogger, agent: 'governor' })
    expect(await check(d.config)).toEqual([])
    expect((await check(rotated))!.map((x) => x.space)).toEqual([DEVNET_SPACES.upstream])
    const [open] = await store.alerts.open({ rule: DELEGATION_ALERT })
    expect(open).toMatchObject({ severity: 'warning', title: 'Snapshot delegation off the voting key in 1 space(s)' })
    const sent = (await store.alerts.recent(10)).find((a) => a.id === open!.alertId)!
    expect(sent.body).toContain(`${DEVNET_SPACES.upstream}: delegated to ${voter.address}, not to the voting key ${next}`)
    expect(sent.body).toContain('npm run custody -- apply')
    expect(await check(rotated)).toHaveLength(1)
    expect(await store.alerts.open({ rule: DELEGATION_ALERT })).toHaveLength(1) // still one alert

    const applied = await applyCustodyDiff(rotated, d.deployment.chains[CHAIN]!.url, before, { ownerKeys: devnetSigningKeys(), submitterKey: devKey(ROLES.deployer) })
    expect(applied).toHaveLength(1) // one Safe transaction: the role and the delegation together
    expect(applied[0]!.what).toMatch(/^\d+ Roles call\(s\) and 1 Snapshot delegation\(s\)$/)
    expect(await delegation()).toBe(next)
    expect(describeDiff(await diffChainCustody(rotated, CHAIN, pub()))).toEqual([])
    expect(await check(rotated)).toEqual([])
    expect(await store.alerts.isOpen(DELEGATION_ALERT)).toBe(false)
    // The old config now sees the drift the other way.
    expect((await diffChainCustody(d.config, CHAIN, pub())).delegations).toEqual([{ space: DEVNET_SPACES.upstream, onChain: next, configured: voter.address }])

    const hooks = hubChainHooks(d.deployment, DEVNET_SPACES)
    const proposal = { snapshot: String(await pub().getBlockNumber({ cacheTime: 0 })), network: String(d.deployment.chains[CHAIN]!.chainId) } as HubProposal
    expect(await hooks.vp({ voter: next, space: DEVNET_SPACES.upstream, proposal })).toEqual([0, 1000])
    expect(await hooks.vp({ voter: voter.address, space: DEVNET_SPACES.upstream, proposal })).toEqual([0, 0])
  })
})

describe('custody "safe": the Safe\'s votes through the governor\'s role', () => {
  it('casts the split for the Safe, to the wei, exactly once per key; the voting key signs and pays gas', async () => {
    const { proposalId } = await propose('from the Safe')
    await startVoting()
    const s = voteSender()
    expect(s.address).toBe(safe())
    const split = { against: parseEther('123.456789012345678901'), for: parseEther('600.000000000000000007'), abstain: 0n }
    split.abstain = POOL_WEIGHT() - split.against - split.for
    const args = { sender: s, client: pub(), intents: store.intents, governor: dao().governor, proposalId, split, reason: 'pool: delegators signalled', key: `gov:${proposalId}:0` }
    const first = await castFractionalVote(args)
    expect(first.status).toBe('sent')
    if (first.status !== 'sent') return
    expect(first.intent).toMatchObject({ status: 'confirmed', receiptStatus: 'success', from: voter.address.toLowerCase(), to: roles().toLowerCase() })
    expect(await totals(dao().governor, proposalId)).toEqual(split)
    // The Governor counted the Safe (msg.sender of the vote), not the key.
    const receipt = await pub().getTransactionReceipt({ hash: first.intent.txHash! })
    const events = parseEventLogs({ abi: governorAbi, logs: receipt.logs, eventName: 'VoteCastWithParams' })
    expect(events.map((e) => [e.args.voter, e.args.weight])).toEqual([[safe(), POOL_WEIGHT()]])
    expect(await pub().readContract({ address: dao().governor, abi: governorAbi, functionName: 'usedVotes', args: [proposalId, safe()] })).toBe(POOL_WEIGHT())
    expect(await pub().readContract({ address: dao().governor, abi: governorAbi, functionName: 'usedVotes', args: [proposalId, voter.address] })).toBe(0n)

    // The same key again: the stored role call is resumed, nothing new is signed.
    const nonce = await pub().getTransactionCount({ address: voter.address, blockTag: 'pending' })
    const again = await castFractionalVote({ ...args, sender: voteSender() })
    expect(again).toMatchObject({ status: 'resumed', intent: { txHash: first.intent.txHash, status: 'confirmed' } })
    expect(await pub().getTransactionCount({ address: voter.address, blockTag: 'pending' })).toBe(nonce)
    expect(await totals(dao().governor, proposalId)).toEqual(split)
  })

  it('tops up a partial vote of the Safe from the Safe\'s own vote events', async () => {
    const { proposalId, fromBlock } = await propose('partial then top-up, from the Safe')
    await startVoting()
    const base = { sender: voteSender(), client: pub(), intents: store.intents, governor: dao().governor, proposalId, reason: 'pool', fromBlock }
    const early = { against: parseEther('100'), for: parseEther('250.5'), abstain: 0n }
    expect((await castFractionalVote({ ...base, split: early, key: 'gov:p:0' })).status).toBe('sent')
    const target = { against: parseEther('300'), for: parseEther('450'), abstain: parseEther('250') }
    const r2 = await castFractionalVote({ ...base, split: target, key: 'gov:p:1' })
    expect(r2).toMatchObject({ status: 'sent', previous: early, delta: { against: parseEther('200'), for: parseEther('199.5'), abstain: parseEther('250') } })
    expect(await totals(dao().governor, proposalId)).toEqual(target)
    const read = await readGovernorProposal({ client: pub(), governor: dao().governor, proposalId, account: safe() })
    expect(read.usedVotes).toBe(parseEther('1000'))
  })
})

describe('governor role escapes: refused on chain, nothing moved', () => {
  it('a Governor not in the config (same token, a live proposal): TargetAddressNotAllowed; no vote counted there', async () => {
    const artifacts = await compileContracts()
    const other = await session.deploy(devAccount(ROLES.deployer), artifacts, 'PoolGovernor', [dao().token, dao().votingDelay, dao().votingPeriod, BigInt(dao().quorumPercent)])
    const { proposalId } = await propose('on another Governor', other)
    await startVoting()
    const vote = encodeFunctionData({ abi: governorAbi, functionName: 'castVote', args: [proposalId, 1] })
    await expectRefused({ to: other, data: vote }, 'TargetAddressNotAllowed')
    expect(await totals(other, proposalId)).toEqual({ against: 0n, for: 0n, abstain: 0n })
    expect(await pub().readContract({ address: other, abi: governorAbi, functionName: 'hasVoted', args: [proposalId, safe()] })).toBe(false)
  })

  it('the governance token\'s delegate and transfer: TargetAddressNotAllowed; the Safe keeps its tokens and its votes', async () => {
    await expectRefused({ to: dao().token, data: encodeFunctionData({ abi: poolShareAbi, functionName: 'delegate', args: [voter.address] }) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: dao().token, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [voter.address, parseEther('1')] }) }, 'TargetAddressNotAllowed')
    expect(await balanceOf(dao().token, safe())).toBe(parseEther('1000'))
    expect(await balanceOf(dao().token, voter.address)).toBe(0n)
    expect(await votesOf(safe())).toBe(parseEther('1000'))
    expect(await pub().readContract({ address: dao().token, abi: poolShareAbi, functionName: 'delegates', args: [safe()] })).toBe(safe())
  })

  it('the Snapshot delegation (DelegateRegistry.setDelegate / clearDelegate): TargetAddressNotAllowed; still delegated to the key', async () => {
    const registry = dao().delegateRegistry!
    const spaceId = stringToHex(DEVNET_SPACES.upstream, { size: 32 })
    await expectRefused({ to: registry, data: encodeFunctionData({ abi: delegateRegistryAbi, functionName: 'setDelegate', args: [spaceId, devAccount(6).address] }) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: registry, data: encodeFunctionData({ abi: delegateRegistryAbi, functionName: 'clearDelegate', args: [spaceId] }) }, 'TargetAddressNotAllowed')
    expect(await pub().readContract({ address: registry, abi: delegateRegistryAbi, functionName: 'delegation', args: [safe(), spaceId] })).toBe(voter.address)
  })

  it('a venue, directly or through the slippage router, and the collateral: TargetAddressNotAllowed; the Safe\'s collateral and shares unchanged', async () => {
    const collateral = d.config.pool.collateral.find((c) => c.chain === CHAIN)!.token as Address
    const vault = d.config.venues.find((v) => v.chain === CHAIN && v.kind === 'erc4626')!.address as Address
    const router = d.config.chains.find((c) => c.name === CHAIN)!.router as Address
    const before = { coll: await balanceOf(collateral, safe()), shares: await balanceOf(vault, safe()) }
    await expectRefused({ to: vault, data: encodeFunctionData({ abi: erc4626Abi, functionName: 'withdraw', args: [parseEther('1'), voter.address, safe()] }) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: router, data: encodeFunctionData({ abi: slippageRouterAbi, functionName: 'depositChecked', args: [vault, parseEther('1'), safe(), 0n] }) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: collateral, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [voter.address, parseEther('1')] }) }, 'TargetAddressNotAllowed')
    await expectRefused({ to: collateral, data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [voter.address, parseEther('1')] }) }, 'TargetAddressNotAllowed')
    expect({ coll: await balanceOf(collateral, safe()), shares: await balanceOf(vault, safe()) }).toEqual(before)
    expect(await balanceOf(collateral, voter.address)).toBe(0n)
  })

  it('the configured Governor: anything but a cast (propose) → FunctionNotAllowed; a cast as delegatecall → DelegateCallNotAllowed; nothing counted', async () => {
    const { proposalId } = await propose('escapes on the configured Governor')
    await startVoting()
    const proposeData = encodeFunctionData({ abi: governorAbi, functionName: 'propose', args: [[dao().token], [0n], ['0x'], 'the Safe proposes'] })
    await expectRefused({ to: dao().governor, data: proposeData }, 'FunctionNotAllowed')
    const vote = encodeFunctionData({ abi: governorAbi, functionName: 'castVote', args: [proposalId, 1] })
    await expectRefused({ to: dao().governor, data: vote, operation: 1 }, 'DelegateCallNotAllowed')
    expect(await totals(dao().governor, proposalId)).toEqual({ against: 0n, for: 0n, abstain: 0n })
    // The plain cast is what the role allows (pre-flight only: nothing sent).
    expect(await simulateRole({ to: dao().governor, data: vote })).toBe('ok')
  })

  it('one key, one role: the executor cannot vote through the governor\'s role, the voting key cannot move money through the executor\'s', async () => {
    const { proposalId } = await propose('wrong keys')
    await startVoting()
    const vote = encodeFunctionData({ abi: governorAbi, functionName: 'castVote', args: [proposalId, 1] })
    await expectRefused({ to: dao().governor, data: vote }, 'NoMembership', executor)
    const vault = d.config.venues.find((v) => v.chain === CHAIN && v.kind === 'erc4626')!.address as Address
    const router = d.config.chains.find((c) => c.name === CHAIN)!.router as Address
    await expectRefused({ to: router, data: encodeFunctionData({ abi: slippageRouterAbi, functionName: 'depositChecked', args: [vault, parseEther('1'), safe(), 0n] }) }, 'NoMembership', voter, roleKeyOf(d.config))
    // …nor vote through the executor's role (which has no Governor).
    await expectRefused({ to: dao().governor, data: vote }, 'TargetAddressNotAllowed', executor, roleKeyOf(d.config))
    expect(await totals(dao().governor, proposalId)).toEqual({ against: 0n, for: 0n, abstain: 0n })
  })
})
