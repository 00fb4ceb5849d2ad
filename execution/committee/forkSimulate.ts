import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { BaseError, createPublicClient, decodeAbiParameters, encodeFunctionData, toFunctionSelector, getAddress, http, numberToHex, pad, parseAbi, parseEventLogs, type Address, type Hex, type PublicClient } from 'viem'
import type { Config, VenueConfig } from '../../config/schema'
import { spawnTied, type Tie } from '../../core/tiedChild'
import type { SafeTxData, SafeTxForkSimulation } from '../../store'
import type { Sample } from '../../store/types'
import { collateralVenueOf, valueInCollateral } from '../../watch/units'
import { slippageRouterAbi } from '../abis'
import { revertReason } from '../nodeErrors'
import { readPosition } from '../readPosition'
import { SAFE_READ_ABI } from './planSafeTx'

/**
 * A committee plan's Safe transaction executed for real on a throw-away anvil fork of its chain
 * (`anvil --fork-url <the chain's RPC> --fork-block-number N`), before anyone is asked to sign:
 * nobody's key is used — the fork impersonates the Safe's owners (`anvil_impersonateAccount`), each
 * `approveHash(safeTxHash)`, and one of them sends `execTransaction` with pre-validated (v = 1)
 * signatures, so the exact stored SafeTx (to, data, operation, gas fields, nonce) runs through the
 * Safe's own checks and the venues' code at the current block. The pool's positions in every venue
 * the plan touches and its idle collateral are read on the fork before and after: that is what the
 * committee approves, shown beside the approval request.
 *
 * The fork's anvil is short-lived (started per simulation on a free port, killed after, no RPC cache
 * written) and tied to this process (core/tiedChild.ts): killed on every path out of forkSimulate
 * (finally), at a normal exit, and when this process dies, SIGKILL included (no orphaned anvil
 * holding memory and a port). It cannot start (no anvil binary, the chain's RPC down or refusing
 * the fork block): a `ForkUnavailableError` — the caller holds the plan with that reason, never a
 * silent pass.
 */

export class ForkUnavailableError extends Error {
  override name = 'ForkUnavailableError'
}

/** Safe v1.4.1 storage slot of `nonce` (singleton 0, modules 1, owners 2, ownerCount 3, threshold 4, nonce 5). */
const SAFE_NONCE_SLOT = pad(numberToHex(5), { size: 32 })
const SAFE_FORK_ABI = parseAbi([
  'function approveHash(bytes32 hashToApprove)',
  'function execTransaction(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, bytes signatures) payable returns (bool)',
  'event ExecutionSuccess(bytes32 indexed txHash, uint256 payment)',
])
/** Gas limit of the fork's execTransaction (sent without an estimate, so a revert is mined and its receipt read). */
const FORK_EXEC_GAS = 15_000_000n

export type ForkSimulationResult =
  | { status: 'ok'; simulation: SafeTxForkSimulation }
  | { status: 'reverted'; block: bigint; revert: string }

export interface ForkSimulateInput {
  config: Pick<Config, 'pool' | 'venues' | 'custody' | 'execution'>
  chain: string
  /** The chain's RPC URL: the fork's source (live: the configured RPC). */
  rpcUrl: string
  /** The real chain's block to fork at (the block the Safe tx was built at). */
  block: bigint
  safe: Address
  safeTxHash: Hex
  tx: SafeTxData
  /** Venue ids the plan's steps touch on this chain (the idle collateral is always added). */
  venueIds: readonly string[]
  /** The latest sample per venue: rates for venues holding another asset than the collateral (watch/units.ts). */
  latest?: ReadonlyMap<string, Pick<Sample, 'available' | 'exchangeRate'>>
}

const requireHere = createRequire(import.meta.url)

