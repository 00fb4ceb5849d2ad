import { availableParallelism } from 'node:os'
import type { SignatureCheck } from './types.js'
import {
  SNAPSHOT_DOMAIN,
  verifyVoteEnvelope,
  voteKindOf,
  voteTypes,
  voteTypesFor,
  type VerifiedVote,
  type VoteKind,
  type VoteMessage,
} from './verify.js'
import {
  IN_RECORD,
  OUT_RECORD,
  inProcessRecover,
  loadKeccak,
  locateNative,
  RecoverPool,
  type Keccak,
  type NativeLoad,
  type RecoverBatch,
} from './verifyWorker.js'

/**
 * Batch verification of Snapshot vote envelopes, with the same results as governance/verify's
 * `verifyVoteEnvelope` (viem) at a small fraction of its cost:
 *  - the EIP-712 digest is computed by code specialised to the three Vote types (domain
 *    separators and type hashes computed once; fields encoded straight into one buffer;
 *    hashes of repeated strings — space, proposal, app, metadata, reason, choice — memoised);
 *  - the signer is recovered with the native `secp256k1` package, on worker threads for large
 *    batches (governance/verifyWorker);
 *  - a signature is never recovered twice: recoveries are cached by keccak(digest ‖ r ‖ s ‖ recid).
 *
 * Only envelopes that are exactly a well-formed Vote (the checks of verify.ts, all passing) with a
 * 65-byte hex signature whose v is 0/1/27/28 take the fast path; anything else — unknown types,
 * a wrong domain, malformed fields, odd signatures, or a signature libsecp256k1 refuses to recover
 * — goes to `verifyVoteEnvelope` itself, so refusals carry verify.ts's exact reasons. Accepts
 * what viem accepts: high-s (malleated) signatures recover, as in viem.
 * Never throws on bad input. `verifyVotes` has the shape of collectSignals' `verifyEoa` and
 * can be passed as it is.
 */

export type VerifyResult = VerifiedVote

export interface FastVerifierOptions {
  /** Recovery worker threads (0 = always in process). Default: the machine's available parallelism. */
  workers?: number
  /** Batches needing fewer recoveries than this run in process (worker start-up is not free). Default 1024. */
  minWorkerBatch?: number
  /** Recoveries per worker message. Default 2048. */
  chunkSize?: number
  /** Cached recoveries kept (oldest dropped first). Default 250 000 (≈ 50 MB at most). */
  cacheSize?: number
}

export interface FastVerifierStats {
  /** 'native': secp256k1 recovery; 'viem': the native binding did not load, everything went to verify.ts. */
  backend: 'native' | 'viem'
  keccak: string
  envelopes: number
  /** Envelopes answered from the recovery cache (including duplicates within a batch). */
  cacheHits: number
  /** Signatures recovered natively (in process + workers). */
  recovered: number
  recoveredInWorkers: number
  /** Envelopes verified by verify.ts (off the fast path). */
  fallback: number
}

/* ── the specialised EIP-712 hash ──────────────────────────────────────────────────────────── */

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8')

/**
 * EIP-712 digests of Snapshot Vote messages, specialised to the three Vote types. Results are
 * equal to viem's `hashTypedData({ domain, types: voteTypesFor(kind), primaryType: 'Vote', message })`
 * (tested). The message must already be well-formed (see `fastShape`).
 */
export class VoteHasher {
  private readonly typeHash: Record<VoteKind, Uint8Array>
  private readonly separators = new Map<number | undefined, Uint8Array>()
  private readonly memo = new Map<string, Uint8Array>()
  private readonly struct = new Uint8Array(9 * 32)
  private readonly digestInput = new Uint8Array(66)
  private readonly memoLimit: number

  constructor(
    readonly keccak: Keccak,
    opts: { memoLimit?: number } = {},
  ) {
    this.memoLimit = opts.memoLimit ?? 50_000
    const typeString = (kind: VoteKind) => `Vote(${voteTypesFor(kind).Vote.map((f) => `${f.type} ${f.name}`).join(',')})`
    this.typeHash = {
      vote: keccak(utf8(typeString('vote'))),
      'vote-array': keccak(utf8(typeString('vote-array'))),
      'vote-string': keccak(utf8(typeString('vote-string'))),
    }
    this.digestInput[0] = 0x19
    this.digestInput[1] = 0x01
  }

