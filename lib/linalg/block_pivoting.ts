/**
 * An exact solver for the dual-cone projection QP `min vᵀGv s.t. v ≥ u`, written as the
 * non-negative QP `min ½xᵀGx + (Gu)ᵀx s.t. x ≥ 0` with `v = u + x`, solved by block principal
 * pivoting (Júdice & Pires, "A block principal pivoting algorithm for large-scale strictly monotone
 * linear complementarity problems", Computers & OR 1994; as used for NNLS by Kim & Park 2011).
 * Each iteration solves one linear system on the current free set F; starting from the free set
 * suggested by the gradient at `x = 0`, it typically needs one to three. When F is the larger
 * part, the system is solved on its complement A instead, through `H = G⁻¹` (computed once per
 * solver and shared by every `u`): `x_F = H_FF b_F − H_FA H_AA⁻¹ H_AF b_F`, the block-inverse
 * identity. Each iteration therefore costs O(min(|F|, |A|)³ + m²).
 */
import { cholesky, invertLowerTriangular } from './cholesky';
import type { Matrix64 } from './matrix';

/** Solves `min vᵀGv s.t. v ≥ u` for any number of `u`, sharing the work that depends on G alone. */
export class BoxQpSolver {
  private readonly m: number;
  private readonly g: Float64Array;
  private inverse: Float64Array | null | undefined;
  private readonly workspace: Float64Array;

  /** `G` must be symmetric positive definite (e.g. regularized). */
  constructor(G: Matrix64) {
    this.m = G.length;
    this.g = new Float64Array(this.m * this.m);
    G.forEach((row, i) => this.g.set(row, i * this.m));
    this.workspace = new Float64Array(this.m * this.m);
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
        let y = gu[i];
        for (let j = 0; j < m; j++) if (free[j]) y += g[i * m + j] * x[j];
        if (y < -tol) violations.push(i);
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
    const { m } = this;
    const freeIndices: number[] = [];
    const activeIndices: number[] = [];
    for (let i = 0; i < m; i++) (free[i] ? freeIndices : activeIndices).push(i);
    x.fill(0);
    if (freeIndices.length === 0) return true;
    const b = freeIndices.map((i) => -gu[i]);
    if (activeIndices.length >= freeIndices.length || this.inverseOfG() === null) {
      const z = choleskySolve(this.g, m, freeIndices, b, this.workspace);
      if (z === null) return false;
      freeIndices.forEach((index, k) => (x[index] = z[k]));
      return true;
    }
    const h = this.inverse!;
    // x_F = H_FF b − H_FA λ with H_AA λ = H_AF b.
    const hAFb = activeIndices.map((a) =>
      freeIndices.reduce((s, f, k) => s + h[a * m + f] * b[k], 0),
    );
    const lambda = choleskySolve(h, m, activeIndices, hAFb, this.workspace);
    if (lambda === null) return false;
    freeIndices.forEach((f) => {
      let value = 0;
      for (let j = 0; j < freeIndices.length; j++) value += h[f * m + freeIndices[j]] * b[j];
      for (let j = 0; j < activeIndices.length; j++)
        value -= h[f * m + activeIndices[j]] * lambda[j];
      x[f] = value;
    });
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

/** Solves `M_SS z = rhs` for the index set S of the flat m × m matrix M; null if not PD. */
function choleskySolve(
  M: Float64Array,
  m: number,
  indices: number[],
  rhs: number[],
  workspace: Float64Array,
): number[] | null {
  const k = indices.length;
  const l = workspace; // lower-triangular factor, row-major k × k
  for (let j = 0; j < k; j++) {
    let diagonal = M[indices[j] * m + indices[j]];
    for (let p = 0; p < j; p++) diagonal -= l[j * k + p] * l[j * k + p];
    if (!(diagonal > 0)) return null;
    const ljj = Math.sqrt(diagonal);
    l[j * k + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let sum = M[indices[i] * m + indices[j]];
      for (let p = 0; p < j; p++) sum -= l[i * k + p] * l[j * k + p];
      l[i * k + j] = sum / ljj;
    }
  }
  const z = new Array<number>(k);
  for (let i = 0; i < k; i++) {
    let s = rhs[i];
    for (let j = 0; j < i; j++) s -= l[i * k + j] * z[j];
    z[i] = s / l[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i];
    for (let j = i + 1; j < k; j++) s -= l[j * k + i] * z[j];
    z[i] = s / l[i * k + i];
  }
  return z;
}
