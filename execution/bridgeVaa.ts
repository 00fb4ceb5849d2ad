import { getAddress, hexToBigInt, hexToNumber, keccak256, pad, recoverAddress, size, slice, type Address, type Hex } from 'viem'
import { BaseError } from '../core/errors'

/**
 * Token bridge transfer VAAs, pure: parse and verify before anything is submitted on the
 * destination chain. A VAA (version 1) is a header (guardian set index, signatures) and a body
 * (timestamp, nonce, emitter chain and address, sequence, consistency level, payload) that the
 * guardians sign over keccak256(keccak256(body)). A token bridge transfer's payload (id 1, or 3
 * with a payload) carries the amount (normalised to at most 8 decimals), the token's origin chain
 * and address, the recipient and the target chain.
 *
 * `verifyTransferVaa` refuses (BadVaaError) a VAA unless: its guardian set is the one given
 * (read from the DESTINATION core bridge) and not expired; a quorum (⌊2n/3⌋ + 1) of distinct
 * guardians, in ascending index order, signed it and each signature recovers to that guardian's
 * key; its emitter is the source chain's token bridge and its sequence the transfer's; its target
 * chain is the destination and its recipient the pool; its amount and token are the transfer's.
 */

export class BadVaaError extends BaseError {
  override name = 'BadVaaError'
}

export interface VaaSignature {
  guardianIndex: number
  r: Hex
  s: Hex
  v: number
}

export interface ParsedVaa {
  version: number
  guardianSetIndex: number
  signatures: VaaSignature[]
  body: Hex
  /** keccak256(body): what the token bridge keys completed transfers on (hashed once more on EVM). */
  hash: Hex
  /** keccak256(keccak256(body)): what the guardians sign. */
  digest: Hex
  timestamp: number
  nonce: number
  emitterChain: number
  emitterAddress: Hex
  sequence: bigint
  consistencyLevel: number
  payload: Hex
}

export interface TransferPayload {
  payloadId: 1 | 3
  /** Normalised to min(token decimals, 8). */
  amount: bigint
  tokenAddress: Hex
  tokenChain: number
  to: Hex
  toChain: number
  /** Payload 1: the relayer fee (0 for manual transfers). */
  fee: bigint
}

/** Parses a signed VAA; throws BadVaaError when it is malformed. */
export function parseVaa(vaa: Hex): ParsedVaa {
  if (!/^0x[0-9a-fA-F]*$/.test(vaa) || vaa.length % 2 !== 0) throw new BadVaaError('VAA: not hex')
  const n = size(vaa)
  if (n < 6) throw new BadVaaError(`VAA: ${n} bytes is too short`)
  const version = hexToNumber(slice(vaa, 0, 1))
  if (version !== 1) throw new BadVaaError(`VAA: version ${version}, expected 1`)
  const guardianSetIndex = hexToNumber(slice(vaa, 1, 5))
  const count = hexToNumber(slice(vaa, 5, 6))
  const bodyAt = 6 + count * 66
  if (n < bodyAt + 51) throw new BadVaaError(`VAA: ${n} bytes cannot hold ${count} signatures and a body`)
  const signatures: VaaSignature[] = []
  for (let i = 0; i < count; i++) {
    const o = 6 + i * 66
    signatures.push({ guardianIndex: hexToNumber(slice(vaa, o, o + 1)), r: slice(vaa, o + 1, o + 33), s: slice(vaa, o + 33, o + 65), v: hexToNumber(slice(vaa, o + 65, o + 66)) })
  }
  const body = slice(vaa, bodyAt)
  const hash = keccak256(body)
  return {
    version,
    guardianSetIndex,
    signatures,
    body,
    hash,
    digest: keccak256(hash),
    timestamp: hexToNumber(slice(body, 0, 4)),
    nonce: hexToNumber(slice(body, 4, 8)),
    emitterChain: hexToNumber(slice(body, 8, 10)),
    emitterAddress: slice(body, 10, 42),
    sequence: hexToBigInt(slice(body, 42, 50)),
    consistencyLevel: hexToNumber(slice(body, 50, 51)),
    payload: size(body) > 51 ? slice(body, 51) : '0x',
  }
}

/** The token bridge transfer in a VAA's payload; throws BadVaaError for any other payload. */
export function parseTransferPayload(payload: Hex): TransferPayload {
  const n = size(payload)
  const id = n > 0 ? hexToNumber(slice(payload, 0, 1)) : -1
  if (id !== 1 && id !== 3) throw new BadVaaError(`VAA payload ${id}: not a token bridge transfer`)
  if (n < 133) throw new BadVaaError(`VAA payload: ${n} bytes is too short for a transfer`)
  return {
    payloadId: id,
    amount: hexToBigInt(slice(payload, 1, 33)),
    tokenAddress: slice(payload, 33, 65),
    tokenChain: hexToNumber(slice(payload, 65, 67)),
    to: slice(payload, 67, 99),
    toChain: hexToNumber(slice(payload, 99, 101)),
    fee: id === 1 ? hexToBigInt(slice(payload, 101, 133)) : 0n,
  }
}

