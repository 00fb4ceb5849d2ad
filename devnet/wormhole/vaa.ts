import { createVAA, keccak256, serialize, Signature, SignatureUtils, toChain, UniversalAddress, type VAA } from '@wormhole-foundation/sdk-connect'
import { encodePacked, hexToBytes, pad, stringToHex, toHex, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

/**
 * VAAs as the guardians make them (version 1), built and signed with the Wormhole SDK
 * (@wormhole-foundation/sdk-connect: `createVAA`, `SignatureUtils.sign` over
 * keccak256(keccak256(body)), `serialize`) — the way the SDK's own test guardians
 * (sdk-definitions/testing `MockGuardians`) do it, and independent of the production parser in
 * execution/bridgeVaa. (MockGuardians itself is not used: it lives in an undeclared package and
 * numbers a subset of signers by position, not by guardian index.)
 * The devnet guardian set is one guardian: the Wormhole devnet key that the SDK ships
 * (`@wormhole-foundation/sdk-base` guardians.devnetGuardianPrivateKey) — a PUBLIC test key.
 */

/** The Wormhole devnet guardian's private key (public knowledge; devnet only). */
export const DEVNET_GUARDIAN_KEY: Hex = '0xcfb12303a19cde580bb4dd771639b0d26bc68353645571a8cff516ab2ee113a0'
export const devnetGuardianAddress = (): Address => privateKeyToAccount(DEVNET_GUARDIAN_KEY).address

/** Governance emitter as on mainnet: chain 1 (Solana), contract 0x…04. */
export const GOVERNANCE_CHAIN_ID = 1
export const GOVERNANCE_CONTRACT: Hex = pad('0x04', { size: 32 })

export interface VaaBody {
  /** Seconds (the block timestamp of the message). */
  timestamp: number
  nonce: number
  /** Wormhole chain id (the SDK must know it). */
  emitterChain: number
  /** 32-byte universal address (an EVM address left-padded). */
  emitterAddress: Hex
  sequence: bigint
  consistencyLevel: number
  payload: Hex
}

/** An EVM address as a 32-byte Wormhole universal address. */
export const toUniversal = (a: Address | Hex): Hex => pad(a.toLowerCase() as Hex, { size: 32 })

/** The unsigned VAA of a body (guardian set `setIndex`), as the SDK builds it. */
function unsigned(b: VaaBody, setIndex: number): VAA<'Uint8Array'> {
  return createVAA('Uint8Array', {
    guardianSet: setIndex,
    signatures: [],
    timestamp: b.timestamp,
    nonce: b.nonce,
    emitterChain: toChain(b.emitterChain),
    emitterAddress: new UniversalAddress(b.emitterAddress),
    sequence: b.sequence,
    consistencyLevel: b.consistencyLevel,
    payload: hexToBytes(b.payload),
  })
}

/** keccak256(body): the VAA hash the contracts key on (the guardians sign its keccak). */
export const vaaHash = (b: VaaBody): Hex => toHex(unsigned(b, 0).hash)

/** A signed VAA: `keys` sign in order (guardian index = position), guardian set `setIndex`. */
export function signVaa(body: VaaBody, keys: readonly Hex[] = [DEVNET_GUARDIAN_KEY], setIndex = 0): Promise<Hex> {
  const vaa = unsigned(body, setIndex)
  const digest = keccak256(vaa.hash)
  const signatures = keys.map((key, guardianIndex) => {
    const s = SignatureUtils.sign(key.slice(2), digest)
    return { guardianIndex, signature: new Signature(s.r, s.s, s.recovery) }
  })
  return Promise.resolve(toHex(serialize({ ...vaa, signatures })))
}

/** Token bridge governance: RegisterChain (module "TokenBridge", action 1, target chain 0 = every chain). */
export function registerChainPayload(emitterChain: number, bridge: Address | Hex): Hex {
  return encodePacked(
    ['bytes32', 'uint8', 'uint16', 'uint16', 'bytes32'],
    [pad(stringToHex('TokenBridge'), { size: 32 }), 1, 0, emitterChain, toUniversal(bridge)],
  )
}

/** A governance VAA from the governance emitter, signed by the devnet guardian. */
export function governanceVaa(payload: Hex, sequence: bigint, keys?: readonly Hex[]): Promise<Hex> {
  return signVaa(
    {
      timestamp: Math.floor(Date.now() / 1000),
      nonce: 0,
      emitterChain: GOVERNANCE_CHAIN_ID,
      emitterAddress: GOVERNANCE_CONTRACT,
      sequence,
      consistencyLevel: 32,
      payload,
    },
    keys,
  )
}

export const hexOfBase64 = (b64: string): Hex => toHex(Buffer.from(b64, 'base64'))
export const base64OfHex = (h: Hex): string => Buffer.from(h.slice(2), 'hex').toString('base64')

/** A LogMessagePublished event of a core bridge, decoded. */
export interface PublishedMessage {
  sender: Address
  sequence: bigint
  nonce: number
  payload: Hex
  consistencyLevel: number
}

/** The VAA body a guardian observes for a published message (block timestamp, source Wormhole chain). */
export function bodyOfMessage(m: PublishedMessage, emitterChain: number, timestamp: number): VaaBody {
  return {
    timestamp,
    nonce: m.nonce,
    emitterChain,
    emitterAddress: toUniversal(m.sender),
    sequence: m.sequence,
    consistencyLevel: m.consistencyLevel,
    payload: m.payload,
  }
}
