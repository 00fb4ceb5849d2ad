import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import snapshot from '@snapshot-labs/snapshot.js'
import { getAddress, hashTypedData, toHex, verifyTypedData } from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { afterAll, describe, expect, it } from 'vitest'
import { bundle } from '../scripts/lib/bundle.js'
import { FastVerifier, fastShape, signatureChecksOf, verifyVotes, VoteHasher } from './fastVerify.js'
import { SNAPSHOT_DOMAIN, verifyVoteEnvelope, voteTypesFor, type VoteKind } from './verify.js'
import { inProcessRecover, keccakOf, loadKeccak, loadSecp256k1, locateNative, RecoverPool } from './verifyWorker.js'

const alice = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d')
const bob = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const native = locateNative()!

type Env = { address: string; sig: string; data: { domain: Record<string, unknown>; types: Record<string, unknown>; message: Record<string, unknown> } }

async function envelope(
  kind: VoteKind,
  choice: unknown,
  opts: { account?: PrivateKeyAccount; over?: Record<string, unknown>; chainId?: number } = {},
): Promise<Env> {
  const account = opts.account ?? alice
  const message = {
    from: account.address,
    space: 'pool-signals.eth',
    timestamp: 1_700_000_000,
    proposal: '0x' + 'ab'.repeat(32),
    choice,
    reason: '',
    app: 'poolwarden',
    metadata: '{}',
    ...opts.over,
  }
  const domain = opts.chainId === undefined ? { ...SNAPSHOT_DOMAIN } : { ...SNAPSHOT_DOMAIN, chainId: opts.chainId }
  const types = voteTypesFor(kind)
  const sig = await account.signTypedData({ domain, types, primaryType: 'Vote', message: message as never })
  return { address: account.address, sig, data: { domain, types: structuredClone(types) as never, message } }
}

const withMessage = (e: Env, over: Record<string, unknown>): Env => ({ ...e, data: { ...e.data, message: { ...e.data.message, ...over } } })
const sigParts = (sig: string) => ({ r: BigInt('0x' + sig.slice(2, 66)), s: BigInt('0x' + sig.slice(66, 130)), v: parseInt(sig.slice(130, 132), 16) })
const hex32 = (x: bigint) => x.toString(16).padStart(64, '0')
const sigOf = (r: bigint, s: bigint, v: number) => `0x${hex32(r)}${hex32(s)}${v.toString(16).padStart(2, '0')}`

/** Valid envelopes of every Vote type and the messages Snapshot's voting types produce. */
async function validEnvelopes(): Promise<Env[]> {
  return [
    await envelope('vote', 1), // basic / single-choice
    await envelope('vote', 3, { over: { reason: 'For the treasury ✓ — 理由', app: 'snapshot', metadata: '{"k":[1,2]}' } }),
    await envelope('vote', 2 ** 32 - 1, { over: { timestamp: Number.MAX_SAFE_INTEGER } }),
    await envelope('vote-array', [1, 3]), // approval
    await envelope('vote-array', []), // approval, nothing approved
    await envelope('vote-array', [3, 1, 2, 4]), // ranked-choice
    await envelope('vote-string', JSON.stringify({ 1: 2, 3: 1 })), // weighted
    await envelope('vote-string', JSON.stringify({ 2: 0.5, 1: 7.25 }), { over: { reason: 'x'.repeat(500) } }), // quadratic, long reason (multi-block keccak)
    await envelope('vote-string', '{"1":1}', { account: bob, chainId: 1 }), // snapshot.js adds chainId for some wallets
    await envelope('vote', 2, { chainId: 100, over: { reason: 'lone surrogate \ud800 and emoji 🗳️', space: '' } }),
    await envelope('vote', 1, { over: { from: alice.address.toLowerCase() } }), // lower-case from, checksummed address
  ]
}

const req = createRequire(import.meta.url)

