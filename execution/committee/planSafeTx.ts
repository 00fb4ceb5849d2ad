import SafeApiKit from '@safe-global/api-kit'
import Safe, { EthSafeSignature } from '@safe-global/protocol-kit'
import { BaseError, decodeAbiParameters, decodeErrorResult, encodeFunctionData, getAddress, hexToBigInt, parseAbi, parseAbiItem, recoverAddress, size, slice, type Address, type Hex, type PublicClient } from 'viem'
import type { Config } from '../../config/schema'
import type { Plan, PlanStep } from '../../store/types'
import type { SafeTxData, SafeTxRecord } from '../../store'
import { erc4626Abi } from '../../venues/abis'
import { buildStepCalls } from '../buildStepCalls'
import { UnsupportedStepError } from '../errors'
import { previewStepOnChain } from '../revalidate'
import { boundOf, previewWhat, storedPreviewOf } from '../../plans/slippage'
import { contractNetworksOf, type SafeTransaction } from '../custody/safeTx'
import type { BridgePort } from '../bridge'
import { bridgeStepCalls } from './crossChainLegs'

/**
 * A committee plan as Safe transactions (custody "safe"): one per chain, the plan's steps there
 * as a MultiSendCallOnly batch built by protocol-kit (hash included: no SafeTx hashing here).
 * Signatures are EIP-712 SafeTx signatures of the Safe's owners; they travel through the Safe
 * Transaction Service (api-kit) and are verified here against the Safe's owners and threshold
 * ON CHAIN before anything is executed. The SafeTx executed is always the one stored, never one
 * returned by a service.
 */

export const SAFE_READ_ABI = parseAbi([
  'function nonce() view returns (uint256)',
  'function getThreshold() view returns (uint256)',
  'function getOwners() view returns (address[])',
  'function encodeTransactionData(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce) view returns (bytes)',
  'function checkNSignatures(bytes32 dataHash, bytes data, bytes signatures, uint256 requiredSignatures) view',
])
const SIMULATE_ABI = parseAbi([
  'function simulateAndRevert(address targetContract, bytes calldataPayload)',
  'function simulate(address to, uint256 value, bytes data, uint8 operation) returns (uint256 estimate, bool success, bytes returnData)',
])
const EXEC_ABI = parseAbi(['function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool)'])

/** The Safe's execTransaction call of a stored SafeTx with its (verified) signatures. */
export function encodeExecTransaction(t: SafeTxData, signatures: Hex): Hex {
  return encodeFunctionData({
    abi: EXEC_ABI, functionName: 'execTransaction',
    args: [getAddress(t.to), BigInt(t.value), t.data as Hex, t.operation, BigInt(t.safeTxGas), BigInt(t.baseGas), BigInt(t.gasPrice), getAddress(t.gasToken), getAddress(t.refundReceiver), signatures],
  })
}

export const EXECUTION_SUCCESS = parseAbiItem('event ExecutionSuccess(bytes32 indexed txHash, uint256 payment)')

export interface CommitteeChain {
  name: string
  /** RPC URL protocol-kit talks to. */
  url: string
  client: PublicClient
}

/** The chain's api-kit instance (custody.chains[].txServiceUrl), or undefined when none is configured. */
export function txServiceOf(config: Pick<Config, 'chains' | 'custody'>, chain: string): SafeApiKit | undefined {
  const c = config.custody.chains.find((x) => x.chain === chain)
  const chainId = config.chains.find((x) => x.name === chain)?.chainId
  if (!c?.txServiceUrl || chainId === undefined) return undefined
  const apiKey = process.env[config.custody.txServiceApiKeyEnv]?.trim()
  return new SafeApiKit({ chainId: BigInt(chainId), txServiceUrl: c.txServiceUrl, ...(apiKey ? { apiKey } : {}) })
}

