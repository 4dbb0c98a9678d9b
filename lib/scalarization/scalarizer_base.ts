import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { HookedModule } from '../hooks';
import { isTensor } from '../tfjs_guards';

/**
 * Reduces a tensor of losses of any shape (a vector of per-task losses, a matrix of per-task,
 * per-instance losses…) into one scalar loss, whose ordinary gradient is the update direction.
 * Mirrors TorchJD's `Scalarizer`: the baseline that Jacobian descent's aggregators are compared to.
 *
 * `apply(losses)` checks that `losses` is a non-empty tensor, runs the forward pre-hooks,
 * `forward`, then the forward hooks. It works inside `tf.variableGrads`, `optimizer.minimize` and
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
  }
}

/** Throws an `InvalidArgumentError` naming `losses` unless it is a non-empty float tensor. */
export function checkIsLosses(losses: unknown): asserts losses is tf.Tensor {
  if (!isTensor(losses)) {
    throw new InvalidArgumentError(
      'losses',
      'expected a tf.Tensor (stack scalar losses with tf.stack([l1, l2])).',
    );
  }
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
