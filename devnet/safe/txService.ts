import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createPublicClient, getAddress, hashMessage, http, isAddress, isHex, parseAbi, parseAbiItem, recoverAddress, recoverTypedDataAddress, size, slice, concat, pad, toHex, hexToBigInt,
  type Address, type Hex, type PublicClient,
} from 'viem'
import { Mutex } from '../../core/mutex'
import { openDevDb, type DevDb, type SqlValue } from '../sqliteDb'

/**
 * A local Safe Transaction Service for the devnet and tests: the REST paths and JSON shapes that
 * `@safe-global/api-kit` (v5) calls, so the committee's path on the devnet is the live one
 * (propose → confirm → read confirmations → execute). One server answers for several chains:
 * the api-kit `txServiceUrl` of a chain is `<url>/<chainId>/api` (`urlFor(chainId)`).
 *
 * Served (as the real service, Django REST shapes, camelCase JSON):
 * - `GET  /v1/about/`
 * - `GET  /v1/safes/{address}/` — nonce, threshold, owners, masterCopy, modules, fallbackHandler,
 *   guard, version, read from the chain at the latest block.
 * - `POST /v2/safes/{address}/multisig-transactions/` — a proposal `{ to, value, data, operation,
 *   safeTxGas, baseGas, gasPrice, gasToken, refundReceiver, nonce, contractTransactionHash, sender,
 *   signature, origin }`; 201 with no body.
 * - `GET  /v2/safes/{address}/multisig-transactions/?executed&nonce&nonce__gte&ordering&limit&offset`
 * - `GET  /v2/multisig-transactions/{safeTxHash}/`
 * - `GET|POST /v1/multisig-transactions/{safeTxHash}/confirmations/` — POST `{ signature }`, 201
 *   `{ signature }`.
 * - `GET|POST /v2/delegates/` — POST `{ safe, delegate, delegator, label, signature }` (api-kit
 *   `addSafeDelegate`): the delegator, a current owner, signs the EIP-712 `Delegate(address
 *   delegateAddress, uint256 totp)` of the service's domain (totp = the current or previous hour);
 *   GET `?safe&delegate`. A delegate may PROPOSE a transaction (its ECDSA signature over the
 *   SafeTx hash proves the sender) but never confirms one: no confirmation is stored for it.
 *
 * Validation, as the real service does it, never trusting the client: the SafeTx hash is
 * recomputed by the Safe contract itself (`getTransactionHash` at the Safe's address: no SafeTx
 * hashing is written here); each 65-byte signature part is attributed to its owner (EIP-712 and
 * eth_sign by ECDSA recovery, EIP-1271 and approved-hash by the address in `r`) and then checked
 * by the Safe's own `checkNSignatures` with that part alone; the owner must be a current owner;
 * a nonce below the Safe's is refused; the same owner confirming twice is refused. Errors are
 * HTTP 422 `{ nonFieldErrors: [...] }` (api-kit surfaces the message), unknown hashes 404
 * `{ detail: 'Not found.' }`. Execution is indexed from the Safe's `ExecutionSuccess` /
 * `ExecutionFailure` events when a Safe is read, so `isExecuted`, `transactionHash` and
 * `blockNumber` come from the chain. State lives in its own SQLite file.
 */

/** The PM2 app `safe-tx-service` listens here under `npm start` (devnet only). */
export const DEVNET_SAFE_TX_SERVICE_PORT = 3310
export const DEVNET_SAFE_TX_SERVICE_URL = `http://127.0.0.1:${DEVNET_SAFE_TX_SERVICE_PORT}`
/** The api-kit `txServiceUrl` of a chain on a service at `base`. */
export const txServiceUrlFor = (base: string, chainId: number): string => `${base}/${chainId}/api`

export interface SafeTxServiceChain {
  chainId: number
  rpcUrl: string
}

export interface SafeTxServiceOptions {
  dbPath: string
  chains: SafeTxServiceChain[]
  port?: number
  /**
   * Safes the service is there for (the devnet's custody Safe, the same address on every chain).
   * Before it listens, the service checks each chain and each of these Safes as it will when
   * transactions arrive (see `selfCheck`): a wrong RPC or a missing Safe stops the start with the
   * reason, and the first proposal does not pay for a scan from block 0.
   */
  safes?: Address[]
}

export interface SafeTxService {
  url: string
  port: number
  /** The api-kit `txServiceUrl` for a chain. */
  urlFor(chainId: number): string
  close(): Promise<void>
}

