import { decodeFunctionData, type Address } from 'viem'
import { describe, expect, it } from 'vitest'
import type { VenueConfig } from '../config/schema'
import { erc20ApproveAbi, slippageRouterAbi } from './abis'
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

const ROUTER = '0x6666666666666666666666666666666666666666' as Address
const ATOKEN = '0x4444444444444444444444444444444444444444' as Address
const r = { pool: POOL, collateral: WST, router: ROUTER }

describe('buildStepCalls', () => {
  it('erc4626 through the router: deposit = approve(router, amount) on the asset + depositChecked(vault, amount, pool, minSharesOut); withdraw = approve(router, maxSharesIn) on the shares + withdrawChecked(vault, amount, pool, pool, maxSharesIn)', () => {
    const dep = buildStepCalls({ ...r, venue: vault, kind: 'deposit', amount: 7n, vaultAsset: WST, bound: 6n })
    if (dep.kind !== 'calls') throw new Error('expected calls')
    expect(dep.main).toBe(1)
    expect(dep.calls.map((c) => [c.label, c.to])).toEqual([
      ['approve', WST],
      ['deposit', ROUTER],
    ])
    expect(decodeFunctionData({ abi: erc20ApproveAbi, data: dep.calls[0]!.data }).args).toEqual([ROUTER, 7n])
    expect(dep.calls[0]!.allowance).toEqual({ token: WST, spender: ROUTER, amount: 7n })
    expect(decodeFunctionData({ abi: slippageRouterAbi, data: dep.calls[1]!.data })).toEqual({ functionName: 'depositChecked', args: [VAULT, 7n, POOL, 6n] })
    const wd = buildStepCalls({ ...r, venue: vault, kind: 'withdraw', amount: 5n, bound: 9n })
    if (wd.kind !== 'calls') throw new Error('expected calls')
    expect(wd.main).toBe(1)
    expect(wd.calls[0]!.allowance).toEqual({ token: VAULT, spender: ROUTER, amount: 9n })
    expect(decodeFunctionData({ abi: slippageRouterAbi, data: wd.calls[1]!.data })).toEqual({ functionName: 'withdrawChecked', args: [VAULT, 5n, POOL, POOL, 9n] })
    expect(() => buildStepCalls({ ...r, venue: vault, kind: 'deposit', amount: 7n, bound: 6n })).toThrow(/asset is unknown/)
  })

  it('aave-v3 through the router: approve(router) on the asset + supplyChecked(market, asset, aToken, amount, pool, min); approve(router) on the aToken + withdrawSupplyChecked(…, min)', () => {
    const dep = buildStepCalls({ ...r, venue: aave, kind: 'deposit', amount: 9n, bound: 8n })
    if (dep.kind !== 'calls') throw new Error('expected calls')
    expect(decodeFunctionData({ abi: erc20ApproveAbi, data: dep.calls[0]!.data }).args).toEqual([ROUTER, 9n])
    expect(dep.calls[0]!.to).toBe(WST)
    expect(decodeFunctionData({ abi: slippageRouterAbi, data: dep.calls[1]!.data })).toEqual({ functionName: 'supplyChecked', args: [AAVE, WST, ATOKEN, 9n, POOL, 8n] })
    const wd = buildStepCalls({ ...r, venue: aave, kind: 'withdraw', amount: 4n, bound: 3n })
    if (wd.kind !== 'calls') throw new Error('expected calls')
    expect(wd.calls[0]!.allowance).toEqual({ token: ATOKEN, spender: ROUTER, amount: 4n })
    expect(decodeFunctionData({ abi: slippageRouterAbi, data: wd.calls[1]!.data })).toEqual({ functionName: 'withdrawSupplyChecked', args: [AAVE, WST, ATOKEN, 4n, POOL, 3n] })
  })

  it('never unbounded: no router or no bound refuses the move, naming the field', () => {
    expect(() => buildStepCalls({ venue: vault, kind: 'deposit', amount: 7n, pool: POOL, collateral: WST, vaultAsset: WST, bound: 6n })).toThrow(/chains\[\]\.router/)
    expect(() => buildStepCalls({ ...r, venue: aave, kind: 'withdraw', amount: 7n })).toThrow(/no slippage bound/)
  })

  it('the collateral LST is idle (no tx, no router needed); another LST, other step kinds and zero amounts are refused', () => {
    expect(buildStepCalls({ venue: lst, kind: 'deposit', amount: 1n, pool: POOL, collateral: WST }).kind).toBe('idle')
    expect(buildStepCalls({ venue: lst, kind: 'withdraw', amount: 1n, pool: POOL, collateral: WST.toLowerCase() as Address }).kind).toBe('idle')
    expect(() => buildStepCalls({ venue: reth, kind: 'deposit', amount: 1n, pool: POOL, collateral: WST })).toThrow(/not the pool's collateral/)
    expect(() => buildStepCalls({ ...r, venue: vault, kind: 'bridge', amount: 1n })).toThrow(/not executed yet/)
    expect(() => buildStepCalls({ ...r, venue: vault, kind: 'withdraw', amount: 0n, bound: 1n })).toThrow(/positive/)
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
