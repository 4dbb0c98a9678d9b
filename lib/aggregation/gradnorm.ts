import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { toTensor1D } from '../linalg/matrix';
import { combine } from './aggregator_bases';
import { LossAwareAggregator, type StateSnapshot } from './loss_aware';

/** How {@link GradNorm} keeps its task weights positive and summing to the number of tasks. */
export type GradNormParametrization = 'renormalize' | 'softmax';

/** Options of {@link GradNorm}. */
export interface GradNormOptions {
  /**
   * Strength `α` of the restoring force that pulls the tasks back to a common training rate
   * (the paper's asymmetry hyperparameter; 0 asks for equal weighted gradient norms); finite, ≥ 0.
   * Default 1.5, as LibMTL and the paper's NYUv2 experiments.
   */
  alpha?: number;
  /**
   * Learning rate of the plain gradient-descent step on the task weights, taken once per call;
   * finite, > 0. Default 0.025. The paper trains the weights alongside the network without fixing a
   * separate rate; LibMTL lets the network's optimizer do it.
   */
  lr?: number;
  /**
   * `'renormalize'` (default, the paper): the step acts on the weights `w` themselves, which are
   * then clipped at 0 and rescaled to sum to `m`. `'softmax'` (LibMTL): `w = m · softmax(θ)` and the
   * step acts on the logits `θ`.
   */
  parametrization?: GradNormParametrization;
}

/**
 * The gradient of GradNorm's objective `L_grad = Σᵢ |wᵢ nᵢ − Ḡ rᵢ^α|` with respect to the weights
 * `w`, the targets `Ḡ rᵢ^α` held constant as in the paper: `sign(wᵢ nᵢ − Ḡ rᵢ^α) · nᵢ`, where
 * `nᵢ = ‖gᵢ‖`, `Ḡ = mean(wᵢ nᵢ)`, `rᵢ = L̃ᵢ / mean(L̃)` and `L̃ᵢ = Lᵢ / Lᵢ(0)`. Also returns the
 * objective's value. Exported for the specs, which chain it through the softmax to compare with
 * LibMTL.
 *
 * @example
 * ```ts
 * gradNormWeightGradient([1, 1], [2, 1], [0.8, 0.4], [1, 1], 1.5); // rᵢ = [4/3, 2/3]
 * ```
 */
export function gradNormWeightGradient(
  weights: ArrayLike<number>,
  norms: ArrayLike<number>,
  losses: ArrayLike<number>,
  initialLosses: ArrayLike<number>,
  alpha: number,
): { gradient: number[]; objective: number } {
  const m = weights.length;
  const weighted = Array.from(norms, (n, i) => weights[i] * n);
  const meanNorm = weighted.reduce((s, x) => s + x, 0) / m;
  const rates = Array.from(losses, (l, i) => l / initialLosses[i]);
  const meanRate = rates.reduce((s, x) => s + x, 0) / m;
  // All losses at 0: every task trains at the same (infinite) rate.
  const ratios = rates.map((r) => (meanRate > 0 ? r / meanRate : 1));
  let objective = 0;
  const gradient = weighted.map((g, i) => {
    const gap = g - meanNorm * Math.pow(ratios[i], alpha);
    objective += Math.abs(gap);
    return Math.sign(gap) * norms[i];
  });
  return { gradient, objective };
}

/**
 * GradNorm: each task's weight is learned so that the norm of its weighted gradient, `wᵢ ‖gᵢ‖`,
 * tracks the mean of these norms times the task's relative inverse training rate to the power
 * `alpha`; tasks whose loss has decreased less (relative to its first value) get larger weights.
 * From "GradNorm: Gradient Normalization for Adaptive Loss Balancing in Deep Multitask Networks"
 * (Chen et al., ICML 2018, https://proceedings.mlr.press/v80/chen18a.html).
 *
 * Each call returns `Σᵢ wᵢ gᵢ` with the current weights (starting at 1), then takes one step of
 * gradient descent of size `lr` on `L_grad = Σᵢ |wᵢ ‖gᵢ‖ − Ḡ rᵢ^α|` (see
 * `gradNormWeightGradient`) and renormalizes the weights to sum to `m`. The rows of the matrix
 * are the tasks' gradients with respect to the shared parameters it is given: the paper takes the
 * last shared layer only, which `mtlBackward({ sharedParams })` or a layer-restricted Jacobian
 * reproduce; `mtlGrads` gives all shared parameters (as LibMTL by default).
 *
 * Needs the losses ({@link LossAwareAggregator}): the first call's losses are the `Lᵢ(0)` of the
 * training rates, and must be > 0; later losses must be ≥ 0. Stateful: `reset()` returns to unit
 * weights and forgets `Lᵢ(0)`, as does a change in the number of tasks.
 *
 * Departures of LibMTL's `GradNorm.py` from the paper, where this class follows the paper: LibMTL
 * parametrizes `w = m · softmax(θ)` (available as `parametrization: 'softmax'`), takes `Lᵢ(0)` as
 * the mean loss of the whole first epoch, during which it trains with unit weights and no weight
 * update, and steps the weights with the network's optimizer.
 *
 * @example
 * ```ts
 * const aggregator = new GradNorm({ alpha: 1.5, lr: 0.025 });
 * const { losses, grads } = mtlGrads(forward, { aggregator }); // passes the losses
 * optimizer.applyGradients(grads);
 * aggregator.applyWithLosses(tf.tensor2d([[1, 0], [0, 2]]), [0.5, 0.9]); // direct use
 * ```
 */
