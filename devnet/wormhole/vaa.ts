import { concatHex, encodePacked, keccak256, pad, stringToHex, toHex, type Address, type Hex } from 'viem'
import { privateKeyToAccount, sign } from 'viem/accounts'
import { parseVaa } from '../../execution/bridgeVaa'

/**
 * VAAs as the guardians make them (version 1): a body (timestamp, nonce, emitter chain and
 * address, sequence, consistency level, payload) signed by guardians over keccak256(keccak256(body)).
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
  emitterChain: number
  /** 32-byte universal address (an EVM address left-padded). */
  emitterAddress: Hex
  sequence: bigint
  consistencyLevel: number
  payload: Hex
}

/** An EVM address as a 32-byte Wormhole universal address. */
export const toUniversal = (a: Address | Hex): Hex => pad(a.toLowerCase() as Hex, { size: 32 })

export function encodeBody(b: VaaBody): Hex {
  return encodePacked(
    ['uint32', 'uint32', 'uint16', 'bytes32', 'uint64', 'uint8', 'bytes'],
    [b.timestamp, b.nonce, b.emitterChain, b.emitterAddress, b.sequence, b.consistencyLevel, b.payload],
  )
}

/** The digest guardians sign: keccak256(keccak256(body)). `keccak256(body)` is the VAA hash the contracts key on. */
export const vaaDigest = (body: Hex): Hex => keccak256(keccak256(body))

/** A signed VAA: `keys` sign in order (guardian index = position), guardian set `setIndex`. */
export async function signVaa(body: VaaBody | Hex, keys: readonly Hex[] = [DEVNET_GUARDIAN_KEY], setIndex = 0): Promise<Hex> {
  const encoded = typeof body === 'string' ? body : encodeBody(body)
  const digest = vaaDigest(encoded)
  const sigs: Hex[] = []
  for (const [i, key] of keys.entries()) {
    const s = await sign({ hash: digest, privateKey: key })
    sigs.push(encodePacked(['uint8', 'bytes32', 'bytes32', 'uint8'], [i, s.r, s.s, s.yParity ?? Number(s.v! - 27n)]))
  }
  return concatHex([encodePacked(['uint8', 'uint32', 'uint8'], [1, setIndex, keys.length]), ...sigs, encoded])
}

/** The body of a signed VAA (after the signatures), as the bridge's parser reads it. */
export const vaaBodyOf = (vaa: Hex): Hex => parseVaa(vaa).body

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
