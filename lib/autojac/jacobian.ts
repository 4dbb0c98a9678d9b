/**
 * The Jacobian of recorded tensors: one backward pass per row, through a retained graph.
 */
import * as tf from '@tensorflow/tfjs';
import { grad } from '../autograd';

/**
 * The rows of the Jacobian of `outputs` (flattened and concatenated: row k is the k-th scalar) with
 * respect to each input: for each input, a tensor of shape `[rows, ...input.shape]`. The graph is
 * retained; the caller frees it.
 */
export function jacobianRows(outputs: tf.Tensor[], inputs: tf.Tensor[]): tf.Tensor[] {
  return tf.tidy(() => {
    const rowsPerInput: tf.Tensor[][] = inputs.map(() => []);
    for (const output of outputs) {
      for (let k = 0; k < output.size; k++) {
        const seed = output.size === 1 ? tf.onesLike(output) : oneHot(output, k);
        const row = grad(output, inputs, { gradOutputs: seed, retainGraph: true });
        row.forEach((g, i) => rowsPerInput[i].push(g));
      }
    }
    return rowsPerInput.map((rows) => tf.stack(rows));
  });
}

function oneHot(like: tf.Tensor, index: number): tf.Tensor {
  return tf.oneHot(tf.tensor1d([index], 'int32'), like.size).reshape(like.shape);
}
