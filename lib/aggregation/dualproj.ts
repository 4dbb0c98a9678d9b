import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { toMatrix64, toTensor1D, type Matrix64 } from '../linalg/matrix';
import { DualConeAggregator, DualConeWeighting, type DualConeOptions } from './dual_cone_weighting';

/** Options of {@link DualProj} and {@link DualProjWeighting} (the same as UPGrad's). */
export type DualProjOptions = DualConeOptions;

/**
 * The weights of {@link DualProj}: the `v` solving `min vᵀGv s.t. v ≥ p`, with `p` the preference
 * vector (uniform `1/m` by default).
 *
 * @example
 * ```ts
 * new DualProjWeighting({ regEps: 0 }).apply(tf.tensor2d([[18, -22], [-22, 38]])); // [11/18, 1/2]
 * ```
 */
export class DualProjWeighting extends DualConeWeighting {
  constructor(options: DualProjOptions = {}) {
    super(options, 'DualProjWeighting');
  }

  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    return toTensor1D(this.weightsOfValues(toMatrix64(gramian)));
  }

  override weightsOfValues(gramian: Matrix64): number[] {
    const preferences = this.preference.weightsFor(gramian.length);
    const [solution] = this.projectorValue.project([preferences], gramian);
    return Array.from(solution);
  }

  override toString(): string {
    return `DualProjWeighting${this.preference.nameSuffix()}`;
  }
}

/**
 * Projects the preference-weighted combination of the rows (their mean by default) onto the dual
 * cone of the rows. From "Gradient Episodic Memory for Continual Learning" (Lopez-Paz & Ranzato,
 * NeurIPS 2017, https://arxiv.org/abs/1706.08840), as generalized in TorchJD.
 *
 * @example
 * ```ts
 * new DualProj().apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]]));
 * ```
 */
export class DualProj extends DualConeAggregator {
  declare readonly gramianWeighting: DualProjWeighting;

  constructor(options: DualProjOptions = {}) {
    super(new DualProjWeighting(readOptions(options, 'DualProj')));
  }

  override toString(): string {
    return this.nameWithPreference('DualProj');
  }
}
