import * as tf from '@tensorflow/tfjs';
import { checkLiveTensor, readOptions } from '../argument_checks';
import { InvalidArgumentError } from '../errors';
import { softmax } from '../linalg/softmax';
import { checkFiniteLosses, Scalarizer } from './scalarizer_base';
import {
  checkLossesShape,
  checkNonNegative,
  formatShape,
  readShape,
  readTensorOption,
  sameShape,
  type TensorLike,
} from './tensor_option';

/** Options of {@link FAMO}. */
export interface FAMOOptions {
  /** The shape of the losses, one task-weighting logit per loss; a number `n` means `[n]`. */
  shape: number | number[];
  /** Lower bounds `b` of the losses, of that shape; default: zeros (losses must then be positive). */
  minLosses?: TensorLike;
  /** Learning rate of the internal Adam on the logits, ≥ 0. Default 0.025, as in the paper. */
  lr?: number;
  /** Weight decay of the internal Adam, ≥ 0. Default 1e-3, as in the paper's Algorithm 2. */
  weightDecay?: number;
}

/** Added to `ℓ − b` before the logarithm, as in the official implementation. */
const EPSILON = 1e-8;
/** `torch.optim.Adam`'s defaults, which FAMO's internal optimizer uses. */
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/**
 * Fast Adaptive Multitask Optimization, from "FAMO: Fast Adaptive Multitask Optimization" (Liu et
 * al., NeurIPS 2023, https://arxiv.org/abs/2306.03792): the losses are combined as
 * `c Σᵢ zᵢ log(ℓᵢ − bᵢ + ε)` with task weights `z = softmax(w)` and `c = (Σᵢ zᵢ / (ℓᵢ − bᵢ + ε))⁻¹`
 * (both constants for the gradient), so the gradient is a convex combination of the task
 * gradients that decreases all losses at about the same rate, from the loss values alone.
 *
 * The logits `w` are not trained by the user's optimizer: after the model step, call
 * `update(newLosses)` with the losses recomputed on the same batch. It takes one step of an
 * internal Adam (as `torch.optim.Adam` with `lr` and `weightDecay`) on `w` along
 * `δ = log(ℓ_before − b + ε) − log(ℓ_after − b + ε)` through the softmax. The state is plain float64
 * numbers: FAMO owns no tfjs memory.
 *
 * A loss at or below its bound (where TorchJD returns NaN) is rejected with an
 * `InvalidArgumentError` naming `losses`.
 *
 * @example
 * ```ts
 * const famo = new scalarization.FAMO({ shape: 2 });
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const lossesOf = () => tf.stack([tf.sum(tf.square(w)), tf.sum(tf.abs(w))]);
 * tf.train.sgd(0.1).minimize(() => famo.apply(lossesOf()), false, [w]);
 * const after = tf.tidy(lossesOf);
 * famo.update(after);
 * tf.dispose([after, w]);
 * ```
 */
export class FAMO extends Scalarizer {
  /** The shape of the losses (and of the logits). */
  readonly shape: number[];
  /** Learning rate of the internal Adam. */
  readonly lr: number;
  /** Weight decay of the internal Adam. */
  readonly weightDecay: number;
  private readonly bounds: number[];
  private w: number[];
  private adamM: number[];
  private adamV: number[];
  private adamStep = 0;
  private previousLosses: number[] | null = null;

  constructor(options: FAMOOptions) {
    super();
    options = readOptions(options, 'FAMO', ['shape'], 'new scalarization.FAMO({ shape: 2 })');
    this.shape = readShape(options.shape);
    this.lr = checkNonNegative(options.lr ?? 0.025, 'lr');
    this.weightDecay = checkNonNegative(options.weightDecay ?? 1e-3, 'weightDecay');
    const size = this.shape.reduce((a, b) => a * b, 1);
    if (options.minLosses === undefined) {
      this.bounds = new Array<number>(size).fill(0);
    } else {
      const bounds = readTensorOption(options.minLosses, 'minLosses');
      if (!sameShape(bounds.shape, this.shape)) {
        throw new InvalidArgumentError(
          'minLosses',
          `expected shape ${formatShape(this.shape)} (the shape of the logits), got ` +
            `${formatShape(bounds.shape)}.`,
        );
      }
      this.bounds = bounds.values;
    }
    this.w = new Array<number>(size).fill(0);
    this.adamM = new Array<number>(size).fill(0);
    this.adamV = new Array<number>(size).fill(0);
  }

