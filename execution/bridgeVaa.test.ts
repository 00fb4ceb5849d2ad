import { deserialize, toChainId } from '@wormhole-foundation/sdk-connect'
import { concatHex, encodePacked, hexToBytes, keccak256, pad, toHex, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { DEVNET_GUARDIAN_KEY, signVaa } from '../devnet/wormhole/vaa'
import { BadVaaError, guardianSetIndexOf, normaliseAmount, parseTransferVaa, quorum, toUniversal, verifyTransferVaa, type ExpectedTransfer } from './bridgeVaa'

const POOL: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const SOURCE_BRIDGE: Address = '0x1111111111111111111111111111111111111111'
const LST: Address = '0x2222222222222222222222222222222222222222'

/** A token bridge transfer payload, encoded here field by field (payload 1, or 3 with `extra`). */
function transferPayload(o: { amount?: bigint; toChain?: number; to?: Address; tokenChain?: number; token?: Address; withPayload?: Hex } = {}): Hex {
  const common = [o.amount ?? 12_345_678n, toUniversal(o.token ?? LST), o.tokenChain ?? 2, toUniversal(o.to ?? POOL), o.toChain ?? 23] as const
  if (o.withPayload !== undefined) {
    return encodePacked(['uint8', 'uint256', 'bytes32', 'uint16', 'bytes32', 'uint16', 'bytes32', 'bytes'], [3, ...common, toUniversal(SOURCE_BRIDGE), o.withPayload])
  }
  return encodePacked(['uint8', 'uint256', 'bytes32', 'uint16', 'bytes32', 'uint16', 'uint256'], [1, ...common, 0n])
}

const body = (payload: Hex, o: { sequence?: bigint; emitterChain?: number; emitter?: Address } = {}) => ({
  timestamp: 1_700_000_000,
  nonce: 0,
  emitterChain: o.emitterChain ?? 2,
  emitterAddress: toUniversal(o.emitter ?? SOURCE_BRIDGE),
  sequence: o.sequence ?? 7n,
  consistencyLevel: 1,
  payload,
})

const devnetSet = { index: 0, keys: [privateKeyToAccount(DEVNET_GUARDIAN_KEY).address], expiry: 0 }
const expected = (over: Partial<ExpectedTransfer> = {}): ExpectedTransfer => ({
  guardianSet: devnetSet,
  now: 1_700_000_100,
  emitterChain: 2,
  emitterAddress: SOURCE_BRIDGE,
  sequence: 7n,
  targetChain: 23,
  recipient: POOL,
  amount: 12_345_678n,
  tokenChain: 2,
  tokenAddress: LST,
  ...over,
})

const refused = async (vaa: Hex, x: ExpectedTransfer, why: RegExp) => {
  const err = await verifyTransferVaa(vaa, x).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(BadVaaError)
  expect((err as Error).message).toMatch(why)
}

describe('transfer VAAs', () => {
  it('parses (with the SDK) what the guardian signs and accepts a VAA that matches the transfer', async () => {
    const vaa = await signVaa(body(transferPayload()))
    const p = parseTransferVaa(vaa)
    expect(p.payloadLiteral).toBe('TokenBridge:Transfer')
    expect(p).toMatchObject({ guardianSet: 0, emitterChain: 'Ethereum', sequence: 7n, consistencyLevel: 1, timestamp: 1_700_000_000 })
    expect(p.signatures.map((s) => s.guardianIndex)).toEqual([0])
    expect(p.payload.token.amount).toBe(12_345_678n)
    expect(toChainId(p.payload.to.chain)).toBe(23)
    expect(p.payload.to.address.toString()).toBe(toUniversal(POOL))
    expect(guardianSetIndexOf(vaa)).toBe(0)
    const ok = await verifyTransferVaa(vaa, expected())
    expect(ok.vaa.payload.token.amount).toBe(12_345_678n)
    // The guardians sign keccak(keccak(body)); the body is everything after the 6-byte header and one 66-byte signature.
    expect(ok.digest).toBe(keccak256(keccak256(`0x${vaa.slice(2 + 2 * (6 + 66))}`)))
  })

  it('accepts a transfer with payload (id 3) to the pool, and agrees with the SDK\'s own deserialize', async () => {
    const vaa = await signVaa(body(transferPayload({ withPayload: '0xc0ffee' })))
    const p = parseTransferVaa(vaa)
    expect(p.payloadLiteral).toBe('TokenBridge:TransferWithPayload')
    const sdk = deserialize('TokenBridge:TransferWithPayload', hexToBytes(vaa))
    expect(toHex(p.hash)).toBe(toHex(sdk.hash))
    expect(toHex(sdk.payload.payload)).toBe('0xc0ffee')
    await expect(verifyTransferVaa(vaa, expected())).resolves.toBeDefined()
  })

  it('refuses a bad signature: a key outside the guardian set, or a tampered body', async () => {
    await refused(await signVaa(body(transferPayload()), [generatePrivateKey()]), expected(), /bad signature: guardian 0/)
    const good = await signVaa(body(transferPayload()))
    const tampered = (good.slice(0, -1) + (good.endsWith('0') ? '1' : '0')) as Hex // last byte of the payload changed
    await refused(tampered, expected(), /bad signature/)
  })

  it('refuses a VAA for another chain, another recipient, amount, token, emitter or sequence', async () => {
    await refused(await signVaa(body(transferPayload({ toChain: 30 }))), expected(), /another chain: target chain 30, the destination is 23/)
    await refused(await signVaa(body(transferPayload({ to: SOURCE_BRIDGE }))), expected(), /not the pool/)
    await refused(await signVaa(body(transferPayload({ amount: 1n }))), expected(), /amount 1/)
    await refused(await signVaa(body(transferPayload({ tokenChain: 30 }))), expected(), /not the pool's collateral/)
    await refused(await signVaa(body(transferPayload(), { emitter: LST })), expected(), /not the source token bridge/)
    await refused(await signVaa(body(transferPayload(), { sequence: 8n })), expected(), /sequence 8/)
  })

  it('needs a quorum of distinct guardians in order, from the destination set, not expired', async () => {
    const keys = Array.from({ length: 4 }, () => generatePrivateKey())
    const set = { index: 3, keys: keys.map((k) => privateKeyToAccount(k).address), expiry: 0 }
    expect(quorum(4)).toBe(3)
    const b = body(transferPayload())
    await expect(verifyTransferVaa(await signVaa(b, keys, 3), expected({ guardianSet: set }))).resolves.toBeDefined()
    // Only two of four sign: below quorum.
    await refused(await signVaa(b, keys.slice(0, 2), 3), expected({ guardianSet: set }), /quorum of 4 guardians is 3/)
    // Signed by set 3 but the destination knows set 4.
    await refused(await signVaa(b, keys, 3), expected({ guardianSet: { ...set, index: 4 } }), /destination's set is 4/)
    await refused(await signVaa(b, keys, 3), expected({ guardianSet: { ...set, expiry: 1 } }), /expired/)
    // The same signature twice does not make a quorum.
    const one = await signVaa(b, [keys[0]!], 3)
    const sig = one.slice(2 + 12, 2 + 12 + 132)
    const dup = concatHex([encodePacked(['uint8', 'uint32', 'uint8'], [1, 3, 3]), `0x${sig}`, `0x${sig}`, `0x${sig}`, `0x${one.slice(2 + 12 + 132)}`])
    await refused(dup, expected({ guardianSet: set }), /ascending order/)
    // A guardian index past the set.
    const five = [...keys, generatePrivateKey()]
    await refused(await signVaa(b, five, 3), expected({ guardianSet: set }), /guardian 4, not in set 3/)
  })

  it('refuses malformed VAAs and other payloads', async () => {
    await refused('0x01', expected(), /VAA malformed \(1 bytes\)/)
    await refused('0x0g', expected(), /not hex/)
    await refused('0x02000000000000', expected(), /VAA malformed/)
    const good = await signVaa(body(transferPayload()))
    await refused(good.slice(0, -2) as Hex, expected(), /malformed/) // a byte short of the transfer payload
    await refused(await signVaa(body(pad('0x02', { size: 133, dir: 'right' }))), expected(), /payload 2: not a token bridge transfer/) // AttestMeta's id
    expect(() => guardianSetIndexOf('0x01')).toThrow(BadVaaError)
    expect(normaliseAmount(10n ** 18n, 18)).toBe(10n ** 8n)
    expect(normaliseAmount(123n, 6)).toBe(123n)
  })
})
