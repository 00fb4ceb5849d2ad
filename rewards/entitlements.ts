import { ShareHistoryError } from './errors'

/**
 * Entitlements from share histories (pure).
 *
 * **Time weighting.** On every chain the state of the share token at time t is the state after
 * the last block whose timestamp is ≤ t. The epoch [startTime, endTime) therefore opens with the
 * balances read at the start boundary block (the last block with timestamp ≤ startTime) and closes
 * with those of the end boundary block (the last block with timestamp ≤ endTime). A Transfer in
 * a block after the start boundary block takes effect at that block's timestamp: the sender held
 * the shares until then, the recipient from then on. Consequences (the README's boundary rule):
 *   - a transfer in the start boundary block is already in the opening balances (it belongs to
 *     the recipient for the whole epoch);
 *   - a transfer in the end boundary block counts from its block's timestamp, i.e. for
 *     endTime − timestamp seconds (zero when the block is stamped exactly endTime), and is in
 *     the next epoch's opening balances.
 * A delegator's weight = Σ over chains Σ over the epoch's segments of balance × seconds. Shares on
 * different chains are the same pool share, so a move between chains (burn here, mint there, or a
 * bridge) counts on the source chain until its block there and on the destination from its block
 * there: never both, never neither, except for the seconds the move itself is in flight.
 *
 * The zero address (mints and burns) is never a delegator.
 */
export interface ShareTransfer {
  block: bigint
  logIndex: number
  /** The block's timestamp (unix seconds). */
  time: number
  /** Lower-case (as readShareHistory gives them). */
  from: string
  /** Lower-case. */
  to: string
  value: bigint
}

export interface ChainShareHistory {
  chain: string
  startBlock: bigint
  endBlock: bigint
  /** Balances after the start boundary block (lower-case addresses; zero balances may be omitted). */
  opening: ReadonlyMap<string, bigint>
  /** Every Transfer of the share token in blocks (startBlock, endBlock], in chain order. */
  transfers: readonly ShareTransfer[]
  /** Balances after the end boundary block, when read: the history must arrive at them exactly. */
  closing?: ReadonlyMap<string, bigint>
}

export interface EpochWindow {
  startTime: number
  endTime: number
}

const ZERO = '0x0000000000000000000000000000000000000000'

/**
 * Time-weighted share balance (shares × seconds) per delegator, summed over the chains.
 * Throws ShareHistoryError when a history does not add up (a balance would go negative, transfers
 * out of order or outside the blocks, the closing balances differ from the replay).
 */