  /** The lower bounds `b`, flattened in row-major order. */
  get minLosses(): number[] {
    return [...this.bounds];
  }

  /** The task-weighting logits `w`, flattened in row-major order (a copy). */
  get logits(): number[] {
    return [...this.w];
  }

  /** The task weights `softmax(w)`, flattened in row-major order. */
  get taskWeights(): number[] {
    return softmax(this.w);
  }

  protected override validate(losses: tf.Tensor): void {
    super.validate(losses);
    checkLossesShape(losses, this.shape, 'logits');
  }

  forward(losses: tf.Tensor): tf.Scalar {
    const values = Array.from(losses.dataSync());
    const shifted = this.shiftedLosses(values, 'losses');
    const z = softmax(this.w);
    const normalizer = z.reduce((sum, zi, i) => sum + zi / shifted[i], 0);
    this.previousLosses = values;
    const coefficients = z.map((zi) => zi / normalizer);
    return tf.tidy(() => {
      const bounds = tf.tensor(this.bounds, this.shape, 'float32');
      const logShifted = tf.log(tf.add(tf.sub(losses, bounds), EPSILON));
      return tf.sum(tf.mul(tf.tensor(coefficients, this.shape, 'float32'), logShifted));
    });
  }

  /**
   * Updates the logits from how much each loss decreased across the model step: `newLosses` are
   * the losses recomputed on the same batch after the step. Must follow an `apply`.
   */
  update(newLosses: tf.Tensor): void {
    if (this.previousLosses === null) {
      throw new InvalidArgumentError(
        'newLosses',
        '`update` must be called after the scalarizer was applied to the losses.',
      );
    }
    checkLiveTensor(newLosses, 'newLosses');
    if (!sameShape(newLosses.shape, this.shape)) {
      throw new InvalidArgumentError(
        'newLosses',
        `expected shape ${formatShape(this.shape)} (the shape of the logits), got ` +
          `${formatShape(newLosses.shape)}.`,
      );
    }
    const before = this.shiftedLosses(this.previousLosses, 'losses');
    const after = this.shiftedLosses(Array.from(newLosses.dataSync()), 'newLosses');
    const delta = before.map((b, i) => Math.log(b) - Math.log(after[i]));
    // Gradient of δ·softmax(w) with respect to w: zᵢ (δᵢ − z·δ).
    const z = softmax(this.w);
    const zDotDelta = z.reduce((sum, zi, i) => sum + zi * delta[i], 0);
    const grad = z.map((zi, i) => zi * (delta[i] - zDotDelta));
    this.adamUpdate(grad);
  }

  /** Sets the logits back to 0 and forgets the optimizer's moments and the last losses. */
  reset(): void {
    this.w.fill(0);
    this.adamM.fill(0);
    this.adamV.fill(0);
    this.adamStep = 0;
    this.previousLosses = null;
  }

  /** One step of `torch.optim.Adam` (L2 weight decay added to the gradient, bias-corrected). */
  private adamUpdate(grad: number[]): void {
    this.adamStep++;
    const correction1 = 1 - ADAM_BETA1 ** this.adamStep;
    const correction2 = 1 - ADAM_BETA2 ** this.adamStep;
    this.w = this.w.map((wi, i) => {
      const g = grad[i] + this.weightDecay * wi;
      this.adamM[i] = ADAM_BETA1 * this.adamM[i] + (1 - ADAM_BETA1) * g;
      this.adamV[i] = ADAM_BETA2 * this.adamV[i] + (1 - ADAM_BETA2) * g * g;
      const denominator = Math.sqrt(this.adamV[i]) / Math.sqrt(correction2) + ADAM_EPSILON;
      return wi - (this.lr / correction1) * (this.adamM[i] / denominator);
    });
  }

  /** `ℓ − b + ε`, which must be positive for the logarithm. */
  private shiftedLosses(values: number[], argument: string): number[] {
    // ±∞ is refused like NaN, before any state changes: +∞ would make the logits NaN for good.
    checkFiniteLosses(values, argument);
    const shifted = values.map((value, i) => value - this.bounds[i] + EPSILON);
    const bad = shifted.findIndex((s) => !(s > 0));
    if (bad >= 0) {
      throw new InvalidArgumentError(
        argument,
        `FAMO takes the logarithm of loss − minLoss, so every loss must stay above its bound; ` +
          `loss ${bad} is ${values[bad]} with bound ${this.bounds[bad]}.`,
      );
    }
    return shifted;
  }

  override toString(): string {
    return 'FAMO';
  }
}
