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
 * it is within one `u` that factors are reused: one full factorization per `u`, more or less.
 */
import { inversePositiveDefinite } from './cholesky';
import type { Matrix64 } from './matrix';
import { UpdatableCholesky } from './updatable_cholesky';

/** Solves `min vᵀGv s.t. v ≥ u` for any number of `u`, sharing the work that depends on G alone. */
export class BoxQpSolver {
  private readonly m: number;
  private readonly g: Float64Array;
  private inverse: Float64Array | null | undefined;
  /** The factors of `G_FF` and `H_AA` left by the last system solved, reused by the next. */
  private freeFactor: UpdatableCholesky | undefined;
  private activeFactor: UpdatableCholesky | undefined;

  /** `G` must be symmetric positive definite (e.g. regularized). */
  constructor(G: Matrix64) {
    this.m = G.length;
    this.g = new Float64Array(this.m * this.m);
    G.forEach((row, i) => this.g.set(row, i * this.m));
  }

  /** The solution `v`, or null when pivoting did not settle within its iteration budget. */
  solve(u: number[], tolerance = 1e-12): number[] | null {
    const { m, g } = this;
    const uVector = Float64Array.from(u);
    // Gu, over the non-zero entries of u only (UPGrad's u are scaled unit vectors).
    const support: number[] = [];
    for (let j = 0; j < m; j++) if (u[j] !== 0) support.push(j);
    const gu = new Float64Array(m);
    let scale = 1e-300;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (const j of support) s += g[i * m + j] * u[j];
      gu[i] = s;
      scale = Math.max(scale, Math.abs(s), Math.abs(g[i * m + i]));
    }
    const tol = tolerance * scale;
    // Free set: where x may be positive. Start where the gradient at x = 0 pushes x up.
    const free = new Uint8Array(m);
    for (let i = 0; i < m; i++) free[i] = gu[i] < -tol ? 1 : 0;
    const x = new Float64Array(m);
    // y = Gx + Gu, the gradient: 0 on the free set, and it must be ≥ 0 off it.
    const y = new Float64Array(m);
    // How sure each index is of its side (free: x, else y; at first −Gu, resp. Gu): the factors
    // are built most sure first, so that the indices that later change sides are near their end,
    // where removing them is cheap.
    const score = new Float64Array(m);
    for (let i = 0; i < m; i++) score[i] = free[i] ? -gu[i] : gu[i];
    let best = m + 1;
    let backup = 3;
    for (let iteration = 0; iteration < 10 * m + 10; iteration++) {
      if (!this.solveOnFreeSet(uVector, gu, free, score, x, y)) return null;
      for (let i = 0; i < m; i++) score[i] = free[i] ? x[i] : y[i];
      const violations: number[] = [];
      for (let i = 0; i < m; i++) if (free[i] ? x[i] < -tol : y[i] < -tol) violations.push(i);
      if (violations.length === 0) return u.map((ui, i) => ui + Math.max(0, x[i]));
      if (violations.length < best) {
        best = violations.length;
        backup = 3;
      } else if (backup > 0) {
        backup--;
      } else {
        violations.splice(0, violations.length - 1); // Murty's rule: flip only the largest index
      }
      for (const i of violations) free[i] = 1 - free[i];
    }
    return null;
  }

  /**
   * For the free set F (A its complement): `x_F` with `G_FF x_F = −(Gu)_F` and `x_A = 0` into
   * `x`, and the gradient `y_A = (Gx + Gu)_A` into `y`; false if a factorization fails.
   */
  private solveOnFreeSet(
    u: Float64Array,
    gu: Float64Array,
    free: Uint8Array,
    score: Float64Array,
    x: Float64Array,
    y: Float64Array,
  ): boolean {
    const { m, g } = this;
    const freeIndices: number[] = [];
    const activeIndices: number[] = [];
    for (let i = 0; i < m; i++) (free[i] ? freeIndices : activeIndices).push(i);
    const surestFirst = (a: number, b: number) => score[b] - score[a];
    x.fill(0);
    y.fill(0);
    if (freeIndices.length === 0) {
      y.set(gu);
      return true;
    }
    // Solve on F or, through G⁻¹, on A: whichever factor gets there cheaper (a new one costs
    // k³/6, see UpdatableCholesky.moveCost). G⁻¹ is computed once A is the smaller.
    const resetCost = (k: number) => k ** 3 / 6;
    const onFree =
      (this.inverse === undefined && activeIndices.length >= freeIndices.length) ||
      this.inverseOfG() === null ||
      (this.freeFactor?.moveCost(freeIndices) ?? resetCost(freeIndices.length)) <=
        (this.activeFactor?.moveCost(activeIndices) ?? resetCost(activeIndices.length));
    if (onFree) {
      this.freeFactor ??= new UpdatableCholesky(g, m);
      const factor = this.freeFactor;
      if (!factor.moveTo(freeIndices, surestFirst) && !factor.reset(freeIndices)) return false;
      const columns = Int32Array.from(factor.indices);
      const rhs = new Float64Array(columns.length);
      for (let k = 0; k < columns.length; k++) rhs[k] = -gu[columns[k]];
      const z = factor.solve(rhs);
      for (let k = 0; k < columns.length; k++) x[columns[k]] = z[k];
      // y = Gu + G x over all indices (x = 0 off F), by rows of G: then y on A is the gradient.
      const full = Float64Array.from(gu);
      addRows(full, g, m, columns, z);
      for (const a of activeIndices) y[a] = full[a];
      return true;
    }
    // With H = G⁻¹ and H·Gu = u, the system [G_FF G_FA; G_AF G_AA] [x_F; 0] + Gu = [0; y_A] reads
    // [x_F; 0] = H [0; y_A] − u: so H_AA y_A = u_A, then x_F = H_FA y_A − u_F.
    const h = this.inverse!;
    this.activeFactor ??= new UpdatableCholesky(h, m);
    const factor = this.activeFactor;
    if (!factor.moveTo(activeIndices, surestFirst) && !factor.reset(activeIndices)) return false;
    const columns = Int32Array.from(factor.indices);
    const rhs = new Float64Array(columns.length);
    for (let k = 0; k < columns.length; k++) rhs[k] = u[columns[k]];
    const yActive = factor.solve(rhs);
    for (let k = 0; k < columns.length; k++) y[columns[k]] = yActive[k];
    const full = new Float64Array(m);
    addRows(full, h, m, columns, yActive);
    for (const f of freeIndices) x[f] = full[f] - u[f];
    return true;
  }

  /** `G⁻¹`, computed on first use; null if G cannot be factorized. */
  private inverseOfG(): Float64Array | null {
    if (this.inverse !== undefined) return this.inverse;
    const { m, g } = this;
    this.inverse = inversePositiveDefinite(g, m);
    return this.inverse;
  }
}

