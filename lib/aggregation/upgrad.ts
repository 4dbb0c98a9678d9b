import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { toMatrix64, toTensor1D, type Matrix64 } from '../linalg/matrix';
import { DualConeAggregator, DualConeWeighting, type DualConeOptions } from './dual_cone_weighting';

/** Options of {@link UPGrad} and {@link UPGradWeighting}. */
export type UPGradOptions = DualConeOptions;

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
export class UPGradWeighting extends DualConeWeighting {
  constructor(options: UPGradOptions = {}) {
    super(options, 'UPGradWeighting');
  }

  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    return toTensor1D(this.weightsOfValues(toMatrix64(gramian)));
  }

  override weightsOfValues(gramian: Matrix64): number[] {
    const m = gramian.length;
    const preferences = this.preference.weightsFor(m);
    const diagonal = preferences.map((p, i) => preferences.map((_, j) => (i === j ? p : 0)));
    const solutions = this.projectorValue.project(diagonal, gramian);
    const weights = new Array<number>(m).fill(0);
    for (const v of solutions) for (let j = 0; j < m; j++) weights[j] += v[j];
    return weights;
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
export class UPGrad extends DualConeAggregator {
  declare readonly gramianWeighting: UPGradWeighting;

  constructor(options: UPGradOptions = {}) {
    super(new UPGradWeighting(readOptions(options, 'UPGrad')));
  }

  override toString(): string {
    return this.nameWithPreference('UPGrad');
  }
}
