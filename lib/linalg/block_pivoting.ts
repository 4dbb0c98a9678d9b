/**
 * An exact solver for the dual-cone projection QP `min vᵀGv s.t. v ≥ u`, written as the
 * non-negative QP `min ½xᵀGx + (Gu)ᵀx s.t. x ≥ 0` with `v = u + x`, solved by block principal
 * pivoting (Júdice & Pires, "A block principal pivoting algorithm for large-scale strictly monotone
 * linear complementarity problems", Computers & OR 1994; as used for NNLS by Kim & Park 2011).
 * Each iteration solves one linear system on the current free set F; starting from the free set
 * suggested by the gradient at `x = 0`, it typically needs one to three. When F is the larger
 * part, the system is solved on its complement A instead, through `H = G⁻¹` (computed once per
 * solver and shared by every `u`): since `H·Gu = u`, the gradient on A is `y_A = H_AA⁻¹ u_A` and
 * `x_F = H_FA y_A − u_F`. Each system goes to whichever of the two factors (of `G_FF`, of
 * `H_AA`) is cheaper to bring to the new set, by updates or by refactoring only its rows from the
 * first one that changes (see `UpdatableCholesky.moveCost`); the factors are built surest index
 * first (by |x| or |y| of the last iteration), so that the indices that later change sides sit
 * near their end, where that is cheap. The free sets of different `u` hardly overlap (for UPGrad
 * at m = 256, the nearest other problem's final free set is about as far as a random half), so
 * it is within one `u` that factors are reused: one full factorization per `u`, more or less
 * (for UPGrad on random Gramians: 2.1 systems per `u` at m = 64, 3.1 at m = 256, and
 * factorization work 0.9–1.2 times that of one factor of size m/2).
 *
 * That cubic work is inherent to exact active-set methods, so the time goes to doing it fast:
 * the factors, their triangular solves and the products with G (or G⁻¹) run in WebAssembly SIMD
 * where available (see `cholesky_wasm.ts`), and below m ≈ 100, where the arithmetic is only a few
 * thousand multiply-adds per `u`, to not allocating: every buffer lives as long as the solver.
 */
import { inversePositiveDefinite } from './cholesky';
import type { Matrix64 } from './matrix';
import { UpdatableCholesky } from './updatable_cholesky';

/** Solves `min vᵀGv s.t. v ≥ u` for any number of `u`, sharing the work that depends on G alone. */
export class BoxQpSolver {
  private readonly m: number;
  private readonly g: Float64Array;
  /** The scale of G, for the tolerance (at least 1e-300, so that the tolerance is never 0). */
  private readonly largestDiagonal: number;
  private inverse: Float64Array | null | undefined;
  /** The work spent on F that A would have saved, while G⁻¹ is not computed (see solveOnFreeSet). */
  private regret = 0;
  /** The factors of `G_FF` and `H_AA` left by the last system solved, reused by the next. */
  private freeFactor: UpdatableCholesky | undefined;
  private activeFactor: UpdatableCholesky | undefined;
  // Scratch for every iteration of every u: at m = 64 allocating them cost more than the flops.
  private readonly u: Float64Array;
  private readonly gu: Float64Array;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly score: Float64Array;
  private readonly free: Uint8Array;
  private readonly freeList: Int32Array;
  private readonly activeList: Int32Array;
  private readonly violations: Int32Array;
  private readonly rhs: Float64Array;
  private readonly z: Float64Array;

