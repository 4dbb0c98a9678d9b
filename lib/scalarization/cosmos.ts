import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { Scalarizer } from './scalarizer_base';
import {
  checkNonNegative,
  checkOptionShape,
  optionTensor,
  readTensorOption,
  type TensorLike,
  type TensorOption,
} from './tensor_option';

/** Options of {@link COSMOS}. */
export interface COSMOSOptions {
  /** Cosine-similarity penalty `λ ≥ 0`; 0 gives the plain weighted sum. The paper uses 0.01 to 8. */
  lambda: number;
  /** Preference vector `r`, the shape of the losses (re-sample it before each call to cover the front). */
  weights: TensorLike;
}

/** Below this norm a vector counts as zero in the cosine, as `torch.nn.functional.cosine_similarity` does. */
const COSINE_EPSILON = 1e-8;

/**
 * COSMOS: the weighted sum `Σᵢ rᵢ Lᵢ` minus `λ cos(r, L)`, which pulls the losses towards the
 * preference direction, from "Scalable Pareto Front Approximation for Deep Multi-Objective
 * Learning" (Ruchte and Grabocka, ICDM 2021, https://arxiv.org/abs/2103.13392). Conditioning the
 * model on `r` is left to the user. `weights` may be reassigned between calls.
 *
 * @example
 * ```ts
 * new scalarization.COSMOS({ lambda: 1, weights: [0.5, 0.5] }).apply(tf.tensor1d([1, 1])); // ≈ 0
 * ```
 */
export class COSMOS extends Scalarizer {
  /** The cosine-similarity penalty `λ`. */
  readonly lambda: number;
  private weightsOption: TensorOption;

  constructor(options: COSMOSOptions) {
    super();
    options = readOptions(
      options,
      'COSMOS',
      ['lambda', 'weights'],
      'new scalarization.COSMOS({ lambda: 1, weights: [0.5, 0.5] })',
    );
    this.lambda = checkNonNegative(options.lambda, 'lambda');
    this.weightsOption = readTensorOption(options.weights, 'weights');
  }

  /** The preference vector, flattened in row-major order. */
  get weights(): number[] {
    return [...this.weightsOption.values];
  }

  /** Replaces the preference vector, e.g. with a fresh Dirichlet sample before each call. */
  set weights(weights: TensorLike) {
    this.weightsOption = readTensorOption(weights, 'weights');
  }

  protected override validate(losses: tf.Tensor): void {
    super.validate(losses);
    checkOptionShape(this.weightsOption, 'weights', losses);
  }

  forward(losses: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      const r = tf.reshape(optionTensor(this.weightsOption), [-1]);
      const l = tf.reshape(losses, [-1]);
      const weightedSum = tf.sum(tf.mul(r, l));
      const cosine = tf.sum(tf.mul(unitOrZero(r), unitOrZero(l)));
      return tf.sub(weightedSum, tf.mul(this.lambda, cosine)) as tf.Scalar;
    });
  }

  override toString(): string {
    return 'COSMOS';
  }
}

/**
 * `v / max(‖v‖, ε)`. The clamp is taken under the square root so that the gradient at the zero
 * vector is 0 rather than 0 · ∞ = NaN.
 */
function unitOrZero(v: tf.Tensor): tf.Tensor {
  const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(v)), COSINE_EPSILON * COSINE_EPSILON));
  return tf.div(v, norm);
}
