import type { DevnetSession } from '../chainSession'
import { encodeFunctionData, getAddress, parseEventLogs, type Abi, type Address, type Hex, type TransactionReceipt } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import { getArtifact, type Artifacts } from '../compile'
import { tokenBridgeAbi, wormholeCoreAbi } from './abis'
import { wormholeBytecode } from './bytecode'
import {
  GOVERNANCE_CHAIN_ID,
  GOVERNANCE_CONTRACT,
  bodyOfMessage,
  devnetGuardianAddress,
  governanceVaa,
  registerChainPayload,
  signVaa,
  toUniversal,
  type PublishedMessage,
} from './vaa'

/**
 * Wormhole on the devnet chains: per chain the core bridge and the token bridge (the SDK's
 * shipped implementations behind our ERC-1967 proxies, storage written by our setup contracts,
 * contracts/wormhole/WormholeSetup.sol), the devnet guardian set (one key), token bridges
 * registered with each other by governance VAAs, the pool's LST attested on its home chain and
 * wrapped on the others. Deploy-time VAAs are signed here directly with the devnet guardian key
 * (the guardian process is not running yet); at run time the guardian (guardian.ts) signs.
 */

/** Wormhole chains for the devnet chains, by position (the SDK knows them; contracts are overridden). */
export const WORMHOLE_CHAINS = [
  { wormholeChain: 'Ethereum', wormholeChainId: 2 },
  { wormholeChain: 'Arbitrum', wormholeChainId: 23 },
  { wormholeChain: 'Base', wormholeChainId: 30 },
  { wormholeChain: 'Optimism', wormholeChainId: 24 },
  { wormholeChain: 'Polygon', wormholeChainId: 5 },
] as const

/** Blocks the devnet guardian waits on a source chain before signing (config wormhole.chains[].finality). */
export const DEVNET_WORMHOLE_FINALITY = 2

export interface WormholeChainDeployment {
  wormholeChain: string
  wormholeChainId: number
  coreBridge: Address
  tokenBridge: Address
  tokenImplementation: Address
  /** The pool's LST on this chain: native on the home chain, the Wormhole-wrapped one elsewhere. */
  lst: Address
  /** Set on the LST's home chain. */
  lstHome: boolean
}

export type WormholeContracts = Omit<WormholeChainDeployment, 'lst' | 'lstHome'>

type ChainSession = DevnetSession

async function deployRaw(s: ChainSession, account: PrivateKeyAccount, bytecode: Hex, what: string): Promise<Address> {
  const hash = s.wallet(account).deployContract({ abi: [], bytecode })
  const r = await s.receipt(hash, `deploy ${what}`)
  if (!r.contractAddress) throw new Error(`${s.spec.name}: deploy ${what}: no contract address`)
  return getAddress(r.contractAddress)
}

/** Core bridge + token bridge on one chain (the chain at `position` among the devnet chains). */
export async function deployWormholeContracts(s: ChainSession, position: number, artifacts: Artifacts, deployer: PrivateKeyAccount): Promise<WormholeContracts> {
  const wh = WORMHOLE_CHAINS[position]
  if (!wh) throw new Error(`devnet wormhole: no Wormhole chain for position ${position} (${WORMHOLE_CHAINS.length} known)`)
  const code = wormholeBytecode()
  const coreSetup = getArtifact(artifacts, 'WormholeCoreSetup')
  const bridgeSetup = getArtifact(artifacts, 'WormholeBridgeSetup')

  const coreImpl = await deployRaw(s, deployer, code.core, 'wormhole core implementation')
  const coreSetupAddr = await s.deploy(deployer, artifacts, 'WormholeCoreSetup', [])
  const coreInit = encodeFunctionData({
    abi: coreSetup.abi as Abi,
    functionName: 'setup',
    args: [coreImpl, [devnetGuardianAddress()], wh.wormholeChainId, GOVERNANCE_CHAIN_ID, GOVERNANCE_CONTRACT, BigInt(s.spec.chainId)],
  })
  const coreBridge = await s.deploy(deployer, artifacts, 'WormholeProxy', [coreSetupAddr, coreInit])

  const tokenImplementation = await deployRaw(s, deployer, code.tokenImplementation, 'wormhole token implementation')
  const bridgeImpl = await deployRaw(s, deployer, code.tokenBridge, 'wormhole token bridge implementation')
  const bridgeSetupAddr = await s.deploy(deployer, artifacts, 'WormholeBridgeSetup', [])
  const bridgeInit = encodeFunctionData({
    abi: bridgeSetup.abi as Abi,
    functionName: 'setup',
    // WETH: none on the devnet (native-ETH transfers are not used); finality 1 = "finalized"
    // consistency level: the guardian waits the chain's configured depth.
    args: [bridgeImpl, wh.wormholeChainId, coreBridge, GOVERNANCE_CHAIN_ID, GOVERNANCE_CONTRACT, tokenImplementation, '0x0000000000000000000000000000000000000000', 1, BigInt(s.spec.chainId)],
  })
  const tokenBridge = await s.deploy(deployer, artifacts, 'WormholeTokenBridgeProxy', [bridgeSetupAddr, bridgeInit])
  return { ...wh, coreBridge, tokenBridge, tokenImplementation }
}

