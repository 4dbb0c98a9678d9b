/**
 * Closed-form Gramian contributions of single layers, from the layer's inputs and the gradients of
 * its outputs, without ever forming one gradient per instance where the structure allows it.
 *
 * Every rule takes "rows": row r is one objective (one instance, or one (instance, task) pair), and
 * returns the [m, m] matrix whose entry (r, s) is the inner product of the gradients of objectives
 * r and s with respect to the layer's weight. Summing the rules of every weight gives JJᵀ.
 */
import * as tf from '@tensorflow/tfjs';
import { transposed } from '../tensor_shapes';
import { blockRowCombinations, rowGramian } from '../tensor_products';

/**
 * Gramian contribution of the kernel of a dense layer `y = a·W` (or `a·Wᵀ`): the gradient of row r
 * is the outer product `a_rᵀ δ_r`, so `⟨a_rᵀδ_r, a_sᵀδ_s⟩ = (a_r·a_s)(δ_r·δ_s)` and the whole block is
 * `(AAᵀ) ∘ (ΔΔᵀ)`, costing m²(d + k) instead of m·d·k per-instance gradients.
 *
 * @param inputs `A`, [m, d]: the layer input of each row's instance.
 * @param outputGrads `Δ`, [m, k]: the gradient of each row's objective with respect to the layer's
 *   pre-activation output.
 * @param withBias Also count a bias added to that output (rank-2 outputs): `(AAᵀ + 11ᵀ) ∘ (ΔΔᵀ)`.
 * @example
 * ```ts
 * const G = denseKernelGramian(tf.tensor2d([[1, 0]]), tf.tensor2d([[2]])); // [[4]]
 * ```
 */
export function denseKernelGramian(
  inputs: tf.Tensor2D,
  outputGrads: tf.Tensor2D,
  withBias = false,
): tf.Tensor2D {
  return tf.tidy(() => {
    const kernel = rowGramian(inputs);
    // A bias added to the output is a column of ones in A: its block `ΔΔᵀ` comes in as `+ 11ᵀ`.
    return tf.mul(withBias ? tf.add(kernel, 1) : kernel, rowGramian(outputGrads));
  });
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
  return rowGramian(rowGradients);
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
  return tf.tidy(() => rowGradientGramian(biasRows(outputGrads)));
}

/**
 * The per-row gradients of a bias added on the last axis, `[m, k]`: the output gradient summed
 * over every axis but the row axis and the last one. As each row's combination with unit weights
 * (`blockRowCombinations`, a loop on wasm) rather than a sum over the middle axes, which wasm
 * computes by transposing the whole tensor first, or a batched product, which it runs as a scalar
 * loop.
 *
 * @param outputGrads [m, ..., k]: gradient of each row's objective with respect to the sum.
 * @example
 * ```ts
 * biasRows(tf.tensor3d([[[1], [2]]])); // [[3]]
 * ```
 */
export function biasRows(outputGrads: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const [m, ...rest] = outputGrads.shape;
    const k = rest.length === 0 ? 1 : rest[rest.length - 1];
    const positions = outputGrads.size / (m * k);
    if (positions === 1) return tf.reshape(outputGrads, [m, k]) as tf.Tensor2D;
    const summed = blockRowCombinations(
      tf.ones([1, positions]),
      tf.reshape(outputGrads, [m, positions, k]) as tf.Tensor3D,
    );
    return tf.reshape(summed, [m, k]) as tf.Tensor2D;
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
    const products = tf.mul(sameRow, rowGramian(flatGrads));
    return tf.sum(tf.reshape(products, [m, length, m, length]), [1, 3]) as tf.Tensor2D;
  });
}

/** The convolution attributes as the tfjs kernels take them. */
function convAttrs(attrs: Record<string, unknown>) {
  return {
    strides: (attrs.strides ?? 1) as [number, number] | number,
    pad: (attrs.pad ?? 'valid') as 'valid' | 'same' | number,
    dataFormat: (attrs.dataFormat ?? 'NHWC') as 'NHWC' | 'NCHW',
    dilations: (attrs.dilations ?? 1) as [number, number] | number,
    dimRoundingMode: attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  };
}

function dilated(dilations: [number, number] | number): boolean {
  return (Array.isArray(dilations) ? dilations : [dilations]).some((d) => d !== 1);
}

/** NCHW → NHWC (the depthwise kernels only take channels last). */
function channelsLast(t: tf.Tensor4D, dataFormat: 'NHWC' | 'NCHW'): tf.Tensor4D {
  return dataFormat === 'NCHW' ? tf.transpose(t, [0, 2, 3, 1]) : t;
}

/** Most elements the per-instance form lets its widened output gradient hold at once. */
const WIDENED_LIMIT = 1 << 22;

