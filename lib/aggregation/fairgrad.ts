import type * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError } from '../errors';
import { checkNonNegative } from '../linalg/dual_cone';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { solveAlphaFairness } from '../linalg/solvers/fairgrad';
import { GramianWeightedAggregator } from './aggregator_bases';
import { GramianWeighting } from './weighting_bases';

/** Options of {@link FairGrad} and {@link FairGradWeighting}. */
export interface FairGradOptions {
  /** The α of α-fairness (≥ 0): 0 is the mean, 1 proportional fairness, → ∞ max-min fairness. */
  alpha: number;
  /** Maximum number of Newton iterations. Default (`undefined`) `100 · m`, as TorchJD's default. */
  maxIters?: number;
}

/**
 * The weights of {@link FairGrad}: the positive solution `w` of `G w = w^(−1/α)` (Equation 4 of
 * "Fair Resource Allocation in Multi-Task Learning", Ban & Ji, ICML 2024), found by
 * {@link solveAlphaFairness}; uniform weights `1/m` when `α = 0`.
 *
 * When the system has no solution (e.g. a Gramian with a zero row), the last Newton iterate is used
 * (finite and positive), as TorchJD uses the last iterate of its least-squares solver.
 *
 * @example
 * ```ts
 * new FairGradWeighting({ alpha: 1 }).apply(tf.tensor2d([[1, 0], [0, 4]])); // [1, 0.5]
 * ```
 */
export class FairGradWeighting extends GramianWeighting {
  private alphaValue = 0;
  private maxItersValue: number | undefined;

  constructor(options: FairGradOptions) {
    super();
    const { alpha, maxIters } = readOptions(
      options,
      'FairGradWeighting',
      ['alpha'],
      'new FairGradWeighting({ alpha: 1 })',
    );
    this.alpha = alpha;
    this.maxIters = maxIters;
  }

  /**
   * The α of α-fairness. TorchJD does not check it; negative values make the problem non-convex, so
   * they throw `InvalidArgumentError` here.
   */
  get alpha(): number {
    return this.alphaValue;
  }
  set alpha(value: number) {
    checkNonNegative(value, 'alpha');
    this.alphaValue = value;
  }

  /** Maximum number of Newton iterations (a positive integer), or `undefined` for `100 · m`. */
  get maxIters(): number | undefined {
    return this.maxItersValue;
  }
  set maxIters(value: number | undefined) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new InvalidArgumentError('maxIters', `expected a positive integer, got ${value}.`);
    }
    this.maxItersValue = value;
  }

  forward(gramianTensor: tf.Tensor2D): tf.Tensor1D {
    const m = gramianTensor.shape[0];
    if (this.alpha === 0) return toTensor1D(new Array<number>(m).fill(1 / m));
    const gramian = toMatrix64(gramianTensor);
    return toTensor1D(solveAlphaFairness(gramian, this.alpha, this.maxIters ?? 100 * m).weights);
  }

  override toString(): string {
    return 'FairGradWeighting';
  }
}

/**
 * FairGrad: weights the rows so that the improvement `g_iᵀ d` of each objective equals
 * `w_i^(−1/α)`, the α-fair allocation of "Fair Resource Allocation in Multi-Task Learning" (Ban &
 * Ji, ICML 2024, https://arxiv.org/abs/2402.15638), Algorithm 1. Every row has a positive
 * improvement, so it is non-conflicting whenever the system is solvable.
 *
 * @example
 * ```ts
 * new FairGrad({ alpha: 1 }).apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]]));
 * ```
 */
export class FairGrad extends GramianWeightedAggregator {
  declare readonly gramianWeighting: FairGradWeighting;

  constructor(options: FairGradOptions) {
    super(
      new FairGradWeighting(
        readOptions(options, 'FairGrad', ['alpha'], 'new FairGrad({ alpha: 1 })'),
      ),
    );
  }

  /** See {@link FairGradWeighting.alpha}. */
  get alpha(): number {
    return this.gramianWeighting.alpha;
  }
  set alpha(value: number) {
    this.gramianWeighting.alpha = value;
  }

  /** See {@link FairGradWeighting.maxIters}. */
  get maxIters(): number | undefined {
    return this.gramianWeighting.maxIters;
  }
  set maxIters(value: number | undefined) {
    this.gramianWeighting.maxIters = value;
  }

  /** `<alpha>-FairGrad`, with α as Python prints a float (`1.0-FairGrad`). */
  override toString(): string {
    return `${pythonFloat(this.alpha)}-FairGrad`;
  }
}

/** `value` as Python's `str(float)` writes it for ordinary magnitudes (`1.0`, `0.1`), as TorchJD prints α. */
function pythonFloat(value: number): string {
  const text = String(value);
  return Number.isInteger(value) && !/e/i.test(text) ? `${text}.0` : text;
}
