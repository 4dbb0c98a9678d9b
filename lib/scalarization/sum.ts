import * as tf from '@tensorflow/tfjs';
import { Scalarizer } from './scalarizer_base';

/**
 * The sum of the losses.
 *
 * @example
 * ```ts
 * new scalarization.Sum().apply(tf.tensor1d([1, 2, 3])); // 6
 * ```
 */
export class Sum extends Scalarizer {
  forward(losses: tf.Tensor): tf.Scalar {
    return tf.sum(losses);
  }

  override toString(): string {
    return 'Sum';
  }
}
