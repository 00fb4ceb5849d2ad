import { describe, expect, it } from 'vitest'
import { useDevnet } from '../test/devnet'
import { stepGasCost } from '../strategies/gasPrice'
import { strategyPolicySchema } from '../strategies/policy'
import { createChainClient } from './createChainClient'
import { readFeeHistory } from './feeHistory'

const devnet = useDevnet()

/** eth_feeHistory on a real anvil chain, checked against the blocks' own headers. */
describe('fee history read from a chain', () => {
  it('covers the last `blocks` blocks up to the head, each base fee as in its block header; the step is priced from it', async () => {
    const c = devnet.chain('ethereum')
    await devnet.mine('ethereum', 6)
    const chain = devnet.config.chains.find((x) => x.name === 'ethereum')!
    const client = createChainClient({ chain })
    const policy = strategyPolicySchema.parse({ costs: { gas: { source: 'fee-history', blocks: 5 } } })
    const r = await readFeeHistory(client.client, policy.costs.gas, () => 1_000)
    const head = await c.public.getBlockNumber()
    expect(r.readAtMs).toBe(1_000)
    expect(r.baseFeePerGas).toHaveLength(6)
    expect(r.oldestBlock).toBe(head - 4n)
    for (let i = 0; i < 5; i++) {
      const block = await c.public.getBlock({ blockNumber: r.oldestBlock + BigInt(i) })
      expect(r.baseFeePerGas[i], `block ${block.number}`).toBe(block.baseFeePerGas)
    }
    expect(r.reward).toHaveLength(5)
    const cost = stepGasCost(policy, 'ethereum', r, { headBlock: head, nowMs: 2_000 })
    expect(cost.ok).toBe(true)
    if (!cost.ok) return
    expect(cost.newestBlock).toBe(head)
    expect(cost.baseFeeWei).toBe(r.baseFeePerGas[5])
    expect(cost.perStep).toBeGreaterThan(0)
  })
})
