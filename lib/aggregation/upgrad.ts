import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { projectorOrDefault, type DualConeProjector } from '../linalg/dual_cone';
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
  readonly prefVector: PrefVector;
  readonly projector: DualConeProjector;

  constructor(options: UPGradOptions = {}) {
    super();
    const { prefVector, normEps, regEps, projector } = readOptions(options, 'UPGradWeighting');
    this.prefVector = new PrefVector(prefVector);
    this.projector = projectorOrDefault({ projector, normEps, regEps });
  }

  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    const m = gramian.shape[0];
    const preferences = this.prefVector.weightsFor(m);
    const diagonal = preferences.map((p, i) => preferences.map((_, j) => (i === j ? p : 0)));
    const solutions = this.projector.project(diagonal, toMatrix64(gramian));
    const weights = new Array<number>(m).fill(0);
    for (const v of solutions) for (let j = 0; j < m; j++) weights[j] += v[j];
    return toTensor1D(weights);
  }

  override toString(): string {
    return `UPGradWeighting${this.prefVector.nameSuffix()}`;
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

  override toString(): string {
    return `UPGrad${this.gramianWeighting.prefVector.nameSuffix()}`;
  }
}
