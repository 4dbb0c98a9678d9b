import * as tf from '@tensorflow/tfjs';
import { readOptions } from '../argument_checks';
import { InvalidArgumentError } from '../errors';
import { readVectorOption, vectorToString } from '../linalg/vector';
import { HostPassAggregator, nonFiniteMatrixError } from './aggregator_bases';
import { onHostMemoryBackend, readFloat32 } from '../backend/host_data';
import { uniformFiller } from '../random_stream';
import { rowCombinations } from '../tensor_products';

/** Options of {@link GradDrop}. */
export interface GradDropOptions {
  /**
   * Applied to the Gradient Positive Sign Purity `P` (a vector in [0, 1]^n); should be increasing.
   * Default: the identity.
   */
  f?: (purity: tf.Tensor1D) => tf.Tensor1D;
  /** How much of each row always leaks through, one value per row. Default: no leak. */
  leak?: tf.Tensor1D | number[];
  /**
   * Seed of the uniform thresholds drawn at each call, for reproducible runs (tfjs-jd's own
   * stream, not PyTorch's `torch.rand`). Without it, `Math.random`.
   */
  seed?: number;
}

/**
 * GradDrop: in each coordinate, keeps the positive or the negative parts of the rows at random,
 * with a probability of keeping the positive ones that grows with their share `P` ("Gradient
 * Positive Sign Purity") of that coordinate's total absolute value, then sums the kept parts.
 * Lines 10 to 15 of Algorithm 1 of "Just Pick a Sign: Optimizing Deep Multitask Models with
 * Gradient Sign Dropout" (Chen et al., NeurIPS 2020, https://arxiv.org/abs/2010.06808).
 *
 * Works on the matrix itself, not its Gramian: in JavaScript after one download on the `cpu` and
 * `wasm` backends (where that is fastest), with tfjs ops elsewhere; both give the same result.
 *
 * @example
 * ```ts
 * const aggregator = new GradDrop({ leak: [0, 0.5], seed: 0 });
 * aggregator.apply(tf.tensor2d([[-4, 1, 1], [6, 1, 1]]));
 * ```
 */
export class GradDrop extends HostPassAggregator {
  readonly f: (purity: tf.Tensor1D) => tf.Tensor1D;
  private leakValues: number[] | undefined;
  private readonly seed: number | undefined;
  private fillUniform: (out: Float32Array) => void;

  constructor(options: GradDropOptions = {}) {
    super();
    const { f = identity, leak, seed } = readOptions(options, 'GradDrop');
    if (typeof f !== 'function') {
      throw new InvalidArgumentError('f', 'expected a function of a tf.Tensor1D.');
    }
    if (seed !== undefined && !Number.isInteger(seed)) {
      throw new InvalidArgumentError('seed', `expected an integer, got ${seed}.`);
    }
    this.f = f;
    this.leak = leak;
    this.seed = seed;
    this.fillUniform = uniformFiller(seed);
  }

  /** The leak of each row, or `undefined` for none; setting it validates it. */
  get leak(): number[] | undefined {
    return this.leakValues;
  }
  set leak(value: tf.Tensor1D | number[] | undefined) {
    this.leakValues = value === undefined ? undefined : readVectorOption(value, 'leak');
  }

  /** Restarts the stream of random thresholds from the seed. */
  reset(): void {
    this.fillUniform = uniformFiller(this.seed);
  }

  protected override validate(matrix: tf.Tensor2D): void {
    super.validate(matrix);
    if (this.leakValues !== undefined && matrix.shape[0] !== this.leakValues.length) {
      throw new InvalidArgumentError(
        'matrix',
        `expected exactly ${this.leakValues.length} rows (one per leak value), got shape ` +
          `[${matrix.shape}].`,
      );
    }
  }

  forward(matrix: tf.Tensor2D): tf.Tensor1D {
    const [m, n] = matrix.shape;
    if (n === 0) return tf.zeros([0]) as tf.Tensor1D;
    const leak = this.leakValues ?? new Array<number>(m).fill(0);
    const thresholds = new Float32Array(n);
    this.fillUniform(thresholds);
    const step = { f: this.f, leak, thresholds };
    return onHostMemoryBackend() ? gradDropOnHost(matrix, step) : gradDropOnBackend(matrix, step);
  }

  override toString(): string {
    return this.leakValues === undefined
      ? 'GradDrop'
      : `GradDrop(${vectorToString(this.leakValues)})`;
  }
}

/** What one GradDrop step needs besides the matrix. */
export interface GradDropStep {
  f: (purity: tf.Tensor1D) => tf.Tensor1D;
  /** One leak per row (zeros for none). */
  leak: number[];
  /** One uniform threshold in [0, 1) per column. */
  thresholds: Float32Array;
}

/** The default `f`. */
function identity(purity: tf.Tensor1D): tf.Tensor1D {
  return purity;
}

