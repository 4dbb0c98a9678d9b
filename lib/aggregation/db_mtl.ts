import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { toTensor1D } from '../linalg/matrix';
import { combine } from './aggregator_bases';
import { LossAwareAggregator, type StateSnapshot } from './loss_aware';

/** Options of {@link DBMTL}; defaults as LibMTL (`DB_beta`, `DB_beta_sigma`). */
export interface DBMTLOptions {
  /** Weight `β` of the past in the moving average of the gradients; in [0, 1). Default 0.9. */
  beta?: number;
  /** Decay exponent of `β`: the `t`-th call (from 1) uses `β / t^betaSigma`; ≥ 0. Default 0. */
  betaSigma?: number;
}

/**
 * DB-MTL (dual-balancing multi-task learning): balances the loss scales by training on the
 * logarithms of the losses, whose gradients are `∇ log Lᵢ = gᵢ / Lᵢ`, and balances the gradient
 * magnitudes by rescaling each task's moving-average gradient `ĝᵢ` to the largest norm among them:
 * the update is `Σᵢ (maxₖ ‖ĝₖ‖ / ‖ĝᵢ‖) ĝᵢ`. From "Dual-Balancing for Multi-Task Learning" (Lin et
 * al., arXiv 2308.12029, https://arxiv.org/abs/2308.12029). At the `t`-th call,
 * `ĝᵢ ← βₜ ĝᵢ + (1 − βₜ) gᵢ / (Lᵢ + 1e-8)` with `βₜ = β / t^betaSigma`, from `ĝ = 0`; `1e-8` is
 * also added to the norms, as in LibMTL's `DB_MTL.py` (the authors' code), which this class follows
 * throughout.
 *
 * Needs the losses ({@link LossAwareAggregator}), which must be ≥ 0. Stateful: the `m × n` moving
 * averages live on the tfjs backend; `reset()` frees them, as does a change of the matrix's shape.
 *
 * @example
 * ```ts
 * const aggregator = new DBMTL({ beta: 0.9, betaSigma: 0 });
 * const { losses, grads } = mtlGrads(forward, { aggregator });
 * aggregator.applyWithLosses(tf.tensor2d([[1, 0], [0, 2]]), [0.5, 0.9]); // direct use
 * aggregator.reset();
 * ```
 */
export class DBMTL extends LossAwareAggregator {
  /** See {@link DBMTLOptions.beta}. */
  readonly beta: number;
  /** See {@link DBMTLOptions.betaSigma}. */
  readonly betaSigma: number;
  private averages: tf.Tensor2D | null = null;
  private step = 0;

  constructor(options?: DBMTLOptions) {
    super();
    const { beta = 0.9, betaSigma = 0 } = readOptions(options, 'DBMTL');
    if (typeof beta !== 'number' || !(beta >= 0 && beta < 1)) {
      throw new InvalidArgumentError('beta', `expected a number in [0, 1), got ${String(beta)}.`);
    }
    if (typeof betaSigma !== 'number' || !Number.isFinite(betaSigma) || betaSigma < 0) {
      throw new InvalidArgumentError(
        'betaSigma',
        `expected a finite number ≥ 0, got ${String(betaSigma)}.`,
      );
    }
    this.beta = beta;
    this.betaSigma = betaSigma;
  }

  /** Frees the moving averages; the next call starts from 0. */
  reset(): void {
    this.averages?.dispose();
    this.averages = null;
    this.step = 0;
  }

  protected override checkLosses(losses: Float64Array): void {
    if (losses.some((l) => l < 0)) {
      throw new InvalidArgumentError(
        'losses',
        `DB-MTL takes their logarithms: expected losses ≥ 0, got [${Array.from(losses)}].`,
      );
    }
  }

  // The previous averages stay alive until the call has succeeded (`forward` does not free them).
  protected override snapshotState(): StateSnapshot {
    const { averages, step } = this;
    return {
      restore: () => {
        if (this.averages !== averages) this.averages?.dispose();
        this.averages = averages;
        this.step = step;
      },
      release: () => {
        if (this.averages !== averages) averages?.dispose();
      },
    };
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const [m, n] = matrix.shape;
    const losses = Array.from(this.currentLosses);
    const previous = this.averages;
    const fresh = previous === null || previous.shape[0] !== m || previous.shape[1] !== n;
    const step = fresh ? 1 : this.step + 1;
    const betaT = this.beta / Math.pow(step, this.betaSigma);
    const [averages, norms] = tf.tidy(() => {
      const logGradients = tf.div(
        matrix,
        tf.tensor2d(
          losses.map((l) => l + 1e-8),
          [m, 1],
        ),
      );
      const next = (
        fresh
          ? tf.mul(logGradients, 1 - betaT)
          : tf.add(logGradients, tf.mul(tf.sub(previous, logGradients), betaT))
      ) as tf.Tensor2D;
      return [next, Array.from(tf.norm(next, 'euclidean', 1).dataSync())] as const;
    });
    if (!norms.every(Number.isFinite)) {
      averages.dispose();
      throw new NumericalError(
        'The norms of the moving-average log-loss gradients overflowed float32 (a loss near 0 ' +
          'with a large gradient?); scale the losses.',
      );
    }
    const largest = Math.max(...norms);
    const direction = tf.tidy(() =>
      combine(averages, toTensor1D(norms.map((u) => largest / (u + 1e-8)))),
    );
    this.averages = tf.keep(averages);
    this.step = step;
    return direction;
  }

  override toString(): string {
    return `DBMTL(beta=${this.beta}, betaSigma=${this.betaSigma})`;
  }
}
