import * as tf from '@tensorflow/tfjs';
import { vectorToString } from '../linalg/vector';
import { Scalarizer } from './scalarizer_base';
import {
  checkLossesShape,
  formatShape,
  optionTensor,
  readTensorOption,
  type TensorLike,
  type TensorOption,
} from './tensor_option';

/**
 * The sum of the losses weighted by fixed weights, which must have the shape of the losses.
 *
 * @example
 * ```ts
 * new scalarization.Constant([0.1, 0.2, 0.3, 0.4]).apply(tf.tensor1d([1, 2, 3, 4])); // 3
 * ```
 */
export class Constant extends Scalarizer {
  private readonly option: TensorOption;

  constructor(weights: TensorLike) {
    super();
    this.option = readTensorOption(weights, 'weights');
  }

  /** The weights, flattened in row-major order. */
  get weights(): number[] {
    return [...this.option.values];
  }

  protected override validate(losses: tf.Tensor): void {
    super.validate(losses);
    checkLossesShape(losses, this.option.shape, 'weights');
  }

  forward(losses: tf.Tensor): tf.Scalar {
    return tf.tidy(() => tf.sum(tf.mul(optionTensor(this.option), losses)));
  }

  /** `Constant([1., 2.])` for a vector of weights, `Constant(weights of shape (3, 4))` otherwise. */
  override toString(): string {
    return this.option.shape.length === 1
      ? `Constant(${vectorToString(this.option.values)})`
      : `Constant(weights of shape ${formatShape(this.option.shape)})`;
  }
}
