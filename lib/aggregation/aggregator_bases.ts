import * as tf from '@tensorflow/tfjs';
import { describeValue } from '../argument_checks';
import { InvalidArgumentError, NumericalError } from '../errors';
import { onHostMemoryBackend } from '../backend/host_data';
import { guardNonDifferentiable } from '../autograd/non_differentiable';
import { HookedModule } from '../hooks';
import { computeGramian } from '../linalg/gramian';
import { checkIsMatrix, checkIsWeighting, hasNoRows, type Weighting } from './weighting_bases';
import { weightedRowSum } from '../tensor_products';

/**
 * Aggregates an `m × n` matrix (a Jacobian: one row per objective) into a vector of `n` values: the
 * update direction of Jacobian descent. Mirrors TorchJD's `Aggregator`.
 *
 * `apply(matrix)` checks that the matrix is a live float32 rank-2 tensor with finite entries (an
 * `InvalidArgumentError` naming `matrix`), runs the forward pre-hooks, `forward`, then the forward
 * hooks (see `ForwardHook` for who owns their tensors), and, unless the method cannot overflow,
 * checks that the update is finite (a `NumericalError`). A matrix with no rows gives the zero
 * vector, as in TorchJD.
 *
 * @example
 * ```ts
 * const aggregator = new UPGrad();
 * const direction = aggregator.apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])); // ≈ [0.2929, 1.9004, 1.9004]
 * ```
 */
export abstract class Aggregator extends HookedModule<[tf.Tensor2D], tf.Tensor1D> {
  /**
   * A matrix with no rows (no objective) aggregates to the zero vector of its `n` columns, as in
   * TorchJD, once validated (methods that need a minimum number of rows, Krum and TrimmedMean,
   * still refuse it). A weighted aggregator gets there through its weighting (empty weights), with
   * its hooks run; the others return it without running `forward` or the hooks.
   */
  override apply(matrix: tf.Tensor2D): tf.Tensor1D {
    if (this.forwardTakesNoRows() || !hasNoRows(matrix)) {
      const output = super.apply(matrix);
      return this.differentiable() ? output : guardNonDifferentiable(output, [matrix], `${this}`);
    }
    this.validate(matrix);
    return tf.zeros([matrix.shape[1]]);
  }

  /**
   * True when tfjs can differentiate the output with respect to the matrix correctly. False by
   * default: the output is computed from values read in JavaScript, and a backward pass through
   * it (inside `record` or `tf.grad`) throws `NotDifferentiableError` instead of silently
   * treating them as constants.
   */
  protected differentiable(): boolean {
    return false;
  }

  /** True when `forward` itself gives the zero vector for a matrix with no rows. */
  protected forwardTakesNoRows(): boolean {
    return false;
  }

  protected override validate(matrix: tf.Tensor2D): void {
    checkIsMatrix(matrix, 'matrix');
    checkIsFinite(matrix, 'matrix');
  }

  /**
   * False when a finite matrix cannot give a non-finite output, so the output is not checked
   * (one reduction and one download saved). True by default: e.g. `Sum` of two rows of 3e38
   * overflows float32.
   */
  protected outputCanOverflow(): boolean {
    return true;
  }

  /** A finite matrix whose combination overflows float32 is a `NumericalError`, never an ∞ update. */
  protected override checkOutput(output: tf.Tensor1D): void {
    if (this.outputCanOverflow() && !isAllFinite(output)) {
      throw new NumericalError(
        `${this.toString()} computed a non-finite update from a finite matrix: the combination ` +
          'of its rows overflowed float32; scale the losses down.',
      );
    }
  }
}

