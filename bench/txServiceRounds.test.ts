import { describe, expect, it } from 'vitest'
import { txServiceRoundLines, type TxServiceRoundFigure } from './txServiceRounds'

const f = (after: string, rssMb: number, heapUsedMb = 18): TxServiceRoundFigure => ({ after, rssMb, ussMb: rssMb / 2, mallocHeapMb: 10, heapUsedMb, heapTotalMb: 21, externalMb: 3.9 })

describe('the tx-service bench table', () => {
  it('compares every round with round 1 (the start is shown, not compared) and says whether the target holds', () => {
    const lines = txServiceRoundLines([f('start', 90), f('round 1', 100, 18.1), f('round 2', 95), f('round 40', 108, 18.9)])
    expect(lines).toHaveLength(6)
    expect(lines[1]).toMatch(/^start\s+90\.0\s+45\.0\s+10\.0\s+18\.0/)
    expect(lines[2]).toMatch(/^round 1\s+100\.0\s+\+0\.0 %\s+50\.0\s+10\.0\s+18\.1/)
    expect(lines[3]).toMatch(/^round 2\s+95\.0\s+-5\.0 %/)
    expect(lines[4]).toMatch(/^round 40\s+108\.0\s+\+8\.0 %/)
    expect(lines[5]).toBe('RSS from round 1 to round 40: +8.0 % (target ≤ 10 %: met); heap used 18.1 → 18.9 MB')
  })

  it('a growth over 10 % is NOT met', () => {
    const lines = txServiceRoundLines([f('start', 90), f('round 1', 100), f('round 60', 112.5)])
    expect(lines.at(-1)).toBe('RSS from round 1 to round 60: +12.5 % (target ≤ 10 %: NOT met); heap used 18.0 → 18.0 MB')
  })
})
