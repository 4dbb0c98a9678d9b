import * as tf from '@tensorflow/tfjs';
import { ROW_COMBINATIONS, ROW_GRAMIAN, wasmRowProductsReady } from './backend/wasm_row_products';
import { reshaped } from './tensor_shapes';
import { isTensor } from './tfjs_guards';

/**
 * Up to this many combinations, or Gramian rows, the wasm backend's own loops beat its product
 * (see `backend/wasm_row_products.ts`); past it, the product's speed pays for its packing.
 */
const LOOP_MAX_ROWS = { combinations: 32, blockCombinations: 256, gramian: 256 };

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
  if (matrix.shape[0] !== coefficients.shape[1]) return tf.matMul(coefficients, matrix);
  return combinations(coefficients, matrix, [
    coefficients.shape[0],
    matrix.shape[1],
  ]) as tf.Tensor2D;
}

/**
 * `Σᵢ weights[i] · rows[i]`: the weighted sum of the rows of `rows` ([m, ...shape]), shaped like
 * one row; `weights` has m entries ([m] or [1, m]). See {@link rowCombinations} for why this is not a plain product.
 *
 * @example
 * ```ts
 * weightedRowSum([1, 2], tf.tensor3d([[[1]], [[3]]])); // [[7]], shape [1, 1]
 * ```
 */
export function weightedRowSum(
  weights: ArrayLike<number> | tf.Tensor1D | tf.Tensor2D,
  rows: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const m = rows.shape[0];
    const coefficients = isTensor(weights)
      ? reshaped(weights, [1, m])
      : tf.tensor2d(Array.from(weights), [1, m]);
    return combinations(coefficients as tf.Tensor2D, rows, rows.shape.slice(1));
  });
}

/**
 * `coefficients · matrices[b]` for each matrix of a batch ([k, m] · [B, m, n] → [B, k, n]): the
 * same k combinations of the rows of every matrix, as `tf.matMul(coefficients, matrices)` with the
 * coefficients broadcast. On wasm, the loops of {@link rowCombinations} read the batch in place
 * (for up to 256 combinations); a product would first pack each matrix.
 *
 * @example
 * ```ts
 * const perTask = tf.tensor3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]); // [2, 2, 2]
 * blockRowCombinations(tf.tensor2d([[1, 1]]), perTask); // [[[4, 6]], [[12, 14]]]
 * ```
 */
export function blockRowCombinations(
  coefficients: tf.Tensor2D,
  matrices: tf.Tensor3D,
): tf.Tensor3D {
  const [blocks, m, n] = matrices.shape;
  const k = coefficients.shape[0];
  if (coefficients.shape[1] === m) {
    const looped = viaCombinationLoop(
      coefficients,
      matrices,
      { outShape: [blocks, k, n], blocks },
      LOOP_MAX_ROWS.blockCombinations,
    );
    if (looped !== undefined) return looped as tf.Tensor3D;
  }
  // No matrices, or matrices without rows (see combinations): nothing to sum.
  if (blocks === 0 || m === 0) return tf.zeros([blocks, k, n]);
  if (tf.getBackend() !== 'wasm') return tf.matMul(coefficients, matrices);
  // One product per matrix: tfjs-wasm runs a batched product through a scalar loop, several times
  // slower than its 2-D products.
  return tf.tidy(() =>
    tf.stack(tf.unstack(matrices).map((matrix) => tf.matMul(coefficients, matrix))),
  ) as tf.Tensor3D;
}

/**
 * The sums of `t` (rank ≥ 1) over every axis but the last ([..., k] → [k]), as `tf.sum` over the
 * leading axes: the gradient of a bias from that of the output it is added to. On wasm, the
 * combination loop with unit weights reads `t` in place, where tfjs's sum over leading axes
 * transposes `t` first.
 *
 * @example
 * ```ts
 * lastAxisSums(tf.tensor2d([[1, 2], [3, 4], [5, 6]])); // [9, 12]
 * ```
 */