/**
 * One GradDrop step computed in JavaScript from one read of the matrix (`f` still runs on a
 * tensor, skipped when it is the identity). Exported for the specs, which compare it with
 * {@link gradDropOnBackend}.
 *
 * The loops have no data-dependent branch: with random signs and thresholds a branch mispredicts
 * half the time, which made this three times slower. `max(v, 0)` is `½(v + |v|)` (exact: float32
 * values summed in float64), and the choice between the positive and negative parts is a product
 * with the comparison's 0 or 1.
 */
export function gradDropOnHost(
  matrix: tf.Tensor2D,
  { f, leak, thresholds }: GradDropStep,
): tf.Tensor1D {
  const [m, n] = matrix.shape;
  const data = readFloat32(matrix);
  const leaks = leak.some((l) => l !== 0);
  if (f === identity && !leaks) {
    // The common case in one pass, with no array besides the result.
    const result = new Float32Array(n);
    for (let c = 0; c < n; c++) {
      let positive = 0;
      let total = 0;
      for (let index = c; index < m * n; index += n) {
        const value = data[index];
        positive += 0.5 * (value + Math.abs(value));
        total += value;
      }
      // P = ½ (1 + Σᵢ Jᵢ / Σᵢ |Jᵢ|) = Σ relu(Jᵢ) / Σ |Jᵢ|; a zero column has nothing to keep.
      // A NaN or ±∞ entry makes the float64 total NaN or ±∞ (finite float32 values never do).
      if (total - total !== 0) throw nonFiniteMatrixError('matrix');
      const absolute = 2 * positive - total;
      const p = absolute > 0 ? positive / absolute : 0.5;
      const u = thresholds[c];
      result[c] = +(p > u) * positive + +(p < u) * (total - positive);
    }
    return tf.tensor1d(result);
  }
  const purity = new Float32Array(n);
  // Per column: the (1 − leak)-weighted positive and negative parts, then the leaked part.
  const keptPositive = new Float64Array(n);
  const keptNegative = new Float64Array(n);
  const leaked = new Float64Array(n);
  const kept = leak.map((l) => 1 - l);
  for (let c = 0; c < n; c++) {
    let positive = 0;
    let total = 0;
    let weightedPositive = 0;
    let weightedTotal = 0;
    let leakedSum = 0;
    for (let i = 0, index = c; i < m; i++, index += n) {
      const value = data[index];
      const positivePart = 0.5 * (value + Math.abs(value));
      positive += positivePart;
      total += value;
      weightedPositive += kept[i] * positivePart;
      weightedTotal += kept[i] * value;
      leakedSum += leak[i] * value;
    }
    if (total - total !== 0) throw nonFiniteMatrixError('matrix');
    const absolute = 2 * positive - total;
    purity[c] = absolute > 0 ? positive / absolute : 0.5;
    keptPositive[c] = weightedPositive;
    keptNegative[c] = weightedTotal - weightedPositive;
    leaked[c] = leakedSum;
  }
  // `data` may be a view of the wasm heap: no tfjs call before this point.
  const fPurity = f === identity ? purity : applyOnHost(f, purity);
  const result = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    const p = fPurity[c];
    const u = thresholds[c];
    result[c] = leaked[c] + +(p > u) * keptPositive[c] + +(p < u) * keptNegative[c];
  }
  return tf.tensor1d(result);
}

function applyOnHost(f: (purity: tf.Tensor1D) => tf.Tensor1D, purity: Float32Array): Float32Array {
  return tf.tidy(() => f(tf.tensor1d(purity)).dataSync() as Float32Array);
}

/**
 * One GradDrop step with tfjs ops, for backends whose memory is not JavaScript's (webgl, webgpu,
 * tensorflow). Column sums are products with small weight matrices (faster than reductions along
 * the first axis, which transpose).
 */
export function gradDropOnBackend(
  matrix: tf.Tensor2D,
  { f, leak, thresholds }: GradDropStep,
): tf.Tensor1D {
  const [m, n] = matrix.shape;
  return tf.tidy(() => {
    const kept = leak.map((l) => 1 - l);
    const ones = new Array<number>(m).fill(1);
    const positiveSums = rowCombinations(tf.tensor2d([ones, kept]), tf.relu(matrix));
    const sums = rowCombinations(tf.tensor2d([ones, kept, leak]), matrix);
    const [positive, keptPositive] = tf.unstack(positiveSums);
    const [total, keptTotal, leaked] = tf.unstack(sums);
    // P = Σ relu(Jᵢ) / Σ |Jᵢ| with Σ|Jᵢ| = 2 Σ relu(Jᵢ) − Σ Jᵢ; ½ for a zero column.
    const absolute = tf.sub(tf.mul(positive, 2), total);
    const purity = tf.where(
      tf.greater(absolute, 0),
      tf.divNoNan(positive, absolute),
      tf.fill([n], 0.5),
    ) as tf.Tensor1D;
    const fPurity = f(purity);
    const u = tf.tensor1d(thresholds);
    const keptNegative = tf.sub(keptTotal, keptPositive);
    const selected = tf.where(
      tf.greater(fPurity, u),
      keptPositive,
      tf.where(tf.less(fPurity, u), keptNegative, tf.zerosLike(keptNegative)),
    );
    return tf.add(selected, leaked) as tf.Tensor1D;
  });
}
