/**
 * A small exact LP solver: bounded-variable primal simplex, revised form.
 *
 *   maximise c·z   subject to   rows (a·z ≤ b or a·z = b),   0 ≤ z ≤ upper
 *
 * Upper bounds are handled implicitly (a nonbasic variable sits at 0 or at its upper bound, and a
 * step may simply flip it), so the basis has one row per constraint only: for the allocation LP
 * that is a few dozen rows against thousands of columns. The columns stay sparse (a venue's
 * variable appears in its chain's row, its chain's and protocol's cap rows and the budget row);
 * the basis inverse is dense (m × m), updated by one pivot per basis change.
 *
 * Pricing: Dantzig (largest reduced cost, ties to the lowest index); one scan keeps the TOP most
 * attractive variables, tried next in that order while steps are bound flips (which leave the
 * reduced costs unchanged). After a run of
 * degenerate steps it switches to Bland's rule (lowest index entering, lowest index leaving), which
 * cannot cycle, until a step makes progress. Every choice is deterministic. Phase 1 (artificial
 * variables) runs only when z = 0 violates a row. The basis inverse is recomputed from scratch
 * every REFACTOR pivots to keep round-off from accumulating. PURE.
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
const REFACTOR = 100
/** Candidates one pricing scan keeps for the bound flips that may follow. */
const TOP = 32

