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

/** Options of {@link UPGrad} and {@link UPGradWeighting}. */
export interface UPGradOptions {
  /** Weights of the projected rows; default `1/m` each. A `tf.Tensor1D` or `number[]`. */
  prefVector?: tf.Tensor1D | number[];
  /**
   * Gramian trace below which the Jacobian counts as zero. Default 1e-4. TorchJD sets it on the
   * projector; here it configures the default projector, and cannot be combined with `projector`.
   */
  normEps?: number;
  /**
   * Added to the diagonal of the normalized Gramian. Default 1e-4. Configures the default
   * projector, like `normEps`; cannot be combined with `projector`.
   */
  regEps?: number;
  /**
   * The dual-cone projector; default `new ActiveSetProjector({ normEps, regEps })`, which gives
   * the solution of TorchJD's `QuadprogProjector` faster. Pass `new QuadprogProjector()` to solve
   * with quadprog itself.
   */
  projector?: DualConeProjector;
}

/**
 * The weights of {@link UPGrad}, from the Gramian `G = J Jᵀ`: `w = Σᵢ vᵢ` where `vᵢ` solves
 * `min vᵀGv s.t. v ≥ pᵢ eᵢ` (the projection of row i, scaled by its preference `pᵢ`, onto the dual
 * cone of the rows).
 *
 * @example
 * ```ts
 * const weights = new UPGradWeighting().apply(tf.tensor2d([[18, -22], [-22, 38]]));
 * ```
 */
export class UPGradWeighting extends GramianWeighting {
  private preference: PrefVector;
  private projectorValue: DualConeProjector;

  constructor(options: UPGradOptions = {}) {
    super();
    const { prefVector, normEps, regEps, projector } = readOptions(options, 'UPGradWeighting');
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
    const m = gramian.shape[0];
    const preferences = this.preference.weightsFor(m);
    const diagonal = preferences.map((p, i) => preferences.map((_, j) => (i === j ? p : 0)));
    const solutions = this.projectorValue.project(diagonal, toMatrix64(gramian));
    const weights = new Array<number>(m).fill(0);
    for (const v of solutions) for (let j = 0; j < m; j++) weights[j] += v[j];
    return toTensor1D(weights);
  }

  override toString(): string {
    return `UPGradWeighting${this.preference.nameSuffix()}`;
  }
}

/**
 * Unconflicting Projection of Gradients: projects each row of the Jacobian onto the dual cone of
 * all rows, then sums the projections weighted by the preference vector, so that the update does
 * not increase any objective to first order. From "Jacobian Descent for Multi-Objective
 * Optimization" (Quinton & Rey, 2024, https://arxiv.org/abs/2406.16232).
 *
 * @example
 * ```ts
 * const aggregator = new UPGrad();
 * aggregator.apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])).print(); // ≈ [0.2929, 1.9004, 1.9004]
 * ```
 */
export class UPGrad extends GramianWeightedAggregator {
  declare readonly gramianWeighting: UPGradWeighting;

  constructor(options: UPGradOptions = {}) {
    super(new UPGradWeighting(readOptions(options, 'UPGrad')));
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
    return `UPGrad${new PrefVector(this.prefVector).nameSuffix()}`;
  }
}
