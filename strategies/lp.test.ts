import { describe, expect, it } from 'vitest'
import { type LpProblem, solveLp } from './lp'
import { mulberry32 } from './random'

/** Best objective over a grid of the box (brute force), checking every row. */
function gridMax(p: LpProblem, steps: number): number {
  const n = p.c.length
  let best = -Infinity
  const x = new Array<number>(n).fill(0)
  const walk = (j: number) => {
    if (j === n) {
      for (const r of p.rows) {
        const lhs = r.cols.reduce((s, c, k) => s + r.coefs[k]! * x[c]!, 0)
        if (r.sense === 'le' ? lhs > r.rhs + 1e-9 : Math.abs(lhs - r.rhs) > 1e-9) return
      }
      best = Math.max(best, x.reduce((s, v, k) => s + p.c[k]! * v, 0))
      return
    }
    for (let i = 0; i <= steps; i++) {
      x[j] = (p.upper[j]! * i) / steps
      walk(j + 1)
    }
  }
  walk(0)
  return best
}

describe('solveLp (bounded-variable simplex)', () => {
  it('solves a textbook LP with an upper bound and reports shadow prices', () => {
    // max 3x + 2y, x + y ≤ 4, x + 3y ≤ 6, x ≤ 3 → x = 3, y = 1
    const r = solveLp({ c: [3, 2], upper: [3, Infinity], rows: [{ cols: [0, 1], coefs: [1, 1], sense: 'le', rhs: 4 }, { cols: [0, 1], coefs: [1, 3], sense: 'le', rhs: 6 }] })
    expect(r.status).toBe('optimal')
    expect([...r.x]).toEqual([3, 1])
    expect(r.objective).toBe(11)
    // Complementary slackness: y = 2·dual0 + ... every dual is ≥ 0 and prices y's column at its cost.
    expect(r.duals[0]! + r.duals[1]! * 3).toBeCloseTo(2, 12)
  })

  it('runs phase 1 for rows that z = 0 violates, and detects infeasibility and unboundedness', () => {
    const r = solveLp({ c: [1, 2], upper: [5, 5], rows: [{ cols: [0, 1], coefs: [1, 1], sense: 'eq', rhs: 2 }, { cols: [0, 1], coefs: [1, -1], sense: 'le', rhs: -1 }] })
    expect(r.status).toBe('optimal')
    expect(r.objective).toBeCloseTo(4, 12)
    expect(solveLp({ c: [1], upper: [5], rows: [{ cols: [0], coefs: [1], sense: 'eq', rhs: 7 }] }).status).toBe('infeasible')
    expect(solveLp({ c: [1, 1], upper: [Infinity, 1], rows: [{ cols: [0, 1], coefs: [-1, 1], sense: 'le', rhs: 1 }] }).status).toBe('unbounded')
  })

  it('does not cycle on a degenerate LP (Beale’s example, bounded)', () => {
    // Beale's cycling example (classic Dantzig cycles without an anti-cycling rule).
    const r = solveLp({
      c: [0.75, -150, 0.02, -6],
      upper: [Infinity, Infinity, Infinity, Infinity],
      rows: [
        { cols: [0, 1, 2, 3], coefs: [0.25, -60, -0.04, 9], sense: 'le', rhs: 0 },
        { cols: [0, 1, 2, 3], coefs: [0.5, -90, -0.02, 3], sense: 'le', rhs: 0 },
        { cols: [2], coefs: [1], sense: 'le', rhs: 1 },
      ],
    })
    expect(r.status).toBe('optimal')
    expect(r.objective).toBeCloseTo(0.05, 9)
  })

  it('matches a brute-force grid on random small LPs (the optimum is a vertex of the grid when the data are)', () => {
    const rnd = mulberry32(42)
    for (let t = 0; t < 60; t++) {
      const n = 2 + Math.floor(rnd() * 2)
      const c = Array.from({ length: n }, () => Math.round((rnd() * 2 - 0.5) * 10))
      const upper = Array.from({ length: n }, () => 2 + Math.floor(rnd() * 3) * 2)
      const rows = Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => ({ cols: [...Array(n).keys()], coefs: Array.from({ length: n }, () => (rnd() < 0.7 ? 1 : -1)), sense: 'le' as const, rhs: Math.floor(rnd() * 8) }))
      const p = { c, upper, rows }
      const r = solveLp(p)
      expect(r.status).toBe('optimal')
      const grid = gridMax(p, 12)
      expect(r.objective).toBeGreaterThanOrEqual(grid - 1e-9)
      expect(r.objective - grid).toBeLessThan(1e-6 + 0) // integral data: vertices land on the grid
      // Feasible.
      for (const row of rows) expect(row.cols.reduce((s, col, k) => s + row.coefs[k]! * r.x[col]!, 0)).toBeLessThanOrEqual(row.rhs + 1e-9)
      r.x.forEach((v, j) => {
        expect(v).toBeGreaterThanOrEqual(-1e-12)
        expect(v).toBeLessThanOrEqual(upper[j]! + 1e-12)
      })
    }
  })
})