/**
 * `target += Σ_k coefficients[k] · (row rows[k] of matrix)`, four rows at a time: contiguous
 * passes over the rows, where a product with the rows restricted to some columns would gather.
 */
function addRows(
  target: Float64Array,
  matrix: Float64Array,
  m: number,
  rows: Int32Array,
  coefficients: Float64Array,
): void {
  const n = rows.length;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    const [r0, r1, r2, r3] = [rows[k] * m, rows[k + 1] * m, rows[k + 2] * m, rows[k + 3] * m];
    const [c0, c1, c2, c3] = [
      coefficients[k],
      coefficients[k + 1],
      coefficients[k + 2],
      coefficients[k + 3],
    ];
    for (let j = 0; j < m; j++) {
      target[j] +=
        c0 * matrix[r0 + j] + c1 * matrix[r1 + j] + (c2 * matrix[r2 + j] + c3 * matrix[r3 + j]);
    }
  }
  for (; k < n; k++) {
    const r = rows[k] * m;
    const c = coefficients[k];
    for (let j = 0; j < m; j++) target[j] += c * matrix[r + j];
  }
}

/** One `min vᵀGv s.t. v ≥ u` problem; see {@link BoxQpSolver} to solve several with one G. */
export function solveBoxQp(G: Matrix64, u: number[], tolerance = 1e-12): number[] | null {
  return new BoxQpSolver(G).solve(u, tolerance);
}
