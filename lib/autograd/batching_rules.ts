/**
 * Batching rules: for a recorded kernel, the gradients of its inputs for k output gradients at once,
 * stacked along a new leading axis (`dy` of shape `[k, ...output.shape]` gives `[k, ...input.shape]`).
 * This is what PyTorch's vmap does to TorchJD's backward passes; tfjs has no vmap, so each kernel
 * that matters gets its rule here, written from the kernel's own gradient (tfjs-core's
 * `gradients/*_grad.js`) with the extra axis carried through. A kernel without a rule (or in a
 * configuration a rule does not cover) is handled by the caller, one row at a time, through the
 * kernel's own gradient function: always exact.
 *
 * This file holds the rules of the kernels of plain MLPs (matmuls, broadcasting arithmetic,
 * elementwise functions, reshapes, reductions, 2-D pooling, softmax) and the table of all of
 * them; `batching_rules/` holds the others, one family per file (convolutions, the softmax custom
 * ops, indexing, selections, normalizations, resizes, 3-D pooling) and the helpers they share.
 */
import * as tf from '@tensorflow/tfjs';
import type { TapeNode } from './tfjs_internals';
import { reshaped } from '../tensor_shapes';
import {
  axesOf,
  expandTo,
  hasKernels,
  only,
  repeatBatch,
  runKernel,
  savedInput,
  savedOutput,
  transpose,
  unbroadcast,
  unreduce,
  type BatchingRule,
} from './batching_rules/common';
import { CONVOLUTION_RULES } from './batching_rules/convolution';
import { SOFTMAX_OP_RULES } from './batching_rules/softmax';
import { INDEXING_RULES } from './batching_rules/indexing';
import { SELECTION_RULES } from './batching_rules/selection';
import { NORMALIZATION_RULES } from './batching_rules/normalization';
import { RESIZE_RULES } from './batching_rules/resize';
import { POOLING_3D_RULES } from './batching_rules/pooling_3d';

export { savedInput, unbroadcast, type BatchingRule } from './batching_rules/common';

/** Rules for kernels whose gradient only moves or reshapes `dy`. */
const structural: Record<string, BatchingRule> = {
  Reshape: (node, dys, _names, k) => {
    const dy = only(node, dys);
    return dy && { x: reshaped(dy, [k, ...node.inputs.x.shape]) };
  },
  // tfjs passes dy through a cast unchanged, whatever the dtypes (an int index cast to float).
  Cast: (node, dys) => {
    const dy = only(node, dys);
    return dy && { x: dy.clone() };
  },
  Identity: (node, dys) => {
    const dy = only(node, dys);
    return dy && { x: dy.clone() };
  },
  Neg: (node, dys) => {
    const dy = only(node, dys);
    return dy && { x: tf.neg(dy) };
  },
  Transpose: (node, dys) => {
    const dy = only(node, dys);
    const perm = node.attrs?.perm as number[] | undefined;
    if (dy === undefined || perm === undefined) return undefined;
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return { x: transpose(dy, [0, ...inverse.map((p) => p + 1)]) };
  },
  Concat: (node, dys, names) => {
    const dy = only(node, dys);
    if (dy === undefined) return undefined;
    const keys = Object.keys(node.inputs);
    const shapes = keys.map((key) => node.inputs[key].shape);
    const axis = axesOf(node.attrs?.axis ?? 0, shapes[0].length)[0];
    const parts = tf.split(
      dy,
      shapes.map((s) => s[axis]),
      axis + 1,
    );
    const out: Record<string, tf.Tensor> = {};
    keys.forEach((key, i) => {
      if (names.includes(key)) out[key] = parts[i];
    });
    return out;
  },
  Pack: (node, dys, names) => {
    const dy = only(node, dys);
    if (dy === undefined) return undefined;
    const keys = Object.keys(node.inputs);
    const axis = axesOf(node.attrs?.axis ?? 0, node.inputs[keys[0]].rank + 1)[0];
    const parts = tf.unstack(dy, axis + 1);
    const out: Record<string, tf.Tensor> = {};
    keys.forEach((key, i) => {
      if (names.includes(key)) out[key] = parts[i];
    });
    return out;
  },
  Slice: (node, dys) => {
    const dy = only(node, dys);
    const x = node.inputs.x;
    if (dy === undefined || node.attrs === undefined) return undefined;
    const [begin, size] = tf.slice_util.parseSliceParams(
      x,
      node.attrs.begin as number[],
      node.attrs.size as number[],
    );
    const paddings: [number, number][] = [[0, 0]];
    x.shape.forEach((s, i) => paddings.push([begin[i], s - begin[i] - size[i]]));
    return { x: tf.pad(dy, paddings) };
  },
  Sum: (node, dys) => {
    const dy = only(node, dys);
    const x = node.inputs.x;
    if (dy === undefined) return undefined;
    const axes = axesOf(node.attrs?.axis, x.rank);
    return { x: expandTo(unreduce(dy, x.shape, axes), x.shape) };
  },
  Mean: (node, dys) => {
    const dy = only(node, dys);
    const x = node.inputs.x;
    if (dy === undefined) return undefined;
    const axes = axesOf(node.attrs?.axis, x.rank);
    const count = axes.reduce((n, a) => n * x.shape[a], 1);
    // Divided before it is spread (tfjs divides after multiplying by ones: the same values).
    return { x: expandTo(tf.div(unreduce(dy, x.shape, axes), count), x.shape) };
  },
  AddN: (node, dys, names) => {
    const dy = only(node, dys);
    if (dy === undefined) return undefined;
    return Object.fromEntries(names.map((name) => [name, dy.clone()]));
  },
};

