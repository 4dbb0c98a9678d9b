/**
 * An exact solver for the dual-cone projection QP `min vᵀGv s.t. v ≥ u`, written as the
 * non-negative QP `min ½xᵀGx + (Gu)ᵀx s.t. x ≥ 0` with `v = u + x`, solved by block principal
 * pivoting (Júdice & Pires, "A block principal pivoting algorithm for large-scale strictly monotone
 * linear complementarity problems", Computers & OR 1994; as used for NNLS by Kim & Park 2011).
 * Each iteration solves one linear system on the current free set F; starting from the free set
 * suggested by the gradient at `x = 0`, it typically needs one to three. When F is the larger
 * part, the system is solved on its complement A instead, through `H = G⁻¹` (computed once per
 * solver and shared by every `u`): `x_F = H_FF b_F − H_FA H_AA⁻¹ H_AF b_F`, the block-inverse
 * identity. The factorization of the system is updated, not redone, when the set changes by a few
 * indices (from one iteration to the next, and from one `u` to the next): an iteration then costs
 * O(min(|F|, |A|)² + m²) instead of O(min(|F|, |A|)³ + m²).
 */
import { cholesky, invertLowerTriangular } from './cholesky';
import type { Matrix64 } from './matrix';
import { dot, UpdatableCholesky } from './updatable_cholesky';

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
    const gu = new Float64Array(m);
    let scale = 1e-300;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += g[i * m + j] * u[j];
      gu[i] = s;
      scale = Math.max(scale, Math.abs(s), Math.abs(g[i * m + i]));
    }
    const tol = tolerance * scale;
    // Free set: where x may be positive. Start where the gradient at x = 0 pushes x up.
    const free = new Uint8Array(m);
    for (let i = 0; i < m; i++) free[i] = gu[i] < -tol ? 1 : 0;
    const x = new Float64Array(m);
    let best = m + 1;
    let backup = 3;
    for (let iteration = 0; iteration < 10 * m + 10; iteration++) {
      if (!this.solveOnFreeSet(gu, free, x)) return null;
      const violations: number[] = [];
      for (let i = 0; i < m; i++) {
        if (free[i]) {
          if (x[i] < -tol) violations.push(i);
          continue;
        }
        // x is 0 off the free set, so the whole row can be summed without testing membership.
        if (gu[i] + dot(g, i * m, x, 0, m) < -tol) violations.push(i);
      }
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

  /** Writes `x_F = −G_FF⁻¹ (Gu)_F`, `x_A = 0` into `x`; false if a factorization fails. */
  private solveOnFreeSet(gu: Float64Array, free: Uint8Array, x: Float64Array): boolean {
    const { m, g } = this;
    const freeIndices: number[] = [];
    const activeIndices: number[] = [];
    for (let i = 0; i < m; i++) (free[i] ? freeIndices : activeIndices).push(i);
    x.fill(0);
    if (freeIndices.length === 0) return true;
    if (activeIndices.length >= freeIndices.length || this.inverseOfG() === null) {
      this.freeFactor ??= new UpdatableCholesky(g, m);
      const factor = this.freeFactor;
      if (!factor.moveTo(freeIndices) && !factor.reset(freeIndices)) return false;
      const z = factor.solve(Float64Array.from(factor.indices, (i) => -gu[i]));
      factor.indices.forEach((index, k) => (x[index] = z[k]));
      return true;
    }
    // x_F = H_FF b − H_FA λ with H_AA λ = H_AF b, through the dense vector b̂ (b on F, 0 on A).
    const h = this.inverse!;
    this.activeFactor ??= new UpdatableCholesky(h, m);
    const factor = this.activeFactor;
    if (!factor.moveTo(activeIndices) && !factor.reset(activeIndices)) return false;
    const bDense = new Float64Array(m);
    for (const f of freeIndices) bDense[f] = -gu[f];
    const lambda = factor.solve(
      Float64Array.from(factor.indices, (a) => dot(h, a * m, bDense, 0, m)),
    );
    const lambdaDense = new Float64Array(m);
    factor.indices.forEach((a, k) => (lambdaDense[a] = lambda[k]));
    for (const f of freeIndices) {
      x[f] = dot(h, f * m, bDense, 0, m) - dot(h, f * m, lambdaDense, 0, m);
    }
    return true;
  }

  /** `G⁻¹`, computed on first use; null if G cannot be factorized. */
  private inverseOfG(): Float64Array | null {
    if (this.inverse !== undefined) return this.inverse;
    const { m, g } = this;
    try {
      const rows = Array.from({ length: m }, (_, i) => Array.from(g.subarray(i * m, (i + 1) * m)));
      const lInverse = invertLowerTriangular(cholesky(rows));
      const h = new Float64Array(m * m);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0; // (L⁻ᵀ L⁻¹)_ij = Σ_k L⁻¹_ki L⁻¹_kj over k ≥ max(i, j)
          for (let k = i; k < m; k++) s += lInverse[k][i] * lInverse[k][j];
          h[i * m + j] = s;
          h[j * m + i] = s;
        }
      }
      this.inverse = h;
    } catch {
      this.inverse = null;
    }
    return this.inverse;
  }
}

/** One `min vᵀGv s.t. v ≥ u` problem; see {@link BoxQpSolver} to solve several with one G. */
export function solveBoxQp(G: Matrix64, u: number[], tolerance = 1e-12): number[] | null {
  return new BoxQpSolver(G).solve(u, tolerance);
}