export function lastAxisSums(t: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const k = t.shape[t.rank - 1];
    const rows = k === 0 ? 0 : t.size / k;
    const looped = viaCombinationLoop(
      tf.ones([1, rows]),
      t,
      { outShape: [k] },
      LOOP_MAX_ROWS.combinations,
    );
    return (looped ?? tf.sum(reshaped(t, [rows, k]), 0)) as tf.Tensor1D;
  });
}

/**
 * The combinations kernel's result where its loops run (wasm, float32, at most `maxCombinations`
 * combinations, no empty operand), else undefined.
 */
function viaCombinationLoop(
  coefficients: tf.Tensor2D,
  matrix: tf.Tensor,
  attrs: { outShape: number[]; blocks?: number },
  maxCombinations: number,
): tf.Tensor | undefined {
  if (
    coefficients.shape[0] > maxCombinations ||
    coefficients.size === 0 ||
    matrix.size === 0 ||
    !float32(coefficients, matrix) ||
    !wasmRowProductsReady()
  ) {
    return undefined;
  }
  return tf
    .engine()
    .runKernel(
      ROW_COMBINATIONS,
      { coefficients, matrix },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
}

/** `coefficients · rows` with `rows` read as [m, rest], shaped `outShape`. */
function combinations(coefficients: tf.Tensor2D, rows: tf.Tensor, outShape: number[]): tf.Tensor {
  const m = coefficients.shape[1];
  // The kernel reads `rows` flat: no reshape kernels around it.
  const looped = viaCombinationLoop(coefficients, rows, { outShape }, LOOP_MAX_ROWS.combinations);
  if (looped !== undefined) return looped;
  // tfjs-wasm leaves a product over an empty inner dimension uninitialized: the sum of no rows.
  if (m === 0) return tf.zeros(outShape);
  return tf.tidy(() => reshaped(tf.matMul(coefficients, asRows(rows, m)), outShape));
}

/**
 * `A · Bᵀ` of `a` and `b` read as [m, n] matrices (`m` rows, `a.shape[0]` by default; any shapes
 * of m × n entries), [m, m]: the Gramian `A Aᵀ` of the rows of `a` when `b` is omitted (or is
 * `a`), else their cross products. Same values as `tf.matMul(a, b, false, true)` of the reshaped
 * operands; on wasm, a SIMD loop over both in place (see {@link rowCombinations}), half of it for
 * `A Aᵀ`.
 *
 * @example
 * ```ts
 * rowGramian(tf.tensor2d([[1, 2], [3, 4]])); // [[5, 11], [11, 25]]
 * rowGramian(tf.tensor1d([1, 2, 3, 4]), undefined, 2); // the same
 * ```
 */
export function rowGramian(a: tf.Tensor, b: tf.Tensor = a, m: number = a.shape[0]): tf.Tensor2D {
  if (
    m <= LOOP_MAX_ROWS.gramian &&
    a.size > 0 &&
    a.size === b.size &&
    a.size % m === 0 &&
    float32(a, b) &&
    wasmRowProductsReady()
  ) {
    return tf.engine().runKernel(ROW_GRAMIAN, { a, b }, { rows: m }) as tf.Tensor2D;
  }
  if (a.size === 0) return tf.zeros([m, m]); // see combinations: no columns, no products
  return tf.tidy(() => {
    const flatA = asRows(a, m);
    return tf.matMul(flatA, b === a ? flatA : asRows(b, m), false, true);
  });
}

/** `t` read as a matrix of `m` rows (of `t.shape[1..]` flattened when there are no rows). */
function asRows(t: tf.Tensor, m: number): tf.Tensor2D {
  const columns = m > 0 ? t.size / m : tf.util.sizeFromShape(t.shape.slice(1));
  return reshaped(t, [m, columns]) as tf.Tensor2D;
}

function float32(...tensors: tf.Tensor[]): boolean {
  return tensors.every((t) => t.dtype === 'float32');
}
