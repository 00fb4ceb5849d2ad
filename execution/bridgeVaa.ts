import { deserialize, payloadDiscriminator, tokenBridgeNamedPayloads, toChainId, type VAA } from '@wormhole-foundation/sdk-connect'
import { getAddress, hexToBytes, keccak256, pad, recoverAddress, size, toHex, type Address, type Hex } from 'viem'
import { BaseError } from '../core/errors'

/**
 * Token bridge transfer VAAs, pure: parse and verify before anything is submitted on the
 * destination chain. Parsing is the Wormhole SDK's (`deserialize` with the TokenBridge
 * Transfer / TransferWithPayload layouts of @wormhole-foundation/sdk-connect): version-1 header
 * (guardian set index, signatures in ascending guardian order), body (timestamp, nonce, emitter
 * chain and address, sequence, consistency level) and the transfer payload (amount normalised to
 * at most 8 decimals, the token's origin chain and address, recipient and target chain). The
 * guardians sign keccak256(keccak256(body)); the SDK's `hash` is keccak256(body).
 *
 * `verifyTransferVaa` refuses (BadVaaError) a VAA unless: the SDK parses it as a token bridge
 * transfer; its guardian set is the one given (read from the DESTINATION core bridge) and not
 * expired; a quorum (⌊2n/3⌋ + 1) of distinct guardians, in ascending index order, signed it and
 * each signature recovers to that guardian's key; its emitter is the source chain's token bridge
 * and its sequence the transfer's; its target chain is the destination and its recipient the
 * pool; its amount and token are the transfer's.
 */

export class BadVaaError extends BaseError {
  override name = 'BadVaaError'
}

/** A token bridge transfer VAA as the SDK parses it (payload 1, or 3 with a payload). */
export type TransferVaa = VAA<'TokenBridge:Transfer'> | VAA<'TokenBridge:TransferWithPayload'>

/**
 * The TokenBridge payload layouts are registered as a side effect of the SDK module that defines
 * them, and sdk-connect is marked side-effect free: a bundle that never touches that module drops
 * the registration and `payloadDiscriminator` throws at load ("No layout registered for payload type
 * TokenBridge:Transfer" — seen in the distributor's and the committee runner's bundles). Naming one
 * of its exports keeps the module (and its registration) in every bundle; the discriminator is built
 * on first use, never at import.
 */
export const TOKEN_BRIDGE_PAYLOAD_TYPES = tokenBridgeNamedPayloads.length
const makeDiscriminator = () => payloadDiscriminator(['TokenBridge', ['Transfer', 'TransferWithPayload']])
let discriminator: ReturnType<typeof makeDiscriminator> | undefined
const transferPayloads = (payload: Uint8Array) => (discriminator ??= makeDiscriminator())(payload)
const message = (err: unknown) => (err instanceof Error ? err.message : String(err))

/** Parses a signed token bridge transfer VAA with the SDK; throws BadVaaError when it is malformed or carries another payload. */
export function parseTransferVaa(vaa: Hex): TransferVaa {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(vaa)) throw new BadVaaError('VAA: not hex')
  const bytes = hexToBytes(vaa)
  let envelope: VAA<'Uint8Array'>
  try {
    envelope = deserialize('Uint8Array', bytes)
  } catch (err) {
    throw new BadVaaError(`VAA malformed (${bytes.length} bytes): ${message(err)}`, { cause: err })
  }
  const literal = transferPayloads(envelope.payload)
  if (literal === null) throw new BadVaaError(`VAA payload ${envelope.payload.length > 0 ? envelope.payload[0] : 'empty'}: not a token bridge transfer`)
  try {
    return deserialize(literal, bytes)
  } catch (err) {
    throw new BadVaaError(`VAA transfer payload malformed: ${message(err)}`, { cause: err })
  }
}

/** The guardian set index a VAA claims (to read that set from the destination); BadVaaError when the VAA does not parse. */
export const guardianSetIndexOf = (vaa: Hex): number => parseTransferVaa(vaa).guardianSet

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
export async function verifyTransferVaa(vaa: Hex, x: ExpectedTransfer): Promise<{ vaa: TransferVaa; digest: Hex }> {
  const v = parseTransferVaa(vaa)
  const gs = x.guardianSet
  if (v.guardianSet !== gs.index) throw new BadVaaError(`VAA signed by guardian set ${v.guardianSet}; the destination's set is ${gs.index}`)
  if (gs.keys.length === 0) throw new BadVaaError(`guardian set ${gs.index} is unknown to the destination core bridge`)
  if (gs.expiry !== 0 && gs.expiry < x.now) throw new BadVaaError(`guardian set ${gs.index} expired at ${gs.expiry}`)
  const need = quorum(gs.keys.length)
  if (v.signatures.length < need) throw new BadVaaError(`VAA has ${v.signatures.length} signatures; quorum of ${gs.keys.length} guardians is ${need}`)
  const digest = keccak256(v.hash)
  let last = -1
  for (const { guardianIndex, signature } of v.signatures) {
    if (guardianIndex <= last) throw new BadVaaError(`VAA signatures out of order or repeated (guardian ${guardianIndex})`)
    last = guardianIndex
    const key = gs.keys[guardianIndex]
    if (!key) throw new BadVaaError(`VAA signed by guardian ${guardianIndex}, not in set ${gs.index} (${gs.keys.length} guardians)`)
    let signer: Address
    try {
      const yParity = signature.v >= 27 ? signature.v - 27 : signature.v
      signer = await recoverAddress({ hash: digest, signature: { r: toHex(signature.r, { size: 32 }), s: toHex(signature.s, { size: 32 }), yParity } })
    } catch (err) {
      throw new BadVaaError(`VAA signature of guardian ${guardianIndex} is malformed`, { cause: err })
    }
    if (getAddress(signer) !== getAddress(key)) throw new BadVaaError(`bad signature: guardian ${guardianIndex} of set ${gs.index} is ${getAddress(key)}, the signature recovers to ${signer}`)
  }
  const emitterChain = toChainId(v.emitterChain)
  const emitter = v.emitterAddress.toString() as Hex
  if (emitterChain !== x.emitterChain || !same(emitter, universal(x.emitterAddress))) {
    throw new BadVaaError(`VAA emitted by ${emitter} on chain ${emitterChain}, not the source token bridge ${universal(x.emitterAddress)} on chain ${x.emitterChain}`)
  }
  if (v.sequence !== x.sequence) throw new BadVaaError(`VAA sequence ${v.sequence}, the transfer's is ${x.sequence}`)
  const { token, to } = v.payload
  const toChain = toChainId(to.chain)
  if (toChain !== x.targetChain) throw new BadVaaError(`VAA for another chain: target chain ${toChain}, the destination is ${x.targetChain}`)
  const recipient = to.address.toString() as Hex
  if (!same(recipient, toUniversal(x.recipient))) throw new BadVaaError(`VAA pays ${recipient}, not the pool ${toUniversal(x.recipient)}`)
  if (token.amount !== x.amount) throw new BadVaaError(`VAA amount ${token.amount}, the transfer sent ${x.amount} (normalised)`)
  const tokenChain = toChainId(token.chain)
  const tokenAddress = token.address.toString() as Hex
  if (tokenChain !== x.tokenChain || !same(tokenAddress, universal(x.tokenAddress))) throw new BadVaaError(`VAA token ${tokenAddress} of chain ${tokenChain} is not the pool's collateral`)
  return { vaa: v, digest }
}
