/**
 * A small exact LP solver: bounded-variable primal simplex on a dense tableau.
 *
 *   maximise c·z   subject to   rows (a·z ≤ b or a·z = b),   0 ≤ z ≤ upper
 *
 * Upper bounds are handled implicitly (a nonbasic variable sits at 0 or at its upper bound, and a
 * step may simply flip it), so the tableau has one row per constraint only: for the allocation LP
 * that is ~30 rows against thousands of columns, and each pivot is cheap.
 *
 * Pricing: Dantzig (largest reduced cost) with ties broken by the lowest index; after a run of
 * degenerate steps it switches to Bland's rule (lowest index entering, lowest index leaving), which
 * cannot cycle, until a step makes progress. Every choice is deterministic. Phase 1 (artificial
 * variables) runs only when z = 0 violates a row. PURE, no allocation beyond the tableau.
 */

export interface LpRow {
  cols: readonly number[]
  coefs: readonly number[]
  sense: 'le' | 'eq'
  rhs: number
}

export interface LpProblem {
  /** Objective coefficients (maximised), one per variable. */
  c: ArrayLike<number>
  /** Upper bounds (Infinity allowed); lower bounds are 0. */
  upper: ArrayLike<number>
  rows: readonly LpRow[]
}

export type LpStatus = 'optimal' | 'infeasible' | 'unbounded' | 'iteration-limit'

export interface LpResult {
  status: LpStatus
  /** Values of the problem's variables. */
  x: Float64Array
  objective: number
  /** Shadow price of each row (∂ objective / ∂ rhs): ≥ 0 for ≤ rows at the optimum. */
  duals: Float64Array
  /** Reduced cost of each variable (c_j − duals·a_j). */
  reducedCosts: Float64Array
  iterations: number
}

export interface LpOptions {
  maxIterations?: number
  /** Optimality tolerance on reduced costs. */
  tolerance?: number
}

const PIVOT_TOL = 1e-9
const FEAS_TOL = 1e-9
const DEGENERATE_RUN = 25

