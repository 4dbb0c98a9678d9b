import { NumericalError } from '../errors';
import type { Matrix64 } from './matrix';

/**
 * The lower-triangular `L` with `A = L Lᵀ`, for a symmetric positive definite `A`. Throws
 * `NumericalError` if `A` is not numerically positive definite (never returns NaN).
 *
 * @example
 * ```ts
 * cholesky([[4, 2], [2, 5]]); // [[2, 0], [1, 2]]
 * ```
 */
export function cholesky(a: Matrix64): Matrix64 {
  const n = a.length;
  const l: Matrix64 = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let diagonal = a[j][j];
    for (let k = 0; k < j; k++) diagonal -= l[j][k] * l[j][k];
    if (!(diagonal > 0)) {
      throw new NumericalError(
        `Cholesky factorization failed at pivot ${j} (value ${diagonal}): the matrix is not ` +
          'positive definite.',
      );
    }
    const ljj = Math.sqrt(diagonal);
    l[j][j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let sum = a[i][j];
      for (let k = 0; k < j; k++) sum -= l[i][k] * l[j][k];
      l[i][j] = sum / ljj;
    }
  }
  return l;
}

/**
 * The inverse of a lower-triangular matrix, by forward substitution.
 *
 * @example
 * ```ts
 * invertLowerTriangular([[2, 0], [1, 2]]); // [[0.5, 0], [-0.25, 0.5]]
 * ```
 */
export function invertLowerTriangular(l: Matrix64): Matrix64 {
  const n = l.length;
  const inverse: Matrix64 = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let col = 0; col < n; col++) {
    inverse[col][col] = 1 / l[col][col];
    for (let i = col + 1; i < n; i++) {
      let sum = 0;
      for (let k = col; k < i; k++) sum -= l[i][k] * inverse[k][col];
      inverse[i][col] = sum / l[i][i];
    }
  }
  return inverse;
}
