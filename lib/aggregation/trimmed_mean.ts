import * as tf from '@tensorflow/tfjs';
import { onHostMemoryBackend, readFloat32 } from '../backend/host_data';
import { InvalidArgumentError } from '../errors';
import { HostPassAggregator, nonFiniteMatrixError } from './aggregator_bases';

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
export class TrimmedMean extends HostPassAggregator {
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
    return onHostMemoryBackend()
      ? trimmedMeanOnHost(matrix, this.trimNumber)
      : trimmedMeanOnBackend(matrix, this.trimNumber);
  }

  override toString(): string {
    return `TM${this.trimNumber}`;
  }
}

/** Columns processed together: m × 2048 keys stay in the processor's cache. */
const BLOCK_WIDTH = 2048;

/**
 * The trimmed mean of each column computed in JavaScript from one read of the matrix. Exported for
 * the specs, which compare it with {@link trimmedMeanOnBackend}.
 *
 * A block of columns is processed at once, row against row, on integer keys that order like the
 * floats (a float's bits with the magnitude bits flipped when negative), compared with bit masks
 * rather than branches: on random data a branch mispredicts half the time, which made a per-column
 * sort six times slower. Each of the `t` passes moves the largest remaining value of every column
 * into one row and the smallest into another, and sets both rows aside; the rows left hold the kept
 * values. The first pass compares the rows in pairs as it reads them (a tournament: about 1.5 m
 * comparisons instead of 2 m).
 */
export function trimmedMeanOnHost(matrix: tf.Tensor2D, t: number): tf.Tensor1D {
  const [m, n] = matrix.shape;
  const data = readFloat32(matrix);
  const bits = new Int32Array(data.buffer, data.byteOffset, data.length);
  const width = Math.max(1, Math.min(BLOCK_WIDTH, n));
  const keys = new Int32Array(m * width);
  const scratch: Int32Array[] = [];
  for (let i = 0; i < m; i++) scratch.push(keys.subarray(i * width, (i + 1) * width));
  const sums = new Float64Array(width);
  const result = new Float32Array(n);
  for (let start = 0; start < n; start += width) {
    const w = Math.min(width, n - start);
    if (loadInPairs(bits, n, start, scratch, w) !== 0) throw nonFiniteMatrixError('matrix');
    if (t === 0) {
      for (let k = 0; k < m - 1; k++) addValues(scratch[k], sums, w, k === 0);
      writeMeans(scratch[m - 1], sums, m, result, start, w);
      continue;
    }
    // The last pass adds each kept value to `sums` as soon as no later comparison can move it.
    sums.fill(0);
    let rows = setExtremesAsidePaired([...scratch], w, t === 1 ? sums : null);
    for (let pass = 1; pass < t; pass++) {
      rows = setExtremesAside(rows, w, pass === t - 1 ? sums : null);
    }
    const kept = m - 2 * t;
    for (let c = 0; c < w; c++) result[start + c] = sums[c] / kept;
  }
  return tf.tensor1d(result);
}

// The loops are small functions of typed arrays only, each optimized on its own: written inline,
// V8 deoptimized the whole function repeatedly and ran it three times slower.

/** The keys of a float's bits (and back: the map is its own inverse). */
function key(bits: number): number {
  return bits ^ ((bits >> 31) & 0x7fffffff);
}

/**
 * Loads the block's rows into `scratch` as keys, each pair compare-exchanged on the way, so that
 * the rows are ordered low, high, low, high, … (an odd last row alone at the end). Returns 0 when
 * every value read is finite.
 */
function loadInPairs(
  bits: Int32Array,
  n: number,
  start: number,
  scratch: Int32Array[],
  width: number,
): number {
  const m = scratch.length;
  let nonFinite = 0;
  for (let i = 0; i + 1 < m; i += 2) {
    const offset = i * n + start;
    nonFinite |= loadPair(bits, offset, offset + n, scratch[i], scratch[i + 1], width);
  }
  if (m % 2 === 1) nonFinite |= loadRow(bits, (m - 1) * n + start, scratch[m - 1], width);
  return nonFinite;
}

/** 1 when the float with these bits is NaN or infinite (all exponent bits set), else 0. */
function exponentAllOnes(bits: number): number {
  return ((bits & 0x7f800000) + 0x00800000) >>> 31;
}

function loadPair(
  bits: Int32Array,
  offsetA: number,
  offsetB: number,
  lower: Int32Array,
  upper: Int32Array,
  width: number,
): number {
  let nonFinite = 0;
  for (let c = 0; c < width; c++) {
    const bitsA = bits[offsetA + c];
    const bitsB = bits[offsetB + c];
    nonFinite |= exponentAllOnes(bitsA) | exponentAllOnes(bitsB);
    const a = key(bitsA);
    const b = key(bitsB);
    const swap = (a ^ b) & -(b < a);
    lower[c] = a ^ swap;
    upper[c] = b ^ swap;
  }
  return nonFinite;
}

function loadRow(bits: Int32Array, offset: number, row: Int32Array, width: number): number {
  let nonFinite = 0;
  for (let c = 0; c < width; c++) {
    nonFinite |= exponentAllOnes(bits[offset + c]);
    row[c] = key(bits[offset + c]);
  }
  return nonFinite;
}

/**
 * After {@link loadInPairs}: the column maxima are among the high rows (and an odd last row), the
 * minima among the low ones. Chains them and returns the rows left without the two extremes, or,
 * given `sums` (the last pass), adds the values of those rows to it instead.
 */
