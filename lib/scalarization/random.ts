import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import type { RandomOptions } from '../aggregation/random';
import { RandomStream } from '../random_stream';
import { InvalidArgumentError } from '../errors';
import { Scalarizer } from './scalarizer_base';

export type { RandomOptions } from '../aggregation/random';

/**
 * The sum of the losses weighted by positive random weights summing to 1, redrawn at each call as
 * the softmax of a standard normal vector: Algorithm 2 of "Reasonable Effectiveness of Random
 * Weighting: A Litmus Test for Multi-Task Learning" (Lin et al., TMLR 2022,
 * https://arxiv.org/abs/2111.10603). With `seed`, the sequence of weights is reproducible (it is
 * not PyTorch's random stream); `reset()` restarts it.
 *
 * @example
 * ```ts
 * const scalarizer = new scalarization.Random({ seed: 0 });
 * scalarizer.apply(tf.tensor1d([1, 2, 3])); // a random convex combination of 1, 2 and 3
 * ```
 */
export class Random extends Scalarizer {
  private readonly stream: RandomStream;

  constructor(options: RandomOptions = {}) {
    super();
    options = readOptions(options, 'Random');
    this.stream = new RandomStream(options.seed);
  }

  /** Restarts the random stream from the seed. */
  reset(): void {
    this.stream.reset();
  }

  forward(losses: tf.Tensor): tf.Scalar {
    const weights = this.stream.softmaxOfNormals(losses.size);
    return tf.tidy(() => tf.sum(tf.mul(tf.tensor(weights, losses.shape, 'float32'), losses)));
  }

  override toString(): string {
    return 'Random';
  }
}
