import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { Scalarizer } from './scalarizer_base';
import { checkLossesShape, readShape } from './tensor_option';
import type { TrainableScalarizerOptions } from './uw';

/**
 * IMTL-L, the loss-balancing half of "Towards Impartial Multi-task Learning" (Liu et al., ICLR
 * 2021): `Σᵢ (e^{sᵢ} Lᵢ − sᵢ)` with a learned log-scale `sᵢ` per loss, which keeps the scaled losses
 * at comparable magnitudes (the `−sᵢ` term rules out `sᵢ → −∞`). It equals twice {@link UW} at
 * `−s`. The log-scales start at 0 (the plain sum) and are a trainable `tf.Variable` listed in
 * `trainableVariables`; `dispose()` frees them.
 *
 * @example
 * ```ts
 * const imtl = new scalarization.IMTLL({ shape: 2 });
 * const optimizer = tf.train.sgd(0.1);
 * optimizer.minimize(() => imtl.apply(tf.tensor1d([2, 5])), false, imtl.trainableVariables);
 * imtl.dispose();
 * ```
 */
export class IMTLL extends Scalarizer {
  /** The learned log-scales `s`, of the shape of the losses. */
  readonly logScale: tf.Variable;

  constructor(options: TrainableScalarizerOptions) {
    super();
    options = readOptions(options, 'IMTLL', ['shape'], 'new scalarization.IMTLL({ shape: 2 })');
    const shape = readShape(options.shape);
    this.logScale = tf.tidy(() => tf.variable(tf.zeros(shape), true));
  }

  /** The variables to hand to the optimizer: `[logScale]`. */
  get trainableVariables(): tf.Variable[] {
    return [this.logScale];
  }

  protected override validate(losses: tf.Tensor): void {
    super.validate(losses);
    checkLossesShape(losses, this.logScale.shape, 'scales');
  }

  forward(losses: tf.Tensor): tf.Scalar {
    return tf.tidy(() => tf.sum(tf.sub(tf.mul(tf.exp(this.logScale), losses), this.logScale)));
  }

  /** Sets the log-scales back to 0. */
  reset(): void {
    tf.tidy(() => this.logScale.assign(tf.zerosLike(this.logScale)));
  }

  /** Frees the log-scales; the scalarizer cannot be used afterwards. */
  dispose(): void {
    this.logScale.dispose();
  }

  override toString(): string {
    return 'IMTLL';
  }
}
