import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { projectOntoSimplex } from '../linalg/simplex';
import { combine } from './aggregator_bases';
import { LossAwareAggregator, type StateSnapshot } from './loss_aware';
import { rowGramian } from '../tensor_products';

/** How {@link MoCo} keeps its task weights on the probability simplex. */
export type MoCoSimplexMap = 'projection' | 'softmax';

/** Options of {@link MoCo}; defaults as LibMTL (`MoCo_beta`, `MoCo_beta_sigma`, …). */
export interface MoCoOptions {
  /** Step size `β` of the tracking update of the gradient estimates; in (0, 1]. Default 0.5. */
  beta?: number;
  /** Decay exponent of `β`: the step `t` (from 1) uses `β / t^betaSigma`; ≥ 0. Default 0.5. */
  betaSigma?: number;
  /** Step size `γ` of the task-weight update; finite, > 0. Default 0.1. */
  gamma?: number;
  /** Decay exponent of `γ`: the step `t` uses `γ / t^gammaSigma`; ≥ 0. Default 0.5. */
  gammaSigma?: number;
  /** ℓ2 regularization `ρ` of the task-weight update; finite, ≥ 0. Default 0. */
  rho?: number;
  /**
   * `'projection'` (default, the paper): `λ ← Π_Δ(λ − γₜ (Y Yᵀ + ρI) λ)`, the Euclidean projection
   * onto the simplex. `'softmax'` (LibMTL): `λ ← softmax(λ − γₜ (Y Yᵀ + ρI) λ)`.
   */
  simplex?: MoCoSimplexMap;
  /**
   * Replace each gradient by `Lᵢ gᵢ / (‖gᵢ‖ + 1e-8)` before tracking it: the scaling of the
   * authors' code, which LibMTL follows, and what the losses are needed for. Default true; with
   * false the rows are tracked as they are (the paper's algorithm) and the losses are unused.
   */
  lossScaled?: boolean;
}

/**
 * MoCo (multi-objective gradient correction): keeps an estimate `yᵢ` of each task's gradient,
 * corrected toward the current one by `yᵢ ← yᵢ − βₜ (yᵢ − gᵢ)`, which removes the bias that
 * stochastic gradients put into MGDA-like weights, and moves the task weights by one projected
 * gradient step `λ ← Π_Δ(λ − γₜ (Y Yᵀ + ρI) λ)` toward the minimum-norm combination of the
 * estimates; the update is `Yᵀ λ`. From "Mitigating Gradient Bias in Multi-objective Learning: A
 * Provably Convergent Approach" (Fernando et al., ICLR 2023, https://openreview.net/forum?id=dLAYGdKTi2).
 * `βₜ = β / t^betaSigma` and `γₜ = γ / t^gammaSigma` at the `t`-th call; the estimates start at
 * 0, the weights at `1/m`.
 *
 * Needs the losses ({@link LossAwareAggregator}) for the loss-scaled gradients of the authors'
 * code (option `lossScaled`). Stateful: the `m × n` estimates live on the tfjs backend; `reset()`
 * frees them and restarts, as does a change of the matrix's shape.
 *
 * Departure of LibMTL's `MoCo.py` from the paper, where this class follows the paper: LibMTL maps
 * the weights onto the simplex with a softmax instead of the projection (available as
 * `simplex: 'softmax'`). Like LibMTL, it does not keep the estimates in the bounded set the
 * paper's analysis projects them onto (its radius is a Lipschitz constant, unknown in practice).
 *
 * @example
 * ```ts
 * const aggregator = new MoCo(); // beta 0.5, gamma 0.1, as LibMTL
 * const { losses, grads } = mtlGrads(forward, { aggregator });
 * aggregator.applyWithLosses(tf.tensor2d([[1, 0], [0, 2]]), [0.5, 0.9]); // direct use
 * aggregator.reset();
 * ```
 */
export class MoCo extends LossAwareAggregator {
  /** See {@link MoCoOptions.beta}. */
  readonly beta: number;
  /** See {@link MoCoOptions.betaSigma}. */
  readonly betaSigma: number;
  /** See {@link MoCoOptions.gamma}. */
  readonly gamma: number;
  /** See {@link MoCoOptions.gammaSigma}. */
  readonly gammaSigma: number;
  /** See {@link MoCoOptions.rho}. */
  readonly rho: number;
  /** See {@link MoCoOptions.simplex}. */
  readonly simplex: MoCoSimplexMap;
  /** See {@link MoCoOptions.lossScaled}. */
  readonly lossScaled: boolean;
  private estimates: tf.Tensor2D | null = null;
  private lambdaValue: number[] = [];
  private step = 0;

