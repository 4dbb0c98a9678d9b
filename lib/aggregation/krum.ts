import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError } from '../errors';
import { toMatrix64, toTensor1D } from '../linalg/matrix';
import { GramianWeightedAggregator } from './aggregator_bases';
import { GramianWeighting } from './weighting_bases';

/** Options of {@link Krum} and {@link KrumWeighting}. */
export interface KrumOptions {
  /** How many rows may come from an adversarial source; an integer ≥ 0. */
  nByzantine: number;
  /** How many rows Multi-Krum averages; an integer ≥ 1. Default 1 (plain Krum). */
  nSelected?: number;
}

function checkInteger(value: number, minimum: number, argument: string): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new InvalidArgumentError(argument, `expected an integer ≥ ${minimum}, got ${value}.`);
  }
  return value;
}

/**
 * The weights of {@link Krum}, from the Gramian: each row is scored by the sum of its distances to
 * its `m − nByzantine − 2` nearest other rows (distances come from the Gramian as
 * `‖gᵢ − gⱼ‖² = Gᵢᵢ + Gⱼⱼ − 2Gᵢⱼ`), and the `nSelected` rows of lowest score get weight
 * `1 / nSelected`, the others 0. Ties go to the lower index.
 *
 * @example
 * ```ts
 * const weights = new KrumWeighting({ nByzantine: 1, nSelected: 4 }).apply(gramian);
 * ```
 */
export class KrumWeighting extends GramianWeighting {
  private nByzantineValue = 0;
  private nSelectedValue = 1;

  constructor(options: KrumOptions) {
    super();
    const { nByzantine, nSelected = 1 } = readOptions(
      options,
      'KrumWeighting',
      ['nByzantine'],
      'new KrumWeighting({ nByzantine: 1 })',
    );
    this.nByzantine = nByzantine;
    this.nSelected = nSelected;
  }

  /** The number of rows that may be adversarial; setting it validates it. */
  get nByzantine(): number {
    return this.nByzantineValue;
  }
  set nByzantine(value: number) {
    this.nByzantineValue = checkInteger(value, 0, 'nByzantine');
  }

  /** The number of rows averaged (Multi-Krum); setting it validates it. */
  get nSelected(): number {
    return this.nSelectedValue;
  }
  set nSelected(value: number) {
    this.nSelectedValue = checkInteger(value, 1, 'nSelected');
  }

  /** Throws unless `m` rows are enough: `m ≥ nByzantine + 3` and `m ≥ nSelected`. */
  checkRowCount(m: number, argument: string): void {
    const minRows = this.nByzantine + 3;
    if (m < minRows) {
      throw new InvalidArgumentError(
        argument,
        `expected at least ${minRows} rows (nByzantine + 3), got ${m}.`,
      );
    }
    if (m < this.nSelected) {
      throw new InvalidArgumentError(
        argument,
        `expected at least ${this.nSelected} rows (nSelected), got ${m}.`,
      );
    }
  }

  protected override validate(gramian: tf.Tensor2D): void {
    super.validate(gramian);
    this.checkRowCount(gramian.shape[0], 'gramian');
  }

  forward(gramian: tf.Tensor2D): tf.Tensor1D {
    const g = toMatrix64(gramian);
    const m = g.length;
    const nClosest = m - this.nByzantine - 2;
    const scores = g.map((row, i) => {
      // Clamped at 0: rounding can make the squared distance of equal rows slightly negative.
      const distances = row
        .map((gij, j) => Math.sqrt(Math.max(g[i][i] + g[j][j] - 2 * gij, 0)))
        .filter((_, j) => j !== i)
        .sort((a, b) => a - b);
      return distances.slice(0, nClosest).reduce((s, d) => s + d, 0);
    });
    const selected = scores
      .map((score, i) => ({ score, i }))
      .sort((a, b) => a.score - b.score || a.i - b.i)
      .slice(0, this.nSelected);
    const weights = new Array<number>(m).fill(0);
    for (const { i } of selected) weights[i] = 1 / this.nSelected;
    return toTensor1D(weights);
  }

  override toString(): string {
    return 'KrumWeighting';
  }
}

/**
 * Krum and Multi-Krum, robust aggregation for Byzantine-tolerant (adversarial) federated learning:
 * the average of the `nSelected` rows closest to their neighbours. From "Machine Learning with
 * Adversaries: Byzantine Tolerant Gradient Descent" (Blanchard et al., NeurIPS 2017,
 * https://proceedings.neurips.cc/paper/2017/hash/f4b9ec30ad9f68f89b29639786cb62ef-Abstract.html).
 *
 * @example
 * ```ts
 * const aggregator = new Krum({ nByzantine: 1, nSelected: 4 });
 * aggregator.apply(tf.tensor2d([[1, 1, 1], [1, 0, 1], [75, -666, 23], [1, 2, 3], [2, 0, 1]]));
 * // [1.25, 0.75, 1.5]: the adversarial third row is left out
 * ```
 */
export class Krum extends GramianWeightedAggregator {
  declare readonly gramianWeighting: KrumWeighting;

  constructor(options: KrumOptions) {
    super(
      new KrumWeighting(
        readOptions(options, 'Krum', ['nByzantine'], 'new Krum({ nByzantine: 1 })'),
      ),
    );
  }

  /** The number of rows that may be adversarial. */
  get nByzantine(): number {
    return this.gramianWeighting.nByzantine;
  }
  set nByzantine(value: number) {
    this.gramianWeighting.nByzantine = value;
  }

  /** The number of rows averaged. */
  get nSelected(): number {
    return this.gramianWeighting.nSelected;
  }
  set nSelected(value: number) {
    this.gramianWeighting.nSelected = value;
  }

  protected override validate(matrix: tf.Tensor2D): void {
    super.validate(matrix);
    this.gramianWeighting.checkRowCount(matrix.shape[0], 'matrix');
  }

  override toString(): string {
    return `Krum${this.nByzantine}-${this.nSelected}`;
  }
}
