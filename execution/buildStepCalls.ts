import { encodeFunctionData, type Abi, type Address, type Hex } from 'viem'
import type { VenueConfig } from '../config/schema'
import type { PlanStepKind } from '../store/types'
import { aavePoolAbi, erc4626Abi } from '../venues/abis'
import { erc20ApproveAbi } from './abis'
import { UnsupportedStepError } from './errors'

/**
 * The transactions of one plan step, pure: what to call, in order. Each call's position in the
 * list is its sub-index in the idempotency key `<plan>:<step>:<n>`, and the list's shape depends
 * only on the venue kind and step kind, so a restart builds the same keys.
 *
 *   erc4626  deposit  → [approve(vault, amount) on the asset (if the allowance is short), deposit(amount, pool)]
 *   erc4626  withdraw → [withdraw(amount, pool, pool)]
 *   aave-v3  deposit  → [approve(pool contract, amount) on the asset (if short), supply(asset, amount, pool, 0)]
 *   aave-v3  withdraw → [withdraw(asset, amount, pool)]
 *   lst (the chain's collateral token) → no transaction: collateral held idle is that venue.
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
  switch (v.kind) {
    case 'lst':
      if (!same(v.address, input.collateral)) {
        throw new UnsupportedStepError(`${kind} on ${v.id}: the LST ${v.address} is not the pool's collateral ${input.collateral} on ${v.chain}; swapping between LSTs is not supported`)
      }
      return { kind: 'idle', reason: `${v.id} is the collateral held idle: no transaction` }
    case 'erc4626': {
      if (kind === 'withdraw') {
        return { kind: 'calls', main: 0, calls: [{ label: 'withdraw', to: v.address, data: encodeFunctionData({ abi: erc4626Abi, functionName: 'withdraw', args: [amount, pool, pool] }), abi: erc4626Abi }] }
      }
      if (!input.vaultAsset) throw new UnsupportedStepError(`deposit into ${v.id}: the vault's asset is unknown`)
      return {
        kind: 'calls',
        main: 1,
        calls: [approveCall(input.vaultAsset, v.address, amount), { label: 'deposit', to: v.address, data: encodeFunctionData({ abi: erc4626Abi, functionName: 'deposit', args: [amount, pool] }), abi: erc4626Abi }],
      }
    }
    case 'aave-v3': {
      if (kind === 'withdraw') {
        return { kind: 'calls', main: 0, calls: [{ label: 'withdraw', to: v.address, data: encodeFunctionData({ abi: aavePoolAbi, functionName: 'withdraw', args: [v.asset, amount, pool] }), abi: aavePoolAbi }] }
      }
      return {
        kind: 'calls',
        main: 1,
        calls: [approveCall(v.asset, v.address, amount), { label: 'supply', to: v.address, data: encodeFunctionData({ abi: aavePoolAbi, functionName: 'supply', args: [v.asset, amount, pool, 0] }), abi: aavePoolAbi }],
      }
    }
  }
}
