import * as tf from '@tensorflow/tfjs';
import { checkLiveTensor } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { HookedModule } from '../hooks';

/**
 * Reduces a tensor of losses of any shape (a vector of per-task losses, a matrix of per-task,
 * per-instance losses…) into one scalar loss, whose ordinary gradient is the update direction.
 * Mirrors TorchJD's `Scalarizer`: the baseline that Jacobian descent's aggregators are compared to.
 *
 * `apply(losses)` checks that `losses` is a live, non-empty float32 tensor, runs the forward
 * pre-hooks, `forward`, then the forward hooks, and checks that the result is finite: a NaN or
 * infinite loss is an `InvalidArgumentError` naming `losses` (checked first, before the state of
 * DWA or FAMO changes), finite losses whose scalarization overflows a `NumericalError`. Both checks
 * read small tensors (the losses, the result) into JavaScript. It works inside `tf.variableGrads`, `optimizer.minimize` and
 * `record`: the result is differentiable with respect to whatever `losses` depends on.
 *
 * @example
 * ```ts
 * const loss = new scalarization.Mean().apply(tf.tensor1d([1, 2, 3])); // 2
 * ```
 */
export abstract class Scalarizer extends HookedModule<[tf.Tensor], tf.Scalar> {
  protected override validate(losses: tf.Tensor): void {
    checkIsLosses(losses);
    // Even where the result would be finite (STCH of a −∞ loss), its gradient would not be.
    checkFiniteLosses(losses.dataSync(), 'losses');
  }

  protected override checkOutput(output: tf.Scalar): void {
    if (Number.isFinite(output.dataSync()[0])) return;
    throw new NumericalError(
      `${this.toString()} gave a non-finite loss from finite losses (an overflow); scale the ` +
        'losses or the options to moderate values.',
    );
  }
}

/** Throws an `InvalidArgumentError` naming `argument` if a loss value is NaN or ±∞, saying which. */
export function checkFiniteLosses(values: ArrayLike<number>, argument: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InvalidArgumentError(
        argument,
        `expected finite losses, but loss ${i} is ${values[i]}.`,
      );
    }
  }
}

/** Throws an `InvalidArgumentError` naming `losses` unless it is a non-empty float tensor. */
export function checkIsLosses(losses: unknown): asserts losses is tf.Tensor {
  checkLiveTensor(losses, 'losses', 'a tf.Tensor (stack scalar losses with tf.stack([l1, l2]))');
  if (losses.size === 0) {
    throw new InvalidArgumentError(
      'losses',
      `expected at least one loss, got shape [${losses.shape}].`,
    );
  }
  if (losses.dtype !== 'float32') {
    throw new InvalidArgumentError('losses', `expected a float32 tensor, got ${losses.dtype}.`);
  }
}
