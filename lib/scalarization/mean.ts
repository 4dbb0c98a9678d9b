import * as tf from '@tensorflow/tfjs';
import { Scalarizer } from './scalarizer_base';

/**
 * The mean of the losses.
 *
 * @example
 * ```ts
 * new scalarization.Mean().apply(tf.tensor1d([1, 2, 3])); // 2
 * ```
 */
export class Mean extends Scalarizer {
  forward(losses: tf.Tensor): tf.Scalar {
    return tf.mean(losses);
  }

  override toString(): string {
    return 'Mean';
  }
}
