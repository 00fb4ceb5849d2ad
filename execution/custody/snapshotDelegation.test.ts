import { decodeFunctionData, getAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import { configSchema } from '../../config/schema'
import { baseConfigInput } from '../../config/testing'
import { delegateRegistryAbi, delegationTarget, describeDelegation, driftedDelegations, repointCalls } from './snapshotDelegation'

const VOTER = getAddress('0x00000000000000000000000000000000000000aa')
const OLD = getAddress('0x00000000000000000000000000000000000000bb')
const REGISTRY = getAddress('0x469788fE6E9E9681C6ebF3bF78e7Fd26Fc015446')

describe('the Safe\'s Snapshot delegation', () => {
  it('a delegation to another address or to nobody drifts; the configured voter in any letter case does not', () => {
    const ds = [
      { space: 'a.eth', onChain: VOTER.toLowerCase() as `0x${string}`, configured: VOTER },
      { space: 'b.eth', onChain: OLD, configured: VOTER },
      { space: 'c.eth', onChain: null, configured: VOTER },
    ]
    expect(driftedDelegations(ds).map((d) => d.space)).toEqual(['b.eth', 'c.eth'])
    expect(describeDelegation(ds[2]!)).toBe(`~ Snapshot delegation in c.eth: nobody → ${VOTER} (governance.voter.account)`)
  })

  it('re-points with setDelegate(space name as bytes32, voter) on the registry', () => {
    const [call] = repointCalls(REGISTRY, [{ space: 'aave.eth', onChain: OLD, configured: VOTER }])
    expect(call!.to).toBe(REGISTRY)
    const { functionName, args } = decodeFunctionData({ abi: delegateRegistryAbi, data: call!.data })
    expect(functionName).toBe('setDelegate')
    // "aave.eth" in UTF-8, right-padded to 32 bytes (Snapshot's formatBytes32String).
    expect(args).toEqual(['0x616176652e657468000000000000000000000000000000000000000000000000', VOTER])
  })

  it('is checked only on the registry\'s chain, with a voter account and at least one space', () => {
    const input = baseConfigInput()
    const base = configSchema.parse({ ...input, governance: { voter: { account: VOTER }, upstream: { spaces: ['aave.eth'], delegateRegistry: { chain: 'ethereum', address: REGISTRY } } } })
    expect(delegationTarget(base, 'ethereum')).toEqual({ registry: REGISTRY, voter: VOTER, spaces: ['aave.eth'] })
    expect(delegationTarget(base, 'arbitrum')).toBeUndefined()
    const noVoter = configSchema.parse({ ...input, governance: { upstream: { spaces: ['aave.eth'], delegateRegistry: { chain: 'ethereum', address: REGISTRY } } } })
    expect(delegationTarget(noVoter, 'ethereum')).toBeUndefined()
  })

  it('a registry that is not an address, or on a chain not configured, is refused by the config, naming the field', () => {
    const r = configSchema.safeParse({ ...baseConfigInput(), governance: { upstream: { delegateRegistry: { chain: 'ethereum', address: '0x1234' } } } })
    expect(r.success).toBe(false)
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain('governance.upstream.delegateRegistry.address')
    const c = configSchema.safeParse({ ...baseConfigInput(), governance: { upstream: { delegateRegistry: { chain: 'gnosis', address: REGISTRY } } } })
    expect(c.success).toBe(false)
    expect(c.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContain('governance.upstream.delegateRegistry.chain: unknown chain "gnosis" (known: ethereum, arbitrum, base)')
  })
})
