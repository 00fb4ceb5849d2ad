import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { createKeccak, type IHasher } from 'hash-wasm'

/**
 * The native half of governance/fastVerify: ECDSA public-key recovery with the `secp256k1`
 * package (libsecp256k1, prebuilt) and keccak of the key, in process or on worker threads.
 *
 * Input of a batch: n records of 97 bytes (digest 32 | r 32 | s 32 | recovery id 1).
 * Output: n records of 21 bytes (1 = recovered, 0 = libsecp256k1 refused | address 20).
 *
 * The recovery kernel is one plain-JavaScript source (RECOVER_KERNEL), evaluated in process
 * with `new Function` and in workers started with `eval: true`; keccak is hash-wasm's
 * `createKeccak(256)` (maintained WebAssembly; ~15× faster per vote hash than @noble/hashes here).
 * Creating a hasher is async (it instantiates the WebAssembly module), using one is sync, so each
 * thread creates one hasher once: `loadKeccak()` in this thread, and each worker before it serves
 * any job (jobs that arrive meanwhile wait in a queue). No worker file is looked up on disk, so
 * it works the same under tsx, vitest and an esbuild bundle; the packages are located with
 * `createRequire(import.meta.url)` (esbuild leaves that call alone: secp256k1 must load from
 * node_modules, where node-gyp-build finds its prebuilt binary) and passed to the workers as
 * absolute paths (hash-wasm's CommonJS entry, which a worker can `require`).
 */

export const IN_RECORD = 97
export const OUT_RECORD = 21

/** keccak-256 of bytes. */
export type Keccak = (data: Uint8Array) => Uint8Array
export type RecoverBatch = (input: Uint8Array, n: number) => Uint8Array

export interface NativeLoad {
  secp256k1Path: string
  /** hash-wasm (its CommonJS entry), required by each worker for createKeccak. */
  hashWasmPath: string
}

/** Body of `function (secp, keccak) { … return recoverBatch }`: shared by process and workers. */
const RECOVER_KERNEL = `
  const sig = new Uint8Array(64)
  const msg = new Uint8Array(32)
  const pub = new Uint8Array(65)
  return function recoverBatch(input, n) {
    const out = new Uint8Array(n * ${OUT_RECORD})
    for (let i = 0; i < n; i++) {
      const at = i * ${IN_RECORD}
      msg.set(input.subarray(at, at + 32))
      sig.set(input.subarray(at + 32, at + 96))
      let ok = true
      try {
        secp.ecdsaRecover(sig, input[at + 96], msg, false, pub)
      } catch (e) {
        ok = false
      }
      if (ok) {
        const h = keccak(pub.subarray(1))
        out[i * ${OUT_RECORD}] = 1
        out.set(h.subarray(12, 32), i * ${OUT_RECORD} + 1)
      }
    }
    return out
  }
`

/** keccak-256 as a sync function of one hash-wasm hasher (one per thread; never used re-entrantly). */
const KECCAK_OF = `(hasher) => (data) => hasher.init().update(data).digest('binary')`

/**
 * A worker: creates its hasher, then serves jobs in arrival order (those that arrive before the
 * hasher is ready are queued). If the hasher cannot be created the error is thrown on the
 * worker's event loop: the worker dies and RecoverPool fails its jobs (redone in process).
 */
const WORKER_SOURCE = `
  const { parentPort, workerData } = require('node:worker_threads')
  const secp = require(workerData.secp256k1Path)
  const { createKeccak } = require(workerData.hashWasmPath)
  let recoverBatch = null
  const queue = []
  const serve = (job) => {
    const out = recoverBatch(new Uint8Array(job.input), job.n)
    parentPort.postMessage({ id: job.id, output: out.buffer }, [out.buffer])
  }
  parentPort.on('message', (job) => (recoverBatch ? serve(job) : queue.push(job)))
  createKeccak(256).then(
    (hasher) => {
      const keccak = (${KECCAK_OF})(hasher)
      recoverBatch = (function (secp, keccak) { ${RECOVER_KERNEL} })(secp, keccak)
      for (const job of queue.splice(0)) serve(job)
    },
    (err) => setImmediate(() => { throw err }),
  )
`

const req = createRequire(import.meta.url)

