/**
 * What every batching rule shares: the rule type, where a kernel's gradient keeps its forward
 * values among the node's saved tensors, and the axis arithmetic of a leading batch of k rows.
 */
import * as tf from '@tensorflow/tfjs';
import { reshaped } from '../../tensor_shapes';
import type { TapeNode } from '../tfjs_internals';

/**
 * A rule: the batched gradient of each input in `names`, or `undefined` when the rule does not
 * cover this node (then the caller falls back to one row at a time). `dys[i]` is null when no
 * gradient reached output i.
 */
export type BatchingRule = (
  node: TapeNode,
  dys: (tf.Tensor | null)[],
  names: string[],
  k: number,
) => Record<string, tf.Tensor> | undefined;

/**
 * Where each kernel's gradient keeps its inputs among the node's saved tensors (tfjs saves the
 * `inputsToSave` in order, then the outputs; a custom op saves what its forward function chose):
 * recorded intermediates are disposed when `record` ends, their saved clones are not. An empty
 * name marks a saved tensor that is no input.
 */
const SAVED_INPUTS: Record<string, string[]> = {
  BatchMatMul: ['a', 'b'],
  Add: ['a', 'b'],
  Sub: ['a', 'b'],
  Multiply: ['a', 'b'],
  RealDiv: ['a', 'b'],
  SquaredDifference: ['a', 'b'],
  Maximum: ['a', 'b'],
  Minimum: ['a', 'b'],
  Pow: ['a', 'b'],
  Prelu: ['x', 'alpha'],
  Select: ['condition'],
  Atan2: ['a', 'b'],
  Mod: ['a', 'b'],
  FloorDiv: ['a', 'b'],
  Relu: ['x'],
  Conv2D: ['x', 'filter'],
  Conv2DBackpropInput: ['dy', 'filter'],
  DepthwiseConv2dNative: ['x', 'filter'],
  Conv3D: ['x', 'filter'],
  MaxPool3D: ['x'],
  AvgPool3D: ['x'],
  MaxPool: ['x'],
  AvgPool: ['x'],
  Max: ['x'],
  Min: ['x'],
  GatherV2: ['x', 'indices'],
  UnsortedSegmentSum: ['segmentIds'],
  LRN: ['x'],
  Tile: ['x'],
  ResizeBilinear: ['images'],
  ResizeNearestNeighbor: ['images'],
  FusedBatchNorm: ['x', 'mean', 'variance', 'scale'],
  fusedMatMul__op: ['0', '1'],
  // tf.fused.conv2d saves [filter, x, output, bias?].
  fusedConv2d__op: ['1', '0', '', '2'],
};

/** Number of saved inputs before the saved outputs, per kernel saving outputs. */
const SAVED_OUTPUT_OFFSET: Record<string, number> = {
  MaxPool: 1,
  MaxPool3D: 1,
  LRN: 1,
  Max: 1,
  Min: 1,
  Pow: 2,
  Softmax: 0,
  LogSoftmax: 0,
  fusedConv2d__op: 2,
};

/** The forward value of input `name` of `node`: the tensor itself if alive, else its saved clone. */
export function savedInput(node: TapeNode, name: string): tf.Tensor | undefined {
  const input = node.inputs[name];
  if (input !== undefined && !input.isDisposed) return input;
  const position = SAVED_INPUTS[node.kernelName]?.indexOf(name) ?? -1;
  const saved = position < 0 ? undefined : node.saved?.[position];
  return saved !== undefined && !saved.isDisposed ? saved : undefined;
}

/** The forward value of the (only) output of `node`, for kernels whose gradient saves it. */
export function savedOutput(node: TapeNode): tf.Tensor | undefined {
  const output = node.outputs[0];
  if (output !== undefined && !output.isDisposed) return output;
  const offset = SAVED_OUTPUT_OFFSET[node.kernelName];
  const saved = offset === undefined ? undefined : node.saved?.[offset];
  return saved !== undefined && !saved.isDisposed ? saved : undefined;
}

/** Non-negative axes of `axis` (number, list or undefined meaning all) for a tensor of `rank`. */
export function axesOf(axis: unknown, rank: number): number[] {
  if (axis === undefined || axis === null) return [...Array(rank).keys()];
  const list = Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/**
 * Sums batched `dy` ([k, ...outShape]) down to `[k, ...shape]`, undoing the broadcasting of an
 * operand of `shape` (right-aligned against outShape, as tfjs broadcasts).
 */
export function unbroadcast(dy: tf.Tensor, shape: number[]): tf.Tensor {
  const outShape = dy.shape.slice(1);
  const lead = outShape.length - shape.length;
  const axes: number[] = [];
  outShape.forEach((size, j) => {
    if (j < lead || (shape[j - lead] === 1 && size !== 1)) axes.push(j + 1);
  });
  const summed = axes.length > 0 ? tf.sum(dy, axes) : dy;
  return reshaped(summed, [dy.shape[0], ...shape]);
}

/** `dy` of a reduction over `axes` of an input of `shape`, with the reduced axes put back as 1. */
export function unreduce(dy: tf.Tensor, shape: number[], axes: number[]): tf.Tensor {
  const kept = shape.map((size, j) => (axes.includes(j) ? 1 : size));
  return reshaped(dy, [dy.shape[0], ...kept]);
}

/** The batched gradient of the only output of `node`, if one reached it. */
export const only = (node: TapeNode, dys: (tf.Tensor | null)[]): tf.Tensor | undefined =>
  node.outputs.length === 1 && dys[0] !== null ? dys[0] : undefined;

/** The batched gradient of every output of `node`, zeros where none reached it. */
export function everyOutput(node: TapeNode, dys: (tf.Tensor | null)[], k: number): tf.Tensor[] {
  return node.outputs.map((output, i) => dys[i] ?? tf.zeros([k, ...output.shape]));
}

/** Runs a tfjs kernel directly (the convolution and pooling gradients have no public op). */
export function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: object): tf.Tensor {
  return tf.engine().runKernel(name, inputs, attrs as never) as tf.Tensor;
}

/** True if the active backend registers every kernel in `names` (else the rule steps aside). */
export function hasKernels(...names: string[]): boolean {
  const backend = tf.getBackend();
  return names.every((name) => tf.getKernel(name, backend) !== undefined);
}

/**
 * Repeats `t` k times along its first axis (the k rows as k more images). A concatenation: the
 * wasm backend's Tile (and broadcastTo, built on it) is about a hundred times slower.
 */
export function repeatBatch(t: tf.Tensor, k: number): tf.Tensor {
  return k === 1 ? t : tf.concat(new Array<tf.Tensor>(k).fill(t), 0);
}

/**
 * Batched `t` (`[k, ...]`, size 1 on the axes to fill) broadcast to `[k, ...shape]`, as tfjs's
 * own reduction gradients do it (times ones: exact), not by `tf.broadcastTo` (a Tile, slow on
 * wasm).
 */
export function expandTo(t: tf.Tensor, shape: number[]): tf.Tensor {
  return tf.mul(t, tf.ones(shape));
}

/** True if every input in `names` has the shape of the node's (only) output. */
export function unbroadcastNames(node: TapeNode, names: string[]): boolean {
  const outShape = node.outputs[0].shape;
  return names.every((name) => tf.util.arraysEqual(node.inputs[name].shape, outShape));
}

/** See {@link transposed}: the rules' transposes are mostly of rank 5 or 6. */
export { transposed as transpose } from '../../tensor_shapes';
