import { encodeFunctionData, erc20Abi, parseEther, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { createChainClient } from '../chains/createChainClient'
import { createLogger } from '../core/logger'
import { devAccount, devKey, ROLES } from '../devnet/accounts'
import { ChainSession } from '../devnet/deploy'
import type { LocalDevnet } from '../devnet/local'
import { createTxSender } from '../execution/createTxSender'
import { custodySenders } from '../execution/custody'
import { slippageRouterAbi } from '../execution/abis'
import { openTempStore } from '../store/testing'

/**
 * Gas of one rebalance step (approve + deposit into an ERC-4626 vault) sent by the executor
 * through the Roles modifier for the Safe (execTransactionWithRole, the exactly-once sender),
 * against the same two calls sent directly from an EOA (the deployer, which holds collateral and
 * shares in the same vault, so both deposits touch the same kinds of storage).
 */
export interface CustodyGas {
  label: string
  role: bigint
  eoa: bigint
}

export async function benchCustodyGas(devnet: LocalDevnet, chain = 'ethereum'): Promise<CustodyGas[]> {
  const config = devnet.config
  if (config.custody.kind !== 'safe') throw new Error('bench custody: needs a devnet with custody "safe"')
  const c = config.chains.find((x) => x.name === chain)!
  const vault = config.venues.find((v) => v.id === `${chain}-vault-boost`)!.address as Address
  const token = config.pool.collateral.find((x) => x.chain === chain)!.token as Address
  const amount = parseEther('10')
  const logger = createLogger({ bench: 'custody' }, 'silent')
  const { store, cleanup } = await openTempStore()
  const s = new ChainSession({ name: chain, chainId: c.chainId, url: c.rpc[0]!.url })
  try {
    const client = createChainClient({ chain: c, logger, timeoutMs: 5_000 })
    const inner = createTxSender({ common: { config, logger }, store, chain: client, account: privateKeyToAccount(devKey(ROLES.pool)), options: { pollIntervalMs: 20 } })
    const role = custodySenders(config, { [chain]: inner })[chain]!
    // A deposit step as the executor sends it: approve(router) + the router's bounded deposit (min 0 here: gas only).
    const router = c.router as Address
    const depositChecked = (receiver: Address) => encodeFunctionData({ abi: slippageRouterAbi, functionName: 'depositChecked', args: [vault, amount, receiver, 0n] })
    const calls: Array<{ label: string; to: Address; data: Hex }> = [
      { label: 'approve', to: token, data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [router, amount] }) },
      { label: 'deposit', to: router, data: depositChecked(config.pool.account as Address) },
    ]
    const out: CustodyGas[] = []
    const eoa = devAccount(ROLES.deployer)
    // The EOA's own allowance starts at 0 like the Safe's.
    await s.receipt(s.wallet(eoa).sendTransaction({ to: token, data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [router, 0n] }) }), 'reset')
    for (const [n, call] of calls.entries()) {
      const intent = await role.send({ key: `bench-custody:0:${n}`, to: call.to, data: call.data })
      const roleGas = (await s.public.getTransactionReceipt({ hash: intent.txHash! })).gasUsed
      const eoaData = call.label === 'deposit' ? depositChecked(eoa.address) : call.data
      const r = await s.receipt(s.wallet(eoa).sendTransaction({ to: call.to, data: eoaData }), `eoa ${call.label}`)
      out.push({ label: call.label, role: roleGas, eoa: r.gasUsed })
    }
    return out
  } finally {
    await cleanup()
  }
}