/**
 * Unary elementwise kernels: the gradient is `dy ∘ f'(x)`, so the kernel's own gradient applied to
 * ones gives `f'(x)` once, and every row is multiplied by it (broadcast over the leading axis).
 */
const ELEMENTWISE_UNARY = [
  'Relu6',
  'LeakyRelu',
  'Elu',
  'Selu',
  'Sigmoid',
  'Tanh',
  'Exp',
  'Log',
  'Log1p',
  'Square',
  'Sqrt',
  'Rsqrt',
  'Abs',
  'ClipByValue',
  'Softplus',
  'Sin',
  'Cos',
  'Reciprocal',
  'Erf',
  'Tan',
  'Sinh',
  'Cosh',
  'Asin',
  'Acos',
  'Atan',
  'Asinh',
  'Acosh',
  'Atanh',
  'Expm1',
];

const elementwiseUnary: BatchingRule = (node, dys) => {
  const dy = only(node, dys);
  const x = node.inputs.x;
  if (dy === undefined || x === undefined || node.gradient === undefined) return undefined;
  if (!tf.util.arraysEqual(x.shape, node.outputs[0].shape) || x.dtype !== 'float32') {
    return undefined;
  }
  const thunk = node.gradient([tf.ones(node.outputs[0].shape)]).x;
  if (typeof thunk !== 'function') return undefined;
  return { x: tf.mul(dy, thunk()) };
};

/** Binary kernels with broadcasting. */
const binary: Record<string, BatchingRule> = {
  Add: (node, dys, names) => {
    const dy = only(node, dys);
    if (dy === undefined) return undefined;
    return Object.fromEntries(names.map((n) => [n, unbroadcast(dy, node.inputs[n].shape)]));
  },
  Sub: (node, dys, names) => {
    const dy = only(node, dys);
    if (dy === undefined) return undefined;
    return Object.fromEntries(
      names.map((n) => [n, unbroadcast(n === 'b' ? tf.neg(dy) : dy, node.inputs[n].shape)]),
    );
  },
  Multiply: (node, dys, names) => {
    const dy = only(node, dys);
    const a = savedInput(node, 'a');
    const b = savedInput(node, 'b');
    if (dy === undefined || a === undefined || b === undefined) return undefined;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
    const out: Record<string, tf.Tensor> = {};
    if (names.includes('a')) out.a = unbroadcast(tf.mul(dy, b), a.shape);
    if (names.includes('b')) out.b = unbroadcast(tf.mul(dy, a), b.shape);
    return out;
  },
  RealDiv: (node, dys, names) => {
    const dy = only(node, dys);
    const a = savedInput(node, 'a');
    const b = savedInput(node, 'b');
    if (dy === undefined || a === undefined || b === undefined) return undefined;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
    const out: Record<string, tf.Tensor> = {};
    if (names.includes('a')) out.a = unbroadcast(tf.div(dy, b), a.shape);
    if (names.includes('b')) {
      out.b = unbroadcast(tf.neg(tf.mul(dy, tf.div(a, tf.square(b)))), b.shape);
    }
    return out;
  },
  SquaredDifference: (node, dys, names) => {
    const dy = only(node, dys);
    const a = savedInput(node, 'a');
    const b = savedInput(node, 'b');
    if (dy === undefined || a === undefined || b === undefined) return undefined;
    const twice = tf.mul(tf.scalar(2), tf.sub(a, b));
    const out: Record<string, tf.Tensor> = {};
    if (names.includes('a')) out.a = unbroadcast(tf.mul(dy, twice), a.shape);
    if (names.includes('b')) out.b = unbroadcast(tf.mul(dy, tf.neg(twice)), b.shape);
    return out;
  },
};