/** A protocol-kit instance for the pool's Safe on `chain` (signing with `key` when given). */
export function kitFor(config: Pick<Config, 'chains' | 'custody' | 'pool'>, chain: CommitteeChain, key?: Hex): Promise<Safe> {
  return Safe.init({ provider: chain.url, ...(key ? { signer: key } : {}), safeAddress: getAddress(config.pool.account), contractNetworks: contractNetworksOf(config) })
}

/** Chains of a plan's steps that need a Safe transaction (in step order, each once). */
export function committeeChains(steps: readonly PlanStep[]): string[] {
  return [...new Set(steps.map((s) => s.chain))]
}

export interface CommitteeCallOptions {
  /** The Wormhole port building a bridge step's transferTokens (absent: bridge steps are refused). */
  bridge?: BridgePort
  /** Skip the pre-signing simulation (a destination leg: its funds are still to land). */
  noSimulation?: boolean
}

/**
 * The calls of a plan's steps on one chain, in order (approve included: the batch is atomic).
 * Idle steps (collateral held) have none; a bridge step is approve + transferTokens
 * (crossChainLegs.ts); a redeem step has none here (the executor redeems before the chain's Safe tx).
 */
export async function committeeCalls(config: Config, client: PublicClient, steps: readonly PlanStep[], chain: string, opts: CommitteeCallOptions = {}): Promise<Array<{ to: Address; data: Hex; value?: bigint }>> {
  const pool = getAddress(config.pool.account)
  const collateral = config.pool.collateral.find((c) => c.chain === chain)?.token
  if (!collateral) throw new UnsupportedStepError(`no pool collateral configured on ${chain}`)
  const out: Array<{ to: Address; data: Hex; value?: bigint }> = []
  for (const step of steps.filter((s) => s.chain === chain)) {
    // A redeem runs outside the Safe tx (crossChainLegs.ts): completeTransfer delivers to the Safe whoever sends it.
    if (step.kind === 'redeem') continue
    if (step.kind === 'bridge') {
      if (!opts.bridge) throw new UnsupportedStepError(`step ${step.idx}: a committee plan's bridge step needs the Wormhole bridge (config "wormhole")`)
      out.push(...(await bridgeStepCalls(config, opts.bridge, step)))
      continue
    }
    const venue = config.venues.find((v) => v.id === step.venueId)
    if (!venue || venue.chain !== chain) throw new UnsupportedStepError(`step ${step.idx}: venue "${step.venueId}" is not configured on ${chain}`)
    const vaultAsset = venue.kind === 'erc4626' && step.kind === 'deposit' ? await client.readContract({ address: venue.address, abi: erc4626Abi, functionName: 'asset' }) : undefined
    // Slippage bound (plans/slippage.ts): the one previewed when the plan was decided; a step
    // stored without one is bounded by the venue's preview now, at execution.slippageBps.
    const what = previewWhat(venue.kind, step.kind)
    let bound = storedPreviewOf(step.detail)?.bound
    if (what && bound === undefined) {
      const now = await previewStepOnChain(client, venue, step.kind, step.amount)
      if (now !== undefined) bound = boundOf(what, now, config.execution.slippageBps)
    }
    const router = config.chains.find((c) => c.name === chain)?.router
    const built = buildStepCalls({ venue, kind: step.kind, amount: step.amount, pool, collateral, vaultAsset, router, bound })
    if (built.kind === 'calls') for (const c of built.calls) out.push({ to: c.to, data: c.data })
  }
  return out
}

export const safeTxDataOf = (tx: SafeTransaction): SafeTxData => ({
  to: getAddress(tx.data.to), value: String(tx.data.value), data: tx.data.data, operation: Number(tx.data.operation),
  safeTxGas: String(tx.data.safeTxGas), baseGas: String(tx.data.baseGas), gasPrice: String(tx.data.gasPrice),
  gasToken: getAddress(tx.data.gasToken), refundReceiver: getAddress(tx.data.refundReceiver), nonce: String(tx.data.nonce),
})