  constructor(options?: MoCoOptions) {
    super();
    const {
      beta = 0.5,
      betaSigma = 0.5,
      gamma = 0.1,
      gammaSigma = 0.5,
      rho = 0,
      simplex = 'projection',
      lossScaled = true,
    } = readOptions(options, 'MoCo');
    if (typeof beta !== 'number' || !(beta > 0 && beta <= 1)) {
      throw new InvalidArgumentError('beta', `expected a number in (0, 1], got ${String(beta)}.`);
    }
    this.beta = beta;
    this.betaSigma = nonNegative(betaSigma, 'betaSigma');
    if (typeof gamma !== 'number' || !Number.isFinite(gamma) || !(gamma > 0)) {
      throw new InvalidArgumentError(
        'gamma',
        `expected a finite number > 0, got ${String(gamma)}.`,
      );
    }
    this.gamma = gamma;
    this.gammaSigma = nonNegative(gammaSigma, 'gammaSigma');
    this.rho = nonNegative(rho, 'rho');
    if (simplex !== 'projection' && simplex !== 'softmax') {
      throw new InvalidArgumentError(
        'simplex',
        `expected 'projection' or 'softmax', got ${String(simplex)}.`,
      );
    }
    this.simplex = simplex;
    if (typeof lossScaled !== 'boolean') {
      throw new InvalidArgumentError(
        'lossScaled',
        `expected a boolean, got ${String(lossScaled)}.`,
      );
    }
    this.lossScaled = lossScaled;
  }

  /** The current task weights `λ` (a copy; empty before the first call). */
  get lambda(): number[] {
    return this.lambdaValue.slice();
  }

  /** Frees the gradient estimates; the next call starts from 0 and uniform weights. */
  reset(): void {
    this.estimates?.dispose();
    this.estimates = null;
    this.lambdaValue = [];
    this.step = 0;
  }

  // The previous estimates stay alive until the call has succeeded (`forward` does not free them).
  protected override snapshotState(): StateSnapshot {
    const { estimates, lambdaValue, step } = this;
    return {
      restore: () => {
        if (this.estimates !== estimates) this.estimates?.dispose();
        this.estimates = estimates;
        this.lambdaValue = lambdaValue;
        this.step = step;
      },
      release: () => {
        if (this.estimates !== estimates) estimates?.dispose();
      },
    };
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const [m, n] = matrix.shape;
    const previous = this.estimates;
    const fresh = previous === null || previous.shape[0] !== m || previous.shape[1] !== n;
    const step = fresh ? 1 : this.step + 1;
    const betaT = this.beta / Math.pow(step, this.betaSigma);
    const gammaT = this.gamma / Math.pow(step, this.gammaSigma);
    const losses = this.currentLosses;
    const [estimates, gramian] = tf.tidy(() => {
      let target: tf.Tensor2D = matrix;
      if (this.lossScaled) {
        const norms = tf.norm(matrix, 'euclidean', 1, true);
        // An ∞ norm would scale its row to 0: a silently wrong estimate, not an error.
        if (!norms.dataSync().every(Number.isFinite)) {
          throw new NumericalError(
            'The norms of the rows overflowed float32 (its entries are too large to square); ' +
              'scale the losses down.',
          );
        }
        const scale = tf.div(tf.tensor2d(Array.from(losses), [m, 1]), tf.add(norms, 1e-8));
        target = tf.mul(matrix, scale);
      }
      const y = (
        fresh ? tf.mul(target, betaT) : tf.sub(previous, tf.mul(tf.sub(previous, target), betaT))
      ) as tf.Tensor2D;
      return [y, toMatrix64(rowGramian(y))] as const;
    });
    if (!gramian.every((row) => row.every(Number.isFinite))) {
      estimates.dispose();
      throw new NumericalError(
        'The Gramian of the gradient estimates overflowed float32; scale the losses down.',
      );
    }
    const lambda = fresh ? new Array<number>(m).fill(1 / m) : this.lambdaValue;
    const moved = lambda.map(
      (l, i) => l - gammaT * (gramian[i].reduce((s, g, j) => s + g * lambda[j], 0) + this.rho * l),
    );
    const next = this.simplex === 'softmax' ? softmax(moved) : projectOntoSimplex(moved);
    if (!next.every(Number.isFinite)) {
      estimates.dispose();
      throw new NumericalError(
        `MoCo's weight step overflowed (gamma ${this.gamma}, rho ${this.rho}); lower gamma.`,
      );
    }
    const direction = tf.tidy(() => combine(estimates, toTensor1D(next)));
    this.estimates = tf.keep(estimates);
    this.lambdaValue = next;
    this.step = step;
    return direction;
  }

  override toString(): string {
    const suffix = this.simplex === 'softmax' ? ', softmax' : '';
    return `MoCo(beta=${this.beta}, gamma=${this.gamma}, rho=${this.rho}${suffix})`;
  }
}

function nonNegative(value: number, argument: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(argument, `expected a finite number ≥ 0, got ${String(value)}.`);
  }
  return value;
}

function softmax(values: number[]): number[] {
  const largest = Math.max(...values);
  const e = values.map((v) => Math.exp(v - largest));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}