function setExtremesAsidePaired(
  rows: Int32Array[],
  width: number,
  sums: Float64Array | null,
): Int32Array[] {
  const pairs = Math.floor(rows.length / 2);
  const lows = Array.from({ length: pairs }, (_, k) => rows[2 * k]);
  const highs = Array.from({ length: pairs }, (_, k) => rows[2 * k + 1]);
  const odd = rows.length % 2 === 1 ? rows[rows.length - 1] : undefined;
  // Each comparison's loser (the lower of two highs, the upper of two lows) is never moved again.
  // The two chains are independent: step s of both runs in one loop.
  for (let s = 0; s + 1 < pairs; s++) {
    const [highLower, highUpper] = [highs[s], highs[s + 1]];
    const [lowLower, lowUpper] = [lows[pairs - 2 - s], lows[pairs - 1 - s]];
    if (sums === null) {
      compareExchange(highLower, highUpper, width);
      compareExchange(lowLower, lowUpper, width);
    } else {
      compareExchangesKeepingLosers(highLower, highUpper, lowLower, lowUpper, sums, width);
    }
  }
  if (odd !== undefined) {
    compareExchange(odd, highs[pairs - 1], width);
    if (sums === null) compareExchange(lows[0], odd, width);
    else compareExchangeKeepingUpper(lows[0], odd, sums, width);
  }
  if (sums !== null) return [];
  const rest = [...lows.slice(1), ...highs.slice(0, -1)];
  return odd === undefined ? rest : [...rest, odd];
}

/**
 * Bubbles each column's largest key to the last row and smallest to the first and returns the rows
 * between, or, given `sums` (the last pass), adds their values to it instead.
 */
function setExtremesAside(
  rows: Int32Array[],
  width: number,
  sums: Float64Array | null,
): Int32Array[] {
  const last = rows.length - 1;
  for (let i = 0; i < last; i++) compareExchange(rows[i], rows[i + 1], width);
  for (let i = last - 2; i >= 0; i--) {
    if (sums === null) compareExchange(rows[i], rows[i + 1], width);
    else compareExchangeKeepingUpper(rows[i], rows[i + 1], sums, width);
  }
  return sums === null ? rows.slice(1, last) : [];
}

/**
 * {@link compareExchange} of two highs and of two lows, adding to `sums` the values of the losers
 * (the smaller high and the larger low).
 */
function compareExchangesKeepingLosers(
  highLower: Int32Array,
  highUpper: Int32Array,
  lowLower: Int32Array,
  lowUpper: Int32Array,
  sums: Float64Array,
  width: number,
): void {
  const highValues = new Float32Array(highLower.buffer, highLower.byteOffset, width);
  const lowValues = new Float32Array(lowUpper.buffer, lowUpper.byteOffset, width);
  for (let c = 0; c < width; c++) {
    const a = highLower[c];
    const b = highUpper[c];
    const swapHigh = (a ^ b) & -(b < a);
    highLower[c] = key(a ^ swapHigh);
    highUpper[c] = b ^ swapHigh;
    const p = lowLower[c];
    const q = lowUpper[c];
    const swapLow = (p ^ q) & -(q < p);
    lowLower[c] = p ^ swapLow;
    lowUpper[c] = key(q ^ swapLow);
    sums[c] += highValues[c] + lowValues[c];
  }
}

/** {@link compareExchange}, then adds the values of the larger keys to `sums`. */
function compareExchangeKeepingUpper(
  lower: Int32Array,
  upper: Int32Array,
  sums: Float64Array,
  width: number,
): void {
  const values = new Float32Array(upper.buffer, upper.byteOffset, width);
  for (let c = 0; c < width; c++) {
    const a = lower[c];
    const b = upper[c];
    const swap = (a ^ b) & -(b < a);
    lower[c] = a ^ swap;
    upper[c] = key(b ^ swap);
    sums[c] += values[c];
  }
}

/** Puts the smaller key of each column in `lower` and the larger in `upper`, without branching. */
function compareExchange(lower: Int32Array, upper: Int32Array, width: number): void {
  for (let c = 0; c < width; c++) {
    const a = lower[c];
    const b = upper[c];
    const swap = (a ^ b) & -(b < a);
    lower[c] = a ^ swap;
    upper[c] = b ^ swap;
  }
}

/**
 * Turns the keys of `row` back into floats in place and adds them to `sums` (or sets `sums` to them
 * when `first`).
 */
function addValues(row: Int32Array, sums: Float64Array, width: number, first: boolean): void {
  for (let c = 0; c < width; c++) row[c] = key(row[c]);
  const values = new Float32Array(row.buffer, row.byteOffset, width);
  if (first) for (let c = 0; c < width; c++) sums[c] = values[c];
  else for (let c = 0; c < width; c++) sums[c] += values[c];
}

/** Adds the last kept row to `sums` (none before it when `kept` is 1) and writes the means. */
function writeMeans(
  row: Int32Array,
  sums: Float64Array,
  kept: number,
  result: Float32Array,
  start: number,
  width: number,
): void {
  for (let c = 0; c < width; c++) row[c] = key(row[c]);
  const values = new Float32Array(row.buffer, row.byteOffset, width);
  if (kept === 1) result.set(values.subarray(0, width), start);
  else for (let c = 0; c < width; c++) result[start + c] = (sums[c] + values[c]) / kept;
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
