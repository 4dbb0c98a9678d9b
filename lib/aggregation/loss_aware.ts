import type * as tf from '@tensorflow/tfjs';
import { checkLiveTensor, describeValue } from '../argument_checks';
import { InvalidArgumentError } from '../errors';
import { isTensor } from '../tfjs_guards';
import { Aggregator } from './aggregator_bases';

/** The losses `applyWithLosses` accepts: a vector tensor, or one number (or scalar tensor) per row. */
export type LossValues = tf.Tensor | ArrayLike<number | tf.Tensor>;

/**
 * What a stateful {@link LossAwareAggregator} saved before `forward` ran: `restore()` puts that
 * state back (and frees tensors the call made for its new state) when the call is rejected after
 * `forward` (a hook threw, the update overflowed); `release()` frees what the new state replaced
 * once the call has succeeded.
 */
export interface StateSnapshot {
  restore(): void;
  release(): void;
}

/**
 * An `Aggregator` whose update depends on the current value of each loss as well as on the
 * Jacobian: relative training rates (GradNorm), log-transformed losses (DB-MTL), learned loss
 * scales (IMTL). `mtlGrads`, `mtlBackward({ aggregator })` and `jdFit` pass the losses to any
 * aggregator that declares `needsLosses`; called directly, it is applied with
 * {@link LossAwareAggregator.applyWithLosses}. Plain `apply(matrix)` throws, since the losses are
 * missing.
 *
 * Everything else is as for any aggregator: the matrix is checked by the base (a live, finite,
 * float32 rank-2 tensor), a matrix with no rows gives the zero vector, hooks see the same
 * arguments (`[matrix]`; the losses of the current call are available to `forward` as
 * {@link LossAwareAggregator.currentLosses}), a non-finite update is a `NumericalError`, and a
 * backward pass through the update throws `NotDifferentiableError`. A rejected call leaves the
 * state of a stateful method as it was, even when it is rejected after `forward` (a throwing hook,
 * an overflowing update): subclasses describe their state with {@link snapshotState}.
 *
 * @example
 * ```ts
 * class LossWeighted extends LossAwareAggregator {
 *   forward(matrix: tf.Tensor2D): tf.Tensor1D {
 *     const w = tf.tensor1d(Array.from(this.currentLosses));
 *     return tf.tidy(() => tf.matMul(w.reshape([1, -1]), matrix).reshape([-1]));
 *   }
 * }
 * const direction = new LossWeighted().applyWithLosses(J, [0.7, 0.2]);
 * ```
 */
export abstract class LossAwareAggregator extends Aggregator {
  /** Marks the aggregators that need the losses; read by `isLossAware`. */
  readonly needsLosses = true as const;
  /** The losses handed to `applyWithLosses`, as given, until `validate` reads them. */
  private givenLosses: LossValues | undefined;
  private losses: Float64Array | undefined;

  /**
   * Aggregates `matrix` (one row per loss) given the current `losses` (one finite value per row: a
   * `tf.Tensor1D`, or an array of numbers or scalar tensors): validates both (the matrix first),
   * then runs pre-hooks, `forward` and hooks as `apply` does. Bad losses are an
   * `InvalidArgumentError` naming `losses`, before any state changes.
   */
  applyWithLosses(matrix: tf.Tensor2D, losses: LossValues): tf.Tensor1D {
    if (losses === undefined) throw missingLosses(this.toString());
    const snapshot = this.snapshotState();
    this.givenLosses = losses;
    try {
      const output = this.apply(matrix);
      snapshot?.release();
      return output;
    } catch (error) {
      snapshot?.restore();
      throw error;
    } finally {
      this.givenLosses = undefined;
      this.losses = undefined;
    }
  }

  /** The losses of the call in progress (float64, one per row of the matrix). */
  protected get currentLosses(): Float64Array {
    if (this.losses === undefined) throw missingLosses(this.toString());
    return this.losses;
  }

  /**
   * The state a call may change, saved before it runs (see {@link StateSnapshot}); `undefined`
   * for a stateless method. `forward` must leave the tensors of the previous state alive: the
   * snapshot frees them once the call has succeeded.
   */
  protected snapshotState(): StateSnapshot | undefined {
    return undefined;
  }

  /**
   * Checks the values of the losses that the method needs beyond finiteness (GradNorm: > 0 at its
   * first call; DB-MTL: ≥ 0), with an `InvalidArgumentError` naming `losses`. Runs in `validate`,
   * before the pre-hooks and before any state changes.
   */
  protected checkLosses(_losses: Float64Array, _rows: number): void {}

  protected override validate(matrix: tf.Tensor2D): void {
    super.validate(matrix);
    if (this.givenLosses === undefined) throw missingLosses(this.toString());
    const losses = readLosses(this.givenLosses);
    const rows = matrix.shape[0];
    if (losses.length !== rows) {
      throw new InvalidArgumentError(
        'losses',
        `expected one loss per row of the matrix (${rows}), got ${losses.length}.`,
      );
    }
    this.checkLosses(losses, rows);
    this.losses = losses;
  }
}

/** True when `aggregator` needs the losses too (see {@link LossAwareAggregator}). */
export function isLossAware(aggregator: Aggregator): aggregator is LossAwareAggregator {
  return (aggregator as { needsLosses?: unknown }).needsLosses === true;
}

function missingLosses(name: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'losses',
    `${name} needs the loss values as well as the matrix: call applyWithLosses(matrix, losses), or ` +
      'train through mtlGrads, mtlBackward({ aggregator }) or jdFit, which pass them.',
  );
}

/** The losses as float64, rejecting anything but a finite vector (or list of scalars). */
function readLosses(losses: LossValues): Float64Array {
  let values: Float64Array;
  if (isTensor(losses)) {
    checkLiveTensor(losses, 'losses', 'a tf.Tensor1D');
    if (losses.rank !== 1) {
      throw new InvalidArgumentError(
        'losses',
        `expected a vector (one loss per row), got shape [${losses.shape}].`,
      );
    }
    values = Float64Array.from(losses.dataSync() as ArrayLike<number>);
  } else if (
    losses !== null &&
    typeof losses === 'object' &&
    typeof (losses as ArrayLike<unknown>).length === 'number'
  ) {
    const list = losses as ArrayLike<unknown>;
    values = new Float64Array(list.length);
    for (let i = 0; i < list.length; i++) values[i] = lossValue(list[i], i);
  } else {
    throw new InvalidArgumentError(
      'losses',
      `expected a tf.Tensor1D or an array of numbers, got ${describeValue(losses)}.`,
    );
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InvalidArgumentError(
        'losses',
        `expected finite values, found ${values[i]} at index ${i}.`,
      );
    }
  }
  return values;
}

/** Entry `i` of a list of losses: a number, or a live tensor with one value. */
function lossValue(value: unknown, i: number): number {
  if (typeof value === 'number') return value;
  if (isTensor(value)) {
    checkLiveTensor(value, 'losses', 'a scalar tf.Tensor');
    if (value.size !== 1) {
      throw new InvalidArgumentError(
        'losses',
        `entry ${i} has shape [${value.shape}]; expected one value per loss.`,
      );
    }
    return value.dataSync()[0];
  }
  throw new InvalidArgumentError(
    'losses',
    `entry ${i} is ${describeValue(value)}; expected a number or a scalar tf.Tensor.`,
  );
}
