import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { Scalarizer } from './scalarizer_base';

/**
 * The geometric mean of the losses, `exp(mean(log L))`, the Geometric Loss Strategy (GLS) of
 * "MultiNet++: Multi-Stream Feature Aggregation and Geometric Loss Strategy for Multi-Task
 * Learning" (Chennupati et al., CVPR Workshops 2019).
 *
 * Negative losses are rejected with an `InvalidArgumentError` naming `losses`. As in TorchJD, a
 * zero loss gives a geometric mean of 0; its gradient there is not finite (the true derivative is
 * +∞), so keep losses strictly positive when training.
 *
 * @example
 * ```ts
 * new scalarization.GeometricMean().apply(tf.tensor1d([1, 2, 4])); // 2
 * ```
 */
export class GeometricMean extends Scalarizer {
  protected override validate(losses: tf.Tensor): void {
    super.validate(losses);
    const hasNegative = tf.tidy(() => tf.any(tf.less(losses, 0)).dataSync()[0]);
    if (hasNegative) {
      throw new InvalidArgumentError(
        'losses',
        'GeometricMean is only defined for non-negative losses; found a negative one.',
      );
    }
  }

  forward(losses: tf.Tensor): tf.Scalar {
    return tf.tidy(() => tf.exp(tf.mean<tf.Scalar>(tf.log(losses))));
  }

  override toString(): string {
    return 'GeometricMean';
  }
}