/**
 * Per-instance gradients of a 2-D convolution kernel, flattened to rows: feed the result to
 * {@link rowGradientGramian}. Row r is `Σ_positions patch(x_r) ⊗ δ_r`, the kernel gradient of
 * instance r alone. All rows come from one depthwise filter-gradient kernel: the R instances
 * become R·C input channels and each row's output gradient is repeated over its instance's C
 * channels, so channel (r, c) meets only instance r's gradient (no per-instance backward pass;
 * rows go in groups when that repeated gradient would be large). Dilated convolutions (and a
 * backend without that kernel) take one batch-of-one pass per instance.
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
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = convAttrs(attrs);
  const depthwise = tf.getKernel('DepthwiseConv2dNativeBackpropFilter', tf.getBackend());
  if (dilated(dilations) || depthwise === undefined) {
    return rowByRow(inputs, outputGrads, filter, attrs);
  }
  return tf.tidy(() => {
    const x = channelsLast(inputs, dataFormat);
    const dy = channelsLast(outputGrads, dataFormat);
    const [m, H, W, C] = x.shape;
    const [, Ho, Wo, F] = dy.shape;
    const [kh, kw] = filter.shape;
    const group = Math.max(1, Math.min(m, Math.floor(WIDENED_LIMIT / (Ho * Wo * C * F))));
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < m; start += group) {
      const r = Math.min(group, m - start);
      const xs = tf.slice(x, [start, 0, 0, 0], [r, -1, -1, -1]);
      const ds = tf.slice(dy, [start, 0, 0, 0], [r, -1, -1, -1]);
      const wideX = tf.reshape(transposed(xs, [1, 2, 0, 3]), [1, H, W, r * C]);
      const perChannel = tf.reshape(transposed(ds, [1, 2, 0, 3]), [Ho, Wo, r, 1, F]);
      const wideDy = tf.reshape(tf.mul(perChannel, tf.ones([1, 1, 1, C, 1])), [
        1,
        Ho,
        Wo,
        r * C * F,
      ]);
      const grad = tf
        .engine()
        .runKernel('DepthwiseConv2dNativeBackpropFilter', { x: wideX, dy: wideDy }, {
          strides,
          pad,
          dilations: 1,
          dimRoundingMode,
          filterShape: [kh, kw, r * C, F],
        } as never) as tf.Tensor;
      const perInstance = transposed(tf.reshape(grad, [kh, kw, r, C, F]), [2, 0, 1, 3, 4]);
      parts.push(tf.reshape(perInstance, [r, kh * kw * C * F]));
    }
    return (parts.length === 1 ? parts[0] : tf.concat(parts)) as tf.Tensor2D;
  });
}

/** Per-instance kernel gradients one batch-of-one pass at a time (dilated convolutions). */
function rowByRow(
  inputs: tf.Tensor4D,
  outputGrads: tf.Tensor4D,
  filter: tf.Tensor4D,
  attrs: Record<string, unknown>,
): tf.Tensor2D {
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = convAttrs(attrs);
  return tf.tidy(() => {
    const rows: tf.Tensor[] = [];
    for (let r = 0; r < inputs.shape[0]; r++) {
      const x = tf.slice(inputs, [r, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      const dy = tf.slice(outputGrads, [r, 0, 0, 0], [1, -1, -1, -1]);
      const kernelGrad = tf.grad((f: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.conv2d(x, f as tf.Tensor4D, strides, pad, dataFormat, dilations, dimRoundingMode),
            dy,
          ),
        ),
      )(filter);
      rows.push(tf.reshape(kernelGrad, [-1]));
    }
    return tf.stack(rows) as tf.Tensor2D;
  });
}

/**
 * The kernel gradient of a 2-D convolution for each of m objectives that share one batch, flattened
 * to rows (the task Gramian's case: row i is `Aᵀ Δᵢ`, A the im2col matrix of the whole batch): one
 * filter-gradient kernel for all of them, the m objectives' output gradients taken as m·F output
 * channels (the gradient is separable per output channel). Feed the result to
 * {@link rowGradientGramian}.
 *
 * @param inputs [N, H, W, C] (or NCHW per `attrs.dataFormat`): the convolution input.
 * @param outputGrads [m, ...output.shape]: objective i's gradient with respect to the output.
 * @param filterShape [kh, kw, C, F].
 * @param attrs the recorded `Conv2D` attributes (dilation 1, as tfjs's own gradient requires).
 * @example
 * ```ts
 * const rows = conv2dKernelTaskRows(x, deltas, [3, 3, 1, 8], { strides: 1, pad: 'same' });
 * const G = rowGradientGramian(rows); // [m, m]
 * ```
 */
export function conv2dKernelTaskRows(
  inputs: tf.Tensor4D,
  outputGrads: tf.Tensor,
  filterShape: [number, number, number, number],
  attrs: Record<string, unknown>,
): tf.Tensor2D {
  const { strides, pad, dataFormat, dimRoundingMode } = convAttrs(attrs);
  const [kh, kw, c, f] = filterShape;
  return tf.tidy(() => {
    const [m, n, ...rest] = outputGrads.shape;
    const wide =
      dataFormat === 'NCHW'
        ? tf.reshape(transposed(outputGrads, [1, 0, 2, 3, 4]), [n, m * f, rest[1], rest[2]])
        : tf.reshape(transposed(outputGrads, [1, 2, 3, 0, 4]), [n, rest[0], rest[1], m * f]);
    const grad = tf.engine().runKernel('Conv2DBackpropFilter', { x: inputs, dy: wide }, {
      strides,
      pad,
      dataFormat,
      dimRoundingMode,
      filterShape: [kh, kw, c, m * f],
    } as never) as tf.Tensor;
    const perTask = transposed(tf.reshape(grad, [kh, kw, c, m, f]), [3, 0, 1, 2, 4]);
    return tf.reshape(perTask, [m, kh * kw * c * f]) as tf.Tensor2D;
  });
}
