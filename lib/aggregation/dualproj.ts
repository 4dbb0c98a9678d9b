import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { projectorOrDefault, type DualConeProjector } from '../linalg/dual_cone';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { GramianWeightedAggregator } from './aggregator_bases';
import { PrefVector } from './pref_vector';
import { GramianWeighting } from './weighting_bases';
import type { UPGradOptions } from './upgrad';

/** Options of {@link DualProj} and {@link DualProjWeighting} (the same as UPGrad's). */
export type DualProjOptions = UPGradOptions;

/**
 * The weights of {@link DualProj}: the `v` solving `min vᵀGv s.t. v ≥ p`, with `p` the preference
 * vector (uniform `1/m` by default).
 *
 * @example
 * ```ts
 * new DualProjWeighting({ regEps: 0 }).apply(tf.tensor2d([[18, -22], [-22, 38]])); // [11/18, 1/2]
 * ```
 */
export class DualProjWeighting extends GramianWeighting {
  readonly prefVector: PrefVector;
  readonly projector: DualConeProjector;

  constructor(options: DualProjOptions = {}) {
    super();
    const { prefVector, normEps, regEps, projector } = readOptions(options, 'DualProjWeighting');
    this.prefVector = new PrefVector(prefVector);
    this.projector = projectorOrDefault({ projector, normEps, regEps });
  }

  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    const preferences = this.prefVector.weightsFor(gramian.shape[0]);
    const [solution] = this.projector.project([preferences], toMatrix64(gramian));
    return toTensor1D(solution);
  }

  override toString(): string {
    return `DualProjWeighting${this.prefVector.nameSuffix()}`;
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
export class DualProj extends GramianWeightedAggregator {
  declare readonly gramianWeighting: DualProjWeighting;

  constructor(options: DualProjOptions = {}) {
    super(new DualProjWeighting(readOptions(options, 'DualProj')));
  }

  override toString(): string {
    return `DualProj${this.gramianWeighting.prefVector.nameSuffix()}`;
  }
}
