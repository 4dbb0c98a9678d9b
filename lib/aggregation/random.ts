import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { RandomStream } from '../random_stream';
import { WeightedAggregator } from './aggregator_bases';
import { MatrixWeighting } from './weighting_bases';

/** Options of {@link RandomWeighting} and {@link Random}. */
export interface RandomOptions {
  /** Seed of the weights' random stream, for reproducible runs. Without it, `Math.random`. */
  seed?: number;
}

/**
 * Weights drawn at each call as the softmax of a standard normal vector, as in "Reasonable
 * Effectiveness of Random Weighting: A Litmus Test for Multi-Task Learning" (Lin et al., TMLR 2022,
 * https://arxiv.org/abs/2111.10603). With `seed`, the sequence of weights is reproducible (it is
 * not PyTorch's random stream).
 *
 * @example
 * ```ts
 * const weighting = new RandomWeighting({ seed: 42 });
 * weighting.apply(tf.zeros([3, 5])); // 3 positive weights summing to 1, new ones at each call
 * ```
 */
export class RandomWeighting extends MatrixWeighting {
  // Weights that do not depend on the matrix: tfjs's zero gradient through them is exact.
  protected override differentiable(): boolean {
    return true;
  }

  private readonly stream: RandomStream;

  constructor(options: RandomOptions = {}) {
    super();
    options = readOptions(options, 'RandomWeighting');
    this.stream = new RandomStream(options.seed);
  }

  /** Restarts the random stream from the seed. */
  reset(): void {
    this.stream.reset();
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    return tf.tensor1d(this.stream.softmaxOfNormals(matrix.shape[0]));
  }

  override toString(): string {
    return 'RandomWeighting';
  }
}

/**
 * The combination of the rows with random positive weights summing to 1, redrawn at each call.
 *
 * @example
 * ```ts
 * const aggregator = new Random({ seed: 0 });
 * aggregator.apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])); // a random convex combination
 * ```
 */
export class Random extends WeightedAggregator {
  declare readonly weighting: RandomWeighting;

  constructor(options: RandomOptions = {}) {
    super(new RandomWeighting(readOptions(options, 'Random')));
  }

  /** Restarts the random stream from the seed. */
  reset(): void {
    this.weighting.reset();
  }

  override toString(): string {
    return 'Random';
  }
}
