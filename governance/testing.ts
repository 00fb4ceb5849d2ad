import type { Address, Delegator, Signal, VotingType } from './types.js'
import { mulberry32 } from '../core/random.js'

/** Seeded PRNG (mulberry32) for reproducible random signals in tests and benchmarks. */
export const rng = mulberry32

const int = (r: () => number, n: number) => Math.floor(r() * n)

/** A random bigint weight: wei of up to ~1e6 tokens, sometimes tiny. */
export function randomWeight(r: () => number): bigint {
  const tokens = BigInt(int(r, 1_000_000))
  const dust = BigInt(int(r, 1_000_000_000)) * BigInt(int(r, 1_000_000_000))
  return r() < 0.05 ? BigInt(1 + int(r, 1000)) : tokens * 10n ** 18n + dust
}

function shuffle<T>(r: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = int(r, i + 1)
    ;[xs[i], xs[j]] = [xs[j]!, xs[i]!]
  }
  return xs
}

/** A random choice for the type; `invalid` makes one that snapshot.js refuses. */
export function randomChoice(r: () => number, type: VotingType, n: number, invalid = false): unknown {
  if (invalid) {
    switch (type) {
      case 'basic':
      case 'single-choice':
        return [0, n + 1, '1', 1.5][int(r, 4)]
      case 'approval':
        return [[1, 1], [n + 1], 2][int(r, 3)]
      case 'ranked-choice':
        return [[1], [...Array.from({ length: n }, (_, i) => i + 1).slice(1), 1].concat([n + 1]), [1, 1]][int(r, 3)]
      case 'weighted':
      case 'quadratic':
        return [{}, { [n + 1]: 1 }, { 1: -1 }, { 1: 0 }, [1]][int(r, 5)]
    }
  }
  const all = Array.from({ length: n }, (_, i) => i + 1)
  switch (type) {
    case 'basic':
    case 'single-choice':
      return 1 + int(r, n)
    case 'approval':
      return shuffle(r, all).slice(0, int(r, n + 1))
    case 'ranked-choice':
      return shuffle(r, all)
    case 'weighted':
    case 'quadratic': {
      const out: Record<string, number> = {}
      for (const i of shuffle(r, all).slice(0, 1 + int(r, n))) out[String(i)] = r() < 0.2 ? Math.round(r() * 1000) / 100 : 1 + int(r, 100)
      if (Object.values(out).every((v) => v === 0)) out['1'] = 1
      return out
    }
  }
}

export function randomAddress(r: () => number): Address {
  let s = '0x'
  for (let i = 0; i < 40; i++) s += int(r, 16).toString(16)
  return s as Address
}

/** Random delegators over two chains and one signal each for a share of them. */
export function randomWorld(
  seed: number,
  type: VotingType,
  opts: { choices?: number; delegators?: number; signalShare?: number; invalidShare?: number } = {},
): { choices: string[]; delegators: Delegator[]; signals: Signal[] } {
  const r = rng(seed)
  const n = opts.choices ?? (type === 'basic' ? 3 : 2 + int(r, 5))
  const choices = type === 'basic' ? ['For', 'Against', 'Abstain'] : Array.from({ length: n }, (_, i) => `Option ${i + 1}`)
  const delegators: Delegator[] = Array.from({ length: opts.delegators ?? 40 }, () => ({
    address: randomAddress(r),
    weightByChain: (r() < 0.5 ? { ethereum: randomWeight(r), arbitrum: randomWeight(r) } : { base: randomWeight(r) }) as Record<string, bigint>,
  }))
  const signals: Signal[] = []
  delegators.forEach((d, i) => {
    if (r() >= (opts.signalShare ?? 0.8)) return
    signals.push({
      id: `vote-${seed}-${i}`,
      voter: d.address,
      choice: randomChoice(r, type, n, r() < (opts.invalidShare ?? 0.1)),
      timestamp: 1_700_000_000 + i,
      sigCheck: { ok: true, method: 'eoa' },
    })
  })
  return { choices, delegators, signals }
}
