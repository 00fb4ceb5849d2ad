import { decodeFunctionData, type Address } from 'viem'
import { describe, expect, it } from 'vitest'
import type { VenueConfig } from '../config/schema'
import { aavePoolAbi, erc4626Abi } from '../venues/abis'
import { erc20ApproveAbi } from './abis'
import { buildStepCalls } from './buildStepCalls'
import { checkPositionChange } from './checkPositionChange'

const POOL = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Address
const WST = '0x1111111111111111111111111111111111111111' as Address
const VAULT = '0x2222222222222222222222222222222222222222' as Address
const AAVE = '0x3333333333333333333333333333333333333333' as Address
const common = { chain: 'ethereum', protocol: 'x', risk: { commissionBps: 0, uptime: 1, audits: 0, slashing: [] }, caps: {} }
const vault = { ...common, id: 'v', kind: 'erc4626', address: VAULT } as VenueConfig
const aave = { ...common, id: 'a', kind: 'aave-v3', address: AAVE, dataProvider: AAVE, asset: WST, aToken: '0x4444444444444444444444444444444444444444' } as VenueConfig
const lst = { ...common, id: 'w', kind: 'lst', address: WST, rateMethod: 'stEthPerToken' } as VenueConfig
const reth = { ...common, id: 'r', kind: 'lst', address: '0x5555555555555555555555555555555555555555', rateMethod: 'getExchangeRate' } as VenueConfig

describe('buildStepCalls', () => {
  it('erc4626 deposit = approve(vault) on the asset + deposit(amount, pool); withdraw = withdraw(amount, pool, pool)', () => {
    const dep = buildStepCalls({ venue: vault, kind: 'deposit', amount: 7n, pool: POOL, collateral: WST, vaultAsset: WST })
    if (dep.kind !== 'calls') throw new Error('expected calls')
    expect(dep.main).toBe(1)
    expect(dep.calls.map((c) => [c.label, c.to])).toEqual([
      ['approve', WST],
      ['deposit', VAULT],
    ])
    expect(decodeFunctionData({ abi: erc20ApproveAbi, data: dep.calls[0]!.data }).args).toEqual([VAULT, 7n])
    expect(dep.calls[0]!.allowance).toEqual({ token: WST, spender: VAULT, amount: 7n })
    expect(decodeFunctionData({ abi: erc4626Abi, data: dep.calls[1]!.data })).toEqual({ functionName: 'deposit', args: [7n, POOL] })
    const wd = buildStepCalls({ venue: vault, kind: 'withdraw', amount: 5n, pool: POOL, collateral: WST })
    if (wd.kind !== 'calls') throw new Error('expected calls')
    expect(wd.main).toBe(0)
    expect(decodeFunctionData({ abi: erc4626Abi, data: wd.calls[0]!.data })).toEqual({ functionName: 'withdraw', args: [5n, POOL, POOL] })
    expect(() => buildStepCalls({ venue: vault, kind: 'deposit', amount: 7n, pool: POOL, collateral: WST })).toThrow(/asset is unknown/)
  })

  it('aave-v3: approve(pool contract) + supply(asset, amount, pool, 0); withdraw(asset, amount, pool)', () => {
    const dep = buildStepCalls({ venue: aave, kind: 'deposit', amount: 9n, pool: POOL, collateral: WST })
    if (dep.kind !== 'calls') throw new Error('expected calls')
    expect(decodeFunctionData({ abi: erc20ApproveAbi, data: dep.calls[0]!.data }).args).toEqual([AAVE, 9n])
    expect(decodeFunctionData({ abi: aavePoolAbi, data: dep.calls[1]!.data })).toEqual({ functionName: 'supply', args: [WST, 9n, POOL, 0] })
    const wd = buildStepCalls({ venue: aave, kind: 'withdraw', amount: 4n, pool: POOL, collateral: WST })
    if (wd.kind !== 'calls') throw new Error('expected calls')
    expect(decodeFunctionData({ abi: aavePoolAbi, data: wd.calls[0]!.data })).toEqual({ functionName: 'withdraw', args: [WST, 4n, POOL] })
  })

  it('the collateral LST is idle (no tx); another LST, other step kinds and zero amounts are refused', () => {
    expect(buildStepCalls({ venue: lst, kind: 'deposit', amount: 1n, pool: POOL, collateral: WST }).kind).toBe('idle')
    expect(buildStepCalls({ venue: lst, kind: 'withdraw', amount: 1n, pool: POOL, collateral: WST.toLowerCase() as Address }).kind).toBe('idle')
    expect(() => buildStepCalls({ venue: reth, kind: 'deposit', amount: 1n, pool: POOL, collateral: WST })).toThrow(/not the pool's collateral/)
    expect(() => buildStepCalls({ venue: vault, kind: 'bridge', amount: 1n, pool: POOL, collateral: WST })).toThrow(/not executed yet/)
    expect(() => buildStepCalls({ venue: vault, kind: 'withdraw', amount: 0n, pool: POOL, collateral: WST })).toThrow(/positive/)
  })
})

describe('checkPositionChange', () => {
  const E = 10n ** 18n
  it('accepts ±amount within rounding and one block of interest, refuses anything else', () => {
    expect(checkPositionChange({ kind: 'deposit', amount: 10n * E, before: 100n * E, after: 110n * E - 2n }).ok).toBe(true)
    expect(checkPositionChange({ kind: 'withdraw', amount: 10n * E, before: 100n * E, after: 90n * E + 3n * 10n ** 12n }).ok).toBe(true) // interest
    expect(checkPositionChange({ kind: 'deposit', amount: 10n * E, before: 100n * E, after: 100n * E }).ok).toBe(false) // nothing happened
    expect(checkPositionChange({ kind: 'withdraw', amount: 10n * E, before: 100n * E, after: 110n * E }).ok).toBe(false) // wrong direction
    expect(checkPositionChange({ kind: 'withdraw', amount: 10n * E, before: 100n * E, after: 89n * E }).ok).toBe(false) // twice-ish
    const c = checkPositionChange({ kind: 'deposit', amount: 10n * E, before: 0n, after: 10n * E, toleranceBps: 0, accrualPpm: 0 })
    expect(c).toEqual({ ok: true, expected: 10n * E, actual: 10n * E, tolerance: 10n })
  })
})
