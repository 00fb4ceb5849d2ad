import { describe, expect, it } from 'vitest'
import { accumulate, apportion, timeWeights, type ChainShareHistory } from './entitlements'
import { ShareHistoryError } from './errors'
import { addressOf, randomHistories, ZERO } from './testing'

const W = { startTime: 1_000_000, endTime: 1_000_600 }
const A = addressOf(1)
const B = addressOf(2)
const C = addressOf(3)
const D = addressOf(4)

function hist(chain: string, opening: [string, bigint][], transfers: [number, string, string, bigint][], endBlock = 1600n): ChainShareHistory {
  return {
    chain,
    startBlock: 1000n,
    endBlock,
    opening: new Map(opening),
    transfers: transfers.map(([time, from, to, value], i) => ({ block: BigInt(1000 + (time - W.startTime)), logIndex: i, time, from, to, value })),
  }
}

describe('entitlements: properties over random share histories (transfers, mints, burns, cross-chain moves on three chains)', () => {
  const seeds = Array.from({ length: 40 }, (_, i) => i + 1)
  it.each(seeds)('seed %i: the amounts sum to the distributable minus less than one wei per delegator, never more', (seed) => {
    const histories = randomHistories({ seed, chains: ['ethereum', 'arbitrum', 'base'], delegators: 30 + (seed % 17), transfers: 200 + seed * 7, startTime: W.startTime, endTime: W.endTime })
    const weights = timeWeights(W, histories)
    const distributable = 10n ** 18n * BigInt(seed) + BigInt(seed * 7919)
    const { amounts, paid, remainder } = apportion(weights, distributable)
    let sum = 0n
    for (const x of amounts.values()) sum += x
    expect(sum).toBe(paid)
    expect(paid + remainder).toBe(distributable)
    expect(sum <= distributable).toBe(true)
    expect(distributable - sum < BigInt(weights.size)).toBe(true)
    expect(remainder >= 0n).toBe(true)
  })

  it.each(seeds.slice(0, 20))('seed %i: a delegator holding x %% of the shares on every chain for the whole epoch gets x %% of the distributable', (seed) => {
    // The others trade among themselves (no mints/burns/moves: the supply per chain is constant).
    const x = 1 + (seed * 13) % 90
    const histories = randomHistories({ seed, chains: ['ethereum', 'arbitrum', 'base'], delegators: 20, transfers: 300, startTime: W.startTime, endTime: W.endTime, mintBurnShare: 0, moveShare: 0 })
    const holder = '0x00000000000000000000000000000000000000aa'
    for (const h of histories) {
      let supply = 0n
      for (const v of h.opening.values()) supply += v
      // Others hold (100 − x) %, so the holder's x % of the total is supply·x / (100 − x).
      const scaled = new Map([...h.opening].map(([a, v]) => [a, v * BigInt(100 - x)]))
      const mine = supply * BigInt(x)
      ;(h as { opening: Map<string, bigint> }).opening = new Map([...scaled, [holder, mine]])
      ;(h as { transfers: typeof h.transfers }).transfers = h.transfers.map((t) => ({ ...t, value: t.value * BigInt(100 - x) }))
      delete (h as { closing?: unknown }).closing
    }
    const weights = timeWeights(W, histories)
    const distributable = 100n * 10n ** 18n
    const { amounts } = apportion(weights, distributable)
    expect(amounts.get(holder)).toBe(BigInt(x) * 10n ** 18n)
  })
})

