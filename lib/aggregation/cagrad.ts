import type * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { checkNonNegative } from '../linalg/dual_cone';
import { normalize } from '../linalg/gramian';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { solveConflictAverse } from '../linalg/solvers/cagrad';
import { GramianWeightedAggregator } from './aggregator_bases';
import { GramianWeighting } from './weighting_bases';

/** Options of {@link CAGrad} and {@link CAGradWeighting}. */
export interface CAGradOptions {
  /** Scale of the radius of the ball around the mean gradient (≥ 0). `c ≥ 1` makes it non-conflicting. */
  c: number;
  /** Below this, the Gramian's trace and the combination's norm are treated as zero. Default 1e-4. */
  normEps?: number;
}

/**
 * The weights of {@link CAGrad}, from the Gramian: `1/m + (r / ‖g_w‖) w*` where `w*` solves
 * CAGrad's inner problem on the trace-normalized Gramian ({@link solveConflictAverse}) and
 * `r = c ‖g₀‖`; zero weights when `‖g_w‖ < normEps` (a Pareto-stationary point), as TorchJD.
 *
 * @example
 * ```ts
 * new CAGradWeighting({ c: 0.5 }).apply(tf.tensor2d([[1, 0], [0, 1]])); // [0.75, 0.75]
 * ```
 */
export class CAGradWeighting extends GramianWeighting {
  private cValue = 0;
  private normEpsValue = 0;

  constructor(options: CAGradOptions) {
    super();
    const { c, normEps = 1e-4 } = readOptions(
      options,
      'CAGradWeighting',
      ['c'],
      'new CAGradWeighting({ c: 0.5 })',
    );
    this.c = c;
    this.normEps = normEps;
  }

  /** Scale of the radius of the ball constraint; throws `InvalidArgumentError` if negative. */
  get c(): number {
    return this.cValue;
  }
  set c(value: number) {
    checkNonNegative(value, 'c');
    this.cValue = value;
  }

  /** Threshold below which norms count as zero; throws `InvalidArgumentError` if negative. */
  get normEps(): number {
    return this.normEpsValue;
  }
  set normEps(value: number) {
    checkNonNegative(value, 'normEps');
    this.normEpsValue = value;
  }

  forward(gramianTensor: tf.Tensor2D): tf.Tensor1D {
    const gramian = normalize(toMatrix64(gramianTensor), this.normEps);
    const m = gramian.length;
    // ‖g₀‖² = w̄ᵀ G w̄ with w̄ uniform.
    let meanSquaredNorm = 0;
    for (const row of gramian) for (const v of row) meanSquaredNorm += v / (m * m);
    const radius = this.c * Math.sqrt(Math.max(meanSquaredNorm, 0));
    const { weights, combinationNorm } = solveConflictAverse(gramian, radius);
    // `> 0` as well: with normEps = 0, a zero combination would otherwise divide 0 by 0.
    if (combinationNorm >= this.normEps && combinationNorm > 0) {
      return toTensor1D(weights.map((w) => 1 / m + (radius / combinationNorm) * w));
    }
    return toTensor1D(new Array<number>(m).fill(0));
  }

  override toString(): string {
    return 'CAGradWeighting';
  }
}

/**
 * Conflict-Averse Gradient descent: the direction `d` maximizing the smallest improvement
 * `min_i g_iᵀ d` within the ball `‖d − g₀‖ ≤ c ‖g₀‖` around the mean gradient `g₀`. From
 * Algorithm 1 of "Conflict-Averse Gradient Descent for Multi-task Learning" (Liu et al., NeurIPS
 * 2021, https://arxiv.org/abs/2110.14048). Where TorchJD calls cvxpy, the inner problem is solved
 * here by {@link solveConflictAverse}.
 *
 * @example
 * ```ts
 * new CAGrad({ c: 0.5 }).apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]]));
 * ```
 */
export class CAGrad extends GramianWeightedAggregator {
  declare readonly gramianWeighting: CAGradWeighting;

  constructor(options: CAGradOptions) {
    super(new CAGradWeighting(readOptions(options, 'CAGrad', ['c'], 'new CAGrad({ c: 0.5 })')));
  }

  /** See {@link CAGradWeighting.c}. */
  get c(): number {
    return this.gramianWeighting.c;
  }
  set c(value: number) {
    this.gramianWeighting.c = value;
  }

  /** See {@link CAGradWeighting.normEps}. */
  get normEps(): number {
    return this.gramianWeighting.normEps;
  }
  set normEps(value: number) {
    this.gramianWeighting.normEps = value;
  }

  /** `CAGrad` followed by `c` as Python prints a float, trailing zeros stripped (`CAGrad0.5`, `CAGrad1.`). */
  override toString(): string {
    return `CAGrad${pythonFloat(this.c).replace(/0+$/, '')}`;
  }
}

/** `value` as Python's `str(float)` writes it for ordinary magnitudes (`1.0`, `0.5`). */
function pythonFloat(value: number): string {
  const text = String(value);
  return Number.isInteger(value) && !/e/i.test(text) ? `${text}.0` : text;
}