const SAFE_ABI = parseAbi([
  'function nonce() view returns (uint256)',
  'function getThreshold() view returns (uint256)',
  'function getOwners() view returns (address[])',
  'function VERSION() view returns (string)',
  'function getModulesPaginated(address start, uint256 pageSize) view returns (address[] array, address next)',
  'function approvedHashes(address owner, bytes32 hash) view returns (uint256)',
  'function getTransactionHash(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce) view returns (bytes32)',
  'function encodeTransactionData(address to, uint256 value, bytes data, uint8 operation, uint256 safeTxGas, uint256 baseGas, uint256 gasPrice, address gasToken, address refundReceiver, uint256 _nonce) view returns (bytes)',
  'function checkNSignatures(bytes32 dataHash, bytes data, bytes signatures, uint256 requiredSignatures) view',
])
const EXECUTION_SUCCESS = parseAbiItem('event ExecutionSuccess(bytes32 indexed txHash, uint256 payment)')
const EXECUTION_FAILURE = parseAbiItem('event ExecutionFailure(bytes32 indexed txHash, uint256 payment)')
// Safe v1.4.x indexes the hash (v1.3.0 did not): with the wrong ABI every log decodes without args.
/** keccak256("fallback_manager.handler.address") and keccak256("guard_manager.guard.address"): Safe v1.4.1 storage slots. */
const FALLBACK_HANDLER_SLOT = '0x6c9a6c4a39284e37ed1cf53d337577d14212a4870fb976a4366c693b939918d5'
const GUARD_SLOT = '0x4a204f620c8c5ccdca3fd54d003badd85ba500436a431f0cbda4f558c93c34c8'
const SENTINEL = '0x0000000000000000000000000000000000000001'
const ZERO = '0x0000000000000000000000000000000000000000'

class ValidationError extends Error {}
class NotFound extends Error {}

interface TxRow {
  chain_id: number
  safe_tx_hash: string
  safe: string
  to_address: string
  value: string
  data: string
  operation: number
  safe_tx_gas: string
  base_gas: string
  gas_price: string
  gas_token: string
  refund_receiver: string
  nonce: number
  proposer: string
  origin: string
  submitted: number
  modified: number
  executed_tx: string | null
  executed_block: number | null
  executed_at: number | null
  successful: number | null
}