describe('entitlements: cross-chain moves and boundary blocks', () => {
  it('a delegator moving its shares between chains mid-epoch is neither double counted nor dropped', () => {
    // A holds 100 on ethereum, moves 60 to arbitrum at +200 (burn there, mint here in the same second), 60 back at +400.
    const moved = [
      hist('ethereum', [[A, 100n], [B, 100n]], [[W.startTime + 200, A, ZERO, 60n], [W.startTime + 400, ZERO, A, 60n]]),
      hist('arbitrum', [[C, 50n]], [[W.startTime + 200, ZERO, A, 60n], [W.startTime + 400, A, ZERO, 60n]]),
    ]
    const w = timeWeights(W, moved)
    expect(w.get(A.toLowerCase())).toBe(100n * 600n)
    expect(w.get(B.toLowerCase())).toBe(100n * 600n)
    expect(w.get(C.toLowerCase())).toBe(50n * 600n)
    // The same delegator staying put gets exactly the same amount.
    const stayed = [hist('ethereum', [[A, 100n], [B, 100n]], []), hist('arbitrum', [[C, 50n]], [])]
    expect(apportion(w, 999_999n).amounts).toEqual(apportion(timeWeights(W, stayed), 999_999n).amounts)
  })

  it('a move in flight for 30 s counts on neither chain for those 30 s (shares that exist nowhere earn nothing)', () => {
    const w = timeWeights(W, [hist('ethereum', [[A, 10n]], [[W.startTime + 100, A, ZERO, 10n]]), hist('base', [], [[W.startTime + 130, ZERO, A, 10n]])])
    expect(w.get(A.toLowerCase())).toBe(10n * 100n + 10n * 470n)
  })

  it('boundary rule: a transfer in the start boundary block is in the opening balances (the recipient holds it all epoch)', () => {
    // The start boundary block's state is read after the block: B's opening balance already has it.
    const w = timeWeights(W, [hist('ethereum', [[A, 40n], [B, 60n]], [])])
    expect(w.get(B.toLowerCase())).toBe(60n * 600n)
    expect(() => timeWeights(W, [{ ...hist('ethereum', [[A, 40n]], []), transfers: [{ block: 1000n, logIndex: 0, time: W.startTime, from: A, to: B, value: 1n }] }])).toThrow(ShareHistoryError)
  })

  it('boundary rule: a transfer in the end boundary block counts from its timestamp (zero seconds when stamped at the end)', () => {
    const atEnd = timeWeights(W, [hist('ethereum', [[A, 100n]], [[W.endTime, A, B, 100n]])])
    expect(atEnd.get(A.toLowerCase())).toBe(100n * 600n)
    expect(atEnd.has(B.toLowerCase())).toBe(false)
    const tenBefore = timeWeights(W, [hist('ethereum', [[A, 100n]], [[W.endTime - 10, A, B, 100n]])])
    expect(tenBefore.get(A.toLowerCase())).toBe(100n * 590n)
    expect(tenBefore.get(B.toLowerCase())).toBe(100n * 10n)
  })

  it('refuses a history that does not add up: a missing log (balance below zero) or closing balances the logs do not reach', () => {
    expect(() => timeWeights(W, [hist('base', [[A, 5n]], [[W.startTime + 1, A, B, 6n]])])).toThrow(/base: 0x0+2 sends 6 in block 1001 but holds 5/)
    const h = hist('base', [[A, 5n]], [[W.startTime + 1, A, B, 2n]])
    expect(() => timeWeights(W, [{ ...h, closing: new Map([[A, 3n], [B, 3n]]) }])).toThrow(/holds 3 at block 1600 but the logs replay to 2/)
    expect(() => timeWeights(W, [{ ...h, closing: new Map([[A, 3n]]) }])).toThrow(/closing balance was not read/)
    expect(timeWeights(W, [{ ...h, closing: new Map([[A, 3n], [B, 2n]]) }]).get(B.toLowerCase())).toBe(2n * 599n)
  })

  it('the zero address never earns; nothing to share leaves everything as remainder', () => {
    const w = timeWeights(W, [hist('ethereum', [[D, 7n]], [[W.startTime + 300, D, ZERO, 7n]])])
    expect([...w.keys()]).toEqual([D.toLowerCase()])
    expect(apportion(new Map(), 123n)).toEqual({ amounts: new Map(), paid: 0n, remainder: 123n })
  })

  it('rounds down per delegator and carries the remainder: 100 wei over three equal holders', () => {
    const w = timeWeights(W, [hist('ethereum', [[A, 1n], [B, 1n], [C, 1n]], [])])
    const r = apportion(w, 100n)
    expect([...r.amounts.values()]).toEqual([33n, 33n, 33n])
    expect(r.remainder).toBe(1n)
    expect(accumulate(new Map([[A, 5n]]), r.amounts).get(A)).toBe(38n)
  })
})