/** protocol-kit's SafeTransaction of a stored SafeTx (the hash is recomputed and must match). */
export async function safeTransactionOf(kit: Safe, stored: Pick<SafeTxRecord, 'tx' | 'safeTxHash'>): Promise<SafeTransaction> {
  const t = stored.tx
  const tx = await kit.createTransaction({
    transactions: [{ to: t.to, value: t.value, data: t.data, operation: t.operation }],
    options: { safeTxGas: t.safeTxGas, baseGas: t.baseGas, gasPrice: t.gasPrice, gasToken: t.gasToken, refundReceiver: t.refundReceiver, nonce: Number(t.nonce) },
  })
  const hash = (await kit.getTransactionHash(tx)).toLowerCase()
  if (hash !== stored.safeTxHash.toLowerCase()) throw new Error(`the stored Safe transaction hashes to ${hash}, not ${stored.safeTxHash}: refusing it`)
  return tx
}

/**
 * Builds the Safe transaction of a plan on one chain at `nonce` (protocol-kit: one call as is,
 * several as a MultiSendCallOnly delegatecall batch). Returns its data and SafeTx hash.
 */
export async function buildPlanSafeTx(config: Config, chain: CommitteeChain, steps: readonly PlanStep[], nonce: number, opts: CommitteeCallOptions = {}): Promise<{ tx: SafeTxData; safeTxHash: Hex; simulation?: SafeTxSimulation }> {
  const calls = await committeeCalls(config, chain.client, steps, chain.name, opts)
  if (calls.length === 0) throw new UnsupportedStepError(`plan has no call on ${chain.name}`)
  const kit = await kitFor(config, chain)
  const tx = await kit.createTransaction({ transactions: calls.map((c) => ({ to: c.to, data: c.data, value: String(c.value ?? 0n) })), onlyCalls: true, options: { nonce } })
  const data = safeTxDataOf(tx)
  const accessor = config.custody.chains.find((c) => c.chain === chain.name)?.contracts?.simulateTxAccessor
  const simulation = opts.noSimulation ? undefined : await simulateSafeTx(chain.client, getAddress(config.pool.account), accessor, data)
  return { tx: data, safeTxHash: (await kit.getTransactionHash(tx)) as Hex, ...(simulation ? { simulation } : {}) }
}

export interface SafeTxSimulation {
  success: boolean
  /** Gas the Safe's call used (SimulateTxAccessor's estimate). */
  gas: bigint
  /** The revert reason when it failed (decoded Error(string) or the raw data). */
  revert?: string
}

/**
 * Simulates a Safe transaction's call as the Safe itself at the latest block, before anyone signs:
 * an eth_call of the Safe's `simulateAndRevert` delegating to SimulateTxAccessor (Safe v1.4.1
 * StorageAccessible), which runs the call in the Safe's context and reverts with the outcome; no
 * signature and no state change. Undefined when the chain has no SimulateTxAccessor in config.
 */
export async function simulateSafeTx(client: PublicClient, safe: Address, accessor: Address | undefined, tx: Pick<SafeTxData, 'to' | 'value' | 'data' | 'operation'>): Promise<SafeTxSimulation | undefined> {
  if (!accessor) return undefined
  const payload = encodeFunctionData({ abi: SIMULATE_ABI, functionName: 'simulate', args: [getAddress(tx.to), BigInt(tx.value), tx.data as Hex, tx.operation] })
  const data = encodeFunctionData({ abi: SIMULATE_ABI, functionName: 'simulateAndRevert', args: [accessor, payload] })
  let raw: Hex | undefined
  try {
    await client.call({ to: safe, data })
  } catch (err) {
    const found = err instanceof BaseError ? (err.walk((e) => typeof (e as { data?: unknown }).data === 'string' && String((e as { data: string }).data).startsWith('0x')) as { data?: Hex } | null) : null
    raw = found?.data
  }
  // simulateAndRevert reverts with (bool delegatecall success, uint256 length, bytes returndata).
  if (!raw || size(raw) < 64) throw new Error('Safe simulation: simulateAndRevert did not revert with its result')
  if (hexToBigInt(slice(raw, 0, 32)) !== 1n) throw new Error('Safe simulation: the SimulateTxAccessor call itself failed')
  const [gas, success, returnData] = decodeAbiParameters([{ type: 'uint256' }, { type: 'bool' }, { type: 'bytes' }], slice(raw, 64))
  if (success) return { success, gas }
  let revert: string = returnData
  try {
    const e = decodeErrorResult({ abi: parseAbi(['error Error(string)']), data: returnData })
    revert = String(e.args[0])
  } catch {
    // keep the raw data
  }
  return { success, gas, revert }
}

