/**
 * Batching rules of the kernels that gather, split, repeat or pad: their gradients scatter, join,
 * sum or slice `dy`, and the k rows only shift every axis by one. Also the kernels whose gradient
 * is zero (rounding, signs, steps).
 */
import * as tf from '@tensorflow/tfjs';
import {
  axesOf,
  everyOutput,
  hasKernels,
  only,
  savedInput,
  transpose,
  type BatchingRule,
} from './common';

/**
 * GatherV2 (`tf.gather`, embeddings): the rows of `dy` taken at each index are summed back into
 * the gathered slot, for all k rows at once (as tfjs's gradient, with the k rows as one more outer
 * axis). `batchDims` > 0 is left to the fallback.
 */
const gatherV2: BatchingRule = (node, dys, names, k) => {
  const dy = only(node, dys);
  const x = node.inputs.x;
  const indices = savedInput(node, 'indices');
  const attrs = node.attrs;
  if (dy === undefined || indices === undefined || attrs === undefined) return undefined;
  if ((attrs.batchDims ?? 0) !== 0 || names.includes('indices')) return undefined;
  const [axis] = axesOf(attrs.axis ?? 0, x.rank);
  const outer = x.shape.slice(0, axis).reduce((n, s) => n * s, 1);
  const inner = x.shape.slice(axis + 1).reduce((n, s) => n * s, 1);
  const values = tf.reshape(dy, [k, outer, indices.size, inner]);
  const flatIndices = tf.reshape(indices, [indices.size]) as tf.Tensor1D;
  const byIndex = transpose(values, [2, 0, 1, 3]);
  // The wasm backend has no UnsortedSegmentSum: there the sum is a product with the one-hot
  // matrix of the indices (exact: its entries are 0 and 1).
  const summed = hasKernels('UnsortedSegmentSum')
    ? tf.unsortedSegmentSum(byIndex, flatIndices, x.shape[axis])
    : tf.reshape(
        tf.matMul(
          tf.cast(tf.oneHot(flatIndices, x.shape[axis]), 'float32'),
          tf.reshape(byIndex, [indices.size, -1]),
          true,
          false,
        ),
        [x.shape[axis], k, outer, inner],
      );
  return { x: tf.reshape(transpose(summed, [1, 2, 0, 3]), [k, ...x.shape]) };
};

/**
 * UnsortedSegmentSum: each input row takes the gradient of its segment, zero for a negative
 * segment id (tfjs's `gatherDropNegatives`), for all k rows at once.
 */
const unsortedSegmentSum: BatchingRule = (node, dys, names) => {
  const dy = only(node, dys);
  const ids = savedInput(node, 'segmentIds');
  if (dy === undefined || ids === undefined || ids.rank !== 1 || names.includes('segmentIds')) {
    return undefined;
  }
  const gathered = tf.gather(dy, tf.maximum(ids, tf.zerosLike(ids)), 1);
  const kept = tf.reshape(tf.greaterEqual(ids, tf.scalar(0, 'int32')), [
    1,
    ids.size,
    ...gathered.shape.slice(2).map(() => 1),
  ]);
  return { x: tf.where(kept, gathered, tf.zerosLike(gathered)) };
};

/** SplitV (`tf.split`, the gates of LSTM and GRU cells): the output gradients joined back. */
const splitV: BatchingRule = (node, dys, _names, k) => {
  const x = node.inputs.x;
  if (node.attrs === undefined) return undefined;
  const [axis] = axesOf(node.attrs.axis ?? 0, x.rank);
  return { x: tf.concat(everyOutput(node, dys, k), axis + 1) };
};

/** Unpack (`tf.unstack`, recurrent layers over time steps): the output gradients stacked back. */
const unpack: BatchingRule = (node, dys, _names, k) => {
  const value = node.inputs.value;
  if (node.attrs === undefined || value === undefined) return undefined;
  const [axis] = axesOf(node.attrs.axis ?? 0, value.rank);
  return { value: tf.stack(everyOutput(node, dys, k), axis + 1) };
};

/**
 * Tile: output axis j holds `reps[j]` copies of the input's axis j one after the other, so
 * splitting it into `[reps[j], size]` and summing the copies gives the input gradient (tfjs's own
 * gradient stops at rank 4, and so does this rule).
 */
