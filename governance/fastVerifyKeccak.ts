/**
 * keccak-256 in WebAssembly for governance/fastVerify: the Keccak-f[1600] permutation with native
 * 64-bit lanes (i64 xor/and/rotl), fully unrolled, emitted here as a WebAssembly binary (no
 * build step, no dependency). The JS glue (KECCAK_WASM_GLUE) is plain-JavaScript source shared
 * by this thread and the recovery workers, which receive the module bytes.
 *
 * Memory: bytes 0..31 the digest, from 256 the padded input (grown as needed).
 */

const RATE = 136
const INPUT = 256

/** Rotation offsets r[x + 5y]. */
const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14]
const RC = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n, 0x000000000000808bn, 0x0000000080000001n,
  0x8000000080008081n, 0x8000000000008009n, 0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n, 0x8000000000008002n, 0x8000000000000080n,
  0x000000000000800an, 0x800000008000000an, 0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
]

const uleb = (n: number): number[] => {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n !== 0) b |= 0x80
    out.push(b)
  } while (n !== 0)
  return out
}

const sleb64 = (value: bigint): number[] => {
  let v = BigInt.asIntN(64, value)
  const out: number[] = []
  for (;;) {
    const b = Number(v & 0x7fn)
    v >>= 7n
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body]
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()]

/** The module: export "f"(blocks: i32) absorbing `blocks` padded blocks from INPUT, and memory "m". */
export function keccakWasmModule(): Uint8Array {
  // locals: 0 = blocks (param), 1..25 a, 26..50 b, 51..55 c, 56 d (i64), 57 ptr (i32)
  const A = (i: number) => 1 + i
  const B = (i: number) => 26 + i
  const C = (x: number) => 51 + x
  const D = 56
  const PTR = 57
  const code: number[] = []
  const get = (l: number) => code.push(0x20, ...uleb(l))
  const set = (l: number) => code.push(0x21, ...uleb(l))
  const i64 = (v: bigint) => code.push(0x42, ...sleb64(v))
  const XOR = 0x85
  const AND = 0x83
  const ROTL = 0x89

  code.push(0x41, ...sleb64(BigInt(INPUT))) // i32.const INPUT
  set(PTR)
  code.push(0x02, 0x40) // block
  code.push(0x03, 0x40) // loop
  get(0)
  code.push(0x45, 0x0d, 0x01) // i32.eqz; br_if 1 (done)
  for (let i = 0; i < RATE / 8; i++) {
    get(A(i))
    get(PTR)
    code.push(0x29, 0x03, ...uleb(8 * i)) // i64.load align=8 offset=8i
    code.push(XOR)
    set(A(i))
  }
  for (let round = 0; round < 24; round++) {
    // θ
    for (let x = 0; x < 5; x++) {
      get(A(x))
      for (let y = 1; y < 5; y++) {
        get(A(x + 5 * y))
        code.push(XOR)
      }
      set(C(x))
    }
    for (let x = 0; x < 5; x++) {
      get(C((x + 4) % 5))
      get(C((x + 1) % 5))
      i64(1n)
      code.push(ROTL, XOR)
      set(D)
      for (let y = 0; y < 5; y++) {
        get(A(x + 5 * y))
        get(D)
        code.push(XOR)
        set(A(x + 5 * y))
      }
    }
    // ρ and π
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) {
        get(A(x + 5 * y))
        if (ROT[x + 5 * y]) {
          i64(BigInt(ROT[x + 5 * y]!))
          code.push(ROTL)
        }
        set(B(y + 5 * ((2 * x + 3 * y) % 5)))
      }
    }
    // χ
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 5; x++) {
        get(B(x + 5 * y))
        get(B(((x + 1) % 5) + 5 * y))
        i64(-1n)
        code.push(XOR)
        get(B(((x + 2) % 5) + 5 * y))
        code.push(AND, XOR)
        set(A(x + 5 * y))
      }
    }
    // ι
    get(A(0))
    i64(RC[round]!)
    code.push(XOR)
    set(A(0))
  }
  get(PTR)
  code.push(0x41, ...sleb64(BigInt(RATE)), 0x6a) // i32.const RATE; i32.add
  set(PTR)
  get(0)
  code.push(0x41, 0x01, 0x6b) // i32.const 1; i32.sub
  set(0)
  code.push(0x0c, 0x00) // br 0 (next block)
  code.push(0x0b, 0x0b) // end loop; end block
  for (let i = 0; i < 4; i++) {
    code.push(0x41, 0x00) // i32.const 0
    get(A(i))
    code.push(0x37, 0x03, ...uleb(8 * i)) // i64.store align=8 offset=8i
  }
  code.push(0x0b) // end function

  const locals = vec([
    [...uleb(56), 0x7e],
    [...uleb(1), 0x7f],
  ])
  const body = [...locals, ...code]
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 0x01, 0x7f, 0x00]])), // type 0: (i32) -> ()
    ...section(3, vec([[0x00]])), // function 0: type 0
    ...section(5, vec([[0x00, 0x01]])), // memory: min 1 page
    ...section(7, vec([
      [0x01, 0x66, 0x00, 0x00], // "f" → func 0
      [0x01, 0x6d, 0x02, 0x00], // "m" → memory 0
    ])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]
  return Uint8Array.from(bytes)
}

/** Body of `function (wasm) { … return keccak }`: instantiates the module and pads/absorbs around it. */
export const KECCAK_WASM_GLUE = `
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), {})
  const f = instance.exports.f
  const memory = instance.exports.m
  let heap = new Uint8Array(memory.buffer)
  return function keccak256(data) {
    const len = data.length
    const padded = (Math.floor(len / ${RATE}) + 1) * ${RATE}
    if (${INPUT} + padded > heap.length) {
      memory.grow(Math.ceil((${INPUT} + padded - heap.length) / 65536))
      heap = new Uint8Array(memory.buffer)
    }
    heap.set(data, ${INPUT})
    heap.fill(0, ${INPUT} + len, ${INPUT} + padded)
    heap[${INPUT} + len] ^= 0x01
    heap[${INPUT} + padded - 1] ^= 0x80
    f(padded / ${RATE})
    return heap.slice(0, 32)
  }
`

export type Keccak256 = (data: Uint8Array) => Uint8Array

/** keccak-256 on this thread. */
export function wasmKeccak(wasm: Uint8Array = keccakWasmModule()): Keccak256 {
  return new Function('wasm', KECCAK_WASM_GLUE)(wasm) as Keccak256
}
