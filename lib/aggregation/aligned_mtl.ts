import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError } from '../errors';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { FLOAT32_EPS } from '../linalg/pseudo_inverse';
import { symmetricEigen } from '../linalg/symmetric_eigen';
import { GramianWeightedAggregator } from './aggregator_bases';
import { PrefVector } from './pref_vector';
import { GramianWeighting } from './weighting_bases';

/** How {@link AlignedMTL} scales its balanced update: by the smallest, median or mean eigenvalue. */
export type AlignedMTLScaleMode = 'min' | 'median' | 'rmse';

const SCALE_MODES: readonly AlignedMTLScaleMode[] = ['min', 'median', 'rmse'];

/** Options of {@link AlignedMTL} and {@link AlignedMTLWeighting}. */
export interface AlignedMTLOptions {
  /** Weights of the balanced rows; default `1/m` each. A `tf.Tensor1D` or `number[]`. */
  prefVector?: tf.Tensor1D | number[];
  /**
   * The eigenvalue `λ` of the Gramian that sets the scale `√λ` of the update: `'min'` the smallest
   * non-zero one (default), `'median'` the lower median, `'rmse'` the mean (as the original code).
   */
  scaleMode?: AlignedMTLScaleMode;
}

/**
 * The weights of {@link AlignedMTL}, from the Gramian `G = V Λ Vᵀ`: `α = B w` with the balance
 * transformation `B = √s · V_r Λ_r^{-1/2} V_rᵀ` on the `r` eigenvalues above
 * `max λ · m · eps(float32)` (`B = I` when there are none), `s` the eigenvalue picked by
 * `scaleMode` and `w` the preference vector. `Jᵀα` then has the rows' components along the
 * principal directions equalized (the aligned, well-conditioned system of the paper).
 *
 * @example
 * ```ts
 * new AlignedMTLWeighting().apply(tf.tensor2d([[18, -22], [-22, 38]])); // ≈ [0.5591, 0.4083]
 * ```
 */
export class AlignedMTLWeighting extends GramianWeighting {
  private preference: PrefVector;
  private scaleModeValue: AlignedMTLScaleMode = 'min';

  constructor(options: AlignedMTLOptions = {}) {
    super();
    const { prefVector, scaleMode = 'min' } = readOptions(options, 'AlignedMTLWeighting');
    this.scaleMode = scaleMode;
    this.preference = new PrefVector(prefVector);
  }

  /** The preference vector, or `undefined` for uniform `1/m`; setting it validates it, as TorchJD. */
  get prefVector(): number[] | undefined {
    return this.preference.values === undefined ? undefined : [...this.preference.values];
  }
  set prefVector(value: tf.Tensor1D | number[] | undefined) {
    this.preference = new PrefVector(value);
  }

  /** Which eigenvalue sets the scale; setting it validates it. */
  get scaleMode(): AlignedMTLScaleMode {
    return this.scaleModeValue;
  }
  set scaleMode(value: AlignedMTLScaleMode) {
    if (!SCALE_MODES.includes(value)) {
      throw new InvalidArgumentError(
        'scaleMode',
        `expected 'min', 'median' or 'rmse', got ${JSON.stringify(value)}.`,
      );
    }
    this.scaleModeValue = value;
  }

  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    const g = toMatrix64(gramian);
    const m = g.length;
    const w = this.preference.weightsFor(m);
    const { values, vectors } = symmetricEigen(g);
    const tolerance = Math.max(...values) * m * FLOAT32_EPS;
    // Descending, keeping the numerically non-zero eigenvalues.
    const kept = values
      .map((lambda, k) => ({ lambda, k }))
      .filter(({ lambda }) => lambda > tolerance)
      .sort((a, b) => b.lambda - a.lambda);
    if (kept.length === 0) return toTensor1D(w);
    const scale = Math.sqrt(this.pickScale(kept.map(({ lambda }) => lambda)));
    // α = √s Σₖ vₖ (vₖ·w) / √λₖ
    const alpha = new Array<number>(m).fill(0);
    for (const { lambda, k } of kept) {
      let projection = 0;
      for (let i = 0; i < m; i++) projection += vectors[i][k] * w[i];
      const factor = (scale * projection) / Math.sqrt(lambda);
      for (let i = 0; i < m; i++) alpha[i] += factor * vectors[i][k];
    }
    return toTensor1D(alpha);
  }

  /** The eigenvalue setting the scale; `descending` is sorted from largest to smallest. */
  private pickScale(descending: number[]): number {
    const r = descending.length;
    if (this.scaleModeValue === 'min') return descending[r - 1];
    if (this.scaleModeValue === 'rmse') return descending.reduce((s, l) => s + l, 0) / r;
    // torch.median: the lower of the two middle values when r is even.
    const ascending = [...descending].reverse();
    return ascending[Math.floor((r - 1) / 2)];
  }

  override toString(): string {
    return `AlignedMTLWeighting${this.preference.nameSuffix()}`;
  }
}

/**
 * Aligned-MTL: combines the rows after aligning them so that the linear system they form is
 * perfectly conditioned (equal singular values), removing both conflicts in direction and
 * dominance in magnitude. Algorithm 1 of "Independent Component Alignment for Multi-Task Learning"
 * (Senushkin et al., CVPR 2023, https://arxiv.org/abs/2305.19000).
 *
 * @example
 * ```ts
 * new AlignedMTL().apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]])); // ≈ [0.2133, 0.9673, 0.9673]
 * ```
 */
export class AlignedMTL extends GramianWeightedAggregator {
  declare readonly gramianWeighting: AlignedMTLWeighting;

  constructor(options: AlignedMTLOptions = {}) {
    super(new AlignedMTLWeighting(readOptions(options, 'AlignedMTL')));
  }

  /** The weighting's scale mode; setting it sets (and validates) the weighting's, as TorchJD. */
  get scaleMode(): AlignedMTLScaleMode {
    return this.gramianWeighting.scaleMode;
  }
  set scaleMode(value: AlignedMTLScaleMode) {
    this.gramianWeighting.scaleMode = value;
  }

  /** The weighting's preference vector; setting it sets the weighting's, as TorchJD. */
  get prefVector(): number[] | undefined {
    return this.gramianWeighting.prefVector;
  }
  set prefVector(value: tf.Tensor1D | number[] | undefined) {
    this.gramianWeighting.prefVector = value;
  }

  override toString(): string {
    return `AlignedMTL${new PrefVector(this.prefVector).nameSuffix()}`;
  }
}
