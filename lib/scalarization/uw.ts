import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { Scalarizer } from './scalarizer_base';
import { checkLossesShape, readShape } from './tensor_option';

/** Options of {@link UW} and {@link IMTLL}. */
export interface TrainableScalarizerOptions {
  /** The shape of the losses, one learned parameter per loss; a number `n` means `[n]`. */
  shape: number | number[];
}

/**
 * Uncertainty Weighting, `Σᵢ (½ e^{−sᵢ} Lᵢ + ½ sᵢ)` with a learned log-variance `sᵢ = log σᵢ²` per
 * loss, from "Multi-Task Learning Using Uncertainty to Weigh Losses for Scene Geometry and
 * Semantics" (Kendall et al., CVPR 2018). The log-variances start at 0 (uniform weights) and are a
 * trainable `tf.Variable` listed in `trainableVariables`: train them with the model, e.g. by
 * passing them to `optimizer.minimize`'s `varList` together with the model's weights. `dispose()`
 * frees them.
 *
 * @example
 * ```ts
 * const uw = new scalarization.UW({ shape: 2 });
 * const optimizer = tf.train.sgd(0.1);
 * optimizer.minimize(() => uw.apply(tf.tensor1d([2, 5])), false, uw.trainableVariables);
 * uw.dispose();
 * ```
 */
export class UW extends Scalarizer {
  /** The learned log-variances `s`, of the shape of the losses. */
  readonly logVar: tf.Variable;

  constructor(options: TrainableScalarizerOptions) {
    super();
    options = readOptions(options, 'UW', ['shape'], 'new scalarization.UW({ shape: 2 })');
    const shape = readShape(options.shape);
    this.logVar = tf.tidy(() => tf.variable(tf.zeros(shape), true));
  }

  /** The variables to hand to the optimizer: `[logVar]`. */
  get trainableVariables(): tf.Variable[] {
    return [this.logVar];
  }

  protected override validate(losses: tf.Tensor): void {
    super.validate(losses);
    checkLossesShape(losses, this.logVar.shape, 'log-variances');
  }

  forward(losses: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      const weighted = tf.mul(tf.mul(0.5, tf.exp(tf.neg(this.logVar))), losses);
      return tf.sum(tf.add(weighted, tf.mul(0.5, this.logVar)));
    });
  }

  /** Sets the log-variances back to 0. */
  reset(): void {
    tf.tidy(() => this.logVar.assign(tf.zerosLike(this.logVar)));
  }

  /** Frees the log-variances; the scalarizer cannot be used afterwards. */
  dispose(): void {
    this.logVar.dispose();
  }

  override toString(): string {
    return 'UW';
  }
}
