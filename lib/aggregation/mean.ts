import * as tf from '@tensorflow/tfjs';
import { WeightedAggregator } from './aggregator_bases';
import { MatrixWeighting } from './weighting_bases';

/**
 * Weights `1/m` for each of the `m` rows.
 *
 * @example
 * ```ts
 * new MeanWeighting().apply(tf.zeros([4, 3])).print(); // [0.25, 0.25, 0.25, 0.25]
 * ```
 */
export class MeanWeighting extends MatrixWeighting {
  // Weights that do not depend on the matrix: tfjs's zero gradient through them is exact.
  protected override differentiable(): boolean {
    return true;
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const m = matrix.shape[0];
    return tf.fill([m], 1 / m) as tf.Tensor1D;
  }

  override toString(): string {
    return 'MeanWeighting';
  }
}

/**
 * The average of the rows: plain gradient descent on the mean of the objectives.
 *
 * @example
 * ```ts
 * new Mean().apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])).print(); // [1, 1, 1]
 * ```
 */
export class Mean extends WeightedAggregator {
  constructor() {
    super(new MeanWeighting());
  }

  override toString(): string {
    return 'Mean';
  }
}