const tile: BatchingRule = (node, dys, _names, k) => {
  const dy = only(node, dys);
  const x = node.inputs.x;
  const reps = node.attrs?.reps as number[] | undefined;
  if (dy === undefined || reps === undefined || x.rank > 4 || reps.length !== x.rank) {
    return undefined;
  }
  const split = x.shape.flatMap((size, j) => [reps[j], size]);
  const copies = x.shape.map((_, j) => 1 + 2 * j);
  return { x: tf.reshape(tf.sum(tf.reshape(dy, [k, ...split]), copies), [k, ...x.shape]) };
};

/** PadV2 and MirrorPad: the input's part of `dy`, as tfjs slices it. */
const pad: BatchingRule = (node, dys, _names, k) => {
  const dy = only(node, dys);
  const x = node.inputs.x;
  const paddings = node.attrs?.paddings as [number, number][] | undefined;
  if (dy === undefined || paddings === undefined || paddings.length !== x.rank) return undefined;
  return { x: tf.slice(dy, [0, ...paddings.map((p) => p[0])], [k, ...x.shape]) };
};

const expandDims: BatchingRule = (node, dys, _names, k) => {
  const dy = only(node, dys);
  const input = node.inputs.input;
  return dy && input && { input: tf.reshape(dy, [k, ...input.shape]) };
};

/** BroadcastTo: the gradient sums the broadcast axes (kept), as tfjs's. */
const broadcastTo: BatchingRule = (node, dys, _names, k) => {
  const dy = only(node, dys);
  const x = node.inputs.x;
  if (dy === undefined) return undefined;
  const outShape = node.outputs[0].shape;
  const lead = outShape.length - x.rank;
  const axes = outShape
    .map((size, j) => (j < lead || (x.shape[j - lead] === 1 && size !== 1) ? j + 1 : -1))
    .filter((a) => a > 0);
  const summed = axes.length > 0 ? tf.sum(dy, axes, true) : dy;
  return { x: tf.reshape(summed, [k, ...x.shape]) };
};

const reverse: BatchingRule = (node, dys) => {
  const dy = only(node, dys);
  const x = node.inputs.x;
  if (dy === undefined || node.attrs === undefined) return undefined;
  const axes = axesOf(node.attrs.dims, x.rank).map((a) => a + 1);
  return { x: tf.reverse(dy, axes) };
};

/**
 * Kernels whose gradient tfjs defines as zero (piecewise constant functions, comparisons, index
 * outputs), a pseudo-label's `argMax` and `oneHot` included.
 */
const ZERO_GRADIENT = [
  'Step',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'ZerosLike',
  'OnesLike',
  'IsNan',
  'IsInf',
  'IsFinite',
  'ArgMax',
  'ArgMin',
  'GreaterEqual',
  'OneHot',
];

const zeroGradient: BatchingRule = (node, _dys, names, k) =>
  Object.fromEntries(names.map((name) => [name, tf.zeros([k, ...node.inputs[name].shape])]));

/**
 * Cumsum along the last axis: the reverse cumulative sum of `dy` (tfjs's gradient mis-permutes
 * its result along any other axis, where the fallback reproduces it).
 */
const cumsum: BatchingRule = (node, dys) => {
  const dy = only(node, dys);
  const x = node.inputs.x;
  const attrs = node.attrs;
  if (dy === undefined || attrs === undefined) return undefined;
  const [axis] = axesOf(attrs.axis ?? 0, x.rank);
  if (axis !== x.rank - 1) return undefined;
  return { x: tf.cumsum(dy, axis + 1, attrs.exclusive === true, attrs.reverse !== true) };
};

export const INDEXING_RULES: Record<string, BatchingRule> = {
  GatherV2: gatherV2,
  UnsortedSegmentSum: unsortedSegmentSum,
  SplitV: splitV,
  Unpack: unpack,
  Tile: tile,
  PadV2: pad,
  MirrorPad: pad,
  ExpandDims: expandDims,
  BroadcastTo: broadcastTo,
  Reverse: reverse,
  Cumsum: cumsum,
  ...Object.fromEntries(ZERO_GRADIENT.map((name) => [name, zeroGradient])),
};
