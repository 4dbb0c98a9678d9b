/**
 * Small dense float64 matrices (m × m, m up to a few hundred) as arrays of rows: the format of every
 * computation tfjs-jd does in JavaScript rather than on the tfjs backend.
 */
import * as tf from '@tensorflow/tfjs';

/** A dense matrix as rows of float64 numbers. */
export type Matrix64 = number[][];

/** Downloads a rank-2 tensor (one `dataSync`) into float64 rows. */
export function toMatrix64(tensor: tf.Tensor2D): Matrix64 {
  const [rows, cols] = tensor.shape;
  return rowsOf(tensor.dataSync() as Float32Array, rows, cols);
}

/** The `rows × cols` row-major `values` as float64 rows. */
export function rowsOf(values: Float32Array | Float64Array, rows: number, cols: number): Matrix64 {
  return Array.from({ length: rows }, (_, i) =>
    Array.from(values.subarray(i * cols, (i + 1) * cols)),
  );
}

/** Uploads float64 values as a float32 vector on the tfjs backend. */
export function toTensor1D(values: ArrayLike<number>): tf.Tensor1D {
  return tf.tensor1d(Array.from(values), 'float32');
}

/** `A x`. */
export function matVec(a: Matrix64, x: ArrayLike<number>): number[] {
  return a.map((row) => dot(row, x));
}

/** `⟨x, y⟩`. */
export function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * y[i];
  return sum;
}

/** The `n × n` identity. */
export function identity(n: number): Matrix64 {
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
}

/** True if every entry is finite. */
export function isFiniteMatrix(a: Matrix64): boolean {
  return a.every((row) => row.every(Number.isFinite));
}
