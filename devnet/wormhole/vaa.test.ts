import { describe, expect, it } from 'vitest'
import { deserialize, keccak256 as whKeccak } from '@wormhole-foundation/sdk-connect'
import { concatHex, encodePacked, hexToBytes, keccak256, recoverAddress, toHex, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { DEVNET_GUARDIAN_KEY, devnetGuardianAddress, registerChainPayload, signVaa, toUniversal, vaaHash, type VaaBody } from './vaa'

/** The body encoded here field by field (version-1 layout), independently of the SDK. */
const encodeBody = (b: VaaBody): Hex =>
  encodePacked(['uint32', 'uint32', 'uint16', 'bytes32', 'uint64', 'uint8', 'bytes'], [b.timestamp, b.nonce, b.emitterChain, b.emitterAddress, b.sequence, b.consistencyLevel, b.payload])

const body: VaaBody = {
  timestamp: 1_700_000_000,
  nonce: 7,
  emitterChain: 2,
  emitterAddress: toUniversal('0x99bbA657f2BbC93c02D617f8bA121cB8Fc104Acf'),
  sequence: 42n,
  consistencyLevel: 1,
  payload: '0xdeadbeef',
}

describe('VAAs', () => {
  it('the SDK deserialises our VAA: header, body fields, one signature by the devnet guardian over keccak(keccak(body))', async () => {
    const vaa = await signVaa(body)
    const v = deserialize('Uint8Array', hexToBytes(vaa))
    expect(v.guardianSet).toBe(0)
    expect(v.emitterChain).toBe('Ethereum')
    expect(v.emitterAddress.toString()).toBe(body.emitterAddress)
    expect(v.sequence).toBe(42n)
    expect(v.nonce).toBe(7)
    expect(v.timestamp).toBe(body.timestamp)
    expect(v.consistencyLevel).toBe(1)
    expect(toHex(v.payload)).toBe('0xdeadbeef')
    expect(v.signatures).toHaveLength(1)
    // The SDK's hash is keccak(body); guardians sign its keccak.
    expect(toHex(v.hash)).toBe(keccak256(encodeBody(body)))
    const sig = v.signatures[0]!.signature
    const signer = await recoverAddress({ hash: toHex(whKeccak(v.hash)), signature: { r: toHex(sig.r, { size: 32 }), s: toHex(sig.s, { size: 32 }), yParity: sig.v } })
    expect(signer).toBe(devnetGuardianAddress())
    expect(devnetGuardianAddress()).toBe(privateKeyToAccount(DEVNET_GUARDIAN_KEY).address)
    expect(vaaHash(body)).toBe(keccak256(encodeBody(body)))
    // The whole VAA, byte for byte: header (version 1, set 0, one signature) ‖ signature ‖ body.
    expect(vaa.slice(0, 14)).toBe('0x010000000001')
    expect(vaa.slice(2 + 2 * (6 + 66))).toBe(encodeBody(body).slice(2))
  })

  it('several keys sign in order (guardian index = position); the body is recovered from the signed bytes', async () => {
    const other = generatePrivateKey()
    const vaa = await signVaa(body, [DEVNET_GUARDIAN_KEY, other])
    const v = deserialize('Uint8Array', hexToBytes(vaa))
    expect(v.signatures.map((s) => s.guardianIndex)).toEqual([0, 1])
    expect(`0x${vaa.slice(2 + 2 * (6 + 2 * 66))}`).toBe(encodeBody(body))
    expect(concatHex([encodePacked(['uint8', 'uint32', 'uint8'], [1, 0, 2])])).toBe(vaa.slice(0, 14))
  })

  it('RegisterChain governance payload is what the SDK calls TokenBridge:RegisterChain (target: every chain)', async () => {
    const vaa = await signVaa({ ...body, emitterChain: 1, emitterAddress: toUniversal('0x0000000000000000000000000000000000000004'), payload: registerChainPayload(23, '0xf5059a5D33d5853360D16C683c16e67980206f36') })
    const v = deserialize('TokenBridge:RegisterChain', hexToBytes(vaa))
    expect(v.payload.chain).toBeNull()
    expect(v.payload.actionArgs.foreignChain).toBe('Arbitrum')
    expect(v.payload.actionArgs.foreignAddress.toString()).toBe(toUniversal('0xf5059a5D33d5853360D16C683c16e67980206f36'))
  })
})
