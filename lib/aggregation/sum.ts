import * as tf from '@tensorflow/tfjs';
import { WeightedAggregator } from './aggregator_bases';
import { MatrixWeighting } from './weighting_bases';

/**
 * Weight 1 for each row.
 *
 * @example
 * ```ts
 * new SumWeighting().apply(tf.zeros([2, 3])).print(); // [1, 1]
 * ```
 */
export class SumWeighting extends MatrixWeighting {
  // Weights that do not depend on the matrix: tfjs's zero gradient through them is exact.
  protected override differentiable(): boolean {
    return true;
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    return tf.ones([matrix.shape[0]]) as tf.Tensor1D;
  }

  override toString(): string {
    return 'SumWeighting';
  }
}

/**
 * The sum of the rows: gradient descent on the sum of the objectives.
 *
 * @example
 * ```ts
 * new Sum().apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])).print(); // [2, 2, 2]
 * ```
 */
export class Sum extends WeightedAggregator {
  constructor() {
    super(new SumWeighting());
  }

  override toString(): string {
    return 'Sum';
  }
}