/** The next Safe nonce to use: past the chain's, past our own open Safe txs, past the service's pending ones. */
export async function nextSafeNonce(client: PublicClient, safe: Address, openNonces: readonly number[], service?: SafeApiKit): Promise<number> {
  const onChain = Number(await client.readContract({ address: safe, abi: SAFE_READ_ABI, functionName: 'nonce' }))
  const fromService = service ? Number(await service.getNextNonce(safe)) : 0
  return Math.max(onChain, fromService, ...openNonces.map((n) => n + 1))
}

export interface VerifiedSignatures {
  /** Owners whose signatures verified (current owners only, each once). */
  owners: Address[]
  threshold: number
  /** Signatures needed: max(the Safe's threshold, the plan's approvalsRequired). */
  needed: number
  /** The SafeTransaction with the verified signatures (ready for execTransaction) when enough verified. */
  ready?: SafeTransaction
  /** Why a confirmation was not counted (never fatal). */
  refused: string[]
}

/**
 * Reads the confirmations of a stored Safe tx back from the service and verifies each against the
 * Safe on chain: the signer must be a current owner (getOwners now, so a former member never
 * counts), its signature must recover to it over OUR safeTxHash, and the set must pass the Safe's
 * own `checkNSignatures` at the threshold. Never trusts the service's counts.
 */
export async function verifiedSignatures(
  config: Config,
  chain: CommitteeChain,
  stored: SafeTxRecord,
  plan: Pick<Plan, 'approvalsRequired'>,
  service: SafeApiKit,
): Promise<VerifiedSignatures> {
  const safe = getAddress(stored.safe)
  const [ownersRaw, thresholdRaw] = await Promise.all([
    chain.client.readContract({ address: safe, abi: SAFE_READ_ABI, functionName: 'getOwners' }),
    chain.client.readContract({ address: safe, abi: SAFE_READ_ABI, functionName: 'getThreshold' }),
  ])
  const owners = ownersRaw.map((o) => getAddress(o))
  const threshold = Number(thresholdRaw)
  const needed = Math.max(threshold, plan.approvalsRequired)
  const refused: string[] = []
  let confirmations: Array<{ owner: string; signature?: string | null }> = []
  try {
    const t = await service.getTransaction(stored.safeTxHash)
    confirmations = t.confirmations ?? []
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return { owners: [], threshold, needed, refused: ['not proposed to the transaction service yet'] }
    throw err
  }
  const hash = stored.safeTxHash as Hex
  const good = new Map<Address, Hex>()
  for (const c of confirmations) {
    const sig = c.signature as Hex | undefined | null
    if (!sig || !/^0x[0-9a-fA-F]{130}$/.test(sig)) {
      refused.push(`${c.owner}: not a 65-byte ECDSA signature`)
      continue
    }
    const v = parseInt(sig.slice(-2), 16)
    if (v !== 27 && v !== 28) {
      refused.push(`${c.owner}: signature type v=${v} is not an EIP-712 signature`)
      continue
    }
    const signer = await recoverAddress({ hash, signature: sig }).catch(() => undefined)
    if (!signer || signer !== getAddress(c.owner)) {
      refused.push(`${c.owner}: the signature does not recover to the owner over ${hash}`)
      continue
    }
    if (!owners.includes(signer)) {
      refused.push(`${signer}: not a current owner of the Safe`)
      continue
    }
    good.set(signer, sig)
  }
  const out: VerifiedSignatures = { owners: [...good.keys()], threshold, needed, refused }
  if (good.size < needed) return out
  const kit = await kitFor(config, chain)
  const tx = await safeTransactionOf(kit, stored)
  for (const [owner, sig] of good) tx.addSignature(new EthSafeSignature(owner, sig))
  const t = stored.tx
  const txData = await chain.client.readContract({
    address: safe, abi: SAFE_READ_ABI, functionName: 'encodeTransactionData',
    args: [getAddress(t.to), BigInt(t.value), t.data as Hex, t.operation, BigInt(t.safeTxGas), BigInt(t.baseGas), BigInt(t.gasPrice), getAddress(t.gasToken), getAddress(t.refundReceiver), BigInt(t.nonce)],
  })
  // The Safe's own check, at the threshold the chain has now.
  await chain.client.readContract({ address: safe, abi: SAFE_READ_ABI, functionName: 'checkNSignatures', args: [hash, txData, tx.encodedSignatures() as Hex, BigInt(threshold)] })
  out.ready = tx
  return out
}

