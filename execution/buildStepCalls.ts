import { encodeFunctionData, type Abi, type Address, type Hex } from 'viem'
import type { VenueConfig } from '../config/schema'
import type { PlanStepKind } from '../store/types'
import { erc20ApproveAbi, slippageRouterAbi } from './abis'
import { UnsupportedStepError } from './errors'

/**
 * The transactions of one plan step, pure: what to call, in order. Each call's position in the
 * list is its sub-index in the idempotency key `<plan>:<step>:<n>`, and the list's shape depends
 * only on the venue kind and step kind, so a restart builds the same keys.
 *
 * Every move goes through the chain's SlippageRouter (contracts/SlippageRouter.sol) with the
 * step's bound (plans/slippage.ts), enforced in the same transaction:
 *   erc4626  deposit  → [approve(router, amount) on the asset, router.depositChecked(vault, amount, pool, minSharesOut)]
 *   erc4626  withdraw → [approve(router, maxSharesIn) on the vault's shares, router.withdrawChecked(vault, amount, pool, pool, maxSharesIn)]
 *   aave-v3  deposit  → [approve(router, amount) on the asset, router.supplyChecked(market, asset, aToken, amount, pool, minATokenOut)]
 *   aave-v3  withdraw → [approve(router, amount) on the aToken, router.withdrawSupplyChecked(market, asset, aToken, amount, pool, minAssetsOut)]
 *   lst (the chain's collateral token) → no transaction: collateral held idle is that venue.
 * Each approve is sent only when the allowance is short (the router moves only its caller's own
 * funds, so an allowance left to it is harmless).
 */

export interface StepCall {
  /** What the call does, for logs and step details. */
  label: 'approve' | 'deposit' | 'supply' | 'withdraw'
  to: Address
  data: Hex
  /** ABI for decoding a revert reason. */
  abi: Abi
  /** Present on an approve: sent only when allowance(owner, spender) on `to` is below `amount`. */
  allowance?: { token: Address; spender: Address; amount: bigint }
}

export type StepPlan =
  | { kind: 'idle'; reason: string }
  | { kind: 'calls'; calls: StepCall[]; /** Index of the call that moves the position (verified afterwards). */ main: number }

export interface StepCallsInput {
  venue: VenueConfig
  kind: PlanStepKind
  amount: bigint
  /** The pool account (receiver and owner). */
  pool: Address
  /** The pool's collateral token on the step's chain. */
  collateral: Address
  /** The ERC-4626 vault's asset (read from `asset()`); required for an erc4626 deposit. */
  vaultAsset?: Address
  /** The chain's SlippageRouter (config chains[].router); required for any move. */
  router?: Address
  /** The step's bound (plans/slippage.ts): minSharesOut, maxSharesIn, minATokenOut or minAssetsOut. */
  bound?: bigint
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

function approveCall(token: Address, spender: Address, amount: bigint): StepCall {
  return {
    label: 'approve',
    to: token,
    data: encodeFunctionData({ abi: erc20ApproveAbi, functionName: 'approve', args: [spender, amount] }),
    abi: erc20ApproveAbi,
    allowance: { token, spender, amount },
  }
}

export function buildStepCalls(input: StepCallsInput): StepPlan {
  const { venue: v, kind, amount, pool } = input
  if (amount <= 0n) throw new UnsupportedStepError(`step on ${v.id}: amount must be positive`)
  if (kind !== 'deposit' && kind !== 'withdraw') throw new UnsupportedStepError(`step kind "${kind}" on ${v.id} is not executed yet (deposit and withdraw are)`)
  if (v.kind === 'lst') {
    if (!same(v.address, input.collateral)) {
      throw new UnsupportedStepError(`${kind} on ${v.id}: the LST ${v.address} is not the pool's collateral ${input.collateral} on ${v.chain}; swapping between LSTs is not supported`)
    }
    return { kind: 'idle', reason: `${v.id} is the collateral held idle: no transaction` }
  }
  const router = input.router
  if (!router) throw new UnsupportedStepError(`${kind} on ${v.id}: no slippage router on ${v.chain}: deploy contracts/SlippageRouter.sol and set chains[].router for "${v.chain}" (moves are never sent unbounded)`)
  const bound = input.bound
  if (bound === undefined || bound < 0n) throw new UnsupportedStepError(`${kind} on ${v.id}: the step has no slippage bound (no preview)`)
  const routed = (label: StepCall['label'], data: Hex): StepCall => ({ label, to: router, data, abi: slippageRouterAbi })
  switch (v.kind) {
    case 'erc4626': {
      if (kind === 'withdraw') {
        return {
          kind: 'calls',
          main: 1,
          calls: [approveCall(v.address, router, bound), routed('withdraw', encodeFunctionData({ abi: slippageRouterAbi, functionName: 'withdrawChecked', args: [v.address, amount, pool, pool, bound] }))],
        }
      }
      if (!input.vaultAsset) throw new UnsupportedStepError(`deposit into ${v.id}: the vault's asset is unknown`)
      return {
        kind: 'calls',
        main: 1,
        calls: [approveCall(input.vaultAsset, router, amount), routed('deposit', encodeFunctionData({ abi: slippageRouterAbi, functionName: 'depositChecked', args: [v.address, amount, pool, bound] }))],
      }
    }
    case 'aave-v3': {
      if (kind === 'withdraw') {
        return {
          kind: 'calls',
          main: 1,
          calls: [approveCall(v.aToken, router, amount), routed('withdraw', encodeFunctionData({ abi: slippageRouterAbi, functionName: 'withdrawSupplyChecked', args: [v.address, v.asset, v.aToken, amount, pool, bound] }))],
        }
      }
      return {
        kind: 'calls',
        main: 1,
        calls: [approveCall(v.asset, router, amount), routed('supply', encodeFunctionData({ abi: slippageRouterAbi, functionName: 'supplyChecked', args: [v.address, v.asset, v.aToken, amount, pool, bound] }))],
      }
    }
  }
}