/** The anvil binary: `execution.forkSimulation.anvilPath`, else the one shipped in `@foundry-rs/anvil-<platform>-<arch>`. */
export function forkAnvilPath(configured: string | undefined): string {
  if (configured) {
    if (!existsSync(configured)) throw new ForkUnavailableError(`execution.forkSimulation.anvilPath: no anvil binary at ${configured} (install Foundry's anvil, or unset it to use @foundry-rs/anvil)`)
    return configured
  }
  const arch = process.arch === 'x64' ? 'amd64' : process.arch
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`
  let dir: string
  try {
    dir = path.dirname(requireHere.resolve(`${pkg}/package.json`))
  } catch {
    throw new ForkUnavailableError(`no anvil binary: the package ${pkg} is not installed (npm ci installs it with @foundry-rs/anvil) and execution.forkSimulation.anvilPath is not set`)
  }
  const bin = path.join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil')
  if (!existsSync(bin)) throw new ForkUnavailableError(`no anvil binary at ${bin}`)
  return bin
}

export interface Fork {
  url: string
  /** The fork's anvil process. */
  pid: number
  client: PublicClient
  /** Kills the anvil (SIGKILL) and resolves once it has exited. Idempotent. */
  stop(): Promise<void>
}

/**
 * Starts `anvil --fork-url` on a port the OS picks; resolves once it listens, or throws
 * ForkUnavailableError (leaving nothing running). `tie`: how the anvil is tied to this process
 * (tests choose; default core/tiedChild.ts's).
 */
export async function startFork(o: { anvil: string; rpcUrl: string; block: bigint; timeoutMs: number; tie?: Tie }): Promise<Fork> {
  const args = [
    '--fork-url', o.rpcUrl, '--fork-block-number', o.block.toString(),
    '--host', '127.0.0.1', '--port', '0',
    // The Zodiac Roles modifier's runtime is over EIP-170 (devnet/safe/README.md); the fork must run the same code.
    '--code-size-limit', '32768',
    '--no-storage-caching', '--accounts', '1', '--retries', '1', '--timeout', String(o.timeoutMs),
  ]
  const child = spawnTied(o.anvil, args, { stdio: ['ignore', 'pipe', 'pipe'], tie: o.tie })
  const stdout = child.stdout!
  const stderr = child.stderr!
  let out = ''
  let exited: string | undefined
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, sig) => ((exited = `anvil exited (${sig ?? `code ${code}`})`), resolve()))
    child.once('error', (err) => ((exited = `anvil could not run: ${err.message}`), resolve()))
  })
  const stop = async () => {
    if (exited === undefined) child.kill('SIGKILL')
    await exit
  }
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ForkUnavailableError(`the fork did not start within ${o.timeoutMs} ms${out ? `: ${tail(out)}` : ''}`)), o.timeoutMs)
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-4_000)
      const m = /Listening on (\S+:\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(`http://${m[1]}`)
      }
    }
    stdout.on('data', onData)
    stderr.on('data', onData)
    void exit.then(() => {
      clearTimeout(timer)
      reject(new ForkUnavailableError(`${exited}${out ? `: ${tail(out)}` : ''}`))
    })
  }).catch(async (err: unknown) => {
    await stop()
    throw err
  })
  // Drained from here on (anvil logs every request).
  stdout.removeAllListeners('data').resume()
  stderr.removeAllListeners('data').resume()
  const client = createPublicClient({ transport: http(url, { retryCount: 0, timeout: o.timeoutMs }) })
  return { url, pid: child.pid ?? -1, client, stop }
}

const tail = (s: string) => s.trim().split('\n').slice(-3).join(' | ').slice(0, 600)

/** A revert's reason: the venues' and the router's custom errors decoded with their arguments (execution/nodeErrors.ts). */
const revertOf = (err: unknown): string => revertReason(err, slippageRouterAbi)
const MULTISEND_SELECTOR = toFunctionSelector('function multiSend(bytes transactions)')

/**
 * Executes the Safe tx on a fork of `block` and reads the positions before and after. Throws
 * ForkUnavailableError when the fork cannot be started or does not answer.
 */
export async function forkSimulate(i: ForkSimulateInput): Promise<ForkSimulationResult> {
  const anvil = forkAnvilPath(i.config.execution.forkSimulation.anvilPath)
  const fork = await startFork({ anvil, rpcUrl: i.rpcUrl, block: i.block, timeoutMs: i.config.execution.forkSimulation.startTimeoutSeconds * 1000 })
  try {
    return await onFork(i, fork.client)
  } catch (err) {
    if (err instanceof ForkUnavailableError) throw err
    // The fork's RPC failing under us (the source chain went away mid-simulation) is the fork's failure, not the plan's.
    throw new ForkUnavailableError(`the fork of ${i.chain} at block ${i.block} failed: ${err instanceof BaseError ? err.shortMessage : String(err)}`, { cause: err })
  } finally {
    await fork.stop()
  }
}

