import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { computeGramian } from '../linalg/gramian';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { FLOAT32_EPS, pseudoInverseSymmetric } from '../linalg/pseudo_inverse';
import { Aggregator, combine, rejectNonFiniteStatistic } from './aggregator_bases';
import { checkIsMatrix } from './weighting_bases';
import { PrefVector } from './pref_vector';

/** Options of {@link ConFIG}. */
export interface ConFIGOptions {
  /** Weights of the unit rows in the target direction; default equal. `tf.Tensor1D` or `number[]`. */
  prefVector?: tf.Tensor1D | number[];
}

/**
 * Conflict-Free Inverse Gradients: the direction `u = U⁺ w / ‖U⁺ w‖`, where `U` holds the rows
 * scaled to unit norm (zero rows stay zero) and `w` is the preference vector, so that `u` makes
 * equal angles with all rows (for `w` uniform); its length is the sum `Σᵢ gᵢ·u` of the rows'
 * projections on it. Equation 2 of "ConFIG: Towards Conflict-free Training of Physics Informed
 * Neural Networks" (Liu et al., ICLR 2025, https://arxiv.org/abs/2408.11104).
 *
 * Everything is computed from the Gramian: `U⁺w = Uᵀ(UUᵀ)⁺w` and `UUᵀ = D⁻¹GD⁻¹` with `D` the row
 * norms, so the result is `Jᵀc` for an `m`-vector `c` and the wide matrix is only multiplied
 * twice. The eigenvalues of `UUᵀ` below `max(m, n) · eps(float32)` times the largest count as
 * zero: TorchJD applies that tolerance to the singular values of `U` (`torch.linalg.pinv`), but a
 * float32 Gramian cannot resolve eigenvalues much below it.
 *
 * @example
 * ```ts
 * new ConFIG().apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])); // ≈ [0.1588, 2.0706, 2.0706]
 * ```
 */
export class ConFIG extends Aggregator {
  private preference: PrefVector;

  constructor(options: ConFIGOptions = {}) {
    super();
    const { prefVector } = readOptions(options, 'ConFIG');
    this.preference = new PrefVector(prefVector);
  }

  /** The preference vector, or `undefined` for uniform `1/m`; setting it validates it, as TorchJD. */
  get prefVector(): number[] | undefined {
    return this.preference.values === undefined ? undefined : [...this.preference.values];
  }
  set prefVector(value: tf.Tensor1D | number[] | undefined) {
    this.preference = new PrefVector(value);
  }

  /** Finiteness is checked on the Gramian (a NaN or ∞ in the matrix always reaches it). */
  protected override validate(matrix: tf.Tensor2D): void {
    checkIsMatrix(matrix, 'matrix');
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const [m, n] = matrix.shape;
    const w = this.preference.weightsFor(m);
    const gramian = computeGramian(matrix);
    const g = toMatrix64(gramian);
    gramian.dispose();
    if (!g.every((row) => row.every(Number.isFinite))) rejectNonFiniteStatistic(matrix, 'Gramian');
    const inverseNorms = g.map((row, i) => (row[i] > 0 ? 1 / Math.sqrt(row[i]) : 0));
    const unitGramian = g.map((row, i) => row.map((x, j) => inverseNorms[i] * x * inverseNorms[j]));
    const pseudoInverse = pseudoInverseSymmetric(unitGramian, Math.max(m, n) * FLOAT32_EPS);
    // U⁺w = Jᵀc with c = D⁻¹ (UUᵀ)⁺ w.
    const c = pseudoInverse.map(
      (row, i) => inverseNorms[i] * row.reduce((s, x, k) => s + x * w[k], 0),
    );
    const gc = g.map((row) => row.reduce((s, x, k) => s + x * c[k], 0));
    const squaredNorm = Math.max(
      gc.reduce((s, x, i) => s + x * c[i], 0),
      0,
    );
    const length = gc.reduce((s, x) => s + x, 0);
    // As F.normalize, the norm is floored at 1e-12: a zero direction gives a zero update.
    const factor = length / Math.max(squaredNorm, 1e-24);
    const weights = toTensor1D(c.map((x) => x * factor));
    try {
      return combine(matrix, weights);
    } finally {
      weights.dispose();
    }
  }

  override toString(): string {
    return `ConFIG${this.preference.nameSuffix()}`;
  }
}
