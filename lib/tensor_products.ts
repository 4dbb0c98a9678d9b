import * as tf from '@tensorflow/tfjs';
import { ROW_COMBINATIONS, ROW_GRAMIAN, wasmRowProductsReady } from './backend/wasm_row_products';

/**
 * Up to this many combinations, or Gramian rows, the wasm backend's own loops beat its product
 * (see `backend/wasm_row_products.ts`); past it, the product's speed pays for its packing.
 */
const LOOP_MAX_ROWS = { combinations: 32, gramian: 256 };

/**
 * `coefficients · matrix`: k weighted sums of the m rows of `matrix` ([k, m] · [m, n] → [k, n]).
 *
 * The same product as `tf.matMul(coefficients, matrix)`, computed for what such sums usually are:
 * a few combinations of a wide matrix that was just computed (a Jacobian, per-task gradients). The
 * wasm backend's product packs a fresh `matrix` before multiplying, which costs several times the
 * product itself for small k; there, a SIMD loop reads it in place instead.
 *
 * @param coefficients [k, m]: row r holds the weights of combination r.
 * @param matrix [m, n].
 * @returns [k, n]; the caller owns it.
 *
 * @example
 * ```ts
 * const jacobian = tf.tensor2d([[1, 2], [3, 4]]);
 * rowCombinations(tf.tensor2d([[0.5, 0.5]]), jacobian); // [[2, 3]]
 * ```
 */
export function rowCombinations(coefficients: tf.Tensor2D, matrix: tf.Tensor2D): tf.Tensor2D {
  const [k, m] = coefficients.shape;
  if (
    k <= LOOP_MAX_ROWS.combinations &&
    matrix.shape[0] === m &&
    float32(coefficients, matrix) &&
    wasmRowProductsReady()
  ) {
    return tf.engine().runKernel(ROW_COMBINATIONS, { coefficients, matrix }, {}) as tf.Tensor2D;
  }
  return tf.matMul(coefficients, matrix);
}

/**
 * `a · bᵀ` of two [m, n] matrices, [m, m]: the Gramian `A Aᵀ` of the rows of `a` when `b` is
 * omitted (or is `a`), else their cross products. Same values as `tf.matMul(a, b, false, true)`;
 * on wasm, a SIMD loop over both in place (see {@link rowCombinations}), half of it for `A Aᵀ`.
 *
 * @example
 * ```ts
 * rowGramian(tf.tensor2d([[1, 2], [3, 4]])); // [[5, 11], [11, 25]]
 * ```
 */
export function rowGramian(a: tf.Tensor2D, b: tf.Tensor2D = a): tf.Tensor2D {
  if (
    a.shape[0] <= LOOP_MAX_ROWS.gramian &&
    tf.util.arraysEqual(a.shape, b.shape) &&
    float32(a, b) &&
    wasmRowProductsReady()
  ) {
    return tf.engine().runKernel(ROW_GRAMIAN, { a, b }, {}) as tf.Tensor2D;
  }
  return tf.matMul(a, b, false, true);
}

function float32(...tensors: tf.Tensor[]): boolean {
  return tensors.every((t) => t.dtype === 'float32');
}

/**
 * `Σᵢ weights[i] · rows[i]`: the weighted sum of the rows of `rows` ([m, ...shape]), shaped like
 * one row. See {@link rowCombinations} for why this is not a plain product.
 *
 * @example
 * ```ts
 * weightedRowSum([1, 2], tf.tensor3d([[[1]], [[3]]])); // [[7]], shape [1, 1]
 * ```
 */
export function weightedRowSum(
  weights: ArrayLike<number> | tf.Tensor1D,
  rows: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const m = rows.shape[0];
    const coefficients =
      weights instanceof tf.Tensor
        ? tf.reshape(weights, [1, m])
        : tf.tensor2d(Array.from(weights), [1, m]);
    const flat = rows.rank === 2 ? (rows as tf.Tensor2D) : tf.reshape(rows, [m, -1]);
    const sum = rowCombinations(coefficients as tf.Tensor2D, flat as tf.Tensor2D);
    return tf.reshape(sum, rows.shape.slice(1));
  });
}
