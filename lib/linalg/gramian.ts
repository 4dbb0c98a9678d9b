import * as tf from '@tensorflow/tfjs';

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
  return tf.matMul(matrix, matrix, false, true);
}
