import { getAddress, parseAbi, parseAbiItem, type Address, type Hex, type PublicClient } from 'viem'
import type { Delegator } from './types.js'

/**
 * Delegator weights from chain reads (never from the hub's vp): each delegator's pool shares at
 * the proposal's snapshot time, summed over every chain. On each chain the block at the snapshot
 * time is the last block whose timestamp is ≤ it (binary search on block timestamps), and every
 * holder's `balanceOf` is read at that block in one multicall. Holders are the recipients of the
 * share token's Transfer events up to that block (plus any extra addresses, e.g. the signal voters).
 *
 * `createShareWeightReader` does the same with memory between rounds (the governor's steady
 * state): the block found for a time is kept once a later block exists (it can no longer change,
 * short of a reorg: its hash is checked every call); the holders are scanned incrementally from a
 * cursor (only the Transfer logs past the last scanned block, the cursor optionally stored) and
 * the balances read at a block are kept per block hash, so a round with nothing new reads no logs
 * and no balances — only one header per chain to confirm the block's hash.
 */

export const shareTokenAbi = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function totalSupply() view returns (uint256)',
])
const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)')

export interface BlockRef {
  number: bigint
  hash: Hex
  timestamp: bigint
}

/**
 * The last block with timestamp ≤ `time` (null when even block 0 is later), with its hash, and
 * whether a later block exists (`final`: the answer cannot change any more, short of a reorg).
 * Binary search on block headers: O(log n) reads.
 */
export async function blockRefAtTimestamp(client: PublicClient, time: number | bigint): Promise<{ block: BlockRef; final: boolean } | null> {
  const t = BigInt(time)
  const head = await client.getBlock({ blockTag: 'latest' })
  const ref = (b: { number: bigint | null; hash: Hex | null; timestamp: bigint }): BlockRef => ({ number: b.number!, hash: b.hash!, timestamp: b.timestamp })
  if (head.timestamp <= t) return { block: ref(head), final: false }
  let lo = await client.getBlock({ blockNumber: 0n })
  if (lo.timestamp > t) return null
  let hi = head.number
  // invariant: ts(lo) ≤ t < ts(hi)
  while (hi - lo.number! > 1n) {
    const mid = await client.getBlock({ blockNumber: (lo.number! + hi) / 2n })
    if (mid.timestamp <= t) lo = mid
    else hi = mid.number!
  }
  return { block: ref(lo), final: true }
}

/** The last block with timestamp ≤ `time` (null when even block 0 is later). */
export async function blockAtTimestamp(client: PublicClient, time: number | bigint): Promise<bigint | null> {
  return (await blockRefAtTimestamp(client, time))?.block.number ?? null
}

export interface ShareChain {
  chain: string
  client: PublicClient
  token: Address
  /** Multicall3 on the chain. */
  multicall3: Address
  /** First block of the Transfer-event scan (default 0). */
  fromBlock?: bigint
  /**
   * Blocks after which a block is final on this chain (config `chains[].finalityDepth`). With the
   * chain's head passed to `read` (`heads`), a remembered block (the snapshot block, the holder
   * scan's cursor) that is this deep is confirmed once more and then never read again; without it
   * every read confirms its hash.
   */
  finalityDepth?: number
}

export interface ShareWeights {
  delegators: Delegator[]
  /** The block read on each chain (null: the chain has no block at that time; weight 0 there). */
  blocks: Record<string, bigint | null>
  /** The hash of that block, per chain. */
  hashes: Record<string, Hex | null>
  /** The token's total supply at that block, per chain. */
  totalSupply: Record<string, bigint>
}

/** Where a holder scan stands: every Transfer recipient of the token up to `block` (inclusive). */
export interface HolderCursor {
  block: bigint
  hash: Hex
  holders: Address[]
}

/** Optional persistence of the holder scan (the store's share cursors), so a restart resumes it. */
export interface HolderCursorStore {
  load(chain: string, token: Address): Promise<HolderCursor | undefined>
  save(chain: string, token: Address, cursor: HolderCursor): Promise<void>
}

const isZero = (a: string) => /^0x0{40}$/i.test(a)

/** Transfer recipients in [from, to], in ranges of `span` blocks. */
async function recipients(c: ShareChain, from: bigint, to: bigint, span: bigint): Promise<Address[]> {
  const out: Address[] = []
  for (let a = from; a <= to; a += span) {
    const b = a + span - 1n < to ? a + span - 1n : to
    const logs = await c.client.getLogs({ address: c.token, event: transferEvent, fromBlock: a, toBlock: b })
    for (const l of logs) if (l.args.to && !isZero(l.args.to)) out.push(getAddress(l.args.to))
  }
  return out
}