export function timeWeights(window: EpochWindow, chains: readonly ChainShareHistory[]): Map<string, bigint> {
  const { startTime, endTime } = window
  if (!(endTime > startTime)) throw new RangeError(`epoch window: endTime ${endTime} is not after startTime ${startTime}`)
  const span = BigInt(endTime - startTime)
  // Delegators as small integers (one Map lookup per address per transfer), balances and weights in
  // arrays indexed by them, summed over the chains at the end.
  const ids = new Map<string, number>()
  const names: string[] = []
  const total: bigint[] = []
  const id = (a: string): number => {
    let i = ids.get(a)
    if (i === undefined) {
      i = names.length
      ids.set(a, i)
      names.push(a)
      total.push(0n)
    }
    return i
  }
  for (const h of chains) {
    const bal: bigint[] = new Array<bigint>(names.length).fill(0n)
    const acc: bigint[] = new Array<bigint>(names.length).fill(0n)
    const touched: number[] = []
    const seen = new Uint8Array(names.length + h.opening.size + 2 * h.transfers.length)
    const slot = (a: string): number => {
      const i = id(a)
      while (bal.length <= i) {
        bal.push(0n)
        acc.push(0n)
      }
      if (seen[i] === 0) {
        seen[i] = 1
        touched.push(i)
      }
      return i
    }
    for (const [a, b] of h.opening) {
      if (b < 0n) throw new ShareHistoryError(`${h.chain}: opening balance of ${a} is negative`)
      if (b > 0n && a !== ZERO) {
        const i = slot(a.toLowerCase())
        bal[i] = b
        acc[i] = b * span
      }
    }
    let prevBlock = h.startBlock
    let prevLog = -1
    let prevTime = startTime
    let dt = 0n
    let dtTime = Number.NaN
    // weight = Σ balance × seconds = opening × (end − start) + Σ in value × (end − t) − Σ out value × (end − t):
    // one multiplication per transfer; balances are kept to refuse a history that does not add up.
    for (const t of h.transfers) {
      if (t.block <= h.startBlock || t.block > h.endBlock) throw new ShareHistoryError(`${h.chain}: transfer in block ${t.block} is outside the epoch's blocks (${h.startBlock}, ${h.endBlock}]`)
      if (t.block < prevBlock || (t.block === prevBlock && t.logIndex <= prevLog)) throw new ShareHistoryError(`${h.chain}: transfers out of order at block ${t.block} log ${t.logIndex}`)
      if (t.time < prevTime || t.time > endTime) throw new ShareHistoryError(`${h.chain}: block ${t.block} time ${t.time} is outside the epoch or before the previous block`)
      prevBlock = t.block
      prevLog = t.logIndex
      prevTime = t.time
      const v = t.value
      if (v === 0n) continue
      if (t.time !== dtTime) {
        dtTime = t.time
        dt = BigInt(endTime - t.time)
      }
      const weighted = v * dt
      if (t.from !== ZERO) {
        const i = slot(t.from)
        if (bal[i]! < v) throw new ShareHistoryError(`${h.chain}: ${t.from} sends ${v} in block ${t.block} but holds ${bal[i]} (a Transfer log or the opening balance is missing)`)
        bal[i]! -= v
        acc[i]! -= weighted
      }
      if (t.to !== ZERO) {
        const i = slot(t.to)
        bal[i]! += v
        acc[i]! += weighted
      }
    }
    if (h.closing) {
      for (const [a, b] of h.closing) {
        const key = a.toLowerCase()
        if (key === ZERO) continue
        const i = ids.get(key)
        const have = i === undefined || i >= bal.length ? 0n : bal[i]!
        if (have !== b) throw new ShareHistoryError(`${h.chain}: ${key} holds ${b} at block ${h.endBlock} but the logs replay to ${have}`)
      }
      for (const i of touched) {
        if (bal[i] !== 0n && !h.closing.has(names[i]!)) throw new ShareHistoryError(`${h.chain}: ${names[i]} replays to ${bal[i]} at block ${h.endBlock} but its closing balance was not read`)
      }
    }
    for (const i of touched) if (acc[i]! > 0n) total[i]! += acc[i]!
  }
  const out = new Map<string, bigint>()
  for (let i = 0; i < names.length; i++) if (total[i]! > 0n) out.set(names[i]!, total[i]!)
  return out
}

export interface Apportioned {
  /** Per delegator (lower-case), > 0 only. */
  amounts: Map<string, bigint>
  paid: bigint
  /** distributable − paid: carried to the next epoch (< the number of delegators with weight). */
  remainder: bigint
}

/** ⌊distributable × w / W⌋ per delegator: rounding down, the remainder carried. */
export function apportion(weights: ReadonlyMap<string, bigint>, distributable: bigint): Apportioned {
  if (distributable < 0n) throw new RangeError(`distributable: ${distributable} is negative`)
  let W = 0n
  for (const w of weights.values()) {
    if (w < 0n) throw new RangeError('weights: a weight is negative')
    W += w
  }
  const amounts = new Map<string, bigint>()
  let paid = 0n
  if (W === 0n || distributable === 0n) return { amounts, paid, remainder: distributable }
  for (const [a, w] of weights) {
    const x = (distributable * w) / W
    if (x > 0n) {
      amounts.set(a, x)
      paid += x
    }
  }
  if (paid > distributable) throw new Error(`apportion: paid ${paid} exceeds distributable ${distributable}`)
  return { amounts, paid, remainder: distributable - paid }
}

/** Cumulative amounts after an epoch: previous cumulative + this epoch's amounts (lower-case keys). */
export function accumulate(previous: ReadonlyMap<string, bigint>, epoch: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const out = new Map(previous)
  for (const [a, x] of epoch) out.set(a, (out.get(a) ?? 0n) + x)
  return out
}