/**
 * `BatchMatMul`: tfjs's formulas, with `dy`'s leading axis folded into the rows where the operand
 * allows it and broadcast otherwise.
 */
const batchMatMul: BatchingRule = (node, dys, names, k) => {
  const dy = only(node, dys);
  const a = savedInput(node, 'a');
  const b = savedInput(node, 'b');
  if (dy === undefined || a === undefined || b === undefined) return undefined;
  const tA = node.attrs?.transposeA === true;
  const tB = node.attrs?.transposeB === true;
  if (tf.util.arraysEqual(a.shape.slice(0, -2), b.shape.slice(0, -2))) {
    return matMulGradients(a, b, dy, tA, tB, names, ['a', 'b'], k);
  }
  // Broadcast batch dimensions: tfjs's gradient of the broadcast operand is not summed back to its
  // shape (a single pass fails on it, and so does the fallback); the other's is a broadcasting
  // product, which the k rows join as one more batch axis.
  const batch = node.outputs[0].shape.slice(0, -2);
  const full = names.filter((name) =>
    tf.util.arraysEqual(node.inputs[name].shape.slice(0, -2), batch),
  );
  if (full.length !== names.length) return undefined;
  const out: Record<string, tf.Tensor> = {};
  if (names.includes('a')) {
    out.a = tA ? tf.matMul(b, dy, tB, true) : tf.matMul(dy, b, false, !tB);
  }
  if (names.includes('b')) {
    out.b = tB ? tf.matMul(dy, a, true, tA) : tf.matMul(a, dy, !tA, false);
  }
  return out;
};

/**
 * The gradients of `op(a)·op(b)` for batched `dy`, under the input names `keys`. With matrix
 * operands every product is one 2-D matmul over all k rows (on wasm a broadcast batched matmul is
 * several times slower than the flat product plus a transpose).
 */
function matMulGradients(
  a: tf.Tensor,
  b: tf.Tensor,
  dy: tf.Tensor,
  tA: boolean,
  tB: boolean,
  names: string[],
  keys: [string, string],
  k: number,
): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  const [M, N] = dy.shape.slice(-2);
  const flat = a.rank === 2 && b.rank === 2;
  if (names.includes(keys[0])) {
    if (flat) {
      // dA = dy·op(b)ᵀ, all k·M rows in one product; a = Aᵀ when transposed.
      const dA = tf.matMul(tf.reshape(dy, [k * M, N]), b, false, !tB);
      const K = dA.shape[1] as number;
      out[keys[0]] = tA
        ? tf.transpose(tf.reshape(dA, [k, M, K]), [0, 2, 1])
        : tf.reshape(dA, [k, ...a.shape]);
    } else {
      const grad = tA ? tf.matMul(b, dy, tB, true) : tf.matMul(dy, b, false, !tB);
      out[keys[0]] = reshaped(grad, [k, ...a.shape]);
    }
  }
  if (names.includes(keys[1])) {
    if (flat && tB) {
      // db = dyᵀ·op(a) per row: all k·N rows in one product.
      const columns = tf.reshape(tf.transpose(dy, [0, 2, 1]), [k * N, M]);
      out[keys[1]] = tf.reshape(tf.matMul(columns, a, false, tA), [k, ...b.shape]);
    } else if (flat) {
      // dB = op(a)ᵀ·dy per row: the k rows side by side as k·N columns.
      const side = tf.reshape(tf.transpose(dy, [1, 0, 2]), [M, k * N]);
      const dB = tf.matMul(a, side, !tA, false);
      out[keys[1]] = tf.transpose(tf.reshape(dB, [dB.shape[0], k, N]), [1, 0, 2]);
    } else {
      const grad = tB ? tf.matMul(dy, a, true, tA) : tf.matMul(a, dy, !tA, false);
      out[keys[1]] = reshaped(grad, [k, ...b.shape]);
    }
  }
  return out;
}

