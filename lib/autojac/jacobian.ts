/**
 * The Jacobian of recorded tensors: its rows differentiated `parallelChunkSize` at a time, each chunk
 * in one batched backward pass through a retained graph (TorchJD's vmap over rows).
 */
import * as tf from '@tensorflow/tfjs';
import { differentiateInChunks } from '../autograd';

/**
 * The rows of the Jacobian of `outputs` with respect to each input: for each input, a tensor of
 * shape `[rows, ...input.shape]`. Without `jacSeeds`, row k is the gradient of the k-th scalar of
 * the outputs (flattened and concatenated). With `jacSeeds` (one `[rows, ...output.shape]` tensor
 * per output, checked by the caller), row k is the backward pass seeded with the k-th slice of each:
 * the chain rule applied to a Jacobian computed further down the graph. `chunkSize` rows go through
 * the graph together (`undefined`: all of them; `1`: one plain backward pass per row). The graph is
 * retained; the caller frees it.
 */
export function jacobianRows(
  outputs: tf.Tensor[],
  inputs: tf.Tensor[],
  jacSeeds?: tf.Tensor[],
  chunkSize?: number,
): tf.Tensor[] {
  const sizes = outputs.map((o) => o.size);
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const rows =
    jacSeeds !== undefined
      ? jacSeeds[0].shape[0]
      : offsets[offsets.length - 1] + sizes[sizes.length - 1];
  const chunkFor = (start: number, count: number) => {
    if (jacSeeds !== undefined) {
      return { outputs, seeds: jacSeeds.map((seed) => tf.slice(seed, start, count)) };
    }
    // Identity rows start…start+count-1: only the outputs they fall in are seeded at all.
    const touched = outputs
      .map((output, i) => ({ output, i }))
      .filter(({ i }) => offsets[i] < start + count && offsets[i] + sizes[i] > start);
    return tf.tidy(() => {
      // oneHot wants a depth of at least 2: build one column more and drop it.
      const eye = tf.slice(
        tf.oneHot(tf.range(start, start + count, 1, 'int32'), rows + 1, 1, 0, 'float32'),
        [0, 0],
        [count, rows],
      );
      return {
        outputs: touched.map(({ output }) => output),
        seeds: touched.map(({ output, i }) =>
          tf.reshape(tf.slice(eye, [0, offsets[i]], [count, sizes[i]]), [count, ...output.shape]),
        ),
      };
    });
  };
  const grads = differentiateInChunks(rows, chunkFor, inputs, true, chunkSize);
  return grads.map((g, i) => g ?? tf.zeros([rows, ...inputs[i].shape]));
}

/**
 * The Jacobians for `inputs` that may repeat: computed once per distinct input, and each repetition
 * gets its own copy so the caller can dispose every returned tensor.
 */
export function jacobiansAllowingRepeats(
  outputs: tf.Tensor[],
  inputs: tf.Tensor[],
  jacSeeds?: tf.Tensor[],
  chunkSize?: number,
): tf.Tensor[] {
  const distinct = [...new Set(inputs)];
  const jacobians = jacobianRows(outputs, distinct, jacSeeds, chunkSize);
  if (distinct.length === inputs.length) return jacobians;
  const used = new Set<tf.Tensor>();
  return inputs.map((input) => {
    const j = jacobians[distinct.indexOf(input)];
    if (used.has(j)) return j.clone();
    used.add(j);
    return j;
  });
}
