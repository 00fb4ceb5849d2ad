import { BaseError as ViemBaseError, encodeErrorResult, HttpRequestError, RpcRequestError, TransactionRejectedRpcError } from 'viem'
import { describe, expect, it } from 'vitest'
import { RpcUnavailableError } from '../core/errors'
import { venueErrorsAbi } from './abis'
import { classifyBroadcastError, isRevert, isTransient, revertReason } from './nodeErrors'

const nodeSaid = (message: string, code = -32000) => new RpcRequestError({ body: {}, url: 'http://127.0.0.1:8545', error: { code, message } })

describe('classifyBroadcastError', () => {
  it.each([
    ['transaction already imported', 'known'], // anvil
    ['already known', 'known'], // geth
    ['Known transaction: 0xabc', 'known'], // nethermind
    ['nonce too low', 'nonce-too-low'], // geth, anvil
    ['nonce too low: next nonce 5, tx nonce 4', 'nonce-too-low'],
    ['OldNonce, Current nonce: 5, nonce of rejected tx: 4', 'nonce-too-low'], // nethermind
    ['replacement transaction underpriced', 'replacement-underpriced'],
    ['ReplacementNotAllowed', 'replacement-underpriced'],
    ['max fee per gas less than block base fee', 'fee-too-low'], // anvil
    ['transaction underpriced', 'fee-too-low'],
    ['insufficient funds for gas * price + value', 'insufficient-funds'],
    ['Insufficient funds for gas * price + value', 'insufficient-funds'], // anvil
    ['intrinsic gas too low', 'rejected'],
  ] as const)('%s → %s', (message, kind) => {
    expect(classifyBroadcastError(nodeSaid(message))).toBe(kind)
  })

  it('viem wraps the node answer in details (anvil: "Transaction creation failed.")', () => {
    const err = new TransactionRejectedRpcError(nodeSaid('Transaction creation failed.', -32003))
    ;(err as unknown as { details: string }).details = 'nonce too low'
    expect(classifyBroadcastError(err)).toBe('nonce-too-low')
  })

  it('network failures are transient', () => {
    expect(classifyBroadcastError(new HttpRequestError({ url: 'http://x', details: 'fetch failed' }))).toBe('transient')
    expect(classifyBroadcastError(new RpcUnavailableError('all endpoints down'))).toBe('transient')
    expect(isTransient(new ViemBaseError('boom', { details: 'ECONNREFUSED 127.0.0.1:8545' }))).toBe(true)
    expect(isTransient(nodeSaid('execution reverted', 3))).toBe(false)
  })
})

describe('revert decoding', () => {
  it('decodes a venue custom error with its arguments from the error data', () => {
    const data = encodeErrorResult({ abi: venueErrorsAbi, errorName: 'ERC4626ExceededMaxWithdraw', args: ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8', 5n, 3n] })
    const err = Object.assign(new ViemBaseError('Execution reverted with reason: custom error'), { cause: Object.assign(new Error('execution reverted'), { code: 3, data }) })
    expect(isRevert(err)).toBe(true)
    expect(revertReason(err)).toBe('ERC4626ExceededMaxWithdraw(0x70997970C51812dc3A010C7d01b50e0d17dc79C8, 5, 3)')
  })

  it('Error(string) gives the message; unknown selectors and plain text fall back', () => {
    const data = encodeErrorResult({ abi: [{ type: 'error', name: 'Error', inputs: [{ type: 'string', name: 'message' }] }], errorName: 'Error', args: ['Multicall3: call failed'] })
    expect(revertReason(Object.assign(new Error('x'), { data }))).toBe('Multicall3: call failed')
    expect(revertReason(Object.assign(new Error('x'), { data: '0xdeadbeef' }))).toBe('custom error 0xdeadbeef (not in the known ABIs)')
    expect(revertReason(new ViemBaseError('Execution reverted.', { details: 'execution reverted: paused' }))).toBe('execution reverted: paused')
  })
})