/** What became of a stored Safe tx whose nonce the Safe has passed: executed (our hash) or cancelled. */
export async function usedNonceOutcome(client: PublicClient, stored: SafeTxRecord): Promise<{ outcome: 'pending' } | { outcome: 'executed'; txHash: Hex; block: bigint } | { outcome: 'cancelled'; onChainNonce: number }> {
  const safe = getAddress(stored.safe)
  const onChain = Number(await client.readContract({ address: safe, abi: SAFE_READ_ABI, functionName: 'nonce' }))
  if (onChain <= stored.nonce) return { outcome: 'pending' }
  const logs = await client.getLogs({ address: safe, event: EXECUTION_SUCCESS, args: { txHash: stored.safeTxHash as Hex }, fromBlock: stored.createdBlock, toBlock: 'latest' })
  const log = logs[0]
  if (log) return { outcome: 'executed', txHash: log.transactionHash!, block: log.blockNumber! }
  return { outcome: 'cancelled', onChainNonce: onChain }
}

/**
 * An owner's approval: signs the stored Safe tx (EIP-712, protocol-kit) with `key` and sends it to
 * the service — proposed with this first signature when the service does not have it yet, a
 * confirmation otherwise. Returns the owner and the confirmations the service now lists.
 */
export async function signAndSubmit(config: Config, chain: CommitteeChain, stored: SafeTxRecord, key: Hex, service: SafeApiKit): Promise<{ owner: Address; proposed: boolean; confirmations: string[] }> {
  const kit = await kitFor(config, chain, key)
  const owner = getAddress(await kit.getSafeProvider().getSignerAddress() as string)
  if (!(await kit.isOwner(owner))) throw new Error(`${owner} is not an owner of the Safe ${stored.safe} on ${chain.name}`)
  const tx = await safeTransactionOf(kit, stored)
  const signed = await kit.signTransaction(tx)
  const signature = signed.getSignature(owner)!.data
  let proposed = false
  const existing = await service.getTransaction(stored.safeTxHash).catch((err: { statusCode?: number }) => {
    if (err.statusCode === 404) return undefined
    throw err
  })
  if (!existing) {
    await service.proposeTransaction({ safeAddress: getAddress(stored.safe), safeTransactionData: tx.data, safeTxHash: stored.safeTxHash, senderAddress: owner, senderSignature: signature, origin: `poolwarden plan ${stored.planId}` })
    proposed = true
  } else {
    await service.confirmTransaction(stored.safeTxHash, signature)
  }
  const after = await service.getTransaction(stored.safeTxHash)
  return { owner, proposed, confirmations: (after.confirmations ?? []).map((c) => c.owner) }
}
