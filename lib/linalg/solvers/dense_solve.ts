import { NumericalError } from '../../errors';
import type { Matrix64 } from '../matrix';

/**
 * Solves the small dense system `A x = b` by Gaussian elimination with partial pivoting.
 *
 * Throws `NumericalError` when a pivot is negligible relative to the largest entry of `A`
 * (a singular or numerically singular system), instead of returning infinities or NaN.
 *
 * @example
 * ```ts
 * solveLinearSystem([[2, 0], [0, 4]], [2, 2]); // [1, 0.5]
 * ```
 */
export function solveLinearSystem(a: Matrix64, b: ArrayLike<number>): number[] {
  const n = a.length;
  const rows = a.map((row, i) => [...row, b[i]]);
  let scale = 0;
  for (const row of a) for (const v of row) scale = Math.max(scale, Math.abs(v));
  const tolerance = 1e-14 * n * scale;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs(rows[r][col]) > Math.abs(rows[pivot][col])) pivot = r;
    }
    if (!(Math.abs(rows[pivot][col]) > tolerance)) {
      throw new NumericalError(
        `singular linear system (pivot ${rows[pivot][col]} at column ${col}).`,
      );
    }
    [rows[col], rows[pivot]] = [rows[pivot], rows[col]];
    for (let r = col + 1; r < n; r++) {
      const factor = rows[r][col] / rows[col][col];
      if (factor === 0) continue;
      for (let c = col; c <= n; c++) rows[r][c] -= factor * rows[col][c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = rows[r][n];
    for (let c = r + 1; c < n; c++) sum -= rows[r][c] * x[c];
    x[r] = sum / rows[r][r];
  }
  return x;
}
