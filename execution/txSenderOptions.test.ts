import { describe, expect, it } from 'vitest'
import { parseConfig } from '../config/load'
import { baseConfigInput } from '../config/testing'
import { txSenderOptions } from './createTxSender'

describe('txSenderOptions', () => {
  it('carries the execution section to every signing agent', () => {
    const config = parseConfig({ ...baseConfigInput(), execution: { criticalGasBalanceEth: 0.5, stuckAfterBlocks: 3, cancelAfterBlocks: 40, feeBumpPercent: 30, txMaxAttempts: 9, rpcAttempts: 2, gasPadPercent: 20, gasPadExtra: 1_000 } })
    expect(txSenderOptions(config, { agent: 'governor' })).toEqual({
      agent: 'governor',
      criticalGasBalance: 500_000_000_000_000_000n,
      stuckAfterBlocks: 3,
      cancelAfterBlocks: 40,
      feeBumpPercent: 30,
      maxAttempts: 9,
      rpcAttempts: 2,
      gasPad: { percent: 20, extra: 1_000 },
    })
  })
})
