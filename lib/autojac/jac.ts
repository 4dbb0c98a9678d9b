import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { checkChunkSize, freeGraphsReaching } from '../autograd';
import { tensorListOf, type VariableLike } from '../autograd/variable_list';
import { checkJacSeeds, checkRecorded, checkUnique, tensorList } from './checks';
import { jacobiansAllowingRepeats } from './jacobian';

/** Options of {@link jac}. */
export interface JacOptions {
  /**
   * Initial Jacobians to back-propagate (chain rule), one per output, of shape
   * `[rows, ...output.shape]` with the same number of rows; default: the identity (one row per
   * scalar of the outputs).
   */
  jacOutputs?: tf.Tensor | tf.Tensor[];
  /** Keep the graph so it can be differentiated again; default false. */
  retainGraph?: boolean;
  /**
   * How many rows of the Jacobian are differentiated together, in one batched backward pass
   * (TorchJD's `parallel_chunk_size`): `undefined` (default) all of them, `1` one plain backward
   * pass per row (slowest, least memory), any positive integer in between.
   */
  parallelChunkSize?: number;
}

/**
 * The Jacobians of `outputs` with respect to each of `inputs`, like `torch.autograd.grad` but with
 * one row per scalar output: for each input, a tensor of shape `[nOutputs, ...input.shape]`, where
 * the outputs are flattened and concatenated in order. With `jacOutputs`, the Jacobians are
 * left-multiplied by them instead. Nothing is accumulated. The caller owns the returned tensors.
 * As TorchJD's `autojac.jac` (outputs must be distinct; inputs may repeat; no inputs give an empty
 * array). `inputs` may be any iterable, `model.trainableWeights` included.
 *
 * @example
 * ```ts
 * const p = tf.variable(tf.tensor1d([1, 2]));
 * const [y1, y2] = record(() => [tf.dot(tf.tensor1d([-1, 1]), p), tf.sum(tf.square(p))]);
 * const [J] = jac([y1, y2], [p]); // [[-1, 1], [2, 4]]
 * ```
 */
export function jac(
  outputs: tf.Tensor | tf.Tensor[],
  inputs: tf.Tensor | Iterable<tf.Tensor | VariableLike>,
  options: JacOptions = {},
): tf.Tensor[] {
  options = readOptions(options, 'jac');
  const outputList = tensorList(outputs, 'outputs');
  const chunkSize = checkChunkSize(options.parallelChunkSize);
  // No inputs: no Jacobian to compute, an empty result (as TorchJD).
  const inputList = tensorListOf(inputs, 'inputs');
  checkUnique(outputList, 'outputs');
  checkRecorded(outputList, 'outputs');
  const seeds =
    options.jacOutputs === undefined
      ? undefined
      : checkJacSeeds(options.jacOutputs, outputList, 'jacOutputs', 'outputs');
  const jacobians =
    inputList.length === 0 ? [] : jacobiansAllowingRepeats(outputList, inputList, seeds, chunkSize);
  if (!options.retainGraph) freeGraphsReaching(outputList);
  return jacobians;
}
