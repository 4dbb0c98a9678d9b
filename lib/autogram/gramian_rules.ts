/**
 * Closed-form Gramian contributions of single layers, from the layer's inputs and the gradients of
 * its outputs, without ever forming one gradient per instance where the structure allows it.
 *
 * Every rule takes "rows": row r is one objective (one instance, or one (instance, task) pair), and
 * returns the [m, m] matrix whose entry (r, s) is the inner product of the gradients of objectives
 * r and s with respect to the layer's weight. Summing the rules of every weight gives JJᵀ.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Gramian contribution of the kernel of a dense layer `y = a·W` (or `a·Wᵀ`): the gradient of row r
 * is the outer product `a_rᵀ δ_r`, so `⟨a_rᵀδ_r, a_sᵀδ_s⟩ = (a_r·a_s)(δ_r·δ_s)` and the whole block is
 * `(AAᵀ) ∘ (ΔΔᵀ)`, costing m²(d + k) instead of m·d·k per-instance gradients.
 *
 * @param inputs `A`, [m, d]: the layer input of each row's instance.
 * @param outputGrads `Δ`, [m, k]: the gradient of each row's objective with respect to the layer's
 *   pre-activation output.
 * @example
 * ```ts
 * const G = denseKernelGramian(tf.tensor2d([[1, 0]]), tf.tensor2d([[2]])); // [[4]]
 * ```
 */
export function denseKernelGramian(inputs: tf.Tensor2D, outputGrads: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() =>
    tf.mul(
      tf.matMul(inputs, inputs, false, true),
      tf.matMul(outputGrads, outputGrads, false, true),
    ),
  );
}

/**
 * Gramian of explicit per-row gradients: `RRᵀ` after flattening each row. Used for biases (whose
 * per-row gradient is the output gradient summed over the non-batch, non-channel dimensions), for
 * convolution kernels (per-instance gradients formed one instance at a time) and for the exact
 * fallback.
 *
 * @param rowGradients [m, ...]: the gradient of objective r with respect to the weight, in row r.
 * @example
 * ```ts
 * const G = rowGradientGramian(tf.tensor2d([[1, 2], [3, 4]])); // [[5, 11], [11, 25]]
 * ```
 */
export function rowGradientGramian(rowGradients: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const flat = tf.reshape(rowGradients, [rowGradients.shape[0], -1]) as tf.Tensor2D;
    return tf.matMul(flat, flat, false, true);
  });
}

/**
 * Gramian contribution of a bias added on the last axis: the per-row gradient is the output gradient
 * summed over every axis but the row axis and the last one.
 *
 * @param outputGrads [m, ..., k]: gradient of each row's objective with respect to the sum.
 * @example
 * ```ts
 * const G = biasGramian(tf.tensor3d([[[1], [2]]])); // per-row gradient [3] → [[9]]
 * ```
 */
export function biasGramian(outputGrads: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const rank = outputGrads.rank;
    const middle = Array.from({ length: Math.max(rank - 2, 0) }, (_, i) => i + 1);
    const summed = middle.length > 0 ? tf.sum(outputGrads, middle) : outputGrads;
    return rowGradientGramian(summed);
  });
}

/**
 * Gramian contribution of an embedding table looked up as `out[r, p] = table[idx[r, p]]`: the
 * gradient of row r scatters `δ_{r,p}` into row `idx[r, p]` of the table, so
 * `G_rs = Σ_{p,q} [idx_rp = idx_sq] (δ_rp · δ_sq)`.
 *
 * Two exact forms, the cheaper one picked by size unless `form` says: `'pairs'` compares every pair
 * of lookups ((mL)² entries, good for a large vocabulary), `'scatter'` sums each row's lookups per
 * table row first (m·V·k entries, good for long sequences over a small vocabulary).
 *
 * @param indices [m, L] int32: the looked-up indices of each row's instance.
 * @param outputGrads [m, L, k]: gradient of each row's objective with respect to the looked-up
 *   vectors.
 * @param vocabulary the number of table rows V.
 * @example
 * ```ts
 * const G = embeddingGramian(tf.tensor2d([[0, 0]], [1, 2], 'int32'), tf.ones([1, 2, 1]), 3);
 * // both lookups hit row 0: gradient 2 → [[4]]
 * ```
 */
export function embeddingGramian(
  indices: tf.Tensor2D,
  outputGrads: tf.Tensor3D,
  vocabulary: number,
  form?: 'pairs' | 'scatter',
): tf.Tensor2D {
  const [m, length] = indices.shape;
  const k = outputGrads.shape[2];
  const chosen = form ?? ((m * length) ** 2 <= m * vocabulary * k ? 'pairs' : 'scatter');
  return tf.tidy(() => {
    if (chosen === 'scatter') {
      const oneHot = tf
        .oneHot(indices, Math.max(vocabulary, 2))
        .slice([0, 0, 0], [m, length, vocabulary]);
      const perRow = tf.matMul(tf.cast(oneHot, 'float32'), outputGrads, true, false);
      return rowGradientGramian(perRow);
    }
    const flatIndices = tf.reshape(indices, [m * length]);
    const sameRow = tf.cast(
      tf.equal(tf.reshape(flatIndices, [-1, 1]), tf.reshape(flatIndices, [1, -1])),
      'float32',
    );
    const flatGrads = tf.reshape(outputGrads, [m * length, k]) as tf.Tensor2D;
    const products = tf.mul(sameRow, tf.matMul(flatGrads, flatGrads, false, true));
    return tf.sum(tf.reshape(products, [m, length, m, length]), [1, 3]) as tf.Tensor2D;
  });
}

/**
 * Per-instance gradients of a 2-D convolution kernel, one instance at a time (each costs a
 * batch-of-one kernel-gradient pass, so all of them together cost one batched pass), flattened to
 * rows: feed the result to {@link rowGradientGramian}.
 *
 * @param inputs [m, H, W, C] (or NCHW per `attrs.dataFormat`): the convolution input of each row.
 * @param outputGrads the gradient of each row's objective with respect to the convolution output.
 * @param filter the kernel, [kh, kw, C, F].
 * @param attrs the recorded `Conv2D` attributes.
 * @example
 * ```ts
 * const rows = conv2dKernelRowGradients(x, dy, filter, { strides: 1, pad: 'valid' });
 * ```
 */
export function conv2dKernelRowGradients(
  inputs: tf.Tensor4D,
  outputGrads: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: Record<string, unknown>,
): tf.Tensor2D {
  const strides = (attrs.strides ?? 1) as [number, number] | number;
  const pad = (attrs.pad ?? 'valid') as 'valid' | 'same' | number;
  const dataFormat = (attrs.dataFormat ?? 'NHWC') as 'NHWC' | 'NCHW';
  const dilations = (attrs.dilations ?? 1) as [number, number] | number;
  const rounding = attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined;
  return tf.tidy(() => {
    const m = inputs.shape[0];
    const rows: tf.Tensor[] = [];
    for (let r = 0; r < m; r++) {
      const x = tf.slice(inputs, [r, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      const dy = tf.slice(outputGrads, [r, 0, 0, 0], [1, -1, -1, -1]);
      const kernelGrad = tf.grad((f: tf.Tensor) =>
        tf.sum(
          tf.mul(tf.conv2d(x, f as tf.Tensor4D, strides, pad, dataFormat, dilations, rounding), dy),
        ),
      )(filter);
      rows.push(tf.reshape(kernelGrad, [-1]));
    }
    return tf.stack(rows) as tf.Tensor2D;
  });
}
