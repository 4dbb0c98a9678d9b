import type * as tf from '@tensorflow/tfjs';
import { rowGramian } from '../tensor_products';
import type { Matrix64 } from './matrix';

/**
 * The Gramian `J Jᵀ` of a matrix, computed on the tfjs backend (the `n` dimension can be large;
 * only the `m × m` result is small).
 *
 * @example
 * ```ts
 * const G = computeGramian(tf.tensor2d([[1, 0], [1, 1]])); // [[1, 1], [1, 2]]
 * ```
 */
export function computeGramian(matrix: tf.Tensor2D): tf.Tensor2D {
  return rowGramian(matrix);
}

/**
 * The Gramian of `J / ‖J‖_F`: `G / trace(G)`, or the zero matrix when `trace(G) < eps` (a Jacobian
 * too small to have a meaningful direction). As TorchJD's `normalize`. Returns a new matrix.
 *
 * @example
 * ```ts
 * normalize([[2, 1], [1, 2]], 1e-4); // [[0.5, 0.25], [0.25, 0.5]]
 * ```
 */
export function normalize(gramian: Matrix64, eps: number): Matrix64 {
  let trace = 0;
  for (let i = 0; i < gramian.length; i++) trace += gramian[i][i];
  if (trace < eps) return gramian.map((row) => row.map(() => 0));
  return gramian.map((row) => row.map((value) => value / trace));
}

/**
 * `G + eps·I`: rounding can leave a computed Gramian with slightly negative eigenvalues; the shift
 * makes it positive definite so the QP is strictly convex. As TorchJD's `regularize`.
 *
 * @example
 * ```ts
 * regularize([[1, 0], [0, 0]], 1e-4); // [[1.0001, 0], [0, 0.0001]]
 * ```
 */
export function regularize(gramian: Matrix64, eps: number): Matrix64 {
  return gramian.map((row, i) => row.map((value, j) => (i === j ? value + eps : value)));
}
