import * as tf from '@tensorflow/tfjs';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { pseudoInverseSymmetric } from '../linalg/pseudo_inverse';
import { GramianWeightedAggregator } from './aggregator_bases';
import { GramianWeighting } from './weighting_bases';

/**
 * The weights of {@link IMTLG}, from the Gramian: `v = G⁺ d` with `dᵢ = √Gᵢᵢ` (the row norms),
 * normalized to sum to 1; all zero when `|Σ v| < 1e-12` (as TorchJD, e.g. for a zero matrix).
 * `G⁺` drops the eigenvalues below `m · eps(float32)` times the largest, as `torch.linalg.pinv`.
 *
 * @example
 * ```ts
 * new IMTLGWeighting().apply(tf.tensor2d([[18, -22], [-22, 38]])); // ≈ [0.5923, 0.4077]
 * ```
 */
export class IMTLGWeighting extends GramianWeighting {
  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    const g = toMatrix64(gramian);
    const norms = g.map((row, i) => Math.sqrt(Math.max(row[i], 0)));
    const v = pseudoInverseSymmetric(g).map((row) => row.reduce((s, x, k) => s + x * norms[k], 0));
    const total = v.reduce((s, x) => s + x, 0);
    return toTensor1D(Math.abs(total) < 1e-12 ? v.map(() => 0) : v.map((x) => x / total));
  }

  override toString(): string {
    return 'IMTLGWeighting';
  }
}

/**
 * IMTL-G: the update whose projections onto the unit vectors of all rows are equal ("impartial"),
 * from "Towards Impartial Multi-task Learning" (Liu et al., ICLR 2021,
 * https://openreview.net/forum?id=IMPnRXEWpvr), in the generalization of "Jacobian Descent for
 * Multi-Objective Optimization" (Quinton & Rey, 2024, https://arxiv.org/abs/2406.16232) that
 * accepts linearly dependent rows.
 *
 * @example
 * ```ts
 * new IMTLG().apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])); // ≈ [0.0767, 1, 1]
 * ```
 */
export class IMTLG extends GramianWeightedAggregator {
  declare readonly gramianWeighting: IMTLGWeighting;

  constructor() {
    super(new IMTLGWeighting());
  }

  override toString(): string {
    return 'IMTLG';
  }
}