/**
 * Locates the native secp256k1 binding (null when it does not load: then fastVerify falls back
 * to viem for every envelope) and the CommonJS entry of hash-wasm for the workers.
 */
export function locateNative(): NativeLoad | null {
  try {
    const secp256k1Path = req.resolve('secp256k1/bindings.js')
    req(secp256k1Path)
    return { secp256k1Path, hashWasmPath: req.resolve('hash-wasm') }
  } catch {
    return null
  }
}

interface Secp256k1 {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean, output?: Uint8Array): Uint8Array
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number }
  publicKeyCreate(seckey: Uint8Array, compressed: boolean): Uint8Array
}

export function loadSecp256k1(native: NativeLoad): Secp256k1 {
  return req(native.secp256k1Path) as Secp256k1
}

/** keccak-256 as a sync function of a hash-wasm hasher (the workers build theirs from the same source). */
export const keccakOf = new Function(`return ${KECCAK_OF}`)() as (hasher: IHasher) => Keccak

let keccakHere: Promise<Keccak> | undefined

/**
 * keccak-256 of hash-wasm on this thread: one hasher, created on the first call (async: it
 * instantiates the WebAssembly module); later calls return the same function. A failed creation
 * is not kept, so the next call tries again.
 */
export function loadKeccak(): Promise<Keccak> {
  keccakHere ??= createKeccak(256).then(keccakOf, (err: unknown) => {
    keccakHere = undefined
    throw err
  })
  return keccakHere
}

/** The recovery kernel in this thread, with this thread's keccak (from `loadKeccak`). */
export function inProcessRecover(native: NativeLoad, keccak: Keccak): RecoverBatch {
  return new Function('secp', 'keccak', RECOVER_KERNEL)(loadSecp256k1(native), keccak) as RecoverBatch
}

interface Job {
  resolve: (out: Uint8Array) => void
  reject: (err: Error) => void
  n: number
}

interface Slot {
  worker: Worker
  jobs: Map<number, Job>
  /** Records queued on this worker. */
  load: number
}

/**
 * A pool of recovery workers. Workers are referenced only while they have work, so an idle
 * pool never keeps the process alive; a worker that dies fails its pending jobs (the caller
 * redoes them in process) and is replaced on the next run.
 */
export class RecoverPool {
  private slots: (Slot | undefined)[]
  private nextId = 0

  constructor(
    private readonly native: NativeLoad,
    readonly size: number,
  ) {
    this.slots = Array.from({ length: size }, () => undefined)
  }

  private start(i: number): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: this.native })
    worker.unref()
    const slot: Slot = { worker, jobs: new Map(), load: 0 }
    const fail = (err: Error) => {
      if (this.slots[i] === slot) this.slots[i] = undefined
      for (const job of slot.jobs.values()) job.reject(err)
      slot.jobs.clear()
    }
    worker.on('message', (m: { id: number; output: ArrayBuffer }) => {
      const job = slot.jobs.get(m.id)
      if (!job) return
      slot.jobs.delete(m.id)
      slot.load -= job.n
      if (slot.jobs.size === 0) worker.unref()
      job.resolve(new Uint8Array(m.output))
    })
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`recovery worker exited with code ${code}`)))
    this.slots[i] = slot
    return slot
  }

  /** Recovers a batch on the least-loaded worker. The input buffer is transferred (unusable after). */
  run(input: Uint8Array, n: number): Promise<Uint8Array> {
    let best = 0
    let bestLoad = Infinity
    for (let i = 0; i < this.size; i++) {
      const load = this.slots[i]?.load ?? 0
      if (load < bestLoad) [best, bestLoad] = [i, load]
    }
    const slot = this.slots[best] ?? this.start(best)
    const id = this.nextId++
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject, n })
      slot.load += n
      slot.worker.ref()
      const buffer = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength ? input.buffer : input.slice().buffer
      slot.worker.postMessage({ id, input: buffer, n }, [buffer as ArrayBuffer])
    })
  }

  /** Workers currently running. */
  get running(): number {
    return this.slots.filter(Boolean).length
  }

  async close(): Promise<void> {
    const slots = this.slots.filter((s): s is Slot => s !== undefined)
    this.slots = Array.from({ length: this.size }, () => undefined)
    await Promise.all(slots.map((s) => s.worker.terminate()))
  }
}
