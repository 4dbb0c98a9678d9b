import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError } from '../errors';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { GramianWeightedAggregator } from './aggregator_bases';
import { uniformGenerator } from '../random_stream';
import { GramianWeighting } from './weighting_bases';

/** Options of the methods that visit the objectives in a random order (PCGrad, GradVac). */
export interface SeedOptions {
  /**
   * Seed of the random visiting orders, for reproducible runs (the stream is tfjs-jd's own, not
   * PyTorch's `torch.randperm`). Without it, `Math.random`.
   */
  seed?: number;
}

/** Throws `InvalidArgumentError` naming `seed` unless it is absent or an integer. */
export function checkSeed(seed: number | undefined): void {
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw new InvalidArgumentError('seed', `expected an integer, got ${seed}.`);
  }
}

/** A uniformly random permutation of `items` (Fisher–Yates) drawn from `uniform`. */
export function shuffled<T>(items: T[], uniform: () => number): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(uniform() * (i + 1));
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}

/**
 * The weights of {@link PCGrad}, from the Gramian. Each row `gᵢ` is projected in turn onto the
 * normal plane of every other row `gⱼ` it conflicts with (`gᵢ·gⱼ < 0`), the others visited in a
 * fresh random order for each `i` as in TorchJD; the projected rows are summed. Tracking each
 * projected row as a combination `Σₖ cₖ gₖ` of the original rows, every inner product it needs is
 * `(G c)ⱼ`, so the `n`-dimensional rows are never touched.
 *
 * @example
 * ```ts
 * new PCGradWeighting().apply(tf.tensor2d([[18, -22], [-22, 38]])); // ≈ [2.2222, 1.5789]
 * ```
 */
export class PCGradWeighting extends GramianWeighting {
  private uniform: () => number;
  private readonly seed: number | undefined;

  constructor(options: SeedOptions = {}) {
    super();
    this.seed = readOptions(options, 'PCGradWeighting').seed;
    checkSeed(this.seed);
    this.uniform = uniformGenerator(this.seed);
  }

  /** Restarts the stream of random orders from the seed. */
  reset(): void {
    this.uniform = uniformGenerator(this.seed);
  }

  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    const g = toMatrix64(gramian);
    const m = g.length;
    const indices = Array.from({ length: m }, (_, k) => k);
    const weights = new Array<number>(m).fill(0);
    for (let i = 0; i < m; i++) {
      const c = new Array<number>(m).fill(0);
      c[i] = 1;
      for (const j of shuffled(indices, this.uniform)) {
        if (j === i) continue;
        let innerProduct = 0;
        for (let k = 0; k < m; k++) innerProduct += g[j][k] * c[k];
        if (innerProduct < 0) c[j] -= innerProduct / g[j][j];
      }
      for (let k = 0; k < m; k++) weights[k] += c[k];
    }
    return toTensor1D(weights);
  }

  override toString(): string {
    return 'PCGradWeighting';
  }
}

/**
 * Projecting Conflicting Gradients: each objective's gradient is projected onto the normal plane
 * of the gradients it conflicts with, and the results are summed. Algorithm 1 of "Gradient Surgery
 * for Multi-Task Learning" (Yu et al., NeurIPS 2020, https://arxiv.org/abs/2001.06782).
 *
 * @example
 * ```ts
 * const aggregator = new PCGrad({ seed: 0 });
 * aggregator.apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])); // ≈ [0.5848, 3.8012, 3.8012]
 * ```
 */
export class PCGrad extends GramianWeightedAggregator {
  declare readonly gramianWeighting: PCGradWeighting;

  constructor(options: SeedOptions = {}) {
    super(new PCGradWeighting(readOptions(options, 'PCGrad')));
  }

  /** Restarts the stream of random orders from the seed. */
  reset(): void {
    this.gramianWeighting.reset();
  }

  override toString(): string {
    return 'PCGrad';
  }
}