interface ConfirmationRow {
  owner: string
  signature: string
  signature_type: string
  submitted: number
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS multisig_txs (
    chain_id INTEGER NOT NULL, safe_tx_hash TEXT NOT NULL, safe TEXT NOT NULL, to_address TEXT NOT NULL, value TEXT NOT NULL,
    data TEXT NOT NULL, operation INTEGER NOT NULL, safe_tx_gas TEXT NOT NULL, base_gas TEXT NOT NULL, gas_price TEXT NOT NULL,
    gas_token TEXT NOT NULL, refund_receiver TEXT NOT NULL, nonce INTEGER NOT NULL, proposer TEXT NOT NULL, origin TEXT NOT NULL,
    submitted INTEGER NOT NULL, modified INTEGER NOT NULL, executed_tx TEXT, executed_block INTEGER, executed_at INTEGER, successful INTEGER,
    PRIMARY KEY (chain_id, safe_tx_hash)
  );
  CREATE INDEX IF NOT EXISTS multisig_txs_safe_nonce ON multisig_txs (chain_id, safe, nonce);
  CREATE TABLE IF NOT EXISTS confirmations (
    chain_id INTEGER NOT NULL, safe_tx_hash TEXT NOT NULL, owner TEXT NOT NULL, signature TEXT NOT NULL,
    signature_type TEXT NOT NULL, submitted INTEGER NOT NULL, PRIMARY KEY (chain_id, safe_tx_hash, owner)
  );
  CREATE TABLE IF NOT EXISTS delegates (
    chain_id INTEGER NOT NULL, safe TEXT NOT NULL, delegate TEXT NOT NULL, delegator TEXT NOT NULL, label TEXT NOT NULL,
    submitted INTEGER NOT NULL, PRIMARY KEY (chain_id, safe, delegate)
  );
  CREATE TABLE IF NOT EXISTS indexed (chain_id INTEGER NOT NULL, safe TEXT NOT NULL, next_block INTEGER NOT NULL, PRIMARY KEY (chain_id, safe));
`

/** One 65-byte part of a Safe signature, attributed to its owner. */
interface SignaturePart {
  owner: Address
  type: 'EOA' | 'ETH_SIGN' | 'CONTRACT_SIGNATURE' | 'APPROVED_HASH'
  /** The part alone, as `checkNSignatures` takes it (a contract signature with its dynamic data). */
  standalone: Hex
}

/** Splits a Safe `signatures` blob into its owners' parts (the layout of Safe v1.4.1 `checkNSignatures`). */
export async function splitSafeSignature(hash: Hex, signature: Hex): Promise<SignaturePart[]> {
  if (!isHex(signature) || size(signature) < 65) throw new ValidationError('Signature is not a hex string of at least 65 bytes')
  const parts: SignaturePart[] = []
  const dynamicStart = (() => {
    // Contract signatures keep their data after the static parts; the static parts end where the first data begins.
    let end = size(signature)
    for (let i = 0; i + 65 <= end; i += 65) {
      const v = Number(hexToBigInt(slice(signature, i + 64, i + 65)))
      if (v === 0) end = Math.min(end, Number(hexToBigInt(slice(signature, i + 32, i + 64))))
    }
    return end
  })()
  for (let i = 0; i + 65 <= dynamicStart; i += 65) {
    const r = slice(signature, i, i + 32)
    const s = slice(signature, i + 32, i + 64)
    const v = Number(hexToBigInt(slice(signature, i + 64, i + 65)))
    const part = slice(signature, i, i + 65)
    if (v === 0) {
      const offset = Number(hexToBigInt(s))
      if (offset + 32 > size(signature)) throw new ValidationError(`Contract signature at part ${i / 65} points outside the signature`)
      const length = Number(hexToBigInt(slice(signature, offset, offset + 32)))
      if (offset + 32 + length > size(signature)) throw new ValidationError(`Contract signature at part ${i / 65} is truncated`)
      const data = length ? slice(signature, offset + 32, offset + 32 + length) : '0x'
      parts.push({ owner: getAddress(slice(r, 12)), type: 'CONTRACT_SIGNATURE', standalone: concat([r, pad(toHex(65), { size: 32 }), '0x00', pad(toHex(length), { size: 32 }), data]) })
    } else if (v === 1) {
      parts.push({ owner: getAddress(slice(r, 12)), type: 'APPROVED_HASH', standalone: part })
    } else if (v > 30) {
      const owner = await recoverAddress({ hash: hashMessage({ raw: hash }), signature: concat([r, s, toHex(v - 4, { size: 1 })]) }).catch(() => {
        throw new ValidationError(`Signature part ${i / 65} does not recover an address`)
      })
      parts.push({ owner, type: 'ETH_SIGN', standalone: part })
    } else if (v === 27 || v === 28) {
      const owner = await recoverAddress({ hash, signature: part }).catch(() => {
        throw new ValidationError(`Signature part ${i / 65} does not recover an address`)
      })
      parts.push({ owner, type: 'EOA', standalone: part })
    } else {
      throw new ValidationError(`Signature part ${i / 65} has an unknown type v=${v}`)
    }
  }
  if (parts.length === 0) throw new ValidationError('Signature has no part')
  return parts
}

export async function startSafeTxService(opts: SafeTxServiceOptions): Promise<SafeTxService> {
  const db: DevDb = await openDevDb(opts.dbPath, SCHEMA)
  const clients = new Map<number, PublicClient>(
    opts.chains.map((c) => [c.chainId, createPublicClient({ transport: http(c.rpcUrl, { retryCount: 1 }), cacheTime: 0 }) as PublicClient]),
  )
  const writes = new Mutex()
  const now = () => Math.floor(Date.now() / 1000)
  const iso = (t: number | null) => (t === null ? null : new Date(t * 1000).toISOString())

  const client = (chainId: number): PublicClient => {
    const c = clients.get(chainId)
    if (!c) throw new NotFound(`chain ${chainId} is not served here`)
    return c
  }

  const checksummed = (a: string, field: string): Address => {
    if (!isAddress(a, { strict: false })) throw new ValidationError(`${field}: "${a}" is not an address`)
    return getAddress(a)
  }

  async function readSafe(chainId: number, safe: Address) {
    const c = client(chainId)
    const code = await c.getCode({ address: safe })
    if (!code || code === '0x') throw new NotFound(`Safe=${safe} not found`)
    const [nonce, threshold, owners, version, modules, singletonWord, handlerWord, guardWord] = await Promise.all([
      c.readContract({ address: safe, abi: SAFE_ABI, functionName: 'nonce' }),
      c.readContract({ address: safe, abi: SAFE_ABI, functionName: 'getThreshold' }),
      c.readContract({ address: safe, abi: SAFE_ABI, functionName: 'getOwners' }),
      c.readContract({ address: safe, abi: SAFE_ABI, functionName: 'VERSION' }),
      c.readContract({ address: safe, abi: SAFE_ABI, functionName: 'getModulesPaginated', args: [SENTINEL, 100n] }),
      c.getStorageAt({ address: safe, slot: '0x0' }),
      c.getStorageAt({ address: safe, slot: FALLBACK_HANDLER_SLOT }),
      c.getStorageAt({ address: safe, slot: GUARD_SLOT }),
    ])
    const word = (w: Hex | undefined) => getAddress(slice(pad(w ?? '0x0', { size: 32 }), 12))
    return { nonce, threshold: Number(threshold), owners: owners.map((o) => getAddress(o)), version, modules: [...modules[0]], singleton: word(singletonWord), handler: word(handlerWord), guard: word(guardWord) }
  }

  /** Marks the Safe's stored transactions executed from its ExecutionSuccess/Failure events since the last scan. */
  async function indexExecutions(chainId: number, safe: Address): Promise<void> {
    const c = client(chainId)
    const head = await c.getBlockNumber()
    const from = BigInt((await db.get<{ next_block: number }>('SELECT next_block FROM indexed WHERE chain_id = ? AND safe = ?', [chainId, safe]))?.next_block ?? 0)
    if (from > head) return
    const logs = await c.getLogs({ address: safe, events: [EXECUTION_SUCCESS, EXECUTION_FAILURE], fromBlock: from, toBlock: head })
    await writes.lock(async () => {
      for (const log of logs) {
        const block = await c.getBlock({ blockNumber: log.blockNumber! })
        await db.run(
          'UPDATE multisig_txs SET executed_tx = ?, executed_block = ?, executed_at = ?, successful = ?, modified = ? WHERE chain_id = ? AND safe_tx_hash = ?',
          [log.transactionHash!, Number(log.blockNumber), Number(block.timestamp), log.eventName === 'ExecutionSuccess' ? 1 : 0, now(), chainId, log.args.txHash!.toLowerCase()],
        )
      }
      await db.run('INSERT INTO indexed (chain_id, safe, next_block) VALUES (?, ?, ?) ON CONFLICT (chain_id, safe) DO UPDATE SET next_block = excluded.next_block', [chainId, safe, Number(head) + 1])
    })
  }

  /** Checks each part of `signature` over `hash` with the Safe itself; returns the parts of current owners. */
  async function verifyParts(chainId: number, safe: Address, hash: Hex, txData: Hex, signature: Hex, owners: Address[]): Promise<SignaturePart[]> {
    const parts = await splitSafeSignature(hash, signature)
    const seen = new Set<string>()
    for (const p of parts) {
      if (!owners.includes(p.owner)) throw new ValidationError(`Signer=${p.owner} is not an owner. Current owners=${JSON.stringify(owners)}`)
      if (seen.has(p.owner)) throw new ValidationError(`Signer=${p.owner} signed twice`)
      seen.add(p.owner)
      try {
        await client(chainId).readContract({ address: safe, abi: SAFE_ABI, functionName: 'checkNSignatures', args: [hash, txData, p.standalone, 1n] })
      } catch {
        throw new ValidationError(`Signature of ${p.owner} is not valid for safe-tx-hash=${hash}`)
      }
    }
    return parts
  }

  async function txRow(chainId: number, hash: string): Promise<TxRow> {
    const row = await db.get<TxRow>('SELECT * FROM multisig_txs WHERE chain_id = ? AND safe_tx_hash = ?', [chainId, hash.toLowerCase()])
    if (!row) throw new NotFound('Not found.')
    return row
  }

  async function confirmationsOf(chainId: number, hash: string): Promise<ConfirmationRow[]> {
    return db.all<ConfirmationRow>('SELECT owner, signature, signature_type, submitted FROM confirmations WHERE chain_id = ? AND safe_tx_hash = ? ORDER BY submitted, owner', [chainId, hash])
  }

  const confirmationJson = (c: ConfirmationRow) => ({
    owner: c.owner, submissionDate: iso(c.submitted), transactionHash: null, signature: c.signature, signatureType: c.signature_type,
  })

  async function txJson(row: TxRow, threshold: number) {
    const confirmations = await confirmationsOf(row.chain_id, row.safe_tx_hash)
    return {
      safe: row.safe, to: row.to_address, value: row.value, data: row.data === '0x' ? null : row.data, operation: row.operation,
      gasToken: row.gas_token, safeTxGas: row.safe_tx_gas, baseGas: row.base_gas, gasPrice: row.gas_price, refundReceiver: row.refund_receiver,
      nonce: String(row.nonce), executionDate: iso(row.executed_at), submissionDate: iso(row.submitted), modified: iso(row.modified),
      blockNumber: row.executed_block, transactionHash: row.executed_tx, safeTxHash: row.safe_tx_hash, proposer: row.proposer,
      proposedByDelegate: null, executor: null, isExecuted: row.executed_tx !== null, isSuccessful: row.successful === null ? null : row.successful === 1,
      ethGasPrice: null, maxFeePerGas: null, maxPriorityFeePerGas: null, gasUsed: null, fee: null, origin: row.origin,
      dataDecoded: null, confirmationsRequired: threshold, confirmations: confirmations.map(confirmationJson), trusted: true,
      signatures: row.executed_tx !== null ? concat(confirmations.map((c) => c.signature as Hex)) : null,
    }
  }

  async function propose(chainId: number, safe: Address, body: Record<string, unknown>): Promise<void> {
    const field = (k: string): string => {
      const v = body[k]
      if (v === undefined || v === null) throw new ValidationError(`${k}: this field is required`)
      return String(v)
    }
    const info = await readSafe(chainId, safe)
    const to = checksummed(field('to'), 'to')
    const data = (body.data ?? '0x') as Hex
    if (!isHex(data)) throw new ValidationError('data: not a hex string')
    const operation = Number(field('operation'))
    if (operation !== 0 && operation !== 1) throw new ValidationError('operation: must be 0 (call) or 1 (delegatecall)')
    const gasToken = body.gasToken ? checksummed(String(body.gasToken), 'gasToken') : ZERO
    const refundReceiver = body.refundReceiver ? checksummed(String(body.refundReceiver), 'refundReceiver') : ZERO
    const nums = ['value', 'safeTxGas', 'baseGas', 'gasPrice', 'nonce'].map((k) => {
      const s = field(k)
      if (!/^\d+$/.test(s)) throw new ValidationError(`${k}: "${s}" is not a non-negative integer`)
      return BigInt(s)
    }) as [bigint, bigint, bigint, bigint, bigint]
    const [value, safeTxGas, baseGas, gasPrice, nonce] = nums
    if (nonce < info.nonce) throw new ValidationError(`Nonce=${nonce} too low for safe=${safe}`)
    const args = [to, value, data, operation, safeTxGas, baseGas, gasPrice, gasToken, refundReceiver, nonce] as const
    const hash = await client(chainId).readContract({ address: safe, abi: SAFE_ABI, functionName: 'getTransactionHash', args })
    const claimed = field('contractTransactionHash').toLowerCase()
    if (claimed !== hash.toLowerCase()) throw new ValidationError(`Contract-transaction-hash=${hash} does not match provided contract-tx-hash=${claimed}`)
    const sender = checksummed(field('sender'), 'sender')
    const delegate = !info.owners.includes(sender) && !!(await db.get('SELECT 1 FROM delegates WHERE chain_id = ? AND safe = ? AND delegate = ?', [chainId, safe, sender]))
    if (!info.owners.includes(sender) && !delegate) throw new ValidationError(`Sender=${sender} is not an owner or delegate. Current owners=${JSON.stringify(info.owners)}`)
    let parts: SignaturePart[] = []
    if (delegate) {
      // A delegate proposes: its signature over the SafeTx hash proves the sender; it confirms nothing.
      const sig = field('signature') as Hex
      const signer = isHex(sig) && size(sig) === 65 ? await recoverAddress({ hash, signature: sig }).catch(() => undefined) : undefined
      if (signer !== sender) throw new ValidationError(`Signature does not match sender=${sender} (delegate). Calculated signer=${signer ?? 'none'}`)
    } else {
      const txData = await client(chainId).readContract({ address: safe, abi: SAFE_ABI, functionName: 'encodeTransactionData', args })
      parts = await verifyParts(chainId, safe, hash, txData, field('signature') as Hex, info.owners)
      if (!parts.some((p) => p.owner === sender)) throw new ValidationError(`Signature does not match sender=${sender}. Calculated owners=${JSON.stringify(parts.map((p) => p.owner))}`)
    }
    await writes.lock(async () => {
      const existing = await db.get<TxRow>('SELECT * FROM multisig_txs WHERE chain_id = ? AND safe_tx_hash = ?', [chainId, hash.toLowerCase()])
      if (existing?.executed_tx) throw new ValidationError(`Tx with safe-tx-hash=${hash} for safe=${safe} was already executed in tx-hash=${existing.executed_tx}`)
      const t = now()
      if (!existing) {
        await db.run(
          `INSERT INTO multisig_txs (chain_id, safe_tx_hash, safe, to_address, value, data, operation, safe_tx_gas, base_gas, gas_price, gas_token,
             refund_receiver, nonce, proposer, origin, submitted, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [chainId, hash.toLowerCase(), safe, to, String(value), data, operation, String(safeTxGas), String(baseGas), String(gasPrice), gasToken,
            refundReceiver, Number(nonce), sender, typeof body.origin === 'string' ? body.origin : '', t, t],
        )
      }
      for (const p of parts) {
        await db.run('INSERT INTO confirmations (chain_id, safe_tx_hash, owner, signature, signature_type, submitted) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
          [chainId, hash.toLowerCase(), p.owner, p.standalone, p.type, t])
      }
    })
  }

  /** api-kit addSafeDelegate: an owner (the delegator) lets `delegate` propose transactions for `safe`. */
  async function addDelegate(chainId: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const get = (k: string): string => {
      const v = body[k]
      if (typeof v !== 'string' || !v) throw new ValidationError(`${k}: this field is required`)
      return v
    }
    const safe = checksummed(get('safe'), 'safe')
    const delegate = checksummed(get('delegate'), 'delegate')
    const delegator = checksummed(get('delegator'), 'delegator')
    const label = get('label')
    const signature = get('signature') as Hex
    if (!isHex(signature) || size(signature) !== 65) throw new ValidationError('signature: not a 65-byte signature')
    const info = await readSafe(chainId, safe)
    if (!info.owners.includes(delegator)) throw new ValidationError(`Provided delegator=${delegator} is not an owner of Safe=${safe}`)
    const hour = Math.floor(Date.now() / 1000 / 3600)
    let ok = false
    for (const totp of [hour, hour - 1]) {
      const signer = await recoverTypedDataAddress({
        domain: { name: 'Safe Transaction Service', version: '1.0', chainId },
        types: { Delegate: [{ name: 'delegateAddress', type: 'address' }, { name: 'totp', type: 'uint256' }] },
        primaryType: 'Delegate', message: { delegateAddress: delegate, totp: BigInt(totp) }, signature,
      }).catch(() => undefined)
      if (signer === delegator) ok = true
    }
    if (!ok) throw new ValidationError(`Signature does not match delegator=${delegator}`)
    await writes.lock(() => db.run('INSERT INTO delegates (chain_id, safe, delegate, delegator, label, submitted) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (chain_id, safe, delegate) DO UPDATE SET delegator = excluded.delegator, label = excluded.label',
      [chainId, safe, delegate, delegator, label, now()]))
    return { safe, delegate, delegator, label }
  }

  async function confirm(chainId: number, hash: string, body: Record<string, unknown>): Promise<{ signature: string }> {
    const row = await txRow(chainId, hash)
    const safe = getAddress(row.safe)
    await indexExecutions(chainId, safe)
    const fresh = await txRow(chainId, hash)
    if (fresh.executed_tx) throw new ValidationError(`Transaction with safe-tx-hash=${hash} was already executed`)
    const info = await readSafe(chainId, safe)
    if (BigInt(row.nonce) < info.nonce) throw new ValidationError(`Nonce=${row.nonce} already used on safe=${safe}: the transaction can no longer be executed`)
    const signature = body.signature
    if (typeof signature !== 'string') throw new ValidationError('signature: this field is required')
    const args = [row.to_address as Address, BigInt(row.value), row.data as Hex, row.operation, BigInt(row.safe_tx_gas), BigInt(row.base_gas), BigInt(row.gas_price),
      row.gas_token as Address, row.refund_receiver as Address, BigInt(row.nonce)] as const
    const txData = await client(chainId).readContract({ address: safe, abi: SAFE_ABI, functionName: 'encodeTransactionData', args })
    const parts = await verifyParts(chainId, safe, row.safe_tx_hash as Hex, txData, signature as Hex, info.owners)
    await writes.lock(async () => {
      for (const p of parts) {
        const had = await db.get('SELECT 1 FROM confirmations WHERE chain_id = ? AND safe_tx_hash = ? AND owner = ?', [chainId, row.safe_tx_hash, p.owner])
        if (had) throw new ValidationError(`Signer=${p.owner} already confirmed safe-tx-hash=${row.safe_tx_hash}`)
      }
      const t = now()
      for (const p of parts) {
        await db.run('INSERT INTO confirmations (chain_id, safe_tx_hash, owner, signature, signature_type, submitted) VALUES (?, ?, ?, ?, ?, ?)',
          [chainId, row.safe_tx_hash, p.owner, p.standalone, p.type, t])
      }
      await db.run('UPDATE multisig_txs SET modified = ? WHERE chain_id = ? AND safe_tx_hash = ?', [t, chainId, row.safe_tx_hash])
    })
    return { signature }
  }

  async function list(chainId: number, safe: Address, q: URLSearchParams, base: string) {
    const info = await readSafe(chainId, safe)
    await indexExecutions(chainId, safe)
    const where = ['chain_id = ?', 'safe = ?']
    const params: (string | number)[] = [chainId, safe]
    const executed = q.get('executed')
    if (executed === 'true') where.push('executed_tx IS NOT NULL')
    if (executed === 'false') where.push('executed_tx IS NULL')
    for (const [k, op] of [['nonce', '='], ['nonce__gte', '>='], ['nonce__lt', '<'], ['nonce__gt', '>'], ['nonce__lte', '<=']] as const) {
      const v = q.get(k)
      if (v !== null) {
        if (!/^\d+$/.test(v)) throw new ValidationError(`${k}: "${v}" is not a non-negative integer`)
        where.push(`nonce ${op} ?`)
        params.push(Number(v))
      }
    }
    const orderings: Record<string, string> = { nonce: 'nonce ASC', '-nonce': 'nonce DESC', created: 'submitted ASC', '-created': 'submitted DESC', modified: 'modified ASC', '-modified': 'modified DESC' }
    const ordering = q.get('ordering') ?? '-created'
    if (!orderings[ordering]) throw new ValidationError(`ordering: "${ordering}" is not one of ${Object.keys(orderings).join(', ')}`)
    const limit = Math.min(Number(q.get('limit') ?? 100) || 100, 1000)
    const offset = Number(q.get('offset') ?? 0) || 0
    const count = (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM multisig_txs WHERE ${where.join(' AND ')}`, params))!.n
    const rows = await db.all<TxRow>(`SELECT * FROM multisig_txs WHERE ${where.join(' AND ')} ORDER BY ${orderings[ordering]}, safe_tx_hash LIMIT ? OFFSET ?`, [...params, limit, offset])
    const page = (o: number) => { const u = new URL(base); u.searchParams.set('limit', String(limit)); u.searchParams.set('offset', String(o)); return u.toString() }
    return {
      count,
      next: offset + limit < count ? page(offset + limit) : null,
      previous: offset > 0 ? page(Math.max(0, offset - limit)) : null,
      results: await Promise.all(rows.map((r) => txJson(r, info.threshold))),
    }
  }

  /**
   * Before listening: every chain's RPC answers with the chain id it is served under; each Safe of
   * `opts.safes` has code, a threshold within its owners, and its executions indexed up to the head
   * (so the index is current and a request never scans the whole chain); the stored transactions
   * of each are listed once as a request would. Throws the first failure, naming chain and Safe.
   */
  async function selfCheck(): Promise<void> {
    for (const { chainId, rpcUrl } of opts.chains) {
      const answered = await client(chainId).getChainId().catch((err: unknown) => {
        throw new Error(`chain ${chainId}: the RPC at ${rpcUrl} does not answer (${(err as Error).message.split('\n')[0]})`)
      })
      if (answered !== chainId) throw new Error(`chain ${chainId}: the RPC at ${rpcUrl} serves chain ${answered}`)
      for (const safe of opts.safes ?? []) {
        const info = await readSafe(chainId, getAddress(safe)).catch((err: unknown) => {
          throw new Error(`chain ${chainId}: the Safe ${safe} cannot be read (${(err as Error).message.split('\n')[0]})`)
        })
        if (info.threshold < 1 || info.threshold > info.owners.length) throw new Error(`chain ${chainId}: the Safe ${safe} has threshold ${info.threshold} with ${info.owners.length} owner(s)`)
        await list(chainId, getAddress(safe), new URLSearchParams({ executed: 'false', ordering: 'nonce' }), `http://127.0.0.1/${chainId}/api/v2/safes/${safe}/multisig-transactions/`)
      }
    }
  }
  await selfCheck().catch(async (err: unknown) => {
    await db.close()
    throw err
  })

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' })
    res.end(body === undefined ? undefined : JSON.stringify(body))
  }

  async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    if (!text) return {}
    const parsed: unknown = JSON.parse(text)
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ValidationError('expected a JSON object')
    return parsed as Record<string, unknown>
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1')
    const m = /^\/(\d+)\/api(\/v[12]\/.*)$/.exec(u.pathname)
    if (!m) return send(res, 404, { detail: 'Not found.' })
    const chainId = Number(m[1])
    const route = m[2]!
    const method = req.method ?? 'GET'
    let r: RegExpExecArray | null
    if (method === 'GET' && route === '/v1/about/') {
      return send(res, 200, { name: 'Safe Transaction Service (poolwarden devnet)', version: '5.0.0', api_version: 'v1', secure: false, settings: { chainId } })
    }
    if (method === 'GET' && (r = /^\/v1\/safes\/([^/]+)\/$/.exec(route))) {
      const safe = checksummed(r[1]!, 'address')
      const info = await readSafe(chainId, safe)
      return send(res, 200, {
        address: safe, nonce: String(info.nonce), threshold: info.threshold, owners: info.owners, masterCopy: info.singleton,
        modules: info.modules, fallbackHandler: info.handler, guard: info.guard, version: info.version,
      })
    }
    if ((r = /^\/v2\/safes\/([^/]+)\/multisig-transactions\/$/.exec(route))) {
      const safe = checksummed(r[1]!, 'address')
      if (method === 'POST') {
        await propose(chainId, safe, await readBody(req))
        return send(res, 201)
      }
      if (method === 'GET') return send(res, 200, await list(chainId, safe, u.searchParams, `http://${req.headers.host}${u.pathname}${u.search}`))
    }
    if (method === 'GET' && (r = /^\/v2\/multisig-transactions\/(0x[0-9a-fA-F]{64})\/$/.exec(route))) {
      const row = await txRow(chainId, r[1]!)
      await indexExecutions(chainId, getAddress(row.safe))
      const info = await readSafe(chainId, getAddress(row.safe))
      return send(res, 200, await txJson(await txRow(chainId, r[1]!), info.threshold))
    }
    if ((r = /^\/v1\/multisig-transactions\/(0x[0-9a-fA-F]{64})\/confirmations\/$/.exec(route))) {
      if (method === 'POST') return send(res, 201, await confirm(chainId, r[1]!, await readBody(req)))
      if (method === 'GET') {
        const row = await txRow(chainId, r[1]!)
        const list = (await confirmationsOf(chainId, row.safe_tx_hash)).map(confirmationJson)
        return send(res, 200, { count: list.length, next: null, previous: null, results: list })
      }
    }
    if (route === '/v2/delegates/') {
      if (method === 'POST') return send(res, 201, await addDelegate(chainId, await readBody(req)))
      if (method === 'GET') {
        const where = ['chain_id = ?']
        const args: SqlValue[] = [chainId]
        for (const k of ['safe', 'delegate'] as const) {
          const v = u.searchParams.get(k)
          if (v) {
            where.push(`${k} = ?`)
            args.push(checksummed(v, k))
          }
        }
        const rows = await db.all<{ safe: string; delegate: string; delegator: string; label: string }>(`SELECT safe, delegate, delegator, label FROM delegates WHERE ${where.join(' AND ')} ORDER BY submitted`, args)
        return send(res, 200, { count: rows.length, next: null, previous: null, results: rows.map((r) => ({ safe: r.safe, delegate: r.delegate, delegator: r.delegator, label: r.label, expiryDate: null })) })
      }
    }
    return send(res, 404, { detail: 'Not found.' })
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy()
      if (err instanceof ValidationError) send(res, 422, { nonFieldErrors: [err.message] })
      else if (err instanceof NotFound) send(res, 404, { detail: err.message })
      else if (err instanceof SyntaxError) send(res, 400, { detail: `JSON parse error - ${err.message}` })
      else send(res, 500, { detail: (err as Error).message })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    port,
    urlFor: (chainId) => txServiceUrlFor(url, chainId),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      await db.close()
    },
  }
}