  /** The domain separator of { name: 'snapshot', version: '0.1.4' [, chainId] }. */
  separator(chainId?: number): Uint8Array {
    let sep = this.separators.get(chainId)
    if (!sep) {
      const withChain = chainId !== undefined
      const buf = new Uint8Array(withChain ? 4 * 32 : 3 * 32)
      const type = `EIP712Domain(string name,string version${withChain ? ',uint256 chainId' : ''})`
      buf.set(this.keccak(utf8(type)), 0)
      buf.set(this.keccak(utf8(SNAPSHOT_DOMAIN.name)), 32)
      buf.set(this.keccak(utf8(SNAPSHOT_DOMAIN.version)), 64)
      if (withChain) writeUint(buf, 96, chainId)
      sep = this.keccak(buf)
      this.separators.set(chainId, sep)
    }
    return sep
  }

  /** keccak(utf8(s)), memoised for strings that repeat across votes. */
  private hashString(s: string, memo: boolean): Uint8Array {
    if (!memo) return this.keccak(utf8(s))
    let h = this.memo.get(s)
    if (!h) {
      h = this.keccak(utf8(s))
      if (this.memo.size >= this.memoLimit) this.memo.clear()
      this.memo.set(s, h)
    }
    return h
  }

  /** hashStruct(Vote) of a well-formed message. */
  structHash(kind: VoteKind, m: VoteMessage): Uint8Array {
    const b = this.struct
    b.set(this.typeHash[kind], 0)
    b.set(this.hashString(m.from, false), 32)
    b.set(this.hashString(m.space, true), 64)
    writeUint(b, 96, m.timestamp)
    b.set(this.hashString(m.proposal, true), 128)
    if (kind === 'vote') writeUint(b, 160, m.choice as number)
    else if (kind === 'vote-array') {
      const xs = m.choice as number[]
      const words = new Uint8Array(32 * xs.length)
      xs.forEach((x, i) => writeUint(words, 32 * i, x))
      b.set(this.keccak(words), 160)
    } else b.set(this.hashString(m.choice as string, true), 160)
    b.set(this.hashString(m.reason, true), 192)
    b.set(this.hashString(m.app, true), 224)
    b.set(this.hashString(m.metadata, true), 256)
    return this.keccak(b)
  }

  /** The EIP-712 digest keccak(0x1901 ‖ domainSeparator ‖ hashStruct(message)). */
  digest(kind: VoteKind, m: VoteMessage, chainId?: number): Uint8Array {
    const d = this.digestInput
    d.set(this.separator(chainId), 2)
    d.set(this.structHash(kind, m), 34)
    return this.keccak(d)
  }
}

/** Writes a non-negative safe integer as a big-endian 32-byte word at `at` (the word is zeroed first). */
function writeUint(buf: Uint8Array, at: number, value: number): void {
  buf.fill(0, at, at + 32)
  let v = value
  for (let i = at + 31; v > 0 && i >= at; i--) {
    buf[i] = v % 256
    v = Math.floor(v / 256)
  }
}

/* ── which envelopes take the fast path ────────────────────────────────────────────────────── */

interface FastEnvelope {
  kind: VoteKind
  message: VoteMessage
  /** Lower-case envelope address (= message.from lower-cased). */
  address: string
  chainId?: number
  /** r ‖ s (64 bytes) and the recovery id 0/1. */
  rs: Uint8Array
  recid: number
}