describe('keccak-256 (hash-wasm)', () => {
  it('gives the published digests, and the module the workers require by path hashes as this thread does', async () => {
    const k = await loadKeccak()
    expect(await loadKeccak()).toBe(k) // one hasher per thread
    // The CommonJS entry the workers require by path (native.hashWasmPath), with the workers' wrapper.
    const workerKeccak = keccakOf(await (req(native.hashWasmPath) as typeof import('hash-wasm')).createKeccak(256))
    const ascii = (s: string) => new TextEncoder().encode(s)
    // Published keccak-256 vectors (not SHA3-256: the padding differs).
    expect(toHex(k(new Uint8Array(0)))).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
    expect(toHex(k(ascii('abc')))).toBe('0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45')
    expect(toHex(k(ascii('Transfer(address,address,uint256)')))).toBe('0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef')
    for (let len = 0; len <= 300; len++) {
      const d = Uint8Array.from({ length: len }, (_, i) => (i * 131 + len * 7) & 0xff)
      expect(toHex(workerKeccak(d)), `length ${len}`).toBe(toHex(k(d)))
    }
  })
})

describe('VoteHasher', () => {
  it('computes the EIP-712 digest viem and snapshot.js compute, for every Vote type and domain', async () => {
    const hasher = new VoteHasher(await loadKeccak())
        for (const e of await validEnvelopes()) {
      const kind = fastShape(e)!.kind
      const chainId = e.data.domain.chainId as number | undefined
      const expected = hashTypedData({
        domain: e.data.domain as never,
        types: voteTypesFor(kind),
        primaryType: 'Vote',
        message: e.data.message as never,
      })
      expect(toHex(hasher.digest(kind, e.data.message as never, chainId))).toBe(expected)
      // ethers v5 (in snapshot.js) refuses numbers ≥ 2^53 - 1 and lone surrogates; viem and fastVerify take them.
      if ((e.data.message.timestamp as number) < Number.MAX_SAFE_INTEGER && !Object.values(e.data.message).some((x) => typeof x === 'string' && /\p{Cs}/u.test(x)))
        expect(snapshot.utils.getHash(e.data as never)).toBe(expected)
    }
  })
})

/** fastVerify's answers must be exactly verify.ts's, in process and on workers. */
async function expectAgreement(envs: unknown[], verifier: FastVerifier, inProcess: boolean) {
  const fast = await verifier.verify(envs, { inProcess })
  const slow = await Promise.all(envs.map((e) => verifyVoteEnvelope(e)))
  expect(fast).toEqual(slow)
  return fast
}

