import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { onHostMemoryBackend } from '../host_data';
import { HookedModule } from '../hooks';
import { computeGramian } from '../linalg/gramian';
import { checkIsMatrix, type Weighting } from './weighting_bases';

/**
 * Aggregates an `m × n` matrix (a Jacobian: one row per objective) into a vector of `n` values: the
 * update direction of Jacobian descent. Mirrors TorchJD's `Aggregator`.
 *
 * `apply(matrix)` checks that the matrix is a finite rank-2 tensor with at least one row, runs the
 * forward pre-hooks, `forward`, then the forward hooks.
 *
 * @example
 * ```ts
 * const aggregator = new UPGrad();
 * const direction = aggregator.apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])); // ≈ [0.2929, 1.9004, 1.9004]
 * ```
 */
export abstract class Aggregator extends HookedModule<[tf.Tensor2D], tf.Tensor1D> {
  protected override validate(matrix: tf.Tensor2D): void {
    checkIsMatrix(matrix, 'matrix');
    checkIsFinite(matrix, 'matrix');
  }
}

/**
 * An `Aggregator` that reads the whole matrix in JavaScript on the `cpu` and `wasm` backends
 * (TrimmedMean, GradDrop) and checks its finiteness in that same pass: a separate backend check
 * costs as much as `Mean` itself. There, a NaN or infinite entry is reported by `forward`, after the
 * forward pre-hooks ran (as for the Gramian-based aggregators, which check the Gramian).
 */
export abstract class HostPassAggregator extends Aggregator {
  protected override validate(matrix: tf.Tensor2D): void {
    checkIsMatrix(matrix, 'matrix');
    if (!onHostMemoryBackend()) checkIsFinite(matrix, 'matrix');
  }
}

/** The error of {@link checkIsFinite}, for a check made elsewhere. */
export function nonFiniteMatrixError(argument: string): InvalidArgumentError {
  return new InvalidArgumentError(argument, 'expected finite values, found NaN or Infinity.');
}

/**
 * An `Aggregator` whose output is a linear combination `wᵀ J` of the rows of the matrix, with
 * weights `w` given by `weighting.apply(J)`.
 */
export class WeightedAggregator extends Aggregator {
  constructor(readonly weighting: Weighting) {
    super();
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const weights = this.weighting.apply(matrix);
    try {
      return combine(matrix, weights);
    } finally {
      weights.dispose();
    }
  }
}

/**
 * A `WeightedAggregator` whose weights depend on the matrix only through its Gramian `J Jᵀ`.
 * `gramianWeighting` takes the Gramian; `weighting` takes the matrix (it computes the Gramian,
 * then calls `gramianWeighting`).
 */
export class GramianWeightedAggregator extends WeightedAggregator {
  constructor(readonly gramianWeighting: Weighting) {
    super(gramianWeighting.compose(finiteGramian, gramianWeighting.toString()));
  }

  /** Finiteness is checked on the small Gramian instead (a NaN or ∞ in J always reaches it). */
  protected override validate(matrix: tf.Tensor2D): void {
    checkIsMatrix(matrix, 'matrix');
  }
}

/** The Gramian of `matrix`, rejecting a matrix with NaN or infinite entries. */
function finiteGramian(matrix: tf.Tensor2D): tf.Tensor2D {
  const gramian = computeGramian(matrix);
  try {
    checkIsFinite(gramian, 'matrix');
  } catch (error) {
    gramian.dispose();
    throw error;
  }
  return gramian;
}

/** `wᵀ J`: the weighted sum of the rows of `matrix`. */
export function combine(matrix: tf.Tensor2D, weights: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.matMul(weights.reshape([1, -1]), matrix).reshape([-1]) as tf.Tensor1D);
}

/** Throws an `InvalidArgumentError` naming `argument` if `tensor` has a NaN or infinite entry. */
export function checkIsFinite(tensor: tf.Tensor, argument: string): void {
  if (!isAllFinite(tensor)) throw nonFiniteMatrixError(argument);
}

/** True if no entry of `tensor` is NaN or infinite (one reduction on the backend, one download). */
export function isAllFinite(tensor: tf.Tensor): boolean {
  if (tensor.size === 0) return true; // tf.all of nothing is false on some backends
  return tf.tidy(() => tf.all(tf.isFinite(tensor)).dataSync()[0]) === 1;
}
