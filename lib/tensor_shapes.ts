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
