import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { accumulateJac, checkChunkSize, freeGraphsReaching, leafVariables } from '../autograd';
import {
  checkJacSeeds,
  checkRecorded,
  checkUnique,
  tensorList,
  variableList,
  withoutRepeats,
} from './checks';
import { jacobianRows } from './jacobian';
import type { Variables } from '../autograd/variable_list';

/** Options of autojac's {@link backward}. */
export interface JacBackwardOptions {
  /**
   * Initial Jacobians to back-propagate (chain rule), one per tensor, of shape
   * `[rows, ...tensor.shape]` with the same number of rows; default: the identity (one row per
   * scalar of the tensors).
   */
  jacTensors?: tf.Tensor | tf.Tensor[];
  /**
   * Variables whose `.jac` receives the Jacobian (any iterable, `model.trainableWeights` included);
   * default: every trainable variable reached. Empty: nothing is filled, as TorchJD.
   */
  inputs?: Variables;
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
 * Accumulates into the `.jac` of variables (see `jacOf`) the Jacobian of `tensors`: one row per
 * scalar of the tensors, flattened and concatenated in order, so a variable of shape `s` gets a
 * `.jac` of shape `[rows, ...s]`. Aggregate it into `.grad` with {@link jacToGrad}. As TorchJD's
 * `autojac.backward` (tensors must be distinct; repeated inputs count once).
 *
 * @example
 * ```ts
 * const p = tf.variable(tf.tensor1d([1, 2]));
 * const [y1, y2] = record(() => [tf.dot(tf.tensor1d([-1, 1]), p), tf.sum(tf.square(p))]);
 * autojac.backward([y1, y2]);
 * jacOf(p)!.print(); // [[-1, 1], [2, 4]]
 * jacToGrad([p], new UPGrad());
 * gradOf(p)!.print(); // [0.5, 2.5]
 * ```
 */
export function backward(tensors: tf.Tensor | tf.Tensor[], options: JacBackwardOptions = {}): void {
  options = readOptions(options, 'autojac.backward');
  const outputs = tensorList(tensors, 'tensors');
  const chunkSize = checkChunkSize(options.parallelChunkSize);
  checkUnique(outputs, 'tensors');
  checkRecorded(outputs, 'tensors');
  const inputs =
    options.inputs === undefined
      ? leafVariables(outputs)
      : withoutRepeats(variableList(options.inputs, 'inputs'));
  const seeds =
    options.jacTensors === undefined
      ? undefined
      : checkJacSeeds(options.jacTensors, outputs, 'jacTensors', 'tensors');
  if (inputs.length > 0) {
    const jacobians = jacobianRows(outputs, inputs, seeds, chunkSize);
    jacobians.forEach((j, i) => accumulateJac(inputs[i], j));
    tf.dispose(jacobians);
  }
  if (!options.retainGraph) freeGraphsReaching(outputs);
}
