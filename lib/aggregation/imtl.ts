import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { computeGramian } from '../linalg/gramian';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { combine, rejectNonFiniteStatistic } from './aggregator_bases';
import { IMTLGWeighting } from './imtl_g';
import { LossAwareAggregator, type StateSnapshot } from './loss_aware';

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Options of {@link IMTL}. */
export interface IMTLOptions {
  /**
   * Learning rate of the plain gradient-descent step on the log-scales `s`, taken once per call;
   * finite, > 0. Default 0.1. In the paper and in LibMTL the scales are trained by the network's
   * optimizer.
   */
  lr?: number;
}

/**
 * IMTL, the hybrid of "Towards Impartial Multi-task Learning" (Liu et al., ICLR 2021,
 * https://openreview.net/forum?id=IMPnRXEWpvr): IMTL-L's learned loss scales (each loss becomes
 * `e^{sᵢ} Lᵢ − sᵢ`, so the scaled losses stay comparable) and IMTL-G's impartial combination of the
 * scaled gradients `e^{sᵢ} gᵢ` on the shared parameters (the update whose projections onto every
 * scaled gradient's unit vector are equal; {@link IMTLGWeighting}, as `IMTLG`). The update is
 * `Σᵢ αᵢ e^{sᵢ} gᵢ` with `α` the IMTL-G weights of the scaled rows.
 *
 * How the scales are trained: the gradient of the IMTL-L loss `Σᵢ (e^{sᵢ} Lᵢ − sᵢ)` with respect to
 * `sᵢ` is `e^{sᵢ} Lᵢ − 1`, known from the losses alone, so each call, after computing the update
 * with the current scales, takes the step `s ← s − lr (e^s ⊙ L − 1)` itself (from `s = 0`): there
 * is no variable to hand to an optimizer, which lets the aggregator train under `mtlGrads`,
 * `mtlBackward` and `jdFit` unchanged. For scales trained by the model's optimizer instead, use
 * `IMTLG` and return the scaled losses `e^{sᵢ} Lᵢ − sᵢ` from the forward pass, with `s` a
 * `tf.Variable` (e.g. `scalarization.IMTLL`'s `logScale`): `mtlGrads` treats `s` as a task
 * parameter of every loss and gives it the same gradient `e^s ⊙ L − 1`, and the heads get the
 * scaled gradients; with plain SGD at the same rate the two are the same algorithm (specced). The
 * task-specific
 * heads: the paper backpropagates the scaled loss `e^{sᵢ} Lᵢ` into head `i` too, while `mtlGrads`
 * gives the heads the gradients of the raw losses; multiply head `i`'s gradients by `scales[i]`
 * (the scales of the call just made) to reproduce the paper exactly. With Adam-type optimizers,
 * which are invariant to a per-parameter constant factor, this mostly matters while the scales
 * move.
 *
 * Needs the losses ({@link LossAwareAggregator}), which must be ≥ 0 (with a negative loss the
 * scale's step diverges). Stateful: `reset()` sets the log-scales back to 0, as does a change in
 * the number of tasks. LibMTL's `IMTL.py` implements the same algorithm (its
 * IMTL-G step by an explicit inverse, which needs linearly independent rows; `IMTLGWeighting` uses
 * the pseudo-inverse).
 *
 * @example
 * ```ts
 * const aggregator = new IMTL({ lr: 0.1 });
 * const { losses, grads } = mtlGrads(forward, { aggregator });
 * aggregator.scales; // e^{s} used by that call
 * aggregator.applyWithLosses(tf.tensor2d([[1, 0], [0, 2]]), [0.5, 0.9]); // direct use
 * ```
 */
export class IMTL extends LossAwareAggregator {
  /** Learning rate of the log-scales' step (see {@link IMTLOptions.lr}). */
  readonly lr: number;
  private readonly weighting = new IMTLGWeighting();
  private logScalesValue: number[] | undefined;
  private lastScales: number[] | undefined;

  constructor(options?: IMTLOptions) {
    super();
    const { lr = 0.1 } = readOptions(options, 'IMTL');
    if (typeof lr !== 'number' || !Number.isFinite(lr) || !(lr > 0)) {
      throw new InvalidArgumentError('lr', `expected a finite number > 0, got ${String(lr)}.`);
    }
    this.lr = lr;
  }

  /** The log-scales `s` the next call will use (a copy; `undefined` before the first call: 0). */
  get logScales(): number[] | undefined {
    return this.logScalesValue?.slice();
  }

  /** The scales `e^{s}` the last call applied (a copy; `undefined` before the first call). */
  get scales(): number[] | undefined {
    return this.lastScales?.slice();
  }

  /** Sets the log-scales back to 0. */
  reset(): void {
    this.logScalesValue = undefined;
    this.lastScales = undefined;
  }

  /** IMTL-L's scaled loss `e^s L − s` has a minimum only for L ≥ 0; a negative loss diverges. */
  protected override checkLosses(losses: Float64Array): void {
    if (losses.some((l) => l < 0)) {
      throw new InvalidArgumentError(
        'losses',
        `IMTL learns the scales of e^s·L − s, which needs losses ≥ 0; got [${Array.from(losses)}].`,
      );
    }
  }

  // The arrays are replaced, never changed in place: keeping the references is a snapshot.
  protected override snapshotState(): StateSnapshot {
    const { logScalesValue, lastScales } = this;
    return {
      restore: () => {
        this.logScalesValue = logScalesValue;
        this.lastScales = lastScales;
      },
      release: () => {},
    };
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const m = matrix.shape[0];
    const losses = Array.from(this.currentLosses);
    const logScales =
      this.logScalesValue === undefined || this.logScalesValue.length !== m
        ? new Array<number>(m).fill(0)
        : this.logScalesValue;
    const scales = logScales.map(Math.exp);
    const gramian = tf.tidy(() => toMatrix64(computeGramian(matrix)));
    if (!gramian.every((row) => row.every(Number.isFinite))) {
      rejectNonFiniteStatistic(matrix, 'Gramian');
    }
    // The Gramian of the scaled rows, D G D with D = diag(e^s), in float64.
    const scaled = gramian.map((row, i) => row.map((g, j) => scales[i] * g * scales[j]));
    // Scales grown past float32's range would reach the inner weighting as an ∞ Gramian, blamed
    // on an argument the caller never passed.
    if (!scaled.every((row) => row.every((g) => Math.abs(g) <= FLOAT32_MAX))) {
      throw new NumericalError(
        `The Gramian of the scaled gradients overflowed float32 (scales [${scales}]); lower lr or ` +
          'scale the losses.',
      );
    }
    const alpha = tf.tidy(() => Array.from(this.weighting.apply(tf.tensor2d(scaled)).dataSync()));
    const nextLogScales = logScales.map((s, i) => s - this.lr * (scales[i] * losses[i] - 1));
    if (!nextLogScales.every(Number.isFinite)) {
      throw new NumericalError(
        `The log-scale step overflowed (losses [${losses}], lr ${this.lr}); lower lr.`,
      );
    }
    const direction = tf.tidy(() =>
      combine(matrix, toTensor1D(alpha.map((a, i) => a * scales[i]))),
    );
    this.logScalesValue = nextLogScales;
    this.lastScales = scales;
    return direction;
  }

  override toString(): string {
    return `IMTL(lr=${this.lr})`;
  }
}