const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/
const SIG_RE = /^0x[0-9a-fA-F]{130}$/
const MESSAGE_FIELDS = new Set<string>(voteTypes.Vote.map((f) => f.name))
const STRING_FIELDS = ['from', 'space', 'proposal', 'reason', 'app', 'metadata'] as const
const isUint = (v: unknown, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max
const UINT32_MAX = 2 ** 32 - 1

const KIND_OF_CHOICE_TYPE: Record<string, VoteKind> = { uint32: 'vote', 'uint32[]': 'vote-array', string: 'vote-string' }
const FIELDS = voteTypes.Vote.map((f) => f.name)

/**
 * verify.ts's `voteKindOf` (which compares JSON serialisations) without serialising: plain
 * `{ name, type }` objects in the Vote order are recognised directly; anything else is left to
 * `voteKindOf` itself.
 */
function kindOfTypes(types: unknown): VoteKind | null {
  if (typeof types !== 'object' || types === null) return null
  return plainKindOf(types as Record<string, unknown>) ?? voteKindOf(types)
}

function plainKindOf(types: Record<string, unknown>): VoteKind | null {
  const keys = Object.keys(types)
  if (!(keys.length === 1 ? keys[0] === 'Vote' : keys.length === 2 && keys.includes('Vote') && keys.includes('EIP712Domain'))) return null
  const vote = types.Vote
  if (!Array.isArray(vote) || Object.getPrototypeOf(vote) !== Array.prototype) return null
  if (vote.length !== FIELDS.length || Object.keys(vote).length !== FIELDS.length) return null
  const kind = KIND_OF_CHOICE_TYPE[(vote[4] as { type?: unknown } | undefined)?.type as string]
  if (!kind) return null
  const expected = voteTypesFor(kind).Vote
  for (let i = 0; i < FIELDS.length; i++) {
    const f = vote[i] as Record<string, unknown>
    if (typeof f !== 'object' || f === null || Object.getPrototypeOf(f) !== Object.prototype) return null
    const k = Object.keys(f)
    if (k.length !== 2 || k[0] !== 'name' || k[1] !== 'type' || f.name !== expected[i]!.name || f.type !== expected[i]!.type) return null
  }
  return kind
}

/**
 * The envelope in fast-path form, or null to leave it to verify.ts. Returns non-null only when
 * every check of `verifyVoteEnvelope` before signature recovery passes (same rules, tested).
 */
export function fastShape(envelope: unknown): FastEnvelope | null {
  if (typeof envelope !== 'object' || envelope === null) return null
  const { address, sig, data } = envelope as Record<string, unknown>
  if (typeof address !== 'string' || !ADDRESS_RE.test(address)) return null
  if (typeof sig !== 'string' || !SIG_RE.test(sig)) return null
  if (typeof data !== 'object' || data === null) return null
  const { domain, types, message } = data as Record<string, unknown>
  if (typeof domain !== 'object' || domain === null) return null
  const d = domain as Record<string, unknown>
  if (d.name !== SNAPSHOT_DOMAIN.name || d.version !== SNAPSHOT_DOMAIN.version) return null
  if (Object.keys(d).filter((k) => k !== 'chainId').length !== 2) return null
  const chainId = d.chainId
  if (chainId !== undefined && !isUint(chainId, Number.MAX_SAFE_INTEGER)) return null
  const kind = kindOfTypes(types)
  if (!kind) return null
  if (typeof message !== 'object' || message === null) return null
  const m = message as Record<string, unknown>
  for (const f of STRING_FIELDS) if (typeof m[f] !== 'string') return null
  if (!isUint(m.timestamp, Number.MAX_SAFE_INTEGER)) return null
  const c = m.choice
  if (kind === 'vote' && !isUint(c, UINT32_MAX)) return null
  if (kind === 'vote-array' && !(Array.isArray(c) && c.every((x) => isUint(x, UINT32_MAX)))) return null
  if (kind === 'vote-string' && typeof c !== 'string') return null
  for (const k of Object.keys(m)) if (!MESSAGE_FIELDS.has(k)) return null
  const from = m.from as string
  if (!ADDRESS_RE.test(from) || from.toLowerCase() !== address.toLowerCase()) return null
  const v = parseInt(sig.slice(130, 132), 16)
  const recid = v === 0 || v === 1 ? v : v === 27 || v === 28 ? v - 27 : -1
  if (recid < 0) return null
  return {
    kind,
    message: m as unknown as VoteMessage,
    address: address.toLowerCase(),
    chainId: chainId as number | undefined,
    rs: Buffer.from(sig.slice(2, 130), 'hex'),
    recid,
  }
}

/* ── the verifier ──────────────────────────────────────────────────────────────────────────── */

/** A cached recovery: the signer (lower-case hex, no 0x), or verify.ts's refusal when it does not recover. */
type Recovery = { signer: string } | { error: string }

export class FastVerifier {
  private native: NativeLoad | null
  /** Set by `ready()` (hash-wasm's hasher is created asynchronously) when the native binding loads. */
  private keccak: Keccak | null = null
  private hasher: VoteHasher | null = null
  private loading: Promise<void> | null = null
  private recoverHere: RecoverBatch | null = null
  private pool: RecoverPool | null = null
  private readonly cache = new Map<string, Recovery>()
  private readonly checksums = new Map<string, `0x${string}`>()
  private readonly opts: Required<FastVerifierOptions>
  readonly stats: FastVerifierStats

  constructor(opts: FastVerifierOptions = {}) {
    this.opts = {
      workers: opts.workers ?? availableParallelism(),
      minWorkerBatch: opts.minWorkerBatch ?? 1024,
      chunkSize: opts.chunkSize ?? 2048,
      cacheSize: opts.cacheSize ?? 250_000,
    }
    this.native = locateNative()
    this.stats = {
      backend: this.native ? 'native' : 'viem',
      keccak: this.native ? 'hash-wasm' : 'viem',
      envelopes: 0,
      cacheHits: 0,
      recovered: 0,
      recoveredInWorkers: 0,
      fallback: 0,
    }
  }

  /**
   * Creates this thread's keccak once (before the first batch). If hash-wasm cannot be created
   * the verifier works as without the native binding: everything goes to verify.ts.
   */
  private ready(): Promise<void> {
    this.loading ??= this.native
      ? loadKeccak().then(
          (keccak) => {
            this.keccak = keccak
            this.hasher = new VoteHasher(keccak)
          },
          () => {
            this.native = null
            this.stats.backend = 'viem'
            this.stats.keccak = 'viem'
          },
        )
      : Promise.resolve()
    return this.loading
  }

  /** Verifies envelopes; results in input order. `inProcess` forces recovery on this thread. */
  async verify(envelopes: readonly unknown[], opts: { inProcess?: boolean } = {}): Promise<VerifyResult[]> {
    await this.ready()
    const results: VerifyResult[] = new Array<VerifyResult>(envelopes.length)
    this.stats.envelopes += envelopes.length
    const slow: number[] = []
    if (!this.hasher || !this.keccak) {
      for (let i = 0; i < envelopes.length; i++) slow.push(i)
      await this.fallback(envelopes, slow, results)
      return results
    }
    const shapes: (FastEnvelope | null)[] = new Array<FastEnvelope | null>(envelopes.length)
    /** Envelopes waiting for a recovery, by cache key. */
    const waiting = new Map<string, number[]>()
    const keyOf = new Uint8Array(32 + 65)
    const useWorkers = !opts.inProcess && this.opts.workers > 0
    let chunk: { input: Uint8Array; keys: string[] } = this.newChunk()
    const runs: Promise<void>[] = []
    let needed = 0

    const place = (i: number, rec: Recovery | null) => {
      const res = rec && this.answer(shapes[i]!, rec, envelopes[i])
      if (res) results[i] = res
      else slow.push(i) // libsecp256k1 refused: verify.ts gives the reason
    }
    const settle = (key: string, rec: Recovery | null) => {
      for (const i of waiting.get(key) ?? []) place(i, rec)
      waiting.delete(key)
    }
    const flush = (viaWorkers: boolean) => {
      const { input, keys } = chunk
      chunk = this.newChunk()
      if (keys.length === 0) return
      runs.push(this.recover(input, keys.length, viaWorkers).then((out) => keys.forEach((k, j) => settle(k, this.store(k, out, j)))))
    }
    // Whether to use workers is decided once enough distinct recoveries are known to be needed.
    let viaWorkers = false

    for (let i = 0; i < envelopes.length; i++) {
      let shape: FastEnvelope | null
      try {
        shape = fastShape(envelopes[i])
      } catch {
        shape = null
      }
      if (!shape) {
        slow.push(i)
        continue
      }
      shapes[i] = shape
      const digest = this.hasher.digest(shape.kind, shape.message, shape.chainId)
      keyOf.set(digest, 0)
      keyOf.set(shape.rs, 32)
      keyOf[96] = shape.recid
      const key = Buffer.from(this.keccak(keyOf)).toString('base64')
      const cached = this.cache.get(key)
      if (cached) {
        this.stats.cacheHits++
        place(i, cached)
        continue
      }
      const w = waiting.get(key)
      if (w) {
        this.stats.cacheHits++
        w.push(i)
        continue
      }
      waiting.set(key, [i])
      const at = chunk.keys.length * IN_RECORD
      chunk.input.set(digest, at)
      chunk.input.set(shape.rs, at + 32)
      chunk.input[at + 96] = shape.recid
      chunk.keys.push(key)
      needed++
      if (!viaWorkers && useWorkers && needed >= this.opts.minWorkerBatch) viaWorkers = true
      if (chunk.keys.length === this.opts.chunkSize) flush(viaWorkers)
    }
    flush(viaWorkers)
    await Promise.all(runs)
    await this.fallback(envelopes, slow, results)
    return results
  }

  private newChunk() {
    return { input: new Uint8Array(this.opts.chunkSize * IN_RECORD), keys: [] as string[] }
  }

  /** Recovers a chunk on a worker (falling back to this thread if the worker fails) or here. */
  private async recover(input: Uint8Array, n: number, viaWorkers: boolean): Promise<Uint8Array> {
    const native = this.native!
    this.stats.recovered += n
    if (viaWorkers) {
      this.pool ??= new RecoverPool(native, this.opts.workers)
      try {
        const out = await this.pool.run(input.slice(0, n * IN_RECORD), n)
        this.stats.recoveredInWorkers += n
        return out
      } catch {
        // A dead worker: do this chunk here.
      }
    }
    this.recoverHere ??= inProcessRecover(native, this.keccak!)
    return this.recoverHere(input, n)
  }

  /** The recovery of record j of a chunk's output (cached), or null when libsecp256k1 refused it. */
  private store(key: string, out: Uint8Array, j: number): Recovery | null {
    const at = j * OUT_RECORD
    if (out[at] !== 1) return null
    const rec = { signer: Buffer.from(out.subarray(at + 1, at + OUT_RECORD)).toString('hex') }
    this.remember(key, rec)
    return rec
  }

  private remember(key: string, rec: Recovery) {
    if (this.cache.size >= this.opts.cacheSize) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(key, rec)
  }

  /** The result for a fast-path envelope whose recovery is known. */
  private answer(shape: FastEnvelope, rec: Recovery, envelope: unknown): VerifyResult {
    if (!('signer' in rec)) return { ok: false, error: rec.error }
    if (`0x${rec.signer}` !== shape.address) return { ok: false, error: `signature is not by ${(envelope as { address: string }).address}` }
    let choice: unknown = shape.message.choice
    if (shape.kind === 'vote-string') {
      try {
        choice = JSON.parse(choice as string)
      } catch {
        return { ok: false, error: 'message.choice is not JSON' }
      }
    }
    return { ok: true, signer: this.checksum(rec.signer), kind: shape.kind, message: shape.message, choice }
  }

  /** EIP-55 checksum of a lower-case hex address (no 0x). */
  private checksum(lower: string): `0x${string}` {
    let out = this.checksums.get(lower)
    if (!out) {
      const h = this.keccak!(Buffer.from(lower, 'ascii'))
      let s = '0x'
      for (let i = 0; i < 40; i++) {
        const nibble = (h[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf
        s += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!
      }
      out = s as `0x${string}`
      if (this.checksums.size >= 100_000) this.checksums.clear()
      this.checksums.set(lower, out)
    }
    return out
  }

  /** verify.ts for the envelopes off the fast path; caches its refusals of signatures that do not recover. */
  private async fallback(envelopes: readonly unknown[], slow: number[], results: VerifyResult[]): Promise<void> {
    this.stats.fallback += slow.length
    for (const i of slow) {
      const res = await verifyVoteEnvelope(envelopes[i])
      results[i] = res
      const shape = this.hasher ? fastShapeSafe(envelopes[i]) : null
      if (shape && !res.ok && res.error.startsWith('signature does not recover')) {
        const key = this.keyFor(shape)
        if (key) this.remember(key, { error: res.error })
      }
    }
  }

  private keyFor(shape: FastEnvelope): string | null {
    if (!this.hasher || !this.keccak) return null
    const keyOf = new Uint8Array(97)
    keyOf.set(this.hasher.digest(shape.kind, shape.message, shape.chainId), 0)
    keyOf.set(shape.rs, 32)
    keyOf[96] = shape.recid
    return Buffer.from(this.keccak(keyOf)).toString('base64')
  }

  /** Stops the workers (they never keep the process alive when idle; this frees them now). */
  async close(): Promise<void> {
    await this.pool?.close()
    this.pool = null
  }
}

function fastShapeSafe(envelope: unknown): FastEnvelope | null {
  try {
    return fastShape(envelope)
  } catch {
    return null
  }
}

let shared: FastVerifier | undefined

/** The process-wide verifier (its cache spans calls). */
export function sharedVerifier(): FastVerifier {
  shared ??= new FastVerifier()
  return shared
}

/**
 * Verifies Snapshot vote envelopes (EOA signatures), results in input order, each equal to what
 * `verifyVoteEnvelope` returns for it. Never throws on bad envelopes.
 */
export function verifyVotes(
  envelopes: readonly unknown[],
  opts: { verifier?: FastVerifier; inProcess?: boolean } = {},
): Promise<VerifyResult[]> {
  return (opts.verifier ?? sharedVerifier()).verify(envelopes, { inProcess: opts.inProcess })
}

/** The tally's signature checks of envelopes (EOA), as `signatureCheckOf` gives them one by one. */
export async function signatureChecksOf(envelopes: readonly unknown[], opts: { verifier?: FastVerifier } = {}): Promise<SignatureCheck[]> {
  return (await verifyVotes(envelopes, opts)).map((v) => (v.ok ? { ok: true, method: 'eoa' } : { ok: false, method: 'eoa', error: v.error }))
}
