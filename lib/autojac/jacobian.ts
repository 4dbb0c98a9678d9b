/**
 * The Jacobian of recorded tensors: one backward pass per row, through a retained graph.
 */
import * as tf from '@tensorflow/tfjs';
import { grad } from '../autograd';

/**
 * The rows of the Jacobian of `outputs` with respect to each input: for each input, a tensor of
 * shape `[rows, ...input.shape]`. Without `jacSeeds`, row k is the gradient of the k-th scalar of
 * the outputs (flattened and concatenated). With `jacSeeds` (one `[rows, ...output.shape]` tensor
 * per output, checked by the caller), row k is the backward pass seeded with the k-th slice of each:
 * the chain rule applied to a Jacobian computed further down the graph. The graph is retained; the
 * caller frees it.
 */
export function jacobianRows(
  outputs: tf.Tensor[],
  inputs: tf.Tensor[],
  jacSeeds?: tf.Tensor[],
): tf.Tensor[] {
  return tf.tidy(() => {
    const rowsPerInput: tf.Tensor[][] = inputs.map(() => []);
    const addRow = (row: tf.Tensor[]) => row.forEach((g, i) => rowsPerInput[i].push(g));
    if (jacSeeds !== undefined) {
      const rows = jacSeeds[0].shape[0];
      // Unstacking once costs one op per seed instead of one slice per row and seed.
      const slices = jacSeeds.map((seed) => tf.unstack(seed));
      for (let k = 0; k < rows; k++) {
        addRow(grad(outputs, inputs, { gradOutputs: slices.map((s) => s[k]), retainGraph: true }));
      }
    } else {
      for (const output of outputs) {
        for (let k = 0; k < output.size; k++) {
          const seed = output.size === 1 ? tf.onesLike(output) : oneHot(output, k);
          addRow(grad(output, inputs, { gradOutputs: seed, retainGraph: true }));
        }
      }
    }
    return rowsPerInput.map((rows) => tf.stack(rows));
  });
}

/**
 * The Jacobians for `inputs` that may repeat: computed once per distinct input, and each repetition
 * gets its own copy so the caller can dispose every returned tensor.
 */
export function jacobiansAllowingRepeats(
  outputs: tf.Tensor[],
  inputs: tf.Tensor[],
  jacSeeds?: tf.Tensor[],
): tf.Tensor[] {
  const distinct = [...new Set(inputs)];
  const jacobians = jacobianRows(outputs, distinct, jacSeeds);
  if (distinct.length === inputs.length) return jacobians;
  const used = new Set<tf.Tensor>();
  return inputs.map((input) => {
    const j = jacobians[distinct.indexOf(input)];
    if (used.has(j)) return j.clone();
    used.add(j);
    return j;
  });
}

function oneHot(like: tf.Tensor, index: number): tf.Tensor {
  return tf.oneHot(tf.tensor1d([index], 'int32'), like.size).reshape(like.shape);
}
