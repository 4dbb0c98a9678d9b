import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError } from '../errors';
import { matVec, toMatrix64, toTensor1D, type Matrix64 } from '../linalg/matrix';
import { GramianWeightedAggregator } from './aggregator_bases';
import { GramianWeighting } from './weighting_bases';

/** Options of {@link MGDA} and {@link MGDAWeighting}. */
export interface MGDAOptions {
  /** Stop when the Frank–Wolfe step size falls below this. Default 1e-3. */
  epsilon?: number;
  /** Maximum number of Frank–Wolfe iterations. Default 100. */
  maxIters?: number;
}

/**
 * The weights of {@link MGDA}: the convex combination of the rows of minimum norm, found by
 * Frank–Wolfe iterations on the Gramian, starting from uniform weights (as TorchJD): Algorithm 2
 * of "Multi-Task Learning as Multi-Objective Optimization" (Sener & Koltun, NeurIPS 2018). Ties in
 * the argmin go to the first row, as `torch.argmin`.
 *
 * @example
 * ```ts
 * new MGDAWeighting().apply(tf.tensor2d([[18, -22], [-22, 38]])).print(); // [0.6, 0.4]
 * ```
 */
export class MGDAWeighting extends GramianWeighting {
  private epsilonValue = 0.001;
  private maxItersValue = 100;

  constructor(options: MGDAOptions = {}) {
    super();
    const { epsilon = 0.001, maxIters = 100 } = readOptions(options, 'MGDAWeighting');
    this.epsilon = epsilon;
    this.maxIters = maxIters;
  }

  /** The step size below which the iterations stop; setting it validates it (> 0), as TorchJD. */
  get epsilon(): number {
    return this.epsilonValue;
  }
  set epsilon(value: number) {
    if (!(typeof value === 'number' && value > 0)) {
      throw new InvalidArgumentError('epsilon', `expected > 0, got ${value}.`);
    }
    this.epsilonValue = value;
  }

  /** The maximum number of iterations; setting it validates it (a positive integer), as TorchJD. */
  get maxIters(): number {
    return this.maxItersValue;
  }
  set maxIters(value: number) {
    if (!(Number.isInteger(value) && value > 0)) {
      throw new InvalidArgumentError('maxIters', `expected a positive integer, got ${value}.`);
    }
    this.maxItersValue = value;
  }

  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    return toTensor1D(this.weightsOfValues(toMatrix64(gramian)));
  }

  override weightsOfValues(gramian: Matrix64): number[] {
    const m = gramian.length;
    let alpha = new Array<number>(m).fill(1 / m);
    for (let iteration = 0; iteration < this.maxItersValue; iteration++) {
      const gAlpha = matVec(gramian, alpha);
      let t = 0;
      for (let i = 1; i < m; i++) if (gAlpha[i] < gAlpha[t]) t = i; // first minimum, as argmin
      const a = gAlpha[t];
      const b = alpha.reduce((s, ai, i) => s + ai * gAlpha[i], 0);
      const c = gramian[t][t];
      const gamma = c <= a ? 1 : b <= a ? 0 : (b - a) / (b + c - 2 * a);
      alpha = alpha.map((ai, i) => (1 - gamma) * ai + (i === t ? gamma : 0));
      if (gamma < this.epsilonValue) break;
    }
    return alpha;
  }

  override toString(): string {
    return 'MGDAWeighting';
  }
}

/**
 * Multiple-Gradient Descent Algorithm: the minimum-norm point of the convex hull of the rows, a
 * direction that decreases every objective when one exists. From "Multiple-gradient descent
 * algorithm (MGDA) for multiobjective optimization" (Désidéri, 2012), with the Frank–Wolfe solver
 * of "Multi-Task Learning as Multi-Objective Optimization" (Sener & Koltun, NeurIPS 2018).
 *
 * @example
 * ```ts
 * new MGDA().apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]]));
 * ```
 */
export class MGDA extends GramianWeightedAggregator {
  declare readonly gramianWeighting: MGDAWeighting;

  constructor(options: MGDAOptions = {}) {
    super(new MGDAWeighting(readOptions(options, 'MGDA')));
  }

  /** The weighting's `epsilon`; setting it sets (and validates) the weighting's, as TorchJD. */
  get epsilon(): number {
    return this.gramianWeighting.epsilon;
  }
  set epsilon(value: number) {
    this.gramianWeighting.epsilon = value;
  }

  /** The weighting's `maxIters`; setting it sets (and validates) the weighting's, as TorchJD. */
  get maxIters(): number {
    return this.gramianWeighting.maxIters;
  }
  set maxIters(value: number) {
    this.gramianWeighting.maxIters = value;
  }

  override toString(): string {
    return 'MGDA';
  }
}
