import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { toTensor1D } from '../linalg/matrix';
import { rejectNonFiniteStatistic, WeightedAggregator } from './aggregator_bases';
import { MatrixWeighting } from './weighting_bases';

/** Options of {@link ExcessMTL} and {@link ExcessMTLWeighting}. */
export interface ExcessMTLOptions {
  /** Step size η_α of the exponentiated weight update (> 0). Default 1. */
  robustStepSize?: number;
  /**
   * Number of calls returning uniform weights while collecting statistics; the baseline excess risk
   * is then their average. With 0 (default), the first call's excess risk is the baseline.
   */
  nWarmupSteps?: number;
}

/**
 * The stateful weighting of {@link ExcessMTL}. Each call accumulates the squared gradients
 * `S += J⊙J` (an AdaGrad-like diagonal Hessian estimate, Equation 7 of the paper), estimates each
 * task's excess risk `e_i = Σ_j J_ij² / √(S_ij + 1e-7)` (Equation 6), divides it by the baseline
 * excess risk, and updates the weights multiplicatively `w ← w ⊙ exp(η e) / Σ` (Equation 9),
 * starting from `1/m`. The `m × n` state `S` lives on the tfjs backend (as large as the matrix).
 * A change of the matrix's shape restarts the state.
 *
 * @example
 * ```ts
 * const weighting = new ExcessMTLWeighting({ robustStepSize: 0.5 });
 * weighting.apply(tf.tensor2d([[2, 0], [1, 0]]));
 * weighting.reset();
 * ```
 */
export class ExcessMTLWeighting extends MatrixWeighting {
  private robustStepSizeValue = 1;
  private nWarmupStepsValue = 0;
  private squaredGradientSum: tf.Tensor2D | null = null;
  private weights: number[] = [];
  private baseline: number[] | null = null;
  private warmupSum: number[] = [];
  private nSteps = 0;

  constructor(options: ExcessMTLOptions = {}) {
    super();
    const { robustStepSize = 1, nWarmupSteps = 0 } = readOptions(options, 'ExcessMTLWeighting');
    this.robustStepSize = robustStepSize;
    this.nWarmupSteps = nWarmupSteps;
  }

  /** Step size of the exponentiated update; throws `InvalidArgumentError` unless > 0. */
  get robustStepSize(): number {
    return this.robustStepSizeValue;
  }
  set robustStepSize(value: number) {
    if (!(Number.isFinite(value) && value > 0)) {
      throw new InvalidArgumentError('robustStepSize', `expected a number > 0, got ${value}.`);
    }
    this.robustStepSizeValue = value;
  }

  /** Number of warm-up calls; throws `InvalidArgumentError` unless a non-negative integer. */
  get nWarmupSteps(): number {
    return this.nWarmupStepsValue;
  }
  set nWarmupSteps(value: number) {
    if (!(Number.isInteger(value) && value >= 0)) {
      throw new InvalidArgumentError('nWarmupSteps', `expected an integer ≥ 0, got ${value}.`);
    }
    this.nWarmupStepsValue = value;
  }

