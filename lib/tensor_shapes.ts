import * as tf from '@tensorflow/tfjs';

/**
 * `tensor` reshaped to `shape`, or `tensor` itself when it has that shape already: a reshape is a
 * kernel call like any other (its dispatch costs as much as a small product), and the hot paths of
 * the Jacobian-descent step reshape many tensors that already have the right shape. The result may
 * be the input: dispose it only if the input is yours to dispose.
 *
 * @example
 * ```ts
 * const x = tf.zeros([2, 3]);
 * reshaped(x, [2, 3]) === x; // true
 * reshaped(x, [3, 2]).shape; // [3, 2]
 * ```
 */
export function reshaped<T extends tf.Tensor>(tensor: T, shape: number[]): T {
  return tf.util.arraysEqual(tensor.shape, shape) ? tensor : (tf.reshape(tensor, shape) as T);
}

/**
 * `tf.transpose(x, perm)` with the input axes that stay together (consecutive, in order) merged
 * first: the same result, but the wasm backend transposes a tensor of rank 5 or 6 about twenty
 * times slower than the rank-3 transpose it reduces to.
 *
 * @example
 * ```ts
 * transposed(tf.zeros([2, 3, 4, 5]), [1, 2, 0, 3]).shape; // [3, 4, 2, 5], one rank-3 transpose
 * ```
 */
export function transposed(x: tf.Tensor, perm: number[]): tf.Tensor {
  const groups: number[][] = [];
  for (const axis of perm) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[last.length - 1] + 1 === axis) last.push(axis);
    else groups.push([axis]);
  }
  if (groups.length === perm.length) return tf.transpose(x, perm);
  const outShape = perm.map((axis) => x.shape[axis]);
  const inInputOrder = [...groups].sort((g, h) => g[0] - h[0]);
  const reducedShape = inInputOrder.map((g) => g.reduce((n, axis) => n * x.shape[axis], 1));
  const reducedPerm = groups.map((g) => inInputOrder.indexOf(g));
  if (reducedPerm.every((axis, i) => axis === i)) return tf.reshape(x, outShape);
  return tf.reshape(tf.transpose(tf.reshape(x, reducedShape), reducedPerm), outShape);
}
