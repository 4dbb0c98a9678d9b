import * as tf from '@tensorflow/tfjs';
import { checkLiveTensor, describeValue } from '../argument_checks';
import { isTensor } from '../tfjs_guards';
import { guardNonDifferentiable } from '../autograd/non_differentiable';
import { InvalidArgumentError, NumericalError } from '../errors';
import { HookedModule } from '../hooks';
import type { Matrix64 } from '../linalg/matrix';

/**
 * Extracts a vector of `m` weights from a statistic of an `m × n` matrix: the matrix itself, or
 * (for most methods) its `m × m` Gramian. Mirrors TorchJD's `Weighting`.
 *
 * @example
 * ```ts
 * const weights = new UPGradWeighting().apply(tf.tensor2d([[4, -1], [-1, 1]]));
 * ```
 */
export abstract class Weighting extends HookedModule<[tf.Tensor2D], tf.Tensor1D> {
  /**
   * A statistic with no rows (a 0 × 0 Gramian, a 0 × n matrix) gives an empty weight vector, as in
   * TorchJD, once validated; `forward` (and so any state) and the hooks are not run for it.
   */
  override apply(stat: tf.Tensor2D): tf.Tensor1D {
    if (this.forwardTakesNoRows() || !hasNoRows(stat)) {
      const weights = super.apply(stat);
      return this.differentiable() ? weights : guardNonDifferentiable(weights, [stat], `${this}`);
    }
    this.validate(stat);
    return tf.zeros([0]);
  }

  /**
   * True when tfjs can differentiate the weights with respect to the statistic correctly (they do
   * not depend on it: Mean, Sum, Constant, Random). False by default: the weights are computed in
   * JavaScript, and a backward pass through them (inside `record` or `tf.grad`) throws
   * `NotDifferentiableError` instead of silently treating them as constants.
   */
  protected differentiable(): boolean {
    return false;
  }

  /** True when `forward` itself handles a statistic with no rows. */
  protected forwardTakesNoRows(): boolean {
    return false;
  }

  /**
   * Checks the argument: a live float32 matrix and, when the weights depend on its values
   * ({@link readsValues}), finite entries, before any state of a stateful weighting changes (a NaN
   * must not stay in the state for every later call).
   */
  protected override validate(stat: tf.Tensor2D): void {
    checkIsMatrix(stat, this.statName());
    if (this.readsValues()) checkIsFiniteStat(stat, this.statName());
  }

  /**
   * True when the weights depend on the values of the argument, which must then be finite. False
   * for the weightings that only look at its shape (Mean, Sum, Constant, Random), and for those
   * that check a statistic of it themselves.
   */
  protected readsValues(): boolean {
    return false;
  }

  /**
   * The weights must be finite: from a finite argument, non-finite weights mean the method's
   * arithmetic overflowed, a `NumericalError` (the output is disposed by `apply`).
   */
  protected override checkOutput(weights: tf.Tensor1D): void {
    this.checkWeightValues(weights.dataSync());
  }

  /**
   * `forward`'s weights from a statistic already read into JavaScript, for the weightings whose
   * arithmetic runs there (UPGrad, DualProj, MGDA): the Jacobian-descent step downloads its m × m
   * Gramian once and needs the weights as numbers, so the tensors `apply` would upload and read
   * back are skipped. Runs neither validation nor hooks: the caller has checked that `stat` is
   * finite (and, for a Gramian, symmetric) and that this weighting has no hooks. Undefined for a
   * weighting that computes on tensors.
   *
   * @example
   * ```ts
   * new UPGradWeighting().weightsOfValues([[1, 0], [0, 1]]); // [0.5, 0.5]
   * ```
   */
  weightsOfValues(_stat: Matrix64): number[] | undefined {
    return undefined;
  }

  /**
   * Throws the `NumericalError` of {@link checkOutput} when one of `values` is not finite: from a
   * finite argument, the method's arithmetic overflowed.
   */
  checkWeightValues(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new NumericalError(
          `${this.toString()} computed non-finite weights (${Array.from(values)}) from a finite ` +
            `${this.statName()}: its arithmetic overflowed; scale the losses to moderate values.`,
        );
      }
    }
  }

  /** The name of the argument in error messages: `'gramian'` or `'matrix'`. */
  protected statName(): string {
    return 'matrix';
  }

  /**
   * The weighting applied to `fn(stat)` instead of `stat`, like TorchJD's `weighting << fn`. The
   * intermediate `fn(stat)` is disposed.
   */
  compose(fn: (stat: tf.Tensor2D) => tf.Tensor2D, name?: string): Weighting {
    return new ComposedWeighting(this, fn, name);
  }
}

