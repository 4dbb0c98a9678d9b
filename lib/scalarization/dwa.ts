import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { softmax } from '../linalg/softmax';
import { checkFiniteLosses, Scalarizer } from './scalarizer_base';
import { checkNonNegative, formatShape, sameShape } from './tensor_option';

/** Options of {@link DWA}. */
export interface DWAOptions {
  /** Temperature `T > 0`; larger makes the weights more uniform. Default 2, as in the paper. */
  temperature?: number;
}

/**
 * Dynamic Weight Average, from "End-to-End Multi-Task Learning with Attention" (Liu et al., CVPR
 * 2019): the losses `ℓₖ` of the current batch are combined as `Σₖ λₖ ℓₖ` with
 * `λ = K · softmax(w / T)`, where `wₖ = Lₖ(t−1) / Lₖ(t−2)` is the ratio of the average losses of
 * the two previous epochs and `K` the number of losses (so the weights sum to `K`).
 *
 * Each `apply` adds the current losses (as constants) to the epoch's running sum; call `step()` once
 * at the end of each epoch to close it. During the first two epochs the weights are all 1. The
 * losses should keep a consistent nonzero sign from epoch to epoch; an epoch average of 0 makes
 * the ratio undefined and `apply` throws a `NumericalError`. The state is plain numbers: DWA owns
 * no tfjs memory.
 *
 * @example
 * ```ts
 * const dwa = new scalarization.DWA({ temperature: 2 });
 * for (let epoch = 0; epoch < 3; epoch++) {
 *   for (const losses of [tf.tensor1d([1, 2]), tf.tensor1d([3, 4])]) {
 *     const loss = dwa.apply(losses); // use it as the batch's training loss
 *     tf.dispose([loss, losses]);
 *   }
 *   dwa.step();
 * }
 * ```
 */
export class DWA extends Scalarizer {
  /** The temperature `T`. */
  readonly temperature: number;
  private lossSum: number[] | null = null;
  private lossShape: number[] = [];
  private batchCount = 0;
  /** The average losses of the last (at most two) closed epochs, oldest first. */
  private previousAverages: number[][] = [];
  private previousShape: number[] = [];

  constructor(options: DWAOptions = {}) {
    super();
    options = readOptions(options, 'DWA');
    this.temperature = checkNonNegative(options.temperature ?? 2, 'temperature', true);
  }

  /** The number of closed epochs remembered (0, 1 or 2). */
  get rememberedEpochs(): number {
    return this.previousAverages.length;
  }

  /** The weights the next `apply` on losses of `size` values will use (a copy, in float64). */
  currentWeights(size: number): number[] {
    if (this.previousAverages.length < 2) return new Array<number>(size).fill(1);
    const [older, newer] = this.previousAverages;
    if (size !== newer.length) {
      throw new InvalidArgumentError(
        'size',
        `the previous epochs had ${newer.length} losses, not ${size}; call reset() before ` +
          'changing the number of losses.',
      );
    }
    const rates = newer.map((value, i) => value / older[i]);
    const bad = rates.findIndex((rate) => !Number.isFinite(rate));
    if (bad >= 0) {
      // The losses are checked finite when given, so the only cause left is a zero average.
      throw new NumericalError(
        `DWA: loss ${bad} averaged 0 over the epoch before last (averages ` +
          `${JSON.stringify(older)} then ${JSON.stringify(newer)}), so its descending rate ` +
          `${newer[bad]} / 0 is undefined. Keep the losses strictly positive (or negative).`,
      );
    }
    return softmax(rates.map((rate) => rate / this.temperature)).map((w) => size * w);
  }

  protected override validate(losses: tf.Tensor): void {
    super.validate(losses);
    if (this.lossSum !== null && !sameShape(this.lossShape, losses.shape)) {
      throw new InvalidArgumentError(
        'losses',
        `its shape changed from ${formatShape(this.lossShape)} to ${formatShape(losses.shape)} ` +
          'within an epoch; call reset() before changing it.',
      );
    }
    if (this.previousAverages.length > 0 && !sameShape(this.previousShape, losses.shape)) {
      throw new InvalidArgumentError(
        'losses',
        `its shape changed from ${formatShape(this.previousShape)} to ` +
          `${formatShape(losses.shape)}; call reset() before changing it.`,
      );
    }
  }

  forward(losses: tf.Tensor): tf.Scalar {
    // The history only feeds the weights, which get no gradient: reading the values is enough.
    const values = Array.from(losses.dataSync());
    // Checked before the epoch's sum changes: a NaN or ∞ there would break every later epoch.
    checkFiniteLosses(values, 'losses');
    const weights = this.currentWeights(losses.size);
    const output = tf.tidy(() =>
      tf.sum<tf.Scalar>(tf.mul(tf.tensor(weights, losses.shape, 'float32'), losses)),
    );
    if (this.lossSum === null) {
      this.lossSum = values;
      this.lossShape = [...losses.shape];
    } else {
      const sum = this.lossSum;
      this.lossSum = values.map((value, i) => sum[i] + value);
    }
    this.batchCount++;
    return output;
  }

  /**
   * Closes the current epoch: its average loss joins the history, which keeps the last two. Does
   * nothing if no losses were given since the last `step()`.
   */
  step(): void {
    if (this.lossSum === null) return;
    const count = this.batchCount;
    const average = this.lossSum.map((sum) => sum / count);
    this.previousAverages = [...this.previousAverages, average].slice(-2);
    this.previousShape = this.lossShape;
    this.lossSum = null;
    this.batchCount = 0;
  }

  /** Forgets the history and the current epoch. */
  reset(): void {
    this.lossSum = null;
    this.batchCount = 0;
    this.previousAverages = [];
  }

  override toString(): string {
    return 'DWA';
  }
}
