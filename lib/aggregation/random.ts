import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { WeightedAggregator } from './aggregator_bases';
import { MatrixWeighting } from './weighting_bases';

/** Options of {@link RandomWeighting} and {@link Random}. */
export interface RandomOptions {
  /** Seed of the weights' random stream, for reproducible runs. Without it, `Math.random`. */
  seed?: number;
}

/** A seedable uniform generator on [0, 1) (mulberry32). */
export function uniformGenerator(seed?: number): () => number {
  if (seed === undefined) return Math.random;
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const normals = Array.from({ length: matrix.shape[0] }, () => this.standardNormal());
    const max = Math.max(...normals);
    const exps = normals.map((z) => Math.exp(z - max));
    const total = exps.reduce((s, e) => s + e, 0);
    return tf.tensor1d(exps.map((e) => e / total));
  }

  private standardNormal(): number {
    // Box–Muller; 1 - u keeps the logarithm finite.
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
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
    super(new RandomWeighting(options));
  }

  /** Restarts the random stream from the seed. */
  reset(): void {
    this.weighting.reset();
  }
}