export interface ShareWeightReaderOptions {
  cursors?: HolderCursorStore
  /** Blocks per eth_getLogs request (default 10 000). */
  logSpan?: number
  /** Balances kept for this many snapshot blocks per chain (default 16). */
  keepBlocks?: number
  /** balanceOf reads per multicall (default 2000). */
  batch?: number
}

export interface ShareWeightReader {
  /**
   * The weights at `time`. The answer may be the previous one itself (same time, same block
   * hashes, same holders and extra addresses, every block final): treat it as read-only.
   */
  read(args: {
    chains: readonly ShareChain[]
    time: number
    extra?: readonly string[]
    /** Each chain's head block number, read once per round by the caller (see ShareChain.finalityDepth). */
    heads?: Readonly<Record<string, bigint>>
  }): Promise<ShareWeights>
  /**
   * Balances known at a block (e.g. from a stored receipt after a restart): kept as if read there,
   * so only the addresses missing from them are read again. The caller vouches that they were read
   * at exactly this block hash. `complete`: the balances list every address with shares there
   * (a receipt's delegators: every Transfer recipient up to that block with a balance, zero entries
   * omitted), so any other address is known to hold 0 there and nothing is read.
   */
  seed(s: { chain: string; token: Address; block: { hash: Hex | null }; balances: Iterable<[string, bigint]>; totalSupply: bigint; complete?: boolean }): void
  /** Requests made so far, by kind, and reads answered from the memo (for the bench and tests). */
  stats(): { headers: number; logScans: number; balanceReads: number; memoHits: number }
}

interface ChainMemory {
  holders: Set<string>
  holderList: Address[]
  cursor: HolderCursor | undefined
  loaded: boolean
  /** time → the final block at that time (`settled`: confirmed once past the chain's finality depth). */
  blockAt: Map<number, BlockRef & { settled?: boolean }>
  /** The holder cursor's block was confirmed past the chain's finality depth: never read again. */
  cursorSettled: boolean
  /** block hash → balances read there (lower-case address → balance) and the total supply. */
  balances: Map<Hex, BalanceEntry>
}

interface BalanceEntry {
  balance: Map<string, bigint>
  totalSupply: bigint | null
  /** Every address with a balance there is in `balance` (seeded from a complete list): others hold 0. */
  complete?: boolean
}