/** A `Weighting` of the `m × m` Gramian `J Jᵀ`, which must be square. */
export abstract class GramianWeighting extends Weighting {
  protected override validate(gramian: tf.Tensor2D): void {
    super.validate(gramian);
    if (gramian.shape[0] !== gramian.shape[1]) {
      throw new InvalidArgumentError(
        'gramian',
        `expected a square matrix, got shape [${gramian.shape}].`,
      );
    }
  }

  protected override statName(): string {
    return 'gramian';
  }

  protected override readsValues(): boolean {
    return true;
  }
}

/** A `Weighting` of the matrix itself (GradDrop-like methods that need more than the Gramian). */
export abstract class MatrixWeighting extends Weighting {}

class ComposedWeighting extends Weighting {
  constructor(
    readonly inner: Weighting,
    private readonly fn: (stat: tf.Tensor2D) => tf.Tensor2D,
    private readonly name?: string,
  ) {
    super();
  }

  // `fn` and the inner weighting check what they read.
  protected override validate(stat: tf.Tensor2D): void {
    checkIsMatrix(stat, this.statName());
  }

  // The inner weighting decides (and validates) what no rows give.
  protected override forwardTakesNoRows(): boolean {
    return true;
  }

  // The inner weighting guards its own output.
  protected override differentiable(): boolean {
    return true;
  }

  forward(stat: tf.Tensor2D): tf.Tensor1D {
    const transformed = this.fn(stat);
    try {
      return this.inner.apply(transformed);
    } finally {
      if (transformed !== stat) transformed.dispose();
    }
  }

  override toString(): string {
    return this.name ?? `${this.inner.toString()}∘${this.fn.name || 'fn'}`;
  }
}

/**
 * Throws an `InvalidArgumentError` naming `argument` unless `value` is a live float32 2-D
 * `tf.Tensor` (with no rows allowed, as in TorchJD). Other dtypes are refused rather than cast, the
 * same way on every backend: int32 products overflow silently on some backends and not others.
 */
export function checkIsMatrix(value: unknown, argument: string): asserts value is tf.Tensor2D {
  checkLiveTensor(value, argument, 'a tf.Tensor2D');
  if (value.rank !== 2) {
    throw new InvalidArgumentError(
      argument,
      `expected a tensor of rank 2, got shape [${value.shape}].`,
    );
  }
  if (value.dtype !== 'float32') {
    throw new InvalidArgumentError(
      argument,
      `expected a float32 tensor, got ${value.dtype}; convert it with tf.cast(${argument}, 'float32').`,
    );
  }
}

/** Throws an `InvalidArgumentError` naming `argument` if the small `stat` has a NaN or ∞ entry. */
export function checkIsFiniteStat(stat: tf.Tensor2D, argument: string): void {
  const values = stat.dataSync();
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InvalidArgumentError(argument, 'expected finite values, found NaN or Infinity.');
    }
  }
}

/** Throws an `InvalidArgumentError` naming `argument` unless `value` is a `Weighting`. */
export function checkIsWeighting(value: unknown, argument: string): asserts value is Weighting {
  if (!(value instanceof Weighting)) {
    const hint =
      value instanceof HookedModule &&
      typeof (value as { weighting?: unknown }).weighting === 'object'
        ? ` (${value.toString()} is an aggregator; pass a weighting such as new UPGradWeighting(), or its .weighting)`
        : '';
    throw new InvalidArgumentError(
      argument,
      `expected a Weighting, got ${describeValue(value)}${hint}.`,
    );
  }
}

/** True for a live rank-2 tensor with no rows (what aggregates to zeros). */
export function hasNoRows(value: unknown): value is tf.Tensor2D {
  return isTensor(value) && !value.isDisposed && value.rank === 2 && value.shape[0] === 0;
}
