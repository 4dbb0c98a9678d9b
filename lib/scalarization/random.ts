import * as tf from '@tensorflow/tfjs';
import { uniformGenerator, type RandomOptions } from '../aggregation/random';
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
  private uniform: () => number;

  constructor(private readonly options: RandomOptions = {}) {
    super();
    if (options.seed !== undefined && !Number.isInteger(options.seed)) {
      throw new InvalidArgumentError('seed', `expected an integer, got ${options.seed}.`);
    }
    this.uniform = uniformGenerator(options.seed);
  }

  /** Restarts the random stream from the seed. */
  reset(): void {
    this.uniform = uniformGenerator(this.options.seed);
  }

  forward(losses: tf.Tensor): tf.Scalar {
    const weights = softmax(Array.from({ length: losses.size }, () => this.standardNormal()));
    return tf.tidy(() => tf.sum(tf.mul(tf.tensor(weights, losses.shape, 'float32'), losses)));
  }

  private standardNormal(): number {
    // Box–Muller; 1 - u keeps the logarithm finite.
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** Softmax in float64, shifted by the maximum so that no exponential overflows. */
export function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((z) => Math.exp(z - max));
  const total = exps.reduce((s, e) => s + e, 0);
  return exps.map((e) => e / total);
}