  /** Frees the state: the next call starts from uniform weights and warms up again. */
  reset(): void {
    this.squaredGradientSum?.dispose();
    this.squaredGradientSum = null;
    this.weights = [];
    this.baseline = null;
    this.warmupSum = [];
    this.nSteps = 0;
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const [m, n] = matrix.shape;
    const state = this.squaredGradientSum;
    const fresh = state === null || state.shape[0] !== m || state.shape[1] !== n;
    const previousSum = fresh ? null : state;
    const [sum, excess] = tf.tidy(() => {
      const squared = tf.square(matrix);
      const accumulated = (
        previousSum === null ? squared : tf.add(previousSum, squared)
      ) as tf.Tensor2D;
      const risk = tf.sum(tf.div(squared, tf.sqrt(tf.add(accumulated, 1e-7))), 1);
      return [accumulated, Array.from(risk.dataSync())] as const;
    });
    // A NaN or ∞ in the matrix always reaches the risks: checked there, before the state changes.
    if (!excess.every(Number.isFinite)) {
      sum.dispose();
      rejectNonFiniteStatistic(matrix, 'excess risk');
    }
    const preview = fresh
      ? this.previewWeights(excess, new Array<number>(m).fill(1 / m), 0, null, [])
      : this.previewWeights(excess, this.weights, this.nSteps, this.baseline, this.warmupSum);
    if (!preview.every(Number.isFinite)) {
      sum.dispose();
      throw new NumericalError(
        'ExcessMTLWeighting: the weight update overflowed (non-finite weights); the state is ' +
          'unchanged. Lower `robustStepSize`.',
      );
    }
    if (fresh) {
      this.reset();
      this.weights = new Array<number>(m).fill(1 / m);
      this.warmupSum = new Array<number>(m).fill(0);
    }
    previousSum?.dispose();
    this.squaredGradientSum = tf.keep(sum);

    if (this.nSteps < this.nWarmupSteps) {
      this.warmupSum = this.warmupSum.map((s, i) => s + excess[i]);
      this.nSteps += 1;
      return toTensor1D(this.weights);
    }
    this.nSteps += 1;
    let scaled = excess;
    if (this.baseline === null) {
      if (this.nWarmupSteps > 0) {
        const baseline = this.warmupSum.map((s) => s / this.nWarmupSteps);
        this.baseline = baseline;
        scaled = excess.map((e, i) => e / (baseline[i] + 1e-7));
      } else {
        // As the official implementation: the first excess risk is the baseline, used unscaled.
        this.baseline = excess;
      }
    } else {
      const baseline = this.baseline;
      scaled = excess.map((e, i) => e / (baseline[i] + 1e-7));
    }
    this.weights = exponentiatedUpdate(this.weights, scaled, this.robustStepSize);
    return toTensor1D(this.weights);
  }

  /**
   * The weights this call would give, computed without changing the state, so that an overflow is
   * found before anything is written (a scaled risk of 1e300 can make the exponent infinite).
   */
  private previewWeights(
    excess: number[],
    weights: number[],
    nSteps: number,
    baseline: number[] | null,
    warmupSum: number[],
  ): number[] {
    if (nSteps < this.nWarmupSteps) return weights;
    let scaled = excess;
    if (baseline !== null) {
      scaled = excess.map((e, i) => e / (baseline[i] + 1e-7));
    } else if (this.nWarmupSteps > 0) {
      const average = warmupSum.map((s) => s / this.nWarmupSteps);
      scaled = excess.map((e, i) => e / (average[i] + 1e-7));
    }
    return exponentiatedUpdate(weights, scaled, this.robustStepSize);
  }

  override toString(): string {
    return 'ExcessMTLWeighting';
  }
}

/**
 * `w ⊙ exp(η s) / Σ`, with the largest exponent subtracted before `exp()`: the same normalized
 * weights without overflowing to Infinity (and NaN) on large excess risks.
 */
function exponentiatedUpdate(weights: number[], scaled: number[], step: number): number[] {
  const exponents = scaled.map((s, i) => Math.log(weights[i]) + step * s);
  const largest = Math.max(...exponents);
  const unnormalized = exponents.map((e) => Math.exp(e - largest));
  const total = unnormalized.reduce((a, b) => a + b, 0);
  return unnormalized.map((u) => u / total);
}

/**
 * ExcessMTL: weights the tasks by exponentiated-gradient ascent on their estimated excess risks, so
 * that tasks far from their optimum get more weight. From "Robust Multi-Task Learning with Excess
 * Risks" (He et al., ICML 2024, https://proceedings.mlr.press/v235/he24n.html). Stateful: call
 * `reset()` between experiments (it also frees the `m × n` state).
 *
 * @example
 * ```ts
 * const aggregator = new ExcessMTL();
 * aggregator.apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]]));
 * aggregator.reset();
 * ```
 */
export class ExcessMTL extends WeightedAggregator {
  declare readonly weighting: ExcessMTLWeighting;

  constructor(options: ExcessMTLOptions = {}) {
    super(new ExcessMTLWeighting(readOptions(options, 'ExcessMTL')), true);
  }

  /** See {@link ExcessMTLWeighting.robustStepSize}. */
  get robustStepSize(): number {
    return this.weighting.robustStepSize;
  }
  set robustStepSize(value: number) {
    this.weighting.robustStepSize = value;
  }

  /** See {@link ExcessMTLWeighting.nWarmupSteps}. */
  get nWarmupSteps(): number {
    return this.weighting.nWarmupSteps;
  }
  set nWarmupSteps(value: number) {
    this.weighting.nWarmupSteps = value;
  }

  /** Resets the weighting's state (see {@link ExcessMTLWeighting.reset}). */
  reset(): void {
    this.weighting.reset();
  }

  override toString(): string {
    return 'ExcessMTL';
  }
}