/**
 * The custom kernel `tf.fused.matMul` records (layers' linear `Dense`): inputs '0' and '1' are the
 * 3-D operands, '2' the optional bias. The recorded node carries no attributes: the transposes come
 * from the shapes (see `fusedTransposes`); if even the saved output cannot tell, the caller's
 * fallback runs.
 */
const fusedMatMul: BatchingRule = (node, dys, names, k) => {
  const dy = only(node, dys);
  const a = savedInput(node, '0');
  const b = savedInput(node, '1');
  if (dy === undefined || a === undefined || b === undefined || a.rank !== 3 || b.rank !== 3) {
    return undefined;
  }
  const outShape = node.outputs[0].shape;
  const [M, N] = outShape.slice(-2);
  if (a.shape[0] !== b.shape[0]) return undefined;
  const flags = fusedTransposes(node, a, b, M, N);
  if (flags === undefined) return undefined;
  const [tA, tB] = flags;
  const dy3 = tf.reshape(dy, [k, a.shape[0], M, N]);
  const out: Record<string, tf.Tensor> = {};
  const operands = names.filter((n) => n !== '2');
  if (operands.length > 0) {
    // Layers multiply one matrix pair (a batch of one): the flat products apply.
    const single = a.shape[0] === 1;
    const grads = single
      ? matMulGradients(
          tf.reshape(a, a.shape.slice(1)),
          tf.reshape(b, b.shape.slice(1)),
          tf.reshape(dy3, [k, M, N]),
          tA,
          tB,
          operands,
          ['0', '1'],
          k,
        )
      : matMulGradients(a, b, dy3, tA, tB, operands, ['0', '1'], k);
    for (const name of operands) {
      out[name] = tf.reshape(grads[name], [k, ...node.inputs[name].shape]);
    }
  }
  if (names.includes('2')) out['2'] = unbroadcast(dy3, node.inputs['2'].shape);
  return out;
};

/** The transposes of each fused matmul node, once found. */
const fusedFlags = new WeakMap<TapeNode, [boolean, boolean] | null>();

/**
 * The `[transposeA, transposeB]` a recorded fused matmul ran with: the only pair its operand shapes
 * allow, or, when square operands allow several, the pair that reproduces its saved output.
 */
