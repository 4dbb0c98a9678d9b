import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import {
  checkedProjector,
  projectorOrDefault,
  setProjectorEps,
  type DualConeProjector,
} from '../linalg/dual_cone';
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
  private preference: PrefVector;
  private projectorValue: DualConeProjector;

  constructor(options: DualProjOptions = {}) {
    super();
    const { prefVector, normEps, regEps, projector } = readOptions(options, 'DualProjWeighting');
    this.preference = new PrefVector(prefVector);
    this.projectorValue = projectorOrDefault({ projector, normEps, regEps });
  }

  /** The preference vector, or `undefined` for uniform `1/m`; setting it validates it, as TorchJD. */
  get prefVector(): number[] | undefined {
    return this.preference.values === undefined ? undefined : [...this.preference.values];
  }
  set prefVector(value: tf.Tensor1D | number[] | undefined) {
    this.preference = new PrefVector(value);
  }

  /** The dual-cone projector; setting `undefined` restores the default one, as TorchJD. */
  get projector(): DualConeProjector {
    return this.projectorValue;
  }
  set projector(value: DualConeProjector | undefined) {
    this.projectorValue = checkedProjector(value);
  }

  /** The projector's `normEps`; setting it sets (and validates) it on the projector. */
  get normEps(): number | undefined {
    return this.projectorValue.normEps;
  }
  set normEps(value: number) {
    setProjectorEps(this.projectorValue, 'normEps', value);
  }

  /** The projector's `regEps`; setting it sets (and validates) it on the projector. */
  get regEps(): number | undefined {
    return this.projectorValue.regEps;
  }
  set regEps(value: number) {
    setProjectorEps(this.projectorValue, 'regEps', value);
  }

  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    const preferences = this.preference.weightsFor(gramian.shape[0]);
    const [solution] = this.projectorValue.project([preferences], toMatrix64(gramian));
    return toTensor1D(solution);
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
export class DualProj extends GramianWeightedAggregator {
  declare readonly gramianWeighting: DualProjWeighting;

  constructor(options: DualProjOptions = {}) {
    super(new DualProjWeighting(readOptions(options, 'DualProj')));
  }

  /** The weighting's preference vector; setting it sets the weighting's (as TorchJD). */
  get prefVector(): number[] | undefined {
    return this.gramianWeighting.prefVector;
  }
  set prefVector(value: tf.Tensor1D | number[] | undefined) {
    this.gramianWeighting.prefVector = value;
  }

  /** The weighting's dual-cone projector; setting it sets the weighting's (as TorchJD). */
  get projector(): DualConeProjector {
    return this.gramianWeighting.projector;
  }
  set projector(value: DualConeProjector | undefined) {
    this.gramianWeighting.projector = value;
  }

  /** The projector's `normEps`; setting it sets it on the weighting's projector. */
  get normEps(): number | undefined {
    return this.gramianWeighting.normEps;
  }
  set normEps(value: number) {
    this.gramianWeighting.normEps = value;
  }

  /** The projector's `regEps`; setting it sets it on the weighting's projector. */
  get regEps(): number | undefined {
    return this.gramianWeighting.regEps;
  }
  set regEps(value: number) {
    this.gramianWeighting.regEps = value;
  }

  override toString(): string {
    return `DualProj${new PrefVector(this.prefVector).nameSuffix()}`;
  }
}