/** An EVM address as a 32-byte Wormhole universal address (lower-case). */
export const toUniversal = (a: Address | Hex): Hex => pad(a.toLowerCase() as Hex, { size: 32 })

/** Signatures a guardian set of `n` needs: more than two thirds. */
export const quorum = (n: number): number => Math.floor((2 * n) / 3) + 1

/** Amount in the bridge's normalised units (at most 8 decimals) for `amount` raw units of a token with `decimals`. */
export const normaliseAmount = (amount: bigint, decimals: number): bigint => (decimals > 8 ? amount / 10n ** BigInt(decimals - 8) : amount)

export interface GuardianSet {
  index: number
  keys: readonly Address[]
  /** Seconds; 0 = current (never expires). */
  expiry: number
}

export interface ExpectedTransfer {
  /** The destination core bridge's guardian set with the VAA's index. */
  guardianSet: GuardianSet
  /** Seconds (for the guardian set's expiry). */
  now: number
  emitterChain: number
  /** The source token bridge (20 or 32 bytes). */
  emitterAddress: Hex
  sequence: bigint
  targetChain: number
  recipient: Address
  /** Normalised amount (normaliseAmount of what was sent). */
  amount: bigint
  tokenChain: number
  /** The token's origin address (20 or 32 bytes). */
  tokenAddress: Hex
}

const same = (a: Hex, b: Hex) => a.toLowerCase() === b.toLowerCase()
const universal = (a: Hex): Hex => (size(a) === 32 ? (a.toLowerCase() as Hex) : toUniversal(a))

/** Verifies a transfer VAA (see the module comment); returns it parsed, or throws BadVaaError saying why. */
export async function verifyTransferVaa(vaa: Hex, x: ExpectedTransfer): Promise<{ vaa: ParsedVaa; transfer: TransferPayload }> {
  const v = parseVaa(vaa)
  const gs = x.guardianSet
  if (v.guardianSetIndex !== gs.index) throw new BadVaaError(`VAA signed by guardian set ${v.guardianSetIndex}; the destination's set is ${gs.index}`)
  if (gs.keys.length === 0) throw new BadVaaError(`guardian set ${gs.index} is unknown to the destination core bridge`)
  if (gs.expiry !== 0 && gs.expiry < x.now) throw new BadVaaError(`guardian set ${gs.index} expired at ${gs.expiry}`)
  const need = quorum(gs.keys.length)
  if (v.signatures.length < need) throw new BadVaaError(`VAA has ${v.signatures.length} signatures; quorum of ${gs.keys.length} guardians is ${need}`)
  let last = -1
  for (const sig of v.signatures) {
    if (sig.guardianIndex <= last) throw new BadVaaError(`VAA signatures out of order or repeated (guardian ${sig.guardianIndex})`)
    last = sig.guardianIndex
    const key = gs.keys[sig.guardianIndex]
    if (!key) throw new BadVaaError(`VAA signed by guardian ${sig.guardianIndex}, not in set ${gs.index} (${gs.keys.length} guardians)`)
    let signer: Address
    try {
      signer = await recoverAddress({ hash: v.digest, signature: { r: sig.r, s: sig.s, yParity: sig.v >= 27 ? sig.v - 27 : sig.v } })
    } catch (err) {
      throw new BadVaaError(`VAA signature of guardian ${sig.guardianIndex} is malformed`, { cause: err })
    }
    if (getAddress(signer) !== getAddress(key)) throw new BadVaaError(`bad signature: guardian ${sig.guardianIndex} of set ${gs.index} is ${getAddress(key)}, the signature recovers to ${signer}`)
  }
  if (v.emitterChain !== x.emitterChain || !same(v.emitterAddress, universal(x.emitterAddress))) {
    throw new BadVaaError(`VAA emitted by ${v.emitterAddress} on chain ${v.emitterChain}, not the source token bridge ${universal(x.emitterAddress)} on chain ${x.emitterChain}`)
  }
  if (v.sequence !== x.sequence) throw new BadVaaError(`VAA sequence ${v.sequence}, the transfer's is ${x.sequence}`)
  const t = parseTransferPayload(v.payload)
  if (t.toChain !== x.targetChain) throw new BadVaaError(`VAA for another chain: target chain ${t.toChain}, the destination is ${x.targetChain}`)
  if (!same(t.to, toUniversal(x.recipient))) throw new BadVaaError(`VAA pays ${t.to}, not the pool ${toUniversal(x.recipient)}`)
  if (t.amount !== x.amount) throw new BadVaaError(`VAA amount ${t.amount}, the transfer sent ${x.amount} (normalised)`)
  if (t.tokenChain !== x.tokenChain || !same(t.tokenAddress, universal(x.tokenAddress))) throw new BadVaaError(`VAA token ${t.tokenAddress} of chain ${t.tokenChain} is not the pool's collateral`)
  return { vaa: v, transfer: t }
}