describe('fastVerify', () => {
  const workers = new FastVerifier({ workers: 2, minWorkerBatch: 1, chunkSize: 3 })
  afterAll(() => workers.close())

  it('accepts valid signatures of every Vote type exactly as verify.ts (viem) does, in process and on workers', async () => {
    const envs = await validEnvelopes()
    for (const e of envs) {
      const args = { address: e.address, domain: e.data.domain, types: e.data.types, primaryType: 'Vote', message: e.data.message, signature: e.sig }
      expect(await verifyTypedData(args as never)).toBe(true)
    }
    const here = new FastVerifier({ workers: 0 })
    const res = await expectAgreement(envs, here, true)
    expect(res.every((r) => r.ok)).toBe(true)
    expect(here.stats).toMatchObject({ backend: 'native', fallback: 0, recovered: envs.length, recoveredInWorkers: 0 })
    const before = workers.stats.recoveredInWorkers
    await expectAgreement(envs, workers, false)
    expect(workers.stats.recoveredInWorkers - before).toBe(envs.length)
    expect(res[6]).toMatchObject({ ok: true, signer: alice.address, kind: 'vote-string', choice: { 1: 2, 3: 1 } })
    expect(res[8]).toMatchObject({ ok: true, signer: bob.address })
  })

  it('refuses tampered, forged and malformed envelopes with verify.ts\'s reasons, never throwing', async () => {
    const good = await envelope('vote', 1)
    const arr = await envelope('vote-array', [1, 2])
    const str = await envelope('vote-string', '{"1":1}')
    const { r, s, v } = sigParts(good.sig)
    const notJson = await envelope('vote-string', 'not json')
    const cases: [string, unknown][] = [
      ['tampered choice', withMessage(good, { choice: 2 })],
      ['tampered timestamp', withMessage(good, { timestamp: 1_700_000_001 })],
      ['tampered space', withMessage(good, { space: 'other.eth' })],
      ['tampered proposal', withMessage(good, { proposal: '0x' + 'ac'.repeat(32) })],
      ['tampered reason', withMessage(good, { reason: 'x' })],
      ['tampered app', withMessage(good, { app: 'snapshot' })],
      ['tampered metadata', withMessage(good, { metadata: '' })],
      ['tampered array choice', withMessage(arr, { choice: [2, 1] })],
      ['tampered string choice', withMessage(str, { choice: '{"1":2}' })],
      ['chainId added', { ...good, data: { ...good.data, domain: { ...SNAPSHOT_DOMAIN, chainId: 1 } } }],
      ['forged: bob signs, claims alice', { ...(await envelope('vote', 1, { account: bob, over: { from: alice.address } })), address: alice.address }],
      ['wrong address', { ...good, address: bob.address }],
      ['wrong address and from', withMessage({ ...good, address: bob.address }, { from: bob.address })],
      ['malleated high-s (recovers, as in viem)', { ...good, sig: sigOf(r, N - s, v === 27 ? 28 : 27) }],
      ['high-s, same v (another signer)', { ...good, sig: sigOf(r, N - s, v) }],
      ['v as 0/1', { ...good, sig: sigOf(r, s, v - 27) }],
      ['v flipped', { ...good, sig: sigOf(r, s, v === 27 ? 28 : 27) }],
      ['bad v 29', { ...good, sig: sigOf(r, s, 29) }],
      ['bad v 2', { ...good, sig: sigOf(r, s, 2) }],
      ['bad v 37 (EIP-155)', { ...good, sig: sigOf(r, s, 37) }],
      ['r = 0', { ...good, sig: sigOf(0n, s, v) }],
      ['s = 0', { ...good, sig: sigOf(r, 0n, v) }],
      ['s = n', { ...good, sig: sigOf(r, N, v) }],
      ['r = n + 1', { ...good, sig: sigOf(N + 1n, s, v) }],
      ['r not an x on the curve', { ...good, sig: sigOf(5n, s, v) }],
      ['64-byte signature', { ...good, sig: good.sig.slice(0, 130) }],
      ['66-byte signature', { ...good, sig: good.sig + '00' }],
      ['odd-length signature (viem reads v from the last nibble)', { ...good, sig: good.sig.slice(0, 131) }],
      ['empty signature', { ...good, sig: '0x' }],
      ['non-hex signature', { ...good, sig: '0x' + 'zz'.repeat(65) }],
      ['signature without 0x', { ...good, sig: good.sig.slice(2) }],
      ['signature not a string', { ...good, sig: 12 }],
      ['address not hex', { ...good, address: '0x' + 'g'.repeat(40) }],
      ['wrong domain version', { ...good, data: { ...good.data, domain: { name: 'snapshot', version: '0.1.3' } } }],
      ['extra domain field', { ...good, data: { ...good.data, domain: { ...SNAPSHOT_DOMAIN, verifyingContract: alice.address } } }],
      ['chainId not an integer', { ...good, data: { ...good.data, domain: { ...SNAPSHOT_DOMAIN, chainId: '1' } } }],
      ['unknown types', { ...good, data: { ...good.data, types: { Vote: [{ name: 'from', type: 'string' }] } } }],
      ['types of another kind', { ...good, data: { ...good.data, types: voteTypesFor('vote-array') } }],
      ['proposal types', { ...good, data: { ...good.data, types: { Proposal: voteTypesFor('vote').Vote } } }],
      ['choice of the wrong type', withMessage(good, { choice: 'x' })],
      ['choice too large', withMessage(good, { choice: 2 ** 32 })],
      ['negative timestamp', withMessage(good, { timestamp: -1 })],
      ['timestamp a string', withMessage(good, { timestamp: '1700000000' })],
      ['array choice with a float', withMessage(arr, { choice: [1.5] })],
      ['unsigned extra field', withMessage(good, { type: 'basic' })],
      ['missing field', { ...good, data: { ...good.data, message: { ...good.data.message, app: undefined } } }],
      ['from not an address', withMessage(good, { from: 'alice' })],
      ['vote-string choice not JSON (validly signed)', notJson],
      ['no data', { address: good.address, sig: good.sig }],
      ['message null', { ...good, data: { ...good.data, message: null } }],
      ['null', null],
      ['number', 42],
      ['string', 'envelope'],
      ['array', [good]],
    ]
    const envs = cases.map((c) => c[1])
    for (const [verifier, inProcess] of [
      [new FastVerifier({ workers: 0 }), true],
      [workers, false],
    ] as const) {
      const res = await expectAgreement(envs, verifier, inProcess)
      const byName = Object.fromEntries(cases.map(([name], i) => [name, res[i]!]))
      expect(byName['malleated high-s (recovers, as in viem)']).toMatchObject({ ok: true, signer: alice.address })
      expect(byName['v as 0/1']!.ok).toBe(true)
      expect(byName['forged: bob signs, claims alice']).toEqual({ ok: false, error: `signature is not by ${alice.address}` })
      expect(byName['vote-string choice not JSON (validly signed)']).toEqual({ ok: false, error: 'message.choice is not JSON' })
      expect(byName['bad v 29']).toMatchObject({ ok: false, error: expect.stringMatching(/does not recover/) })
      const accepted = cases.filter((_, i) => res[i]!.ok).map(([name]) => name)
      expect(accepted).toEqual(
        ['malleated high-s (recovers, as in viem)', 'v as 0/1'].concat(v === 28 ? ['odd-length signature (viem reads v from the last nibble)'] : []),
      )
    }
  })

  it('reads the Vote types exactly as verify.ts does (EIP712Domain entry, field order, extra keys)', async () => {
    const good = await envelope('vote-array', [2])
    const fields = voteTypesFor('vote-array').Vote.map((f) => ({ ...f }))
    const variants: [string, unknown, boolean][] = [
      ['with an EIP712Domain entry', { EIP712Domain: [{ name: 'name', type: 'string' }], Vote: fields }, true],
      ['with an undefined extra key (JSON drops it)', { Vote: fields.map((f) => ({ ...f, extra: undefined })) }, true],
      ['keys as { type, name }', { Vote: fields.map((f) => ({ type: f.type, name: f.name })) }, false],
      ['fields reordered', { Vote: [fields[1], fields[0], ...fields.slice(2)] }, false],
      ['a field missing', { Vote: fields.slice(1) }, false],
      ['another primary type beside Vote', { Vote: fields, Other: [] }, false],
      ['Vote only on the prototype', Object.create({ Vote: fields }) as unknown, false],
      ['Vote not an array', { Vote: { ...fields } }, false],
      ['types null', null, false],
    ]
    const envs = variants.map(([, types]) => ({ ...good, data: { ...good.data, types } }))
    const v = new FastVerifier({ workers: 0 })
    const res = await expectAgreement(envs, v, true)
    expect(res.map((r) => r.ok)).toEqual(variants.map((x) => x[2]))
  })

  it('keeps malformed envelopes off the fast path and forged ones on it', async () => {
    const good = await envelope('vote', 1)
    const forged = { ...(await envelope('vote', 1, { account: bob, over: { from: alice.address } })), address: alice.address }
    const v = new FastVerifier({ workers: 0 })
    await v.verify([good, forged, withMessage(good, { choice: 'x' }), { ...good, sig: '0x1234' }])
    expect(v.stats).toMatchObject({ envelopes: 4, recovered: 2, fallback: 2 })
    // A signature libsecp256k1 refuses goes to verify.ts once; its refusal is cached after that.
    const { s, v: pv } = sigParts(good.sig)
    const noPoint = { ...good, sig: sigOf(5n, s, pv) }
    const first = await v.verify([noPoint])
    expect(v.stats.fallback).toBe(3)
    expect(await v.verify([noPoint])).toEqual(first)
    expect(v.stats.fallback).toBe(3)
    expect(first[0]).toMatchObject({ ok: false, error: expect.stringMatching(/^signature does not recover/) })
  })

  it('never recovers the same signature twice: duplicates in a batch and across batches hit the cache', async () => {
    const a = await envelope('vote-array', [2, 1])
    const b = await envelope('vote', 1, { account: bob })
    const claim = { ...a, address: bob.address, data: { ...a.data, message: { ...a.data.message, from: bob.address } } }
    const v = new FastVerifier({ workers: 0 })
    const first = await v.verify([a, b, structuredClone(a), a, claim])
    expect(v.stats).toMatchObject({ recovered: 3, cacheHits: 2 })
    expect(first[0]).toEqual(first[2])
    expect(first[0]).toEqual(first[3])
    expect(first[0]).toMatchObject({ ok: true, signer: alice.address })
    // Alice's signature over a message naming bob: another digest, recovered, not bob's.
    expect(first[4]).toEqual({ ok: false, error: `signature is not by ${bob.address}` })
    const again = await v.verify([b, a, withMessage(a, { choice: [1, 2] })])
    expect(again[0]).toEqual(first[1])
    expect(again[1]).toEqual(first[0])
    expect(again[2]).toMatchObject({ ok: false, error: `signature is not by ${alice.address}` }) // new digest: recovered, not a hit
    expect(v.stats).toMatchObject({ recovered: 4, cacheHits: 4 })
    // A bounded cache drops its oldest entries.
    const small = new FastVerifier({ workers: 0, cacheSize: 1 })
    for (const e of [a, b, a]) await small.verify([e])
    expect(small.stats.recovered).toBe(3)
  })

  it('returns results in input order when batches are split over workers', async () => {
    const accounts = Array.from({ length: 12 }, (_, i) => privateKeyToAccount(toHex(BigInt(i + 1) * 0x1234567890abcdefn, { size: 32 })))
    const envs: unknown[] = []
    for (let i = 0; i < 120; i++) {
      const acc = accounts[i % accounts.length]!
      const e = await envelope(i % 3 === 0 ? 'vote' : i % 3 === 1 ? 'vote-array' : 'vote-string', i % 3 === 0 ? 1 + (i % 4) : i % 3 === 1 ? [1 + (i % 3)] : `{"${1 + (i % 2)}":${i}}`, {
        account: acc,
        over: { timestamp: 1_700_000_000 + i },
      })
      envs.push(i % 7 === 0 ? { ...e, address: accounts[(i + 1) % accounts.length]!.address } : i % 11 === 0 ? withMessage(e, { reason: 'tampered' }) : e)
    }
    envs.splice(50, 0, null, envs[3], envs[4])
    const pool = new FastVerifier({ workers: 2, minWorkerBatch: 1, chunkSize: 7 })
    try {
      const res = await expectAgreement(envs, pool, false)
      expect(pool.stats.recoveredInWorkers).toBe(pool.stats.recovered)
      expect(pool.stats.recovered).toBeGreaterThan(100)
      expect(res.filter((r) => !r.ok).length).toBeGreaterThan(20)
      expect(res.map((r) => (r.ok ? r.message.timestamp : null))).toEqual(
        envs.map((e, i) => (res[i]!.ok ? (e as Env).data.message.timestamp : null)),
      )
      expect(await signatureChecksOf(envs, { verifier: pool })).toEqual(
        res.map((r) => (r.ok ? { ok: true, method: 'eoa' } : { ok: false, method: 'eoa', error: r.error })),
      )
    } finally {
      await pool.close()
    }
    // Below minWorkerBatch, no worker is started.
    const lazy = new FastVerifier({ workers: 2, minWorkerBatch: 1000 })
    await lazy.verify(envs)
    expect(lazy.stats.recoveredInWorkers).toBe(0)
    expect((await verifyVotes(envs.slice(0, 3), { verifier: lazy })).map((r) => r.ok)).toEqual([false, true, true])
  })

  it('recovers the same addresses in process and on a worker pool; a stopped pool fails its pending jobs and restarts', async () => {
    const secp = loadSecp256k1(native)
    const keccak = await loadKeccak()
    const input = new Uint8Array(97 * 3)
    for (let i = 0; i < 3; i++) {
      const sk = keccak(Uint8Array.of(i))
      const msg = keccak(Uint8Array.of(100 + i))
      const { signature, recid } = secp.ecdsaSign(msg, sk)
      input.set(msg, 97 * i)
      input.set(signature, 97 * i + 32)
      input[97 * i + 96] = recid
    }
    input.fill(0, 97 * 2 + 32, 97 * 2 + 64) // r = 0 in the third record: libsecp256k1 refuses it
    const here = inProcessRecover(native, keccak)(input, 3)
    const pool = new RecoverPool(native, 1)
    try {
      const there = await pool.run(input.slice(), 3)
      expect(there).toEqual(here)
      const expected = getAddress(toHex(keccak(secp.publicKeyCreate(keccak(Uint8Array.of(0)), false).subarray(1)).subarray(12)))
      expect(getAddress(toHex(here.subarray(1, 21)))).toBe(expected)
      expect(here[0]).toBe(1)
      expect(here[42]).toBe(0)
      expect(pool.running).toBe(1)
    } finally {
      await pool.close()
    }
    expect(pool.running).toBe(0)
    await expect(pool.run(input.slice(), 3)).resolves.toEqual(here) // restarts after close
    const many = 10_000 // ≈ 0.5 s of recoveries: still running when the pool is closed
    const big = new Uint8Array(97 * many)
    for (let i = 0; i < many; i++) big.set(input.subarray(0, 97), 97 * i)
    const pending = pool.run(big, many)
    await pool.close()
    await expect(pending).rejects.toThrow(/exited/)
  })

  it('works from an esbuild bundle (scripts/lib/bundle.ts), workers included', async () => {
    const root = fileURLToPath(new URL('../', import.meta.url))
    const dir = join(root, '.devnet', `fastverify-bundle-${process.pid}`)
    mkdirSync(dir, { recursive: true })
    try {
      const envs = [await envelope('vote', 1), await envelope('vote-string', '{"1":1}', { account: bob }), { ...(await envelope('vote', 2, { account: bob, over: { from: alice.address } })), address: alice.address }]
      writeFileSync(join(dir, 'envs.json'), JSON.stringify(envs))
      writeFileSync(
        join(dir, 'entry.ts'),
        `import { readFileSync } from 'node:fs'
import { FastVerifier } from '../../governance/fastVerify'
const envs = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const v = new FastVerifier({ workers: 2, minWorkerBatch: 1 })
const res = await v.verify(envs)
console.log(JSON.stringify({ ok: res.map((r) => r.ok), stats: v.stats }))
`,
      )
      await bundle({ entry: `.devnet/fastverify-bundle-${process.pid}/entry.ts` }, join(dir, 'out'))
      const out = JSON.parse(execFileSync(process.execPath, [join(dir, 'out', 'entry.mjs'), join(dir, 'envs.json')], { encoding: 'utf8', timeout: 60_000 }))
      expect(out).toMatchObject({ ok: [true, true, false], stats: { backend: 'native', keccak: 'hash-wasm', recoveredInWorkers: 3, fallback: 0 } })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
