import { describe, expect, it } from 'vitest'
import { allocate, type Allocation } from './allocate'
import { frictionless, mkInput } from './testing'

const amt = (a: Allocation, id: string) => Number(a.targets.find((t) => t.venueId === id)!.target) / 1e18

describe('allocate: a venue cap exceeded by accrued yield', () => {
  // Cap 400; the venue is the best, so only a breach repair would take anything out of it.
  const input = (current: number) =>
    mkInput({
      venues: [
        { id: 'idle', kind: 'lst', current: 600, score: 0.03 },
        { id: 'boost', current, score: 0.1, caps: { maxAmount: 400 } },
        { id: 'core', current: 0, score: 0.07 },
      ],
      policy: frictionless({ costs: { gasPerStep: 0.0002 } }),
    })

  it('under 0.1 % of the cap (0.4 of 400) is left where it is: no withdrawal, no deposit', () => {
    // 0.3 over the cap is far above one step's amortised gas (0.0002 × 365/30 ≈ 0.0024) but under the tolerance.
    const a = allocate(input(400.3))
    expect(a.targets.find((t) => t.venueId === 'boost')!.delta).toBe(0n)
  })

  it('beyond it, the breach is repaired back to the cap', () => {
    const a = allocate(input(401))
    expect(amt(a, 'boost')).toBeCloseTo(400, 6)
  })
})
