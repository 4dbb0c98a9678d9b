import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { Aggregator } from './aggregator_bases';

/**
 * An `Aggregator` whose update depends on the current value of each loss as well as on the
 * Jacobian: relative training rates (GradNorm), log-transformed losses (DB-MTL), learned loss
 * scales (IMTL). `mtlGrads`, `mtlBackward({ aggregator })` and `jdFit` pass the losses to any
 * aggregator that declares `needsLosses`; called directly, it is applied with
 * {@link LossAwareAggregator.applyWithLosses}. Plain `apply(matrix)` throws, since the losses are
 * missing.
 *
 * Hooks see the same arguments as for any aggregator (`[matrix]`); the losses of the current call
 * are available to `forward` as {@link LossAwareAggregator.currentLosses}.
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
  private losses: Float64Array | undefined;

  /**
   * Aggregates `matrix` (one row per loss) given the current `losses` (one value per row): validates
   * both, then runs pre-hooks, `forward` and hooks as `apply` does.
   */
  applyWithLosses(matrix: tf.Tensor2D, losses: tf.Tensor | ArrayLike<number>): tf.Tensor1D {
    const values = readLosses(losses);
    const rows = (matrix as Partial<tf.Tensor2D> | undefined)?.shape?.[0];
    if (rows !== undefined && rows !== values.length) {
      throw new InvalidArgumentError(
        'losses',
        `expected one loss per row of the matrix (${rows}), got ${values.length}.`,
      );
    }
    this.losses = values;
    try {
      return this.apply(matrix);
    } finally {
      this.losses = undefined;
    }
  }

  /** The losses of the call in progress (float64, one per row of the matrix). */
  protected get currentLosses(): Float64Array {
    if (this.losses === undefined) throw missingLosses(this.toString());
    return this.losses;
  }

  protected override validate(matrix: tf.Tensor2D): void {
    super.validate(matrix);
    if (this.losses === undefined) throw missingLosses(this.toString());
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

function isTensorLike(value: unknown): value is tf.Tensor {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as tf.Tensor).dataSync === 'function'
  );
}

/** The losses as float64, rejecting anything but a finite vector (or list of scalars). */
function readLosses(losses: tf.Tensor | ArrayLike<number>): Float64Array {
  let values: Float64Array;
  if (isTensorLike(losses)) {
    if (losses.isDisposed) throw new InvalidArgumentError('losses', 'the tensor is disposed.');
    if (losses.rank > 1) {
      throw new InvalidArgumentError('losses', `expected a vector, got shape [${losses.shape}].`);
    }
    values = Float64Array.from(losses.dataSync());
  } else if (losses !== null && typeof losses === 'object' && typeof losses.length === 'number') {
    values = Float64Array.from(losses);
  } else {
    throw new InvalidArgumentError('losses', 'expected a tf.Tensor1D or an array of numbers.');
  }
  if (values.some((v) => !Number.isFinite(v))) {
    throw new InvalidArgumentError('losses', 'expected finite values, found NaN or Infinity.');
  }
  return values;
}