/** Solve `p`. See the module comment. */
export function solveLp(p: LpProblem, opts: LpOptions = {}): LpResult {
  const n = p.c.length
  const m = p.rows.length
  const tol = opts.tolerance ?? 1e-11

  // Columns: n structural, then one auxiliary per row (a slack for ≤ rows, an artificial for = rows
  // and for ≤ rows with a negative rhs; +1 in its row once the row is normalised to rhs ≥ 0: the
  // initial basis is the identity), then an extra slack (−1) for each ≤ row with a negative rhs.
  const sign = new Float64Array(m)
  let extra = 0
  for (let i = 0; i < m; i++) {
    const r = p.rows[i]!
    sign[i] = r.rhs < 0 ? -1 : 1
    if (r.sense === 'le' && r.rhs < 0) extra++
  }
  const N = n + m + extra
  // Sparse columns (CSC) of the normalised system.
  const count = new Int32Array(N + 1)
  for (const r of p.rows) for (const c of r.cols) count[c + 1]!++
  for (let i = 0; i < m; i++) count[n + i + 1]!++
  {
    let e = n + m
    for (let i = 0; i < m; i++) if (p.rows[i]!.sense === 'le' && p.rows[i]!.rhs < 0) count[++e]!++
  }
  const start = new Int32Array(N + 1)
  for (let j = 0; j < N; j++) start[j + 1] = start[j]! + count[j + 1]!
  const fill = start.slice(0, N)
  const rowIdx = new Int32Array(start[N]!)
  const val = new Float64Array(start[N]!)
  const put = (j: number, i: number, v: number) => {
    const k = fill[j]!++
    rowIdx[k] = i
    val[k] = v
  }
  for (let i = 0; i < m; i++) {
    const r = p.rows[i]!
    for (let k = 0; k < r.cols.length; k++) put(r.cols[k]!, i, sign[i]! * r.coefs[k]!)
  }

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
    const aux = n + i
    put(aux, i, 1)
    basis[i] = aux
    isBasic[aux] = i
    x[aux] = sign[i]! * r.rhs
    if (r.sense === 'eq' || r.rhs < 0) {
      isArtificial[aux] = 1
      // An artificial at 0 from the start (= row with rhs 0) is simply fixed at 0.
      ub[aux] = x[aux]! > 0 ? Infinity : 0
      if (x[aux]! > 0) phase1 = true
      if (r.sense === 'le') {
        // a·z + s = rhs (rhs < 0) normalised: −a·z − s + t = −rhs.
        const sl = nextExtra++
        put(sl, i, -1)
        ub[sl] = Infinity
      }
    } else ub[aux] = Infinity
  }

  // The same matrix by rows (CSR), for updating reduced costs after a pivot.
  const rStart = new Int32Array(m + 1)
  for (let k = 0; k < rowIdx.length; k++) rStart[rowIdx[k]! + 1]!++
  for (let i = 0; i < m; i++) rStart[i + 1] = rStart[i + 1]! + rStart[i]!
  const rCol = new Int32Array(rowIdx.length)
  const rVal = new Float64Array(rowIdx.length)
  {
    const at = rStart.slice(0, m)
    for (let j = 0; j < N; j++) {
      for (let k = start[j]!; k < start[j + 1]!; k++) {
        const t = at[rowIdx[k]!]!++
        rCol[t] = j
        rVal[t] = val[k]!
      }
    }
  }
  const acc = new Float64Array(N)
  const mark = new Uint8Array(N)
  const hit = new Int32Array(N)

  // Dense basis inverse, row-major; the identity to start with.
  const Binv = new Float64Array(m * m)
  for (let i = 0; i < m; i++) Binv[i * m + i] = 1
  const y = new Float64Array(m)
  const d = new Float64Array(N)
  const alpha = new Float64Array(m)
  let c: Float64Array = cost
  let iterations = 0
  let sinceRefactor = 0
  const maxIter = opts.maxIterations ?? 50 * (N + m) + 1000

  /** y = c_B·B⁻¹, then every reduced cost. */
  const price = () => {
    y.fill(0)
    for (let i = 0; i < m; i++) {
      const cb = c[basis[i]!]!
      if (cb === 0) continue
      const row = i * m
      for (let k = 0; k < m; k++) y[k] = y[k]! + cb * Binv[row + k]!
    }
    for (let j = 0; j < N; j++) {
      if (isBasic[j]! >= 0) {
        d[j] = 0
        continue
      }
      let s = c[j]!
      for (let k = start[j]!; k < start[j + 1]!; k++) s -= y[rowIdx[k]!]! * val[k]!
      d[j] = s
    }
  }

  /** alpha = B⁻¹·a_q. */
  const column = (q: number) => {
    alpha.fill(0)
    for (let k = start[q]!; k < start[q + 1]!; k++) {
      const r = rowIdx[k]!
      const v = val[k]!
      for (let i = 0; i < m; i++) alpha[i] = alpha[i]! + Binv[i * m + r]! * v
    }
  }

  /** Rebuild B⁻¹ from the basis columns (Gauss-Jordan with partial pivoting) and the basic values. */
  const refactor = () => {
    const B = new Float64Array(m * m)
    for (let i = 0; i < m; i++) {
      const j = basis[i]!
      for (let k = start[j]!; k < start[j + 1]!; k++) B[rowIdx[k]! * m + i] = val[k]!
    }
    Binv.fill(0)
    for (let i = 0; i < m; i++) Binv[i * m + i] = 1
    // Gauss-Jordan on [B | I] with partial pivoting (row swaps on both sides) leaves [I | B⁻¹].
    const A = B
    for (let col = 0; col < m; col++) {
      let piv = col
      for (let r = col + 1; r < m; r++) if (Math.abs(A[r * m + col]!) > Math.abs(A[piv * m + col]!)) piv = r
      if (Math.abs(A[piv * m + col]!) < 1e-14) return false
      if (piv !== col) {
        for (let k = 0; k < m; k++) {
          const t = A[col * m + k]!
          A[col * m + k] = A[piv * m + k]!
          A[piv * m + k] = t
          const u = Binv[col * m + k]!
          Binv[col * m + k] = Binv[piv * m + k]!
          Binv[piv * m + k] = u
        }
      }
      const inv = 1 / A[col * m + col]!
      for (let k = 0; k < m; k++) {
        A[col * m + k] = A[col * m + k]! * inv
        Binv[col * m + k] = Binv[col * m + k]! * inv
      }
      for (let r = 0; r < m; r++) {
        if (r === col) continue
        const f = A[r * m + col]!
        if (f === 0) continue
        for (let k = 0; k < m; k++) {
          A[r * m + k] = A[r * m + k]! - f * A[col * m + k]!
          Binv[r * m + k] = Binv[r * m + k]! - f * Binv[col * m + k]!
        }
      }
    }
    // Basic values: x_B = B⁻¹(b − Σ_nonbasic a_j x_j).
    const rhs = new Float64Array(m)
    for (let i = 0; i < m; i++) rhs[i] = sign[i]! * p.rows[i]!.rhs
    for (let j = 0; j < N; j++) {
      if (isBasic[j]! >= 0 || x[j] === 0) continue
      for (let k = start[j]!; k < start[j + 1]!; k++) rhs[rowIdx[k]!] = rhs[rowIdx[k]!]! - val[k]! * x[j]!
    }
    for (let i = 0; i < m; i++) {
      let s = 0
      for (let k = 0; k < m; k++) s += Binv[i * m + k]! * rhs[k]!
      const b = basis[i]!
      x[b] = s < 0 && s > -FEAS_TOL ? 0 : s > ub[b]! && s < ub[b]! + FEAS_TOL ? ub[b]! : s
    }
    sinceRefactor = 0
    return true
  }

  const pivot = (r: number) => {
    const row = r * m
    const inv = 1 / alpha[r]!
    for (let k = 0; k < m; k++) Binv[row + k] = Binv[row + k]! * inv
    for (let i = 0; i < m; i++) {
      if (i === r) continue
      const f = alpha[i]!
      if (f === 0) continue
      const o = i * m
      for (let k = 0; k < m; k++) Binv[o + k] = Binv[o + k]! - f * Binv[row + k]!
    }
  }

  /** Runs the simplex on the current costs; returns a status. */
  const queue: number[] = []
  let qHead = 0
  // Min-heap on (gain, then higher index = smaller): its root is the weakest of the TOP kept.
  const heapGain = new Float64Array(TOP)
  const heapIdx = new Int32Array(TOP)
  const less = (a: number, b: number) => heapGain[a]! < heapGain[b]! || (heapGain[a] === heapGain[b] && heapIdx[a]! > heapIdx[b]!)
  const swap = (a: number, b: number) => {
    const g = heapGain[a]!
    heapGain[a] = heapGain[b]!
    heapGain[b] = g
    const i = heapIdx[a]!
    heapIdx[a] = heapIdx[b]!
    heapIdx[b] = i
  }
  const siftUp = (k: number) => {
    while (k > 0) {
      const parent = (k - 1) >> 1
      if (!less(k, parent)) break
      swap(k, parent)
      k = parent
    }
  }
  const siftDown = (k: number, size: number) => {
    for (;;) {
      const l = 2 * k + 1
      const r = l + 1
      let m = k
      if (l < size && less(l, m)) m = l
      if (r < size && less(r, m)) m = r
      if (m === k) break
      swap(k, m)
      k = m
    }
  }
  const run = (): LpStatus => {
    let degenerate = 0
    queue.length = 0
    qHead = 0
    price()
    for (;;) {
      if (iterations >= maxIter) return 'iteration-limit'
      if (sinceRefactor >= REFACTOR) {
        if (!refactor()) return 'iteration-limit'
        price()
        queue.length = 0
        qHead = 0
      }
      const bland = degenerate >= DEGENERATE_RUN
      // ── entering variable ──
      // Dantzig: one scan lists every attractive variable, largest reduced cost first; while steps
      // are bound flips the reduced costs do not change, so the list stays valid until a pivot.
      let q = -1
      while (!bland && qHead < queue.length) {
        const j = queue[qHead++]!
        if (isBasic[j]! < 0 && (atUpper[j] ? -d[j]! : d[j]!) > tol) {
          q = j
          break
        }
      }
      if (q < 0) {
        queue.length = 0
        qHead = 0
        if (bland) {
          for (let j = 0; j < N; j++) {
            if (isBasic[j]! >= 0 || ub[j] === 0) continue
            if ((atUpper[j] ? -d[j]! : d[j]!) > tol) {
              q = j
              break
            }
          }
        } else {
          // The TOP most attractive, best first (a bounded heap keeps the scan O(N log TOP)).
          let size = 0
          for (let j = 0; j < N; j++) {
            if (isBasic[j]! >= 0 || ub[j] === 0) continue
            const g = atUpper[j] ? -d[j]! : d[j]!
            if (g <= tol) continue
            if (size < TOP) {
              heapGain[size] = g
              heapIdx[size] = j
              siftUp(size++)
            } else if (g > heapGain[0]!) {
              heapGain[0] = g
              heapIdx[0] = j
              siftDown(0, size)
            }
          }
          for (let k = size - 1; k >= 0; k--) {
            queue[k] = heapIdx[0]!
            heapGain[0] = heapGain[k]!
            heapIdx[0] = heapIdx[k]!
            siftDown(0, k)
          }
          queue.length = size
          if (size) q = queue[qHead++]!
        }
      }
      if (q < 0) return 'optimal'
      iterations++
      const dir = atUpper[q] ? -1 : 1
      column(q)
      // ── ratio test ──
      let theta = ub[q]!
      let leave = -1
      let leaveAlpha = 0
      for (let i = 0; i < m; i++) {
        const a = dir * alpha[i]!
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
          const a = alpha[i]!
          if (a !== 0) {
            const b = basis[i]!
            x[b] = x[b]! - dir * theta * a
          }
        }
      }
      if (leave < 0) {
        // Bound flip: the basis stays.
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
        pivot(leave)
        sinceRefactor++
        queue.length = 0
        qHead = 0
        // Reduced costs after the pivot: y += d_q·ρ, d_j −= d_q·ρ·a_j with ρ the new row r of B⁻¹;
        // ρ·A is accumulated row by row (CSR), over the rows where ρ is not zero.
        const dq = d[q]!
        if (dq !== 0) {
          const row = leave * m
          let touched = 0
          for (let k = 0; k < m; k++) {
            const rho = Binv[row + k]!
            if (rho === 0) continue
            y[k] = y[k]! + dq * rho
            for (let t = rStart[k]!; t < rStart[k + 1]!; t++) {
              const j = rCol[t]!
              if (mark[j] === 0) {
                mark[j] = 1
                hit[touched++] = j
              }
              acc[j] = acc[j]! + rho * rVal[t]!
            }
          }
          for (let t = 0; t < touched; t++) {
            const j = hit[t]!
            if (isBasic[j]! < 0) d[j] = d[j]! - dq * acc[j]!
            acc[j] = 0
            mark[j] = 0
          }
        }
        d[q] = 0
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
    c = c1
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
    c = cost
    status = run()
  }
  price()

  const out = new Float64Array(n)
  let objective = 0
  for (let j = 0; j < n; j++) {
    out[j] = x[j]!
    objective += cost[j]! * x[j]!
  }
  const duals = new Float64Array(m)
  for (let i = 0; i < m; i++) duals[i] = sign[i]! * y[i]!
  return { status, x: out, objective, duals, reducedCosts: d.slice(0, n), iterations }
}
