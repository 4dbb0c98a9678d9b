import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError } from '../errors';
import { Scalarizer } from './scalarizer_base';
import {
  checkNonNegative,
  checkOptionShape,
  optionTensor,
  readTensorOption,
  type TensorLike,
  type TensorOption,
} from './tensor_option';

/** Options of {@link PBI}. */
export interface PBIOptions {
  /** Penalty `θ ≥ 0` on the distance to the preference direction; the paper uses 5. */
  theta: number;
  /** Preference direction `w` (non-negative), the shape of the losses. */
  weights: TensorLike;
  /** Ideal point `z*` subtracted from the losses, the shape of the losses; default: the origin. */
  reference?: TensorLike;
}

/**
 * Added under the square root of `d₂`, whose gradient is undefined when the losses lie on the
 * preference direction; it shifts the value by at most 1e-6 there.
 */
const SQUARED_NORM_EPSILON = 1e-12;

/**
 * Penalty-based Boundary Intersection, `d₁ + θ d₂`, where `d₁ = (L − z*)·ŵ` is the distance along
 * the unit preference direction `ŵ = w / ‖w‖` and `d₂ = ‖(L − z*) − d₁ ŵ‖` the distance to it, from
 * "MOEA/D: A Multiobjective Evolutionary Algorithm Based on Decomposition" (Zhang and Li, IEEE TEVC
 * 2007). `weights` may be reassigned between calls.
 *
 * @example
 * ```ts
 * new scalarization.PBI({ theta: 1, weights: [1, 1] }).apply(tf.tensor1d([2, 0])); // 2√2
 * ```
 */
export class PBI extends Scalarizer {
  /** The penalty `θ` on the distance to the preference direction. */
  readonly theta: number;
  private weightsOption: TensorOption;
  private readonly referenceOption?: TensorOption;

  constructor(options: PBIOptions) {
    super();
    options = readOptions(
      options,
      'PBI',
      ['theta', 'weights'],
      'new scalarization.PBI({ theta: 5, weights: [1, 1] })',
    );
    this.theta = checkNonNegative(options.theta, 'theta');
    this.weightsOption = readDirection(options.weights);
    if (options.reference !== undefined) {
      this.referenceOption = readTensorOption(options.reference, 'reference');
    }
  }

  /** The preference direction, flattened in row-major order. */
  get weights(): number[] {
    return [...this.weightsOption.values];
  }

  /** Replaces the preference direction, e.g. with a fresh Dirichlet sample before each call. */
  set weights(weights: TensorLike) {
    this.weightsOption = readDirection(weights);
  }

  protected override validate(losses: tf.Tensor): void {
    super.validate(losses);
    checkOptionShape(this.weightsOption, 'weights', losses);
    if (this.referenceOption) checkOptionShape(this.referenceOption, 'reference', losses);
  }

  forward(losses: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      const shifted = this.referenceOption
        ? tf.sub(losses, optionTensor(this.referenceOption))
        : losses;
      const f = tf.reshape(shifted, [-1]);
      const w = tf.reshape(optionTensor(this.weightsOption), [-1]);
      const direction = tf.div(w, tf.norm(w));
      const d1 = tf.sum(tf.mul(f, direction));
      const perpendicular = tf.sub(f, tf.mul(d1, direction));
      const d2 = tf.sqrt(tf.add(tf.sum(tf.square(perpendicular)), SQUARED_NORM_EPSILON));
      return tf.add(d1, tf.mul(this.theta, d2)) as tf.Scalar;
    });
  }

  override toString(): string {
    return 'PBI';
  }
}

/** Reads `weights`, which must not be the zero vector since it is normalized to a direction. */
function readDirection(weights: unknown): TensorOption {
  const option = readTensorOption(weights, 'weights');
  if (option.values.every((v) => v === 0)) {
    throw new InvalidArgumentError('weights', 'expected a nonzero preference direction.');
  }
  return option;
}
