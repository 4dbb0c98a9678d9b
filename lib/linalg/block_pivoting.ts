/**
 * An exact solver for the dual-cone projection QP `min vᵀGv s.t. v ≥ u`, written as the
 * non-negative QP `min ½xᵀGx + (Gu)ᵀx s.t. x ≥ 0` with `v = u + x`, solved by block principal
 * pivoting (Júdice & Pires, "A block principal pivoting algorithm for large-scale strictly monotone
 * linear complementarity problems", Computers & OR 1994; as used for NNLS by Kim & Park 2011).
 * Each iteration solves one linear system on the current free set; starting from the free set
 * suggested by the gradient at `x = 0`, it typically needs one to three.
 */
import type { Matrix64 } from './matrix';

/** The solution `v`, or null when pivoting did not settle within its iteration budget. */
export function solveBoxQp(G: Matrix64, u: number[], tolerance = 1e-12): number[] | null {
  const m = u.length;
  const flat = new Float64Array(m * m);
  G.forEach((row, i) => flat.set(row, i * m));
  const gu = new Float64Array(m);
  let scale = 1e-300;
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += flat[i * m + j] * u[j];
    gu[i] = s;
    scale = Math.max(scale, Math.abs(s), Math.abs(flat[i * m + i]));
  }
  const tol = tolerance * scale;
  // Free set: where x may be positive. Start where the gradient at x = 0 pushes x up.
  const free = new Uint8Array(m);
  for (let i = 0; i < m; i++) free[i] = gu[i] < -tol ? 1 : 0;
  const x = new Float64Array(m);
  const workspace = new Float64Array(m * m);
  let best = m + 1;
  let backup = 3;
  for (let iteration = 0; iteration < 10 * m + 10; iteration++) {
    if (!solveOnFreeSet(flat, gu, free, m, x, workspace)) return null;
    const violations: number[] = [];
    for (let i = 0; i < m; i++) {
      if (free[i]) {
        if (x[i] < -tol) violations.push(i);
        continue;
      }
      let y = gu[i];
      for (let j = 0; j < m; j++) if (free[j]) y += flat[i * m + j] * x[j];
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

/**
 * Writes `x_F = −G_FF⁻¹ (Gu)_F`, `x_A = 0` into `x` (Cholesky of `G_FF` in `workspace`); false if
 * `G_FF` is not numerically positive definite.
 */
function solveOnFreeSet(
  G: Float64Array,
  gu: Float64Array,
  free: Uint8Array,
  m: number,
  x: Float64Array,
  workspace: Float64Array,
): boolean {
  const indices: number[] = [];
  for (let i = 0; i < m; i++) if (free[i]) indices.push(i);
  x.fill(0);
  const k = indices.length;
  if (k === 0) return true;
  const l = workspace; // lower-triangular factor, row-major k × k
  for (let j = 0; j < k; j++) {
    const gj = indices[j] * m;
    let diagonal = G[gj + indices[j]];
    for (let p = 0; p < j; p++) diagonal -= l[j * k + p] * l[j * k + p];
    if (!(diagonal > 0)) return false;
    const ljj = Math.sqrt(diagonal);
    l[j * k + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let sum = G[indices[i] * m + indices[j]];
      for (let p = 0; p < j; p++) sum -= l[i * k + p] * l[j * k + p];
      l[i * k + j] = sum / ljj;
    }
  }
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = -gu[indices[i]];
    for (let j = 0; j < i; j++) s -= l[i * k + j] * z[j];
    z[i] = s / l[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i];
    for (let j = i + 1; j < k; j++) s -= l[j * k + i] * z[j];
    z[i] = s / l[i * k + i];
  }
  indices.forEach((index, i) => (x[index] = z[i]));
  return true;
}
