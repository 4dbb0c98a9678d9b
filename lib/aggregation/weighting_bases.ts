import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { guardNonDifferentiable } from '../autograd/non_differentiable';
import { HookedModule } from '../hooks';
import { isTensor } from '../tfjs_guards';

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

  protected override validate(stat: tf.Tensor2D): void {
    checkIsMatrix(stat, this.statName());
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

/** Throws an `InvalidArgumentError` naming `argument` unless `value` is a 2-D tf.Tensor. */
export function checkIsMatrix(value: unknown, argument: string): asserts value is tf.Tensor2D {
  if (!isTensor(value)) {
    throw new InvalidArgumentError(argument, `expected a tf.Tensor2D, got ${describe(value)}.`);
  }
  if (value.rank !== 2) {
    throw new InvalidArgumentError(
      argument,
      `expected a tensor of rank 2, got shape [${value.shape}].`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? (value.constructor?.name ?? 'an object') : typeof value;
}

/** True for a live rank-2 tensor with no rows (what aggregates to zeros). */
export function hasNoRows(value: unknown): value is tf.Tensor2D {
  return isTensor(value) && !value.isDisposed && value.rank === 2 && value.shape[0] === 0;
}