function fusedTransposes(
  node: TapeNode,
  a: tf.Tensor,
  b: tf.Tensor,
  M: number,
  N: number,
): [boolean, boolean] | undefined {
  const known = fusedFlags.get(node);
  if (known !== undefined) return known ?? undefined;
  const candidates = (
    [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as [boolean, boolean][]
  ).filter(([tA, tB]) => {
    const [aOuter, aInner] = tA ? [a.shape[2], a.shape[1]] : [a.shape[1], a.shape[2]];
    const [bInner, bOuter] = tB ? [b.shape[2], b.shape[1]] : [b.shape[1], b.shape[2]];
    return aOuter === M && bOuter === N && aInner === bInner;
  });
  let found: [boolean, boolean] | null = candidates.length === 1 ? candidates[0] : null;
  const saved = node.saved?.[2];
  if (candidates.length > 1 && saved !== undefined && !saved.isDisposed) {
    const matches = candidates.filter(([tA, tB]) =>
      tf.tidy(() => {
        // The saved output includes the bias, saved after it.
        const bias = node.saved?.[3];
        const product = tf.matMul(a, b, tA, tB);
        const value = bias === undefined ? product : tf.add(product, bias);
        const error = tf.max(tf.abs(tf.sub(value, saved))).dataSync()[0];
        const scale = tf.max(tf.abs(saved)).dataSync()[0];
        return error <= 1e-5 * Math.max(1, scale);
      }),
    );
    found = matches.length === 1 ? matches[0] : probeTransposes(node, a, b, matches);
  }
  fusedFlags.set(node, found);
  return found ?? undefined;
}

/**
 * The transposes among `candidates` (each reproducing the saved output, e.g. of a zero operand,
 * such as a recurrent layer's initial state) under which the node's own gradient, applied to one
 * fixed generic cotangent, gives the operand gradients of that candidate: the gradient maps are
 * linear, so candidates that agree there are interchangeable. Null if none agrees.
 */
function probeTransposes(
  node: TapeNode,
  a: tf.Tensor,
  b: tf.Tensor,
  candidates: [boolean, boolean][],
): [boolean, boolean] | null {
  if (node.gradient === undefined || candidates.length === 0) return null;
  const gradient = node.gradient;
  const index = tf.tidy(() => {
    const probe = tf.randomUniform(node.outputs[0].shape, -1, 1, 'float32', 7);
    const thunks = gradient([probe]);
    if (typeof thunks['0'] !== 'function' || typeof thunks['1'] !== 'function') return -1;
    const [da, db] = [thunks['0'](), thunks['1']()];
    const dy = tf.reshape(probe, [a.shape[0], ...node.outputs[0].shape.slice(-2)]);
    const close = (x: tf.Tensor, y: tf.Tensor) =>
      tf.util.arraysEqual(x.shape, y.shape) &&
      tf.max(tf.abs(tf.sub(x, y))).dataSync()[0] <=
        1e-5 * Math.max(1, tf.max(tf.abs(y)).dataSync()[0]);
    return candidates.findIndex(([tA, tB]) => {
      const expectedA = tA ? tf.matMul(b, dy, tB, true) : tf.matMul(dy, b, false, !tB);
      const expectedB = tB ? tf.matMul(dy, a, true, tA) : tf.matMul(a, dy, !tA, false);
      return close(expectedA, da) && close(expectedB, db);
    });
  });
  return index < 0 ? null : candidates[index];
}

const maxPool: BatchingRule = (node, dys, _names, k) => {
  const dy = only(node, dys);
  const x = savedInput(node, 'x');
  const y = savedOutput(node);
  if (dy === undefined || x === undefined || y === undefined || node.attrs === undefined) {
    return undefined;
  }
  if (!hasKernels('MaxPoolGrad')) return undefined;
  const { filterSize, strides, pad, dimRoundingMode } = node.attrs;
  const attrs = { filterSize, strides, pad, dimRoundingMode };
  const tiled = tiledPool(x.shape as [number, number, number, number], attrs);
  if (tiled !== undefined) {
    // Disjoint windows: the kernel's choice of each window's maximum, once (the gradient of
    // ones), then each row's dy copied over its window and kept there.
    const chosen = runKernel('MaxPoolGrad', { dy: tf.onesLike(y), input: x, output: y }, attrs);
    return { x: tf.mul(spreadOverWindows(dy, x.shape, tiled), chosen) };
  }
  const dx = runKernel(
    'MaxPoolGrad',
    {
      dy: tf.reshape(dy, [k * y.shape[0], ...y.shape.slice(1)]),
      input: repeatBatch(x, k),
      output: repeatBatch(y, k),
    },
    attrs,
  );
  return { x: tf.reshape(dx, [k, ...x.shape]) };
};

/**
 * The window size of a 2-D pooling whose windows tile the input from its top-left corner without
 * overlapping (strides equal to the window, no leading padding: `maxPooling2d`'s default), or
 * undefined.
 */
function tiledPool(
  shape: [number, number, number, number],
  attrs: Record<string, unknown>,
): [number, number] | undefined {
  try {
    const info = tf.backend_util.computePool2DInfo(
      shape,
      attrs.filterSize as [number, number],
      attrs.strides as [number, number],
      1,
      attrs.pad as 'valid',
      attrs.dimRoundingMode as 'floor',
    );
    const disjoint =
      info.strideHeight === info.filterHeight &&
      info.strideWidth === info.filterWidth &&
      info.padInfo.top === 0 &&
      info.padInfo.left === 0;
    return disjoint ? [info.filterHeight, info.filterWidth] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Batched `dy` (`[k, n, oh, ow, c]`) of a pooling over disjoint `[fh, fw]` windows, each value
 * copied over its window (a product with ones: exact), cropped or zero-padded to the input's
 * `[n, h, w, c]`.
 */
function spreadOverWindows(dy: tf.Tensor, shape: number[], [fh, fw]: [number, number]): tf.Tensor {
  const [k, n, oh, ow, c] = dy.shape;
  const [, h, w] = shape;
  const copies = tf.mul(tf.reshape(dy, [k * n * oh, 1, ow, 1, c]), tf.ones([1, fh, 1, fw, 1]));
  const spread = tf.reshape(copies, [k, n, oh * fh, ow * fw, c]);
  const cropped =
    oh * fh <= h && ow * fw <= w
      ? spread
      : tf.slice(spread, 0, [k, n, Math.min(h, oh * fh), Math.min(w, ow * fw), c]);
  const rows = h - cropped.shape[2]!;
  const columns = w - cropped.shape[3]!;
  return rows === 0 && columns === 0
    ? cropped
    : tf.pad(cropped, [
        [0, 0],
        [0, 0],
        [0, rows],
        [0, columns],
        [0, 0],
      ]);
}

const avgPool: BatchingRule = (node, dys, _names, k) => {
  const dy = only(node, dys);
  const x = node.inputs.x;
  if (dy === undefined || node.attrs === undefined || !hasKernels('AvgPoolGrad')) return undefined;
  const { filterSize, strides, pad, dimRoundingMode } = node.attrs;
  const outShape = node.outputs[0].shape;
  // AvgPoolGrad reads only the input's shape.
  const input = tf.zeros([k * x.shape[0], ...x.shape.slice(1)]);
  const dx = runKernel(
    'AvgPoolGrad',
    { dy: tf.reshape(dy, [k * outShape[0], ...outShape.slice(1)]), input },
    { filterSize, strides, pad, dimRoundingMode },
  );
  return { x: tf.reshape(dx, [k, ...x.shape]) };
};

const relu: BatchingRule = (node, dys) => {
  const dy = only(node, dys);
  const x = savedInput(node, 'x');
  if (dy === undefined || x === undefined) return undefined;
  return { x: tf.mul(dy, tf.cast(tf.step(x), 'float32')) };
};

const softmax: BatchingRule = (node, dys) => {
  const dy = only(node, dys);
  const y = savedOutput(node);
  if (dy === undefined || y === undefined) return undefined;
  const [dim] = axesOf(node.attrs?.dim ?? -1, y.rank);
  const dyTimesY = tf.mul(dy, y);
  return { logits: tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, dim + 1, true), y)) };
};

