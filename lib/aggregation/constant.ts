import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { readVectorOption, vectorToString } from '../linalg/vector';
import { WeightedAggregator } from './aggregator_bases';
import { MatrixWeighting } from './weighting_bases';

/**
 * The same given weights at every call; the matrix must have one row per weight (else
 * `InvalidArgumentError` naming `matrix`).
 *
 * @example
 * ```ts
 * new ConstantWeighting([1, 2]).apply(tf.zeros([2, 3])).print(); // [1, 2]
 * ```
 */
export class ConstantWeighting extends MatrixWeighting {
  // Weights that do not depend on the matrix: tfjs's zero gradient through them is exact.
  protected override differentiable(): boolean {
    return true;
  }

  readonly weights: number[];

  constructor(weights: tf.Tensor1D | number[]) {
    super();
    this.weights = readVectorOption(weights, 'weights');
  }

  protected override validate(matrix: tf.Tensor2D): void {
    super.validate(matrix);
    if (matrix.shape[0] !== this.weights.length) {
      throw new InvalidArgumentError(
        'matrix',
        `expected ${this.weights.length} rows (one per weight), got shape [${matrix.shape}].`,
      );
    }
  }

  forward(): tf.Tensor1D {
    return tf.tensor1d(this.weights);
  }

  override toString(): string {
    return 'ConstantWeighting';
  }
}

/**
 * The combination of the rows with fixed weights.
 *
 * @example
 * ```ts
 * new Constant([1, 2]).apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])).print(); // [8, 3, 3]
 * ```
 */
export class Constant extends WeightedAggregator {
  declare readonly weighting: ConstantWeighting;

  constructor(weights: tf.Tensor1D | number[]) {
    super(new ConstantWeighting(weights));
  }

  override toString(): string {
    return `Constant(${vectorToString(this.weighting.weights)})`;
  }
}