async function onFork(i: ForkSimulateInput, client: PublicClient): Promise<ForkSimulationResult> {
  const rpc = (method: string, params: unknown[]) => client.request({ method: method as never, params: params as never })
  const safe = getAddress(i.safe)
  const nonce = BigInt(i.tx.nonce)
  const onChainNonce = await client.readContract({ address: safe, abi: SAFE_READ_ABI, functionName: 'nonce' })
  // The stored tx may take a nonce after other open committee txs (planned ahead of it): on the fork
  // alone the Safe's nonce is set to the tx's, so it runs at the current state as if those were not there.
  if (onChainNonce !== nonce) {
    await rpc('anvil_setStorageAt', [safe, SAFE_NONCE_SLOT, pad(numberToHex(nonce), { size: 32 })])
    const now = await client.readContract({ address: safe, abi: SAFE_READ_ABI, functionName: 'nonce' })
    if (now !== nonce) throw new ForkUnavailableError(`the fork's Safe nonce could not be set to ${nonce} (storage layout is not Safe v1.4.1?)`)
  }
  const owners = (await client.readContract({ address: safe, abi: SAFE_READ_ABI, functionName: 'getOwners' })).map((o) => getAddress(o))
  const threshold = Number(await client.readContract({ address: safe, abi: SAFE_READ_ABI, functionName: 'getThreshold' }))
  // The Safe wants signatures sorted by owner address, each owner once.
  const signers = [...owners].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)).slice(0, threshold)

  const { venues, idle } = positionVenues(i)
  const start = await client.getBlockNumber({ cacheTime: 0 })
  const before = await Promise.all(venues.map((v) => readPosition(client, v, safe, start)))

  for (const owner of signers) {
    await rpc('anvil_impersonateAccount', [owner])
    await rpc('anvil_setBalance', [owner, numberToHex(10n ** 20n)])
    const hash = (await rpc('eth_sendTransaction', [{ from: owner, to: safe, data: encodeFunctionData({ abi: SAFE_FORK_ABI, functionName: 'approveHash', args: [i.safeTxHash] }) }])) as Hex
    const r = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 })
    if (r.status !== 'success') throw new ForkUnavailableError(`approveHash by ${owner} reverted on the fork`)
  }
  // Pre-validated signatures (v = 1): r = the owner, s = 0; approveHash (or being the sender) validates them.
  const signatures = `0x${signers.map((o) => `${o.slice(2).toLowerCase().padStart(64, '0')}${'0'.repeat(64)}01`).join('')}` as Hex
  const t = i.tx
  const data = encodeFunctionData({
    abi: SAFE_FORK_ABI, functionName: 'execTransaction',
    args: [getAddress(t.to), BigInt(t.value), t.data as Hex, t.operation, BigInt(t.safeTxGas), BigInt(t.baseGas), BigInt(t.gasPrice), getAddress(t.gasToken), getAddress(t.refundReceiver), signatures],
  })
  const sender = signers[0]!
  const hash = (await rpc('eth_sendTransaction', [{ from: sender, to: safe, data, gas: numberToHex(FORK_EXEC_GAS) }])) as Hex
  const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: 20 })
  const executed = receipt.status === 'success' && parseEventLogs({ abi: SAFE_FORK_ABI, eventName: 'ExecutionSuccess', logs: receipt.logs }).some((l) => getAddress(l.address) === safe && l.args.txHash.toLowerCase() === i.safeTxHash.toLowerCase())
  if (!executed) return { status: 'reverted', block: i.block, revert: await whyReverted(i, client, sender, data, receipt.blockNumber) }

  const after = await Promise.all(venues.map((v) => readPosition(client, v, safe, receipt.blockNumber)))
  const value = (v: VenueConfig, x: bigint) => {
    if (v.id === idle) return x.toString()
    const r = valueInCollateral(i.config as Config, v, x, i.latest ?? new Map()).value
    return r === null ? null : r.toString()
  }
  return {
    status: 'ok',
    simulation: {
      block: i.block.toString(),
      gasUsed: receipt.gasUsed.toString(),
      positions: venues.map((v, k) => ({ venueId: v.id, idle: v.id === idle, before: before[k]!.toString(), after: after[k]!.toString(), valueBefore: value(v, before[k]!), valueAfter: value(v, after[k]!) })),
    },
  }
}