/** The core bridge messages in a receipt. */
export function publishedMessages(receipt: TransactionReceipt, coreBridge: Address): PublishedMessage[] {
  return parseEventLogs({ abi: wormholeCoreAbi, logs: receipt.logs, eventName: 'LogMessagePublished' })
    .filter((l) => getAddress(l.address) === getAddress(coreBridge))
    .map((l) => ({ sender: getAddress(l.args.sender), sequence: l.args.sequence, nonce: l.args.nonce, payload: l.args.payload, consistencyLevel: l.args.consistencyLevel }))
}

/** Signs (devnet guardian) the single message a deploy-time receipt published. */
export async function signReceiptMessage(s: ChainSession, receipt: TransactionReceipt, wh: WormholeContracts): Promise<Hex> {
  const msgs = publishedMessages(receipt, wh.coreBridge)
  if (msgs.length !== 1) throw new Error(`${s.spec.name}: expected one Wormhole message in ${receipt.transactionHash}, found ${msgs.length}`)
  const block = await s.public.getBlock({ blockHash: receipt.blockHash })
  return signVaa(bodyOfMessage(msgs[0]!, wh.wormholeChainId, Number(block.timestamp)))
}

/** Registers every chain's token bridge on every other chain (governance VAAs, one per registered chain). */
export async function registerTokenBridges(chains: Array<{ s: ChainSession; wh: WormholeContracts }>, deployer: PrivateKeyAccount): Promise<void> {
  // One VAA per registered chain, submitted to every other chain (as mainnet's governance does).
  const vaas = await Promise.all(chains.map((c, i) => governanceVaa(registerChainPayload(c.wh.wormholeChainId, c.wh.tokenBridge), BigInt(i + 1))))
  await Promise.all(
    chains.map(async (target) => {
      for (const [i, other] of chains.entries()) {
        if (other === target) continue
        await target.s.write(deployer, `register ${other.wh.wormholeChain}`, { address: target.wh.tokenBridge, abi: tokenBridgeAbi as Abi, functionName: 'registerChain', args: [vaas[i]!] })
      }
    }),
  )
}

/** Attests `token` on its home chain and creates its wrapped version on every other chain. */
export async function attestAndWrap(
  home: { s: ChainSession; wh: WormholeContracts },
  others: Array<{ s: ChainSession; wh: WormholeContracts }>,
  token: Address,
  deployer: PrivateKeyAccount,
): Promise<Record<string, Address>> {
  const r = await home.s.write(deployer, 'attest LST', { address: home.wh.tokenBridge, abi: tokenBridgeAbi as Abi, functionName: 'attestToken', args: [token, 0] })
  const vaa = await signReceiptMessage(home.s, r, home.wh)
  const wrapped: Record<string, Address> = {}
  await Promise.all(
    others.map(async (o) => {
      await o.s.write(deployer, 'create wrapped LST', { address: o.wh.tokenBridge, abi: tokenBridgeAbi as Abi, functionName: 'createWrapped', args: [vaa] })
      const w = await o.s.public.readContract({ address: o.wh.tokenBridge, abi: tokenBridgeAbi, functionName: 'wrappedAsset', args: [home.wh.wormholeChainId, toUniversal(token)] })
      wrapped[o.s.spec.name] = getAddress(w)
    }),
  )
  return wrapped
}

/**
 * Deploy-time token bridge transfer (funding the chains' positions): approve, transferTokens on
 * `from`, sign the VAA, completeTransfer on `to` (sent by the deployer; the recipient gets the tokens).
 */
export async function bridgeAtDeploy(
  from: { s: ChainSession; wh: WormholeContracts },
  to: { s: ChainSession; wh: WormholeContracts },
  token: Address,
  amount: bigint,
  sender: PrivateKeyAccount,
  recipient: Address,
  relayer: PrivateKeyAccount,
): Promise<void> {
  await from.s.write(sender, 'approve token bridge', { address: token, abi: erc20ApproveAbi, functionName: 'approve', args: [from.wh.tokenBridge, amount] })
  const r = await from.s.write(sender, 'bridge out', {
    address: from.wh.tokenBridge,
    abi: tokenBridgeAbi as Abi,
    functionName: 'transferTokens',
    args: [token, amount, to.wh.wormholeChainId, toUniversal(recipient), 0n, 0],
  })
  const vaa = await signReceiptMessage(from.s, r, from.wh)
  await to.s.write(relayer, 'bridge in', { address: to.wh.tokenBridge, abi: tokenBridgeAbi as Abi, functionName: 'completeTransfer', args: [vaa] })
}

const erc20ApproveAbi = [
  { type: 'function', name: 'approve', stateMutability: 'nonpayable', inputs: [{ name: 'spender', type: 'address' }, { name: 'amount', type: 'uint256' }], outputs: [{ type: 'bool' }] },
] as const satisfies Abi