export class GradNorm extends LossAwareAggregator {
  /** See {@link GradNormOptions.alpha}. */
  readonly alpha: number;
  /** See {@link GradNormOptions.lr}. */
  readonly lr: number;
  /** See {@link GradNormOptions.parametrization}. */
  readonly parametrization: GradNormParametrization;
  private weightsValue: number[] | undefined;
  private logits: number[] | undefined;
  private initialLossesValue: number[] | undefined;

  constructor(options?: GradNormOptions) {
    super();
    const {
      alpha = 1.5,
      lr = 0.025,
      parametrization = 'renormalize',
    } = readOptions(options, 'GradNorm');
    if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha < 0) {
      throw new InvalidArgumentError(
        'alpha',
        `expected a finite number ≥ 0, got ${String(alpha)}.`,
      );
    }
    if (typeof lr !== 'number' || !Number.isFinite(lr) || !(lr > 0)) {
      throw new InvalidArgumentError('lr', `expected a finite number > 0, got ${String(lr)}.`);
    }
    if (parametrization !== 'renormalize' && parametrization !== 'softmax') {
      throw new InvalidArgumentError(
        'parametrization',
        `expected 'renormalize' or 'softmax', got ${String(parametrization)}.`,
      );
    }
    this.alpha = alpha;
    this.lr = lr;
    this.parametrization = parametrization;
  }

  /** The weights the next call will use (a copy); `undefined` before the first call (unit weights). */
  get weights(): number[] | undefined {
    return this.weightsValue?.slice();
  }

  /** The losses `Lᵢ(0)` of the first call since construction or `reset()`. */
  get initialLosses(): number[] | undefined {
    return this.initialLossesValue?.slice();
  }

  /** Returns to unit weights; the next call's losses become the new `Lᵢ(0)`. */
  reset(): void {
    this.weightsValue = undefined;
    this.logits = undefined;
    this.initialLossesValue = undefined;
  }

  /** A first call (or one with another number of tasks) starts from unit weights. */
  private isFresh(rows: number): boolean {
    return this.weightsValue === undefined || this.weightsValue.length !== rows;
  }

  protected override checkLosses(losses: Float64Array, rows: number): void {
    const initial = this.isFresh(rows) ? Array.from(losses) : this.initialLossesValue!;
    if (initial.some((l) => !(l > 0))) {
      throw new InvalidArgumentError(
        'losses',
        `GradNorm's first losses are the denominators of the training rates and must be > 0, got [${initial}].`,
      );
    }
    if (losses.some((l) => l < 0)) {
      throw new InvalidArgumentError('losses', `expected losses ≥ 0, got [${Array.from(losses)}].`);
    }
  }

  // The arrays are replaced, never changed in place: keeping the references is a snapshot.
  protected override snapshotState(): StateSnapshot {
    const { weightsValue, logits, initialLossesValue } = this;
    return {
      restore: () => {
        this.weightsValue = weightsValue;
        this.logits = logits;
        this.initialLossesValue = initialLossesValue;
      },
      release: () => {},
    };
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const m = matrix.shape[0];
    const losses = Array.from(this.currentLosses);
    const fresh = this.isFresh(m);
    const initial = fresh ? losses : this.initialLossesValue!;
    const weights = fresh ? new Array<number>(m).fill(1) : this.weightsValue!;
    const norms = tf.tidy(() => Array.from(tf.norm(matrix, 'euclidean', 1).dataSync()));
    if (!norms.every(Number.isFinite)) {
      throw new NumericalError(
        'The norms of the rows overflowed float32 (its entries are too large to square); scale the losses down.',
      );
    }
    const { gradient } = gradNormWeightGradient(weights, norms, losses, initial, this.alpha);
    let nextWeights: number[];
    let nextLogits: number[] | undefined;
    if (this.parametrization === 'softmax') {
      const logits = fresh ? new Array<number>(m).fill(0) : this.logits!;
      // w = m·softmax(θ): ∂L/∂θₖ = m sₖ (∂L/∂wₖ − Σⱼ sⱼ ∂L/∂wⱼ).
      const s = weights.map((w) => w / m);
      const mean = s.reduce((acc, sj, j) => acc + sj * gradient[j], 0);
      nextLogits = logits.map((t, k) => t - this.lr * m * s[k] * (gradient[k] - mean));
      nextWeights = softmaxTimes(nextLogits, m);
    } else {
      const stepped = weights.map((w, i) => Math.max(w - this.lr * gradient[i], 0));
      const total = stepped.reduce((acc, w) => acc + w, 0);
      nextWeights = total > 0 ? stepped.map((w) => (m * w) / total) : new Array<number>(m).fill(1);
    }
    if (!nextWeights.every(Number.isFinite)) {
      throw new NumericalError(
        `GradNorm's weight step overflowed (lr ${this.lr}, row norms [${norms}]); lower lr.`,
      );
    }
    const direction = tf.tidy(() => combine(matrix, toTensor1D(weights)));
    this.weightsValue = nextWeights;
    this.logits = nextLogits;
    this.initialLossesValue = initial;
    return direction;
  }

  override toString(): string {
    const suffix = this.parametrization === 'softmax' ? ', softmax' : '';
    return `GradNorm(alpha=${this.alpha}, lr=${this.lr}${suffix})`;
  }
}

/** `scale · softmax(logits)`, shifted by the largest logit so that exp() cannot overflow. */
function softmaxTimes(logits: number[], scale: number): number[] {
  const largest = Math.max(...logits);
  const e = logits.map((t) => Math.exp(t - largest));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => (scale * x) / total);
}
