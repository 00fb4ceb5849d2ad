import { mulberry32 } from '../core/random'
import type { ChainShareHistory, ShareTransfer } from './entitlements'

/** Random share histories for tests and the benchmark (seeded; consistent by construction). */
export const ZERO = '0x0000000000000000000000000000000000000000'

export function addressOf(i: number): string {
  return `0x${(i + 1).toString(16).padStart(40, '0')}`
}

export interface RandomHistoryOptions {
  seed: number
  chains: string[]
  delegators: number
  transfers: number
  startTime: number
  endTime: number
  /** Fraction of operations that are mints / burns (each), default 0.1. */
  mintBurnShare?: number
  /** Fraction of operations that are cross-chain moves (burn here, mint there a few seconds later), default 0.1. */
  moveShare?: number
  /** Read closing balances (default true). */
  closing?: boolean
}

/**
 * Transfers, mints, burns and cross-chain moves over the chains, with opening balances; each chain's
 * blocks are one per second from startTime + 1 (block numbers start at 1000 per chain).
 */
export function randomHistories(o: RandomHistoryOptions): ChainShareHistory[] {
  const rnd = mulberry32(o.seed)
  const int = (n: number) => Math.floor(rnd() * n)
  const span = o.endTime - o.startTime
  const bal = o.chains.map(() => new Map<string, bigint>())
  const opening = o.chains.map(() => new Map<string, bigint>())
  for (let i = 0; i < o.delegators; i++) {
    const c = int(o.chains.length)
    const v = BigInt(1 + int(1_000_000)) * 10n ** 12n
    opening[c]!.set(addressOf(i), v)
    bal[c]!.set(addressOf(i), v)
  }
  // Operation times, sorted; each gets a chain and a kind.
  const times = Array.from({ length: o.transfers }, () => o.startTime + 1 + int(span)).sort((a, b) => a - b)
  const perChain: ShareTransfer[][] = o.chains.map(() => [])
  const logIdx = o.chains.map(() => new Map<number, number>())
  const push = (c: number, time: number, from: string, to: string, value: bigint) => {
    const t = Math.min(time, o.endTime)
    const li = logIdx[c]!.get(t) ?? 0
    logIdx[c]!.set(t, li + 1)
    perChain[c]!.push({ block: BigInt(1000 + (t - o.startTime)), logIndex: li, time: t, from, to, value })
    const b = bal[c]!
    if (from !== ZERO) b.set(from, b.get(from)! - value)
    if (to !== ZERO) b.set(to, (b.get(to) ?? 0n) + value)
  }
  const mb = o.mintBurnShare ?? 0.1
  const mv = o.moveShare ?? 0.1
  // Holders per chain with a positive balance, sampled lazily.
  const holder = (c: number): string | undefined => {
    const b = bal[c]!
    for (let k = 0; k < 8; k++) {
      const a = addressOf(int(o.delegators))
      if ((b.get(a) ?? 0n) > 0n) return a
    }
    for (const [a, v] of b) if (v > 0n) return a
    return undefined
  }
  const pending: { time: number; c: number; to: string; value: bigint }[] = []
  const flush = (upTo: number) => {
    pending.sort((a, b) => a.time - b.time)
    while (pending.length && pending[0]!.time <= upTo) {
      const p = pending.shift()!
      push(p.c, p.time, ZERO, p.to, p.value)
    }
  }
  for (const t of times) {
    flush(t)
    const c = int(o.chains.length)
    const r = rnd()
    if (r < mb) {
      push(c, t, ZERO, addressOf(int(o.delegators)), BigInt(1 + int(1_000_000)) * 10n ** 12n)
      continue
    }
    const from = holder(c)
    if (!from) continue
    const have = bal[c]!.get(from)!
    const value = rnd() < 0.3 ? have : (have * BigInt(1 + int(100))) / 100n
    if (r < 2 * mb) push(c, t, from, ZERO, value)
    else if (r < 2 * mb + mv && o.chains.length > 1) {
      const d = (c + 1 + int(o.chains.length - 1)) % o.chains.length
      push(c, t, from, ZERO, value)
      pending.push({ time: t + int(5), c: d, to: from, value })
    } else push(c, t, from, addressOf(int(o.delegators)), value)
  }
  flush(Number.MAX_SAFE_INTEGER)
  return o.chains.map((chain, c) => {
    const transfers = perChain[c]!.sort((a, b) => (a.block === b.block ? a.logIndex - b.logIndex : a.block < b.block ? -1 : 1))
    // Re-number log indexes per block after sorting by time (moves may have landed out of order).
    let lastBlock = -1n
    let li = 0
    for (const t of transfers) {
      if (t.block !== lastBlock) {
        lastBlock = t.block
        li = 0
      }
      t.logIndex = li++
    }
    const h: ChainShareHistory = { chain, startBlock: 1000n, endBlock: BigInt(1000 + span), opening: opening[c]!, transfers }
    if (o.closing ?? true) h.closing = new Map([...bal[c]!].filter(([, v]) => v > 0n))
    return h
  })
}