const logSoftmax: BatchingRule = (node, dys) => {
  const dy = only(node, dys);
  const y = savedOutput(node);
  if (dy === undefined || y === undefined) return undefined;
  const [axis] = axesOf(node.attrs?.axis ?? -1, y.rank);
  return { logits: tf.sub(dy, tf.mul(tf.sum(dy, axis + 1, true), tf.exp(y))) };
};

const max: BatchingRule = (node, dys) => {
  const dy = only(node, dys);
  const x = savedInput(node, 'x');
  const y = savedOutput(node);
  if (dy === undefined || x === undefined || y === undefined) return undefined;
  const axes = axesOf(node.attrs?.reductionIndices, x.rank);
  const kept = x.shape.map((size, j) => (axes.includes(j) ? 1 : size));
  const mask = tf.cast(tf.equal(tf.reshape(y, kept), x), 'float32');
  return { x: tf.mul(unreduce(dy, x.shape, axes), mask) };
};

const RULES: Record<string, BatchingRule> = {
  ...CONVOLUTION_RULES,
  ...SOFTMAX_OP_RULES,
  ...INDEXING_RULES,
  ...SELECTION_RULES,
  ...NORMALIZATION_RULES,
  ...RESIZE_RULES,
  ...POOLING_3D_RULES,
  ...structural,
  ...binary,
  ...Object.fromEntries(ELEMENTWISE_UNARY.map((name) => [name, elementwiseUnary])),
  Relu: relu,
  BatchMatMul: batchMatMul,
  fusedMatMul__op: fusedMatMul,
  MaxPool: maxPool,
  AvgPool: avgPool,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  Max: max,
};

/** The batching rule of a kernel, if it has one. */
export function batchingRuleFor(kernelName: string): BatchingRule | undefined {
  return Object.prototype.hasOwnProperty.call(RULES, kernelName) ? RULES[kernelName] : undefined;
}

/** The kernels with a batching rule, for documentation and specs. */
export const BATCHED_KERNELS: readonly string[] = Object.keys(RULES).sort();