/** Solve `p`. See the module comment. */
export function solveLp(p: LpProblem, opts: LpOptions = {}): LpResult {
  const n = p.c.length
  const m = p.rows.length
  const tol = opts.tolerance ?? 1e-11

  // Columns: n structural, then one auxiliary per row (a slack for ≤ rows, an artificial for = rows,
  // with +1 in its normalised row: the initial basis is the identity), then an extra slack for each
  // ≤ row whose rhs is negative (normalised by −1, so that row needs an artificial).
  const sign = new Float64Array(m)
  const needsArtificial: boolean[] = []
  let extra = 0
  for (let i = 0; i < m; i++) {
    const r = p.rows[i]!
    sign[i] = r.rhs < 0 ? -1 : 1
    const art = r.sense === 'eq' || r.rhs < 0
    needsArtificial.push(art)
    if (r.sense === 'le' && r.rhs < 0) extra++
  }
  const N = n + m + extra
  const T = new Float64Array(m * N)
  const ub = new Float64Array(N)
  const cost = new Float64Array(N)
  const x = new Float64Array(N)
  const atUpper = new Uint8Array(N)
  const basis = new Int32Array(m)
  const isBasic = new Int32Array(N).fill(-1)
  const isArtificial = new Uint8Array(N)

  for (let j = 0; j < n; j++) {
    const u = p.upper[j]!
    if (!(u >= 0)) throw new RangeError(`lp: upper bound of variable ${j} is ${u}`)
    ub[j] = u
    cost[j] = p.c[j]!
  }
  let nextExtra = n + m
  let phase1 = false
  for (let i = 0; i < m; i++) {
    const r = p.rows[i]!
    const s = sign[i]!
    const row = i * N
    for (let k = 0; k < r.cols.length; k++) {
      const at = row + r.cols[k]!
      T[at] = T[at]! + s * r.coefs[k]!
    }
    const aux = n + i
    T[row + aux] = 1
    basis[i] = aux
    isBasic[aux] = i
    x[aux] = s * r.rhs
    if (needsArtificial[i]) {
      isArtificial[aux] = 1
      // An artificial at 0 from the start (= row with rhs 0) is simply fixed at 0.
      ub[aux] = x[aux]! > 0 ? Infinity : 0
      if (x[aux]! > 0) phase1 = true
      if (r.sense === 'le') {
        // a·z + s = rhs (rhs < 0) normalised: −a·z − s + t = −rhs.
        const sl = nextExtra++
        T[row + sl] = -1
        ub[sl] = Infinity
      }
    } else {
      ub[aux] = Infinity
    }
  }

  const d = new Float64Array(N)
  let iterations = 0
  const maxIter = opts.maxIterations ?? 50 * (N + m) + 1000

  const priceOut = (c: Float64Array) => {
    d.set(c)
    for (let i = 0; i < m; i++) {
      const cb = c[basis[i]!]!
      if (cb === 0) continue
      const row = i * N
      for (let j = 0; j < N; j++) d[j] = d[j]! - cb * T[row + j]!
    }
    for (let i = 0; i < m; i++) d[basis[i]!] = 0
  }

  // Nonzero columns of the pivot row: the other rows only change there.
  const nz = new Int32Array(N)
  const pivot = (r: number, q: number) => {
    const row = r * N
    const inv = 1 / T[row + q]!
    let k = 0
    for (let j = 0; j < N; j++) {
      const v = T[row + j]!
      if (v !== 0) {
        T[row + j] = v * inv
        nz[k++] = j
      }
    }
    T[row + q] = 1
    for (let i = 0; i < m; i++) {
      if (i === r) continue
      const o = i * N
      const f = T[o + q]!
      if (f === 0) continue
      for (let t = 0; t < k; t++) {
        const j = nz[t]!
        T[o + j] = T[o + j]! - f * T[row + j]!
      }
      T[o + q] = 0
    }
    const fd = d[q]!
    if (fd !== 0) {
      for (let t = 0; t < k; t++) {
        const j = nz[t]!
        d[j] = d[j]! - fd * T[row + j]!
      }
    }
    d[q] = 0
  }

  /** Runs the simplex on the current costs; returns a status. */
  const run = (): LpStatus => {
    let degenerate = 0
    for (;;) {
      if (iterations >= maxIter) return 'iteration-limit'
      const bland = degenerate >= DEGENERATE_RUN
      // ── entering variable ──
      let q = -1
      let best = 0
      for (let j = 0; j < N; j++) {
        if (isBasic[j]! >= 0 || ub[j] === 0) continue
        const dj = d[j]!
        const gain = atUpper[j] ? -dj : dj
        if (gain > tol && (q < 0 || (!bland && gain > best))) {
          q = j
          best = gain
          if (bland) break
        }
      }
      if (q < 0) return 'optimal'
      iterations++
      const dir = atUpper[q] ? -1 : 1
      // ── ratio test ──
      let theta = ub[q]!
      let leave = -1
      let leaveAlpha = 0
      for (let i = 0; i < m; i++) {
        const a = dir * T[i * N + q]!
        if (a > -PIVOT_TOL && a < PIVOT_TOL) continue
        const b = basis[i]!
        let t: number
        if (a > 0) t = Math.max(0, x[b]!) / a
        else {
          if (ub[b] === Infinity) continue
          t = Math.max(0, ub[b]! - x[b]!) / -a
        }
        const eps = theta === Infinity ? 0 : 1e-12 * Math.max(1, theta)
        if (t < theta - eps) {
          theta = t
          leave = i
          leaveAlpha = a
        } else if (t <= theta + eps && leave >= 0) {
          // Tie: Bland keeps the lowest variable index; otherwise the larger pivot (stability), then the lowest index.
          const cur = basis[leave]!
          const better = bland ? b < cur : Math.abs(a) > Math.abs(leaveAlpha) + PIVOT_TOL || (Math.abs(a) >= Math.abs(leaveAlpha) - PIVOT_TOL && b < cur)
          if (better) {
            leave = i
            leaveAlpha = a
          }
        }
      }
      if (theta === Infinity) return 'unbounded'
      degenerate = theta <= 1e-13 ? degenerate + 1 : 0
      // ── step ──
      if (theta > 0) {
        for (let i = 0; i < m; i++) {
          const a = T[i * N + q]!
          if (a !== 0) {
            const b = basis[i]!
            x[b] = x[b]! - dir * theta * a
          }
        }
      }
      if (leave < 0) {
        // Bound flip: no pivot.
        atUpper[q] = atUpper[q] ? 0 : 1
        x[q] = atUpper[q] ? ub[q]! : 0
      } else {
        const out = basis[leave]!
        x[q] = (atUpper[q] ? ub[q]! : 0) + dir * theta
        // The leaving variable lands on the bound the ratio test hit.
        if (leaveAlpha > 0) {
          x[out] = 0
          atUpper[out] = 0
        } else {
          x[out] = ub[out]!
          atUpper[out] = 1
        }
        isBasic[out] = -1
        basis[leave] = q
        isBasic[q] = leave
        atUpper[q] = 0
        pivot(leave, q)
      }
      // Clamp round-off at the bounds.
      for (let i = 0; i < m; i++) {
        const b = basis[i]!
        const v = x[b]!
        if (v < 0 && v > -FEAS_TOL) x[b] = 0
        else if (v > ub[b]! && v < ub[b]! + FEAS_TOL) x[b] = ub[b]!
      }
    }
  }

  let status: LpStatus = 'optimal'
  if (phase1) {
    const c1 = new Float64Array(N)
    for (let j = 0; j < N; j++) if (isArtificial[j] && ub[j]! > 0) c1[j] = -1
    priceOut(c1)
    status = run()
    let infeas = 0
    for (let j = 0; j < N; j++) if (isArtificial[j]) infeas += x[j]!
    if (status === 'optimal' && infeas > 1e-7) status = 'infeasible'
  }
  if (status === 'optimal') {
    for (let j = 0; j < N; j++) {
      if (!isArtificial[j]) continue
      ub[j] = 0
      if (isBasic[j]! < 0) {
        x[j] = 0
        atUpper[j] = 0
      } else if (x[j]! < 1e-7) x[j] = 0
    }
    priceOut(cost)
    status = run()
  }

  const out = new Float64Array(n)
  let objective = 0
  for (let j = 0; j < n; j++) {
    out[j] = x[j]!
    objective += cost[j]! * x[j]!
  }
  const duals = new Float64Array(m)
  for (let i = 0; i < m; i++) duals[i] = sign[i]! * -d[n + i]!
  return { status, x: out, objective, duals, reducedCosts: d.slice(0, n), iterations }
}
