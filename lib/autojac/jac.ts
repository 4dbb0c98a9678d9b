import * as tf from '@tensorflow/tfjs';
import { freeGraphsReaching } from '../autograd';
import { checkRecorded, tensorList } from './checks';
import { jacobianRows } from './jacobian';

/** Options of {@link jac}. */
export interface JacOptions {
  /** Keep the graph so it can be differentiated again; default false. */
  retainGraph?: boolean;
}

/**
 * The Jacobians of `outputs` with respect to each of `inputs`, like `torch.autograd.grad` but with
 * one row per scalar output: for each input, a tensor of shape `[nOutputs, ...input.shape]`, where
 * the outputs are flattened and concatenated in order. Nothing is accumulated. The caller owns the
 * returned tensors. As TorchJD's `autojac.jac`.
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
  inputs: tf.Tensor | tf.Tensor[],
  options: JacOptions = {},
): tf.Tensor[] {
  const outputList = tensorList(outputs, 'outputs');
  const inputList = tensorList(inputs, 'inputs');
  checkRecorded(outputList, 'outputs');
  const jacobians = jacobianRows(outputList, inputList);
  if (!options.retainGraph) freeGraphsReaching(outputList);
  return jacobians;
}
