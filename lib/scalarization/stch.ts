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

/** Options of {@link STCH}. */
export interface STCHOptions {
  /** Smoothing `μ > 0`; smaller is closer to the weighted maximum. The paper tries 0.01 to 1. */
  mu: number;
  /** Preference `λ`, the shape of the losses; default: uniform `1/m` (summing to one). */
  weights?: TensorLike;
  /** Ideal point `z*` subtracted from the losses, the shape of the losses; default: none. */
  reference?: TensorLike;
}

/**
 * Smooth Tchebycheff scalarization, `μ log Σᵢ exp(λᵢ (Lᵢ − zᵢ*) / μ)`: a smooth upper
 * approximation of the weighted maximum `maxᵢ λᵢ (Lᵢ − zᵢ*)`, from "Smooth Tchebycheff
 * Scalarization for Multi-Objective Optimization" (Lin et al., ICML 2024,
 * https://arxiv.org/abs/2402.19078).
 *
 * @example
 * ```ts
 * new scalarization.STCH({ mu: 1 }).apply(tf.tensor1d([0, 0])); // log 2 ≈ 0.6931
 * ```
 */
export class STCH extends Scalarizer {
  /** The smoothing `μ`. */
  readonly mu: number;
  private readonly weightsOption?: TensorOption;
  private readonly referenceOption?: TensorOption;

  constructor(options: STCHOptions) {
    super();
    options = readOptions(options, 'STCH', ['mu'], 'new scalarization.STCH({ mu: 0.1 })');
    this.mu = checkNonNegative(options.mu, 'mu', true);
    if (options.weights !== undefined) {
      this.weightsOption = readTensorOption(options.weights, 'weights');
    }
    if (options.reference !== undefined) {
      this.referenceOption = readTensorOption(options.reference, 'reference');
    }
  }

  protected override validate(losses: tf.Tensor): void {
    super.validate(losses);
    if (this.weightsOption) checkOptionShape(this.weightsOption, 'weights', losses);
    if (this.referenceOption) checkOptionShape(this.referenceOption, 'reference', losses);
  }

  forward(losses: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      const weights = this.weightsOption
        ? optionTensor(this.weightsOption)
        : tf.fill(losses.shape, 1 / losses.size);
      const shifted = this.referenceOption
        ? tf.sub(losses, optionTensor(this.referenceOption))
        : losses;
      const y = tf.mul(weights, shifted);
      // Centering on the maximum before dividing by μ (Appendix B.1 of the paper) keeps the
      // largest exponent at 0, so nothing overflows for large losses and small μ; adding it back
      // leaves the value and the gradient unchanged.
      const maxY = tf.max(y);
      const exponents = tf.div(tf.sub(y, maxY), this.mu);
      return tf.add(tf.mul(this.mu, tf.logSumExp(tf.reshape(exponents, [-1]))), maxY);
    });
  }

  override toString(): string {
    return 'STCH';
  }
}