/** Throws an `InvalidArgumentError` naming `argument` unless `value` is an `Aggregator`. */
export function checkIsAggregator(value: unknown, argument: string): asserts value is Aggregator {
  if (value instanceof Aggregator) return;
  const isWeighting =
    value instanceof HookedModule && typeof (value as { compose?: unknown }).compose === 'function';
  const hint = isWeighting
    ? ` (${String(value)} is a weighting, which gives weights, not an update; use the aggregator ` +
      'of the same method, e.g. new UPGrad() instead of new UPGradWeighting(), or wrap it: ' +
      'new GramianWeightedAggregator(weighting))'
    : ', e.g. new UPGrad()';
  throw new InvalidArgumentError(
    argument,
    `expected an Aggregator, got ${describeValue(value)}${hint}.`,
  );
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

/**
 * Throws for a statistic of `matrix` (its Gramian, per-row sums…) that came out NaN or infinite:
 * `InvalidArgumentError('matrix')` when the matrix has such entries, else a `NumericalError` (the
 * statistic overflowed float32). Checking the statistic first keeps the check of the whole matrix
 * off the normal path.
 */
export function rejectNonFiniteStatistic(matrix: tf.Tensor2D, statistic: string): never {
  if (!isAllFinite(matrix)) throw nonFiniteMatrixError('matrix');
  throw new NumericalError(
    `The ${statistic} of the matrix overflowed float32 (its entries are too large to square); ` +
      'scale the losses down.',
  );
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
  /**
   * @param weighting Gives the weights from the matrix.
   * @param weightingChecksFiniteness The weighting rejects a matrix with NaN or infinite entries
   *   itself, from a small statistic it computes anyway (a Gramian, per-row sums), so the check of
   *   the whole matrix, which costs as much as `Mean`, is skipped. The error then comes after the
   *   forward pre-hooks ran.
   */
  constructor(
    readonly weighting: Weighting,
    private readonly weightingChecksFiniteness = false,
  ) {
    super();
    checkIsWeighting(weighting, 'weighting');
  }

  // No rows: the weighting gives no weights, and `wᵀJ` is the zero vector.
  protected override forwardTakesNoRows(): boolean {
    return true;
  }

  // `wᵀJ` is a tfjs product; the weighting guards its weights itself when they cannot be
  // differentiated.
  protected override differentiable(): boolean {
    return true;
  }

  protected override validate(matrix: tf.Tensor2D): void {
    if (this.weightingChecksFiniteness) checkIsMatrix(matrix, 'matrix');
    else super.validate(matrix);
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const weights = this.weighting.apply(matrix);
    try {
      return combine(matrix, weights);
    } finally {
      weights.dispose();
    }
  }

  override toString(): string {
    return 'WeightedAggregator';
  }
}

/**
 * A `WeightedAggregator` whose weights depend on the matrix only through its Gramian `J Jᵀ`.
 * `gramianWeighting` takes the Gramian; `weighting` takes the matrix (it computes the Gramian,
 * then calls `gramianWeighting`).
 */
export class GramianWeightedAggregator extends WeightedAggregator {
  constructor(readonly gramianWeighting: Weighting) {
    checkIsWeighting(gramianWeighting, 'gramianWeighting');
    // Finiteness is checked on the small Gramian (a NaN or ∞ in J always reaches it).
    super(gramianWeighting.compose(finiteGramian, gramianWeighting.toString()), true);
  }

  /**
   * With a finite Gramian every row has a norm below 2e19, and the weights are checked finite:
   * `wᵀJ` overflows only for weights summing to more than 1e19 in absolute value, which the
   * Gramian-based methods do not produce, so the output is not checked.
   */
  protected override outputCanOverflow(): boolean {
    return false;
  }

  override toString(): string {
    return 'GramianWeightedAggregator';
  }
}

/**
 * The Gramian of `matrix`, rejecting a matrix with NaN or infinite entries (and a finite one whose
 * Gramian overflows float32, with a `NumericalError`).
 */
function finiteGramian(matrix: tf.Tensor2D): tf.Tensor2D {
  const gramian = computeGramian(matrix);
  if (!isAllFinite(gramian)) {
    gramian.dispose();
    rejectNonFiniteStatistic(matrix, 'Gramian');
  }
  return gramian;
}

/** `wᵀ J`: the weighted sum of the rows of `matrix`. */
export function combine(matrix: tf.Tensor2D, weights: tf.Tensor1D): tf.Tensor1D {
  return weightedRowSum(weights, matrix) as tf.Tensor1D;
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