export function createShareWeightReader(opts: ShareWeightReaderOptions = {}): ShareWeightReader {
  const span = BigInt(opts.logSpan ?? 10_000)
  const keep = opts.keepBlocks ?? 16
  const batch = opts.batch ?? 2000
  const memory = new Map<string, ChainMemory>()
  const counts = { headers: 0, logScans: 0, balanceReads: 0 }
  let memoHits = 0
  const mem = (c: Pick<ShareChain, 'chain' | 'token'>): ChainMemory => {
    const k = `${c.chain}:${c.token.toLowerCase()}`
    let m = memory.get(k)
    if (!m) memory.set(k, (m = { holders: new Set(), holderList: [], cursor: undefined, loaded: false, blockAt: new Map(), cursorSettled: false, balances: new Map() }))
    return m
  }
  const addHolders = (m: ChainMemory, xs: readonly Address[]) => {
    for (const a of xs) {
      const k = a.toLowerCase()
      if (m.holders.has(k)) continue
      m.holders.add(k)
      m.holderList.push(a)
    }
  }
  const reset = (m: ChainMemory) => {
    m.holders.clear()
    m.holderList = []
    m.cursor = undefined
    m.cursorSettled = false
  }
  /** True when block `n` is at least the chain's finality depth below its head (both known). */
  const deep = (c: ShareChain, n: bigint, head: bigint | undefined) => c.finalityDepth !== undefined && head !== undefined && n + BigInt(c.finalityDepth) <= head

  /** The block at `time` on a chain: remembered once final, its hash confirmed on every call. */
  async function blockOf(c: ShareChain, m: ChainMemory, time: number, head: bigint | undefined): Promise<{ block: BlockRef; final: boolean } | null> {
    const known = m.blockAt.get(time)
    if (known) {
      // Confirmed once past the chain's finality depth: it cannot change any more.
      if (known.settled) return { block: known, final: true }
      const settles = deep(c, known.number, head)
      counts.headers++
      const now = await c.client.getBlock({ blockNumber: known.number }).catch(() => null)
      if (now?.hash === known.hash) {
        if (settles) known.settled = true
        return { block: known, final: true }
      }
      m.blockAt.delete(time) // reorged (or gone): search again
    }
    const found = await blockRefAtTimestamp(c.client, time)
    counts.headers++
    if (found?.final) {
      m.blockAt.set(time, found.block)
      if (m.blockAt.size > 256) m.blockAt.delete(m.blockAt.keys().next().value!)
    }
    return found
  }

  /** Holders up to `block` at least (a superset is harmless: zero balances are dropped). */
  async function holdersUpTo(c: ShareChain, m: ChainMemory, block: BlockRef, head: bigint | undefined): Promise<Address[]> {
    if (!m.loaded) {
      m.loaded = true
      const stored = await opts.cursors?.load(c.chain, c.token)
      if (stored) {
        addHolders(m, stored.holders)
        m.cursor = stored
      }
    }
    if (m.cursor && !m.cursorSettled) {
      // The cursor's block must still be the chain's; otherwise scan again from the start. Once
      // confirmed past the chain's finality depth it is not read again (until the cursor moves).
      const settles = deep(c, m.cursor.block, head)
      const at = m.cursor.block <= block.number ? await c.client.getBlock({ blockNumber: m.cursor.block }).catch(() => null) : null
      if (at && at.hash !== m.cursor.hash) reset(m)
      else if (at && settles) m.cursorSettled = true
    }
    const from = m.cursor ? m.cursor.block + 1n : (c.fromBlock ?? 0n)
    if (from <= block.number) {
      counts.logScans++
      addHolders(m, await recipients(c, from, block.number, span))
      m.cursor = { block: block.number, hash: block.hash, holders: m.holderList }
      m.cursorSettled = false
      await opts.cursors?.save(c.chain, c.token, { block: block.number, hash: block.hash, holders: [...m.holderList] })
    }
    return m.holderList
  }

  async function balancesAt(c: ShareChain, m: ChainMemory, block: BlockRef, addresses: readonly Address[], cacheable: boolean) {
    let entry = m.balances.get(block.hash)
    if (!entry) {
      entry = { balance: new Map(), totalSupply: null }
      if (cacheable) {
        m.balances.set(block.hash, entry)
        if (m.balances.size > keep) m.balances.delete(m.balances.keys().next().value!)
      }
    }
    const missing = entry.complete ? [] : addresses.filter((a) => !entry.balance.has(a.toLowerCase()))
    if (missing.length > 0 || entry.totalSupply === null) {
      counts.balanceReads++
      // One multicall per `batch` reads (an eth_call has a gas cap: 100k balances do not fit in one).
      for (let i = 0; i < Math.max(1, missing.length); i += batch) {
        const part = missing.slice(i, i + batch)
        const contracts = [
          { address: c.token, abi: shareTokenAbi, functionName: 'totalSupply', args: [] },
          ...part.map((h) => ({ address: c.token, abi: shareTokenAbi, functionName: 'balanceOf', args: [h] })),
        ] as const
        const results = await c.client.multicall({ contracts: contracts as never, allowFailure: false, blockNumber: block.number, multicallAddress: c.multicall3 })
        entry.totalSupply = results[0] as bigint
        part.forEach((h, j) => entry.balance.set(h.toLowerCase(), results[j + 1] as bigint))
      }
    }
    return entry
  }

  /**
   * The last answer and what it was read from (time, per chain the block's hash and the holder
   * count, the extra addresses): a read whose inputs are all the same, at final blocks, returns it
   * as it is (no merging, no sorting, no checksumming of 100k addresses again).
   */
  type Memo = { extra: string; extraRef: readonly string[]; extraLength: number; result: ShareWeights }
  /**
   * Per read key (one per snapshot time), one answer per list of extra addresses (proposals with
   * the same snapshot time have their own voters): a round over several proposals hits each.
   */
  const memos = new Map<string, Memo[]>()

  return {
    stats: () => ({ ...counts, memoHits }),
    seed(s) {
      const m = mem(s)
      if (!s.block.hash) return
      let entry = m.balances.get(s.block.hash)
      if (!entry) {
        entry = { balance: new Map(), totalSupply: null }
        m.balances.set(s.block.hash, entry)
        if (m.balances.size > keep) m.balances.delete(m.balances.keys().next().value!)
      }
      for (const [a, b] of s.balances) if (!entry.balance.has(a.toLowerCase())) entry.balance.set(a.toLowerCase(), b)
      if (entry.totalSupply === null) entry.totalSupply = s.totalSupply
      if (s.complete) entry.complete = true
    },
    async read(args) {
      const extraRaw = args.extra ?? []
      // The same array again (the caller's list, unchanged) needs no comparison of its contents.
      const sameExtra = (m: Memo) => m.extraRef === extraRaw && m.extraLength === extraRaw.length ? true : m.extra === extraKey()
      let extraText: string | undefined
      const extraKey = () => (extraText ??= `${extraRaw.length}:${extraRaw.join(',')}`)
      // 1. per chain: the block at the time (its hash confirmed) and the holders up to it.
      const located = await Promise.all(
        args.chains.map(async (c) => {
          const m = mem(c)
          const head = args.heads?.[c.chain]
          const found = await blockOf(c, m, args.time, head)
          const holders = found ? await holdersUpTo(c, m, found.block, head) : []
          return { c, m, found, holders }
        }),
      )
      const key = [args.time, ...located.map((l) => `${l.c.chain}:${l.c.token.toLowerCase()}:${l.found?.block.hash ?? '-'}:${l.holders.length}`)].join('|')
      const allFinal = located.every((l) => l.found === null || l.found.final)
      const memo = allFinal ? (memos.get(key) ?? []).find(sameExtra) : undefined
      if (memo) {
        memoHits++
        return memo.result
      }
      // 2. balances at those blocks (kept per final block hash), merged per delegator.
      const byAddress = new Map<string, Delegator>()
      const extra = extraRaw.filter((a) => /^0x[0-9a-fA-F]{40}$/.test(a)).map((a) => getAddress(a))
      for (const a of extra) if (!byAddress.has(a.toLowerCase())) byAddress.set(a.toLowerCase(), { address: a, weightByChain: {} })
      const blocks: Record<string, bigint | null> = {}
      const hashes: Record<string, Hex | null> = {}
      const totalSupply: Record<string, bigint> = {}
      await Promise.all(
        located.map(async ({ c, m, found, holders }) => {
          blocks[c.chain] = found?.block.number ?? null
          hashes[c.chain] = found?.block.hash ?? null
          totalSupply[c.chain] = 0n
          if (!found) return
          const all = extra.length ? [...new Set([...holders, ...extra])] : holders
          // Balances at a block that may still change (the head at the snapshot time) are not kept.
          const entry = await balancesAt(c, m, found.block, all, found.final)
          totalSupply[c.chain] = entry.totalSupply ?? 0n
          for (const h of all) {
            const key = h.toLowerCase()
            const bal = entry.balance.get(key) ?? 0n
            if (bal === 0n && !byAddress.has(key)) continue
            const d = byAddress.get(key) ?? { address: h, weightByChain: {} }
            if (bal > 0n) d.weightByChain[c.chain] = bal
            byAddress.set(key, d)
          }
        }),
      )
      // Chains in the given order, whatever order the reads finished in (stable receipts).
      for (const d of byAddress.values()) {
        d.weightByChain = Object.fromEntries(args.chains.flatMap((c) => (d.weightByChain[c.chain] !== undefined ? [[c.chain, d.weightByChain[c.chain]!]] : [])))
      }
      const delegators = [...byAddress.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1])
      const result = { delegators, blocks, hashes, totalSupply }
      if (allFinal) {
        // The answer for this list of voters replaces the one for the list it grew from (same array).
        const list = (memos.get(key) ?? []).filter((m) => m.extraRef !== extraRaw && m.extra !== extraKey()).slice(-2)
        list.push({ extra: extraKey(), extraRef: extraRaw, extraLength: extraRaw.length, result })
        memos.delete(key)
        memos.set(key, list)
        if (memos.size > keep) memos.delete(memos.keys().next().value!)
      } else memos.delete(key)
      return result
    },
  }
}

/**
 * Pool shares per delegator and chain at `time` (unix seconds), read afresh (no memory). Every
 * delegator with shares on any chain is listed (weight per chain, zero entries omitted); `extra`
 * addresses are read too and listed even at zero weight (so a zero-weight voter is visible in the
 * receipt).
 */
export async function readShareWeights(args: { chains: readonly ShareChain[]; time: number; extra?: readonly string[] }): Promise<ShareWeights> {
  return createShareWeightReader().read(args)
}
