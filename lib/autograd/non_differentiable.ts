/**
 * Outputs that must not be differentiated: an aggregator or weighting computes its weights in
 * float64 JavaScript (QP solvers, eigen-decompositions, iterations), so no gradient flows from its
 * output back to its input; a backward pass through it would silently give a wrong gradient (the
 * weights treated as constants). TorchJD marks such methods `_NonDifferentiable`.
 */
import * as tf from '@tensorflow/tfjs';
import { TfjsJdError } from '../errors';
import { isTapeRecording, releaseTapeOfFailingBackward } from './tfjs_internals';

/**
 * A backward pass reached the output of a method that cannot be differentiated (see
 * {@link guardNonDifferentiable}).
 *
 * @example
 * ```ts
 * const g = tf.grad((J: tf.Tensor) => tf.sum(new UPGrad().apply(J as tf.Tensor2D)));
 * g(J); // throws NotDifferentiableError
 * ```
 */
export class NotDifferentiableError extends TfjsJdError {
  override readonly name = 'NotDifferentiableError';
}

/**
 * `output` as is when no tape is recording; while one is (inside `record`, `tf.grad`…), a copy
 * whose gradient function throws {@link NotDifferentiableError} naming `method`, so that
 * differentiating through it fails loudly instead of returning a gradient that ignores how the
 * weights depend on the input. `output` is disposed when replaced.
 *
 * @example
 * ```ts
 * return guardNonDifferentiable(toTensor1D(weights), [gramian], this.toString());
 * ```
 */
export function guardNonDifferentiable<T extends tf.Tensor>(
  output: T,
  inputs: tf.Tensor[],
  method: string,
): T {
  if (!isTapeRecording()) return output;
  const guarded = tf.customGrad((...args: unknown[]) => {
    void args;
    return {
      value: output.clone(),
      gradFunc: () => {
        releaseTapeOfFailingBackward();
        throw new NotDifferentiableError(
          `${method} cannot be differentiated: it computes its result from values read into ` +
            'JavaScript (float64), outside the tfjs graph, so a gradient through it would ignore ' +
            'how that result depends on its input (TorchJD runs such methods under ' +
            'torch.no_grad). Compute the update outside record()/tf.grad, or differentiate a ' +
            'scalarization (lib/scalarization) instead.',
        );
      },
    };
  })(...inputs) as T;
  output.dispose();
  return guarded;
}
