import { erc20Abi, parseEther, type Address, type Hex } from 'viem'
import { describe, expect, it } from 'vitest'
import { useDevnet } from '../../test/devnet'
import { slippageRouterAbi } from '../abis'
import { testConfig } from '../testing/devnetHelpers'
import { collateralFlows } from './readValuation'

/**
 * Rewards are earnings, never principal: the pool's own moves into and out of a venue through the
 * chain's SlippageRouter are internal (seen live: three plans' 200.5 wstETH moved through the
 * router were counted as principal withdrawn, so an epoch's "earnings" were 200.5 wstETH in three
 * minutes — stopped only by the distributor role's allowance). A transfer to an outside address
 * is still principal out.
 */
const devnet = useDevnet()
const CHAIN = 'ethereum'

describe('collateral flows for the reward epoch', () => {
  it('a deposit and a withdrawal through the router are internal; a transfer out is a withdrawal of principal', async () => {
    const cfg = testConfig(devnet)
    const c = devnet.chain(CHAIN)
    const pool = devnet.accounts.pool.address
    const router = cfg.chains.find((x) => x.name === CHAIN)!.router!
    const vault = cfg.venues.find((v) => v.id === `${CHAIN}-vault-core`)!.address as Address
    const token = devnet.deployment.chains[CHAIN]!.collateral as Address
    const wait = async (hash: Hex) => expect((await c.public.waitForTransactionReceipt({ hash, pollingInterval: 20 })).status).toBe('success')
    const w = c.wallet(devnet.accounts.pool)

    const startBlock = await c.public.getBlockNumber({ cacheTime: 0 })
    await wait(await w.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [router, parseEther('2')] }))
    await wait(await w.writeContract({ address: router, abi: slippageRouterAbi, functionName: 'depositChecked', args: [vault, parseEther('2'), pool, 0n] }))
    await wait(await w.writeContract({ address: vault, abi: erc20Abi, functionName: 'approve', args: [router, parseEther('1000')] }))
    await wait(await w.writeContract({ address: router, abi: slippageRouterAbi, functionName: 'withdrawChecked', args: [vault, parseEther('1'), pool, pool, parseEther('1000')] }))
    await wait(await w.writeContract({ address: token, abi: erc20Abi, functionName: 'transfer', args: [devnet.accounts.deployer.address, parseEther('0.5')] }))
    const endBlock = await c.public.getBlockNumber({ cacheTime: 0 })

    const flows = await collateralFlows(cfg, c.public, { chain: CHAIN, startBlock, endBlock })
    expect(flows).toEqual({ deposits: 0n, withdrawals: parseEther('0.5'), rewardsFunded: 0n })

    // Without the router in the config the same blocks read as principal leaving (what the live epoch paid out).
    const noRouter = { ...cfg, chains: cfg.chains.map((x) => (x.name === CHAIN ? { ...x, router: undefined } : x)) }
    const wrong = await collateralFlows(noRouter, c.public, { chain: CHAIN, startBlock, endBlock })
    expect(wrong.withdrawals).toBe(parseEther('2.5'))
  })
})