/** The venues whose positions are shown: the ones the plan touches on this chain, then the idle collateral. */
function positionVenues(i: ForkSimulateInput): { venues: VenueConfig[]; idle: string | undefined } {
  const out: VenueConfig[] = []
  for (const id of i.venueIds) {
    const v = i.config.venues.find((x) => x.id === id && x.chain === i.chain)
    if (v && !out.includes(v)) out.push(v)
  }
  let idle = collateralVenueOf(i.config as Config, i.chain)
  const token = i.config.pool.collateral.find((c) => c.chain === i.chain)?.token
  // No venue names the collateral: its balance is read as a venue of its own, so the idle change is still shown.
  if (!idle && token) idle = { id: `${i.chain}-idle`, chain: i.chain, kind: 'lst', address: getAddress(token) } as VenueConfig
  if (idle && !out.includes(idle)) out.push(idle)
  return { venues: out, idle: idle?.id }
}

/**
 * Why the fork's execTransaction failed: the Safe's own reason (re-run as a call); for GS013 (the
 * batch itself reverted, which the Safe and MultiSendCallOnly swallow) each call of the batch is
 * sent again on the fork as the Safe (impersonated), in order, until one reverts: its reason, named
 * by its position in the batch.
 */
async function whyReverted(i: ForkSimulateInput, client: PublicClient, from: Address, data: Hex, block: bigint): Promise<string> {
  let reason = 'execTransaction reverted'
  try {
    await client.call({ account: from, to: getAddress(i.safe), data, gas: FORK_EXEC_GAS, blockNumber: block - 1n })
  } catch (err) {
    reason = revertOf(err)
  }
  if (!reason.includes('GS013')) return reason
  const calls = i.tx.operation === 1 ? multiSendCalls(i.tx.data as Hex) : [{ to: getAddress(i.tx.to), value: BigInt(i.tx.value), data: i.tx.data as Hex }]
  if (!calls) return 'GS013: the batch reverted inside the Safe'
  const rpc = (method: string, params: unknown[]) => client.request({ method: method as never, params: params as never })
  const safe = getAddress(i.safe)
  await rpc('anvil_impersonateAccount', [safe])
  await rpc('anvil_setBalance', [safe, numberToHex(10n ** 20n)])
  for (const [k, c] of calls.entries()) {
    try {
      await client.call({ account: safe, to: c.to, data: c.data, value: c.value, gas: FORK_EXEC_GAS })
    } catch (err) {
      return `call ${k + 1} of ${calls.length} (to ${c.to}): ${revertOf(err)} (GS013: the batch reverted inside the Safe)`
    }
    const hash = (await rpc('eth_sendTransaction', [{ from: safe, to: c.to, data: c.data, value: numberToHex(c.value), gas: numberToHex(FORK_EXEC_GAS) }])) as Hex
    await client.waitForTransactionReceipt({ hash, pollingInterval: 20 })
  }
  return 'GS013: the batch reverted inside the Safe (each of its calls alone went through)'
}

/** The calls of a MultiSendCallOnly `multiSend(bytes)` payload (operation 1 byte, to 20, value 32, length 32, data). */
function multiSendCalls(payload: Hex): Array<{ to: Address; value: bigint; data: Hex }> | undefined {
  if (payload.slice(0, 10).toLowerCase() !== MULTISEND_SELECTOR) return undefined
  const [packed] = decodeAbiParameters([{ type: 'bytes' }], `0x${payload.slice(10)}`)
  const b = packed.slice(2)
  const out: Array<{ to: Address; value: bigint; data: Hex }> = []
  for (let p = 0; p < b.length;) {
    const to = getAddress(`0x${b.slice(p + 2, p + 42)}`)
    const value = BigInt(`0x${b.slice(p + 42, p + 106)}`)
    const len = Number(BigInt(`0x${b.slice(p + 106, p + 170)}`)) * 2
    out.push({ to, value, data: `0x${b.slice(p + 170, p + 170 + len)}` })
    p += 170 + len
  }
  return out
}
