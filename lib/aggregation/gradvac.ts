import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { GramianWeightedAggregator } from './aggregator_bases';
import { checkSeed, shuffled, type SeedOptions } from './pcgrad';
import { uniformGenerator } from '../random_stream';
import { GramianWeighting } from './weighting_bases';

/** Options of {@link GradVac} and {@link GradVacWeighting}. */
export interface GradVacOptions extends SeedOptions {
  /** Rate of the moving average of the target similarities `φ̂`, in [0, 1]. Default 0.5. */
  beta?: number;
  /** Non-negative constant added to denominators. Default 1e-8. */
  eps?: number;
}

/**
 * The weights of {@link GradVac}, from the Gramian. For each row `i`, the other rows `j` are
 * visited in a random order; when the cosine similarity `φᵢⱼ` of the (already corrected) row `i`
 * with the original row `j` is below its target `φ̂ᵢⱼ`, a multiple of row `j` is added to row `i`
 * to bring the similarity up to the target, and the target follows the moving average
 * `φ̂ᵢⱼ ← (1 − β) φ̂ᵢⱼ + β φᵢⱼ`. The corrected rows are summed.
 *
 * Each corrected row is tracked as a combination `Σₖ cₖ gₖ` of the original rows, so its norm and
 * inner products come from the Gramian. Stateful: the targets `φ̂` persist across calls (starting
 * at 0, where GradVac coincides with PCGrad); `reset()` clears them, and they are cleared
 * automatically when the number of rows changes.
 *
 * @example
 * ```ts
 * const weighting = new GradVacWeighting({ beta: 0.5, seed: 0 });
 * weighting.apply(tf.tensor2d([[18, -22], [-22, 38]])); // ≈ [2.2222, 1.5789] on the first call
 * ```
 */
export class GradVacWeighting extends GramianWeighting {
  private betaValue = 0.5;
  private epsValue = 1e-8;
  private readonly seed: number | undefined;
  private uniform: () => number;
  /** The targets `φ̂ᵢⱼ`, or `undefined` before the first call and after `reset()`. */
  private targets: number[][] | undefined;

  constructor(options: GradVacOptions = {}) {
    super();
    const { beta = 0.5, eps = 1e-8, seed } = readOptions(options, 'GradVacWeighting');
    this.beta = beta;
    this.eps = eps;
    checkSeed(seed);
    this.seed = seed;
    this.uniform = uniformGenerator(seed);
  }

  /** Rate of the moving average of the targets; setting it validates it. */
  get beta(): number {
    return this.betaValue;
  }
  set beta(value: number) {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new InvalidArgumentError('beta', `expected a number in [0, 1], got ${value}.`);
    }
    this.betaValue = value;
  }

  /** Constant added to denominators; setting it validates it. */
  get eps(): number {
    return this.epsValue;
  }
  set eps(value: number) {
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new InvalidArgumentError('eps', `expected a finite number ≥ 0, got ${value}.`);
    }
    this.epsValue = value;
  }

  /** True once a call has set the targets, until `reset()`. */
  get hasState(): boolean {
    return this.targets !== undefined;
  }

  /** Clears the targets (the next call starts from 0) and restarts the random stream. */
  reset(): void {
    this.targets = undefined;
    this.uniform = uniformGenerator(this.seed);
  }

  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    const g = toMatrix64(gramian);
    const m = g.length;
    // Updated on a copy, kept only if everything came out finite: a NaN target (e.g. from zero
    // rows with eps = 0) would otherwise stay for every later call.
    const targets =
      this.targets === undefined || this.targets.length !== m
        ? Array.from({ length: m }, () => new Array<number>(m).fill(0))
        : this.targets.map((row) => [...row]);
    const { beta, eps } = this;
    const coefficients = Array.from({ length: m }, (_, i) =>
      Array.from({ length: m }, (_, k) => (i === k ? 1 : 0)),
    );
    for (let i = 0; i < m; i++) {
      const c = coefficients[i];
      // (G c)ⱼ: the inner products of the corrected row i with each original row.
      let gc = g.map((row) => row.reduce((s, gjk, k) => s + gjk * c[k], 0));
      const others = Array.from({ length: m }, (_, j) => j).filter((j) => j !== i);
      for (const j of shuffled(others, this.uniform)) {
        const normI = Math.sqrt(
          Math.max(
            gc.reduce((s, v, k) => s + v * c[k], 0),
            0,
          ),
        );
        const normJ = Math.sqrt(Math.max(g[j][j], 0));
        const similarity = gc[j] / (normI * normJ + eps);
        const target = targets[i][j];
        if (similarity < target) {
          const sinSimilarity = Math.sqrt(Math.max(1 - similarity * similarity, 0));
          const sinTarget = Math.sqrt(Math.max(1 - target * target, 0));
          const w =
            (normI * (target * sinSimilarity - similarity * sinTarget)) / (normJ * sinTarget + eps);
          c[j] += w;
          gc = gc.map((v, k) => v + w * g[j][k]);
        }
        targets[i][j] = (1 - beta) * target + beta * similarity;
      }
    }
    const weights = new Array<number>(m).fill(0);
    for (const c of coefficients) for (let k = 0; k < m; k++) weights[k] += c[k];
    if (!weights.every(Number.isFinite) || !targets.every((row) => row.every(Number.isFinite))) {
      throw new NumericalError(
        'GradVacWeighting: non-finite similarities or weights (zero rows with eps = 0, or an ' +
          'overflow); the targets are unchanged. Use eps > 0.',
      );
    }
    this.targets = targets;
    return toTensor1D(weights);
  }

  override toString(): string {
    return 'GradVacWeighting';
  }
}

/**
 * Gradient Vaccine: like PCGrad, but instead of removing conflicts it raises the similarity of
 * each pair of objectives' gradients to a moving-average target, which also acts on pairs that do
 * not conflict. The aggregation step of "Gradient Vaccine: Investigating and Improving Multi-task
 * Optimization in Massively Multilingual Models" (Wang et al., ICLR 2021,
 * https://arxiv.org/abs/2010.05874). Stateful: `reset()` clears the targets.
 *
 * @example
 * ```ts
 * const aggregator = new GradVac({ seed: 0 });
 * aggregator.apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])); // ≈ [0.5848, 3.8012, 3.8012] at first
 * ```
 */
export class GradVac extends GramianWeightedAggregator {
  declare readonly gramianWeighting: GradVacWeighting;

  constructor(options: GradVacOptions = {}) {
    super(new GradVacWeighting(readOptions(options, 'GradVac')));
  }

  /** Rate of the moving average of the targets. */
  get beta(): number {
    return this.gramianWeighting.beta;
  }
  set beta(value: number) {
    this.gramianWeighting.beta = value;
  }

  /** Constant added to denominators. */
  get eps(): number {
    return this.gramianWeighting.eps;
  }
  set eps(value: number) {
    this.gramianWeighting.eps = value;
  }

  /** Clears the targets and restarts the random stream. */
  reset(): void {
    this.gramianWeighting.reset();
  }

  override toString(): string {
    return 'GradVac';
  }
}