  /**
   * `G` must be symmetric positive definite (e.g. regularized): nested rows, or flat row-major m × m
   * (which the solver then keeps as its own, and may change: where G differs from its transpose
   * in the last bits it is symmetrized in place).
   */
  constructor(G: Matrix64 | Float64Array) {
    const flat = ArrayBuffer.isView(G);
    const m = flat ? Math.round(Math.sqrt(G.length)) : G.length;
    this.m = m;
    // Symmetrized, so that rows and columns agree wherever the solver reads G (a Gramian computed
    // in float32 may differ from its transpose in the last bits); a symmetric G stays as it is.
    let g: Float64Array;
    if (flat) g = G;
    else {
      g = new Float64Array(m * m);
      for (let i = 0; i < m; i++) g.set(G[i], i * m);
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < i; j++) {
        const a = g[i * m + j];
        const b = g[j * m + i];
        if (a !== b) g[i * m + j] = g[j * m + i] = (a + b) / 2;
      }
    }
    this.g = g;
    let largestDiagonal = 1e-300;
    for (let i = 0; i < m; i++) largestDiagonal = Math.max(largestDiagonal, Math.abs(g[i * m + i]));
    this.largestDiagonal = largestDiagonal;
    this.u = new Float64Array(m);
    this.gu = new Float64Array(m);
    this.x = new Float64Array(m);
    this.y = new Float64Array(m);
    this.score = new Float64Array(m);
    this.free = new Uint8Array(m);
    this.freeList = new Int32Array(m);
    this.activeList = new Int32Array(m);
    this.violations = new Int32Array(m);
    this.rhs = new Float64Array(m);
    this.z = new Float64Array(m);
  }

  /** The solution `v`, or null when pivoting did not settle within its iteration budget. */
  solve(u: number[], tolerance = 1e-12): number[] | null {
    const { m, g, gu, free, x, y, score, violations } = this;
    this.u.set(u);
    // Gu as a sum of rows of G (G is symmetric), over the non-zero entries of u only (UPGrad's u
    // are scaled unit vectors).
    gu.fill(0);
    for (let j = 0; j < m; j++) {
      const c = u[j];
      if (c === 0) continue;
      const row = j * m;
      for (let i = 0; i < m; i++) gu[i] += c * g[row + i];
    }
    let scale = this.largestDiagonal;
    for (let i = 0; i < m; i++) scale = Math.max(scale, Math.abs(gu[i]));
    const tol = tolerance * scale;
    // Free set: where x may be positive. Start where the gradient at x = 0 pushes x up. How sure
    // each index is of its side (free: x, else y = Gx + Gu; at first −Gu, resp. Gu): the factors
    // are built most sure first, so that the indices that later change sides are near their end,
    // where removing them is cheap.
    for (let i = 0; i < m; i++) {
      const isFree = gu[i] < -tol;
      free[i] = isFree ? 1 : 0;
      score[i] = isFree ? -gu[i] : gu[i];
    }
    let best = m + 1;
    let backup = 3;
    for (let iteration = 0; iteration < 10 * m + 10; iteration++) {
      if (!this.solveOnFreeSet()) return null;
      let count = 0;
      for (let i = 0; i < m; i++) {
        const s = free[i] ? x[i] : y[i];
        score[i] = s;
        if (s < -tol) violations[count++] = i;
      }
      if (count === 0) {
        const v = new Array<number>(m);
        for (let i = 0; i < m; i++) v[i] = u[i] + Math.max(0, x[i]);
        return v;
      }
      if (count < best) {
        best = count;
        backup = 3;
        for (let k = 0; k < count; k++) free[violations[k]] ^= 1;
      } else if (backup > 0) {
        backup--;
        for (let k = 0; k < count; k++) free[violations[k]] ^= 1;
      } else {
        free[violations[count - 1]] ^= 1; // Murty's rule: flip only the largest index
      }
    }
    return null;
  }

  /**
   * For the free set F (A its complement): `x_F` with `G_FF x_F = −(Gu)_F` and `x_A = 0` into
   * `x`, and the gradient `y_A = (Gx + Gu)_A` into `y` (y_F, never read, is left as it is); false
   * if a factorization fails.
   */
  private solveOnFreeSet(): boolean {
    const { m, g, u, gu, free, score, x, y, freeList, activeList, rhs, z } = this;
    let nf = 0;
    let na = 0;
    for (let i = 0; i < m; i++) {
      if (free[i]) freeList[nf++] = i;
      else activeList[na++] = i;
    }
    if (nf === 0) {
      x.fill(0);
      y.set(gu);
      return true;
    }
    // Solve on F or, through G⁻¹, on A: whichever factor gets there cheaper (a new one costs
    // k³/6, see UpdatableCholesky.moveCost). G⁻¹ itself costs about m³/2 multiply-adds, more in
    // time than in flops, and a second factor adds its pricing to every step: where A is the
    // smaller by a little only (|F| ≈ m/2, as on random Gramians) that does not pay back. So G⁻¹
    // is computed once A is at most a quarter of the indices (it then pays back within a few
    // u), or else (ski rental) once the work spent on F beyond what a new factor of A would have
    // cost adds up to m³.
    let freeCost = (nf * nf * nf) / 6;
    let freePriced = false;
    if (this.freeFactor) {
      freeCost = this.freeFactor.moveCost(freeList, nf);
      freePriced = true;
    }
    if (this.inverse === undefined) {
      this.regret += Math.max(0, freeCost - (na * na * na) / 6);
      if (this.regret >= m * m * m || 4 * na <= m) this.inverseOfG();
    }
    let onFree = true;
    let activePriced = false;
    if (this.inverse) {
      let activeCost = (na * na * na) / 6;
      if (this.activeFactor) {
        activeCost = this.activeFactor.moveCost(activeList, na);
        activePriced = true;
      }
      onFree = freeCost <= activeCost;
    }
    if (onFree) {
      this.freeFactor ??= new UpdatableCholesky(g, m);
      const factor = this.freeFactor;
      const moved = freePriced ? factor.applyPlan(score) : factor.moveTo(freeList, nf, score);
      if (!moved && !factor.reset(freeList, nf)) return false;
      const columns = factor.order;
      for (let k = 0; k < nf; k++) rhs[k] = -gu[columns[k]];
      factor.solve(rhs, z);
      for (let k = 0; k < nf; k++) x[columns[k]] = z[k];
      // y_A = Gu_A + G_AF x_F.
      factor.multiply(activeList, na, z, y);
      for (let k = 0; k < na; k++) {
        const a = activeList[k];
        x[a] = 0;
        y[a] += gu[a];
      }
      return true;
    }
    // With H = G⁻¹ and H·Gu = u, the system [G_FF G_FA; G_AF G_AA] [x_F; 0] + Gu = [0; y_A] reads
    // [x_F; 0] = H [0; y_A] − u: so H_AA y_A = u_A, then x_F = H_FA y_A − u_F.
    const h = this.inverse!;
    this.activeFactor ??= new UpdatableCholesky(h, m);
    const factor = this.activeFactor;
    const moved = activePriced ? factor.applyPlan(score) : factor.moveTo(activeList, na, score);
    if (!moved && !factor.reset(activeList, na)) return false;
    const columns = factor.order;
    for (let k = 0; k < na; k++) rhs[k] = u[columns[k]];
    factor.solve(rhs, z);
    for (let k = 0; k < na; k++) {
      y[columns[k]] = z[k];
      x[columns[k]] = 0;
    }
    factor.multiply(freeList, nf, z, x);
    for (let k = 0; k < nf; k++) x[freeList[k]] -= u[freeList[k]];
    return true;
  }

  /**
   * Hands the factors' WebAssembly memory back for later solvers (see `UpdatableCholesky.release`);
   * the solver stays usable (with new factors).
   */
  release(): void {
    this.freeFactor?.release();
    this.activeFactor?.release();
    this.freeFactor = undefined;
    this.activeFactor = undefined;
  }

  /** `G⁻¹`, computed on first use; null if G cannot be factorized. */
  private inverseOfG(): Float64Array | null {
    if (this.inverse !== undefined) return this.inverse;
    const { m, g } = this;
    this.inverse = inversePositiveDefinite(g, m);
    return this.inverse;
  }
}

/** One `min vᵀGv s.t. v ≥ u` problem; see {@link BoxQpSolver} to solve several with one G. */
export function solveBoxQp(G: Matrix64, u: number[], tolerance = 1e-12): number[] | null {
  const solver = new BoxQpSolver(G);
  try {
    return solver.solve(u, tolerance);
  } finally {
    solver.release();
  }
}
