import * as tf from '@tensorflow/tfjs';
import { InvalidArgumentError } from '../errors';
import { Aggregator } from './aggregator_bases';

/** Options of {@link TrimmedMean}. */
export interface TrimmedMeanOptions {
  /** How many of the largest and of the smallest values to drop in each column; integer ≥ 0. */
  trimNumber: number;
}

/**
 * The coordinate-wise trimmed mean, robust aggregation for adversarial federated learning: in each
 * column, the `trimNumber` largest and `trimNumber` smallest values are dropped and the rest
 * averaged. From "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates"
 * (Yin et al., ICML 2018, https://proceedings.mlr.press/v80/yin18a.html).
 *
 * @example
 * ```ts
 * const aggregator = new TrimmedMean({ trimNumber: 1 });
 * aggregator.apply(tf.tensor2d([[1e11, 3], [1, -1e11], [-1e10, 1e10], [2, 2]])); // [1.5, 2.5]
 * ```
 */
export class TrimmedMean extends Aggregator {
  private trimNumberValue = 0;

  constructor({ trimNumber }: TrimmedMeanOptions) {
    super();
    this.trimNumber = trimNumber;
  }

  /** The number of values dropped at each end of each column; setting it validates it. */
  get trimNumber(): number {
    return this.trimNumberValue;
  }
  set trimNumber(value: number) {
    if (!Number.isInteger(value) || value < 0) {
      throw new InvalidArgumentError('trimNumber', `expected an integer ≥ 0, got ${value}.`);
    }
    this.trimNumberValue = value;
  }

  protected override validate(matrix: tf.Tensor2D): void {
    super.validate(matrix);
    const minRows = 2 * this.trimNumber + 1;
    if (matrix.shape[0] < minRows) {
      throw new InvalidArgumentError(
        'matrix',
        `expected at least ${minRows} rows (2 · trimNumber + 1), got shape [${matrix.shape}].`,
      );
    }
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    return HOST_MEMORY_BACKENDS.has(tf.getBackend())
      ? trimmedMeanOnHost(matrix, this.trimNumber)
      : trimmedMeanOnBackend(matrix, this.trimNumber);
  }

  override toString(): string {
    return `TM${this.trimNumber}`;
  }
}

/**
 * Backends whose tensors live in (or are one cheap copy from) JavaScript memory, where elementwise
 * ops and transposes cost far more than reading the matrix once: on wasm a `topk` over the columns
 * of a 4 × 100000 matrix takes about 15 ms, a download and a JavaScript pass about 1.5 ms.
 */
const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * The trimmed mean of each column computed in JavaScript from one download of the matrix: an
 * insertion sort per column (m is small), then the float64 mean of the kept values. Exported for
 * the specs, which compare it with {@link trimmedMeanOnBackend}.
 */
export function trimmedMeanOnHost(matrix: tf.Tensor2D, t: number): tf.Tensor1D {
  const [m, n] = matrix.shape;
  const data = matrix.dataSync();
  const column = new Float64Array(m);
  const result = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < m; i++) {
      const value = data[i * n + c];
      let k = i;
      for (; k > 0 && column[k - 1] > value; k--) column[k] = column[k - 1];
      column[k] = value;
    }
    let sum = 0;
    for (let i = t; i < m - t; i++) sum += column[i];
    result[c] = sum / (m - 2 * t);
  }
  return tf.tensor1d(result);
}

/**
 * The trimmed mean of each column with tfjs ops (one `topk` over the transposed matrix), for
 * backends whose memory is not JavaScript's (webgl, webgpu, tensorflow).
 */
export function trimmedMeanOnBackend(matrix: tf.Tensor2D, t: number): tf.Tensor1D {
  const [m, n] = matrix.shape;
  return tf.tidy(() => {
    if (n === 0) return tf.zeros([0]) as tf.Tensor1D;
    // The extremes are set aside after sorting, not subtracted from the column sums: with
    // outliers of 1e11 next to values of 1, a subtraction in float32 would lose the values kept.
    const sorted = tf.topk(matrix.transpose(), m).values;
    return tf.mean(sorted.slice([0, t], [n, m - 2 * t]), 1) as tf.Tensor1D;
  });
}
